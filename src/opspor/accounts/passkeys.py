"""Passkeys (WebAuthn) as a staff login's second factor, beside the authenticator app.

The ceremonies are py_webauthn's; this module decides what they are checked against:

- the challenge: 32 random bytes made by the server, kept in the session under its purpose
  (adding a passkey, or logging in with one) for `CHALLENGE_SECONDS`, and taken out by the
  first answer that uses it, right or wrong, so that no answer can be replayed;
- the relying party id: `OPSPOR_WEBAUTHN_RP_ID`, or else the host the request came to
  without its port (a passkey is bound to it for good);
- the origins the browser may answer from: `OPSPOR_WEBAUTHN_ORIGINS`, or else the
  request's own scheme and host;
- user verification (the authenticator's PIN or fingerprint) always required, and the
  signature counter required to grow when the authenticator keeps one (a copied key that
  answers with an old count is refused).

Only the public key is stored (`models.PasskeyDevice`); attestation is not asked for.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.utils.translation import gettext as _
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from opspor.accounts.models import PasskeyDevice, User

RP_NAME = "Opspor"
CHALLENGE_SECONDS = 300
REGISTER = "register"
LOGIN = "login"
_SESSION_KEYS = {REGISTER: "opspor_passkey_register", LOGIN: "opspor_passkey_login"}
KNOWN_TRANSPORTS = frozenset(t.value for t in AuthenticatorTransport)


class PasskeyRefused(Exception):
    """An answer from the browser that is not accepted. `reason` goes to the login trail
    (at most 40 characters, never shown); `message` is for the person."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


def rp_id(request: HttpRequest) -> str:
    configured: str = settings.OPSPOR_WEBAUTHN_RP_ID
    if configured:
        return configured
    domain, _port = split_domain_port(request.get_host())
    return domain


def origins(request: HttpRequest) -> list[str]:
    configured: list[str] = settings.OPSPOR_WEBAUTHN_ORIGINS
    return list(configured) or [f"{request.scheme}://{request.get_host()}"]


def user_handle(user: User) -> bytes:
    # Stable and free of personal data: the database's id of the user.
    return str(user.pk).encode()


def passkeys_of(user: User) -> list[PasskeyDevice]:
    return list(PasskeyDevice.objects.filter(user=user, confirmed=True).order_by("created_at"))


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(device.credential_id),
            transports=[AuthenticatorTransport(t) for t in device.transports],
        )
        for device in passkeys_of(user)
    ]


def _challenge_keep(request: HttpRequest, purpose: str, user: User, challenge: bytes) -> None:
    request.session[_SESSION_KEYS[purpose]] = {
        "challenge": bytes_to_base64url(challenge),
        "user": user.pk,
        "until": time.time() + CHALLENGE_SECONDS,
    }


def challenge_take(request: HttpRequest, purpose: str, user: User) -> bytes:
    """The challenge handed out for `purpose`, removed from the session: used once, whether
    the answer to it turns out right or wrong."""
    kept = request.session.pop(_SESSION_KEYS[purpose], None)
    if (
        not isinstance(kept, dict)
        or kept.get("user") != user.pk
        or not isinstance(kept.get("until"), int | float)
        or kept["until"] < time.time()
    ):
        raise PasskeyRefused(
            "passkey challenge missing or expired",
            _("The passkey request has expired or was used already. Try again."),
        )
    return base64url_to_bytes(str(kept["challenge"]))


def registration_options(request: HttpRequest, user: User) -> str:
    """The JSON the browser's `navigator.credentials.create` takes, with a new challenge."""
    options = generate_registration_options(
        rp_id=rp_id(request),
        rp_name=RP_NAME,
        user_id=user_handle(user),
        user_name=user.get_username(),
        user_display_name=user.get_full_name() or user.get_username(),
        challenge=secrets.token_bytes(32),
        timeout=CHALLENGE_SECONDS * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        # The same authenticator twice would be one key under two names.
        exclude_credentials=_descriptors(user),
    )
    _challenge_keep(request, REGISTER, user, options.challenge)
    return options_to_json(options)


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str
    public_key: bytes
    sign_count: int
    transports: list[str]


def registration_verify(request: HttpRequest, user: User, credential: Any) -> NewPasskey:
    """The browser's answer to `registration_options`, checked; `PasskeyRefused` if not."""
    challenge = challenge_take(request, REGISTER, user)
    refused = PasskeyRefused(
        "passkey registration refused",
        _("The passkey could not be added: the browser's answer did not check out. Try again."),
    )
    if not isinstance(credential, dict):
        raise refused
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(request),
            expected_origin=origins(request),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise refused from error
    response = credential.get("response")
    raw_transports = response.get("transports") if isinstance(response, dict) else None
    transports = (
        sorted({t for t in raw_transports if t in KNOWN_TRANSPORTS})
        if isinstance(raw_transports, list)
        else []
    )
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
    )


def authentication_options(request: HttpRequest, user: User) -> str:
    """The JSON the browser's `navigator.credentials.get` takes: this user's passkeys only."""
    options = generate_authentication_options(
        rp_id=rp_id(request),
        challenge=secrets.token_bytes(32),
        timeout=CHALLENGE_SECONDS * 1000,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _challenge_keep(request, LOGIN, user, options.challenge)
    return options_to_json(options)


@dataclass(frozen=True)
class Assertion:
    device: PasskeyDevice
    sign_count: int


def _not_checked() -> PasskeyRefused:
    return PasskeyRefused(
        "passkey refused",
        _("The passkey was not accepted. Try again, or type the code from your app."),
    )


def authentication_verify(request: HttpRequest, user: User, credential: Any) -> Assertion:
    """The browser's answer to `authentication_options`, checked against the user's own
    passkey that made it (locked for update: two answers at once cannot both pass the
    counter). The caller saves the new count."""
    challenge = challenge_take(request, LOGIN, user)
    if not isinstance(credential, dict):
        raise _not_checked()
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise _not_checked() from error
    device = (
        PasskeyDevice.objects.select_for_update()
        .filter(user=user, confirmed=True, credential_id=bytes_to_base64url(parsed.raw_id))
        .first()
    )
    if device is None:
        raise PasskeyRefused(
            "unknown passkey",
            _(
                "This passkey is not one of yours in Opspor. Use one you have added, or type "
                "the code from your app."
            ),
        )
    handle = parsed.response.user_handle
    if handle is not None and handle != user_handle(user):
        raise _not_checked()
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp_id(request),
            expected_origin=origins(request),
            credential_public_key=bytes(device.public_key),
            credential_current_sign_count=device.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        if "sign count" in str(error):
            raise PasskeyRefused(
                "passkey sign count not increased",
                _(
                    "This passkey answered with an old signature count, as a copied key "
                    "would. It was refused; tell your administrator."
                ),
            ) from error
        raise _not_checked() from error
    return Assertion(device=device, sign_count=verified.new_sign_count)
