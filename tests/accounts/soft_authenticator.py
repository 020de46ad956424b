"""A passkey in software, for tests: an EC P-256 key that answers WebAuthn's registration
(attestation "none") and login (an ES256 signature) the way a browser and an authenticator
together would, with every part that the server checks open to being made wrong."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url

UP, UV, AT = 0x01, 0x04, 0x40  # authenticatorData flags: present, verified, key included
AAGUID = bytes(16)  # "none" attestation: no make or model


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class SoftAuthenticator:
    rp_id: str = "testserver"
    origin: str = "http://testserver"
    key: ec.EllipticCurvePrivateKey = field(default_factory=_new_key)
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    # The signature counter: each login answers with one more (0 would mean none is kept).
    sign_count: int = 0
    user_handle: bytes | None = None

    @property
    def credential_id_text(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        # COSE_Key: kty EC2, alg ES256, crv P-256, x, y.
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def _auth_data(self, rp_id: str | None, flags: int, count: int, attested: bytes) -> bytes:
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", count) + attested

    def create(
        self,
        options: dict[str, Any],
        *,
        challenge: str | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        verified: bool = True,
    ) -> dict[str, Any]:
        """The browser's JSON answer to `navigator.credentials.create(options)`."""
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        client_data = self._client_data(
            "webauthn.create", challenge or options["challenge"], origin
        )
        attested = (
            AAGUID
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self.cose_key()
        )
        flags = UP | AT | (UV if verified else 0)
        auth_data = self._auth_data(rp_id, flags, self.sign_count, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.credential_id_text,
            "rawId": self.credential_id_text,
            "type": "public-key",
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        challenge: str | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        verified: bool = True,
        count: int | None = None,
    ) -> dict[str, Any]:
        """The browser's JSON answer to `navigator.credentials.get(options)`, signed."""
        if count is None:
            self.sign_count += 1
            count = self.sign_count
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        auth_data = self._auth_data(rp_id, UP | (UV if verified else 0), count, b"")
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        response: dict[str, Any] = {
            "clientDataJSON": bytes_to_base64url(client_data),
            "authenticatorData": bytes_to_base64url(auth_data),
            "signature": bytes_to_base64url(signature),
        }
        if self.user_handle is not None:
            response["userHandle"] = bytes_to_base64url(self.user_handle)
        return {
            "id": self.credential_id_text,
            "rawId": self.credential_id_text,
            "type": "public-key",
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": response,
        }
