"""The second factor of every staff login: a time-based code from an authenticator app
(TOTP, RFC 6238, through django-otp), with one-time recovery codes for a lost phone, or a
passkey (`passkeys.py`).

Patients log in through the replaceable backend alone (MitID in production, which is itself
two-factor; docs/authentication.md). Everyone else who can see a patient's record or the
administration needs a session that a second factor has verified
(`middleware.RequireSecondFactor`).
"""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify
from typing import Any

import segno
from django.utils.safestring import SafeString, mark_safe
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from opspor.accounts.models import Role, User

SECOND_FACTOR_ROLES = frozenset({Role.GP, Role.UNIT_DOCTOR, Role.ANALYST, Role.ADMIN})
RECOVERY_CODES = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# The seeded demo users' device. Its current code is shown on the code page outside
# production (`views.verify`), so that `make demo` needs no phone.
DEMO_DEVICE_NAME = "Demo authenticator"
STEP_SECONDS = 30
DIGITS = 6
# One step either side: a phone's clock a little off, or a code typed as it turned.
TOLERANCE = 1


def needs_second_factor(user: Any) -> bool:
    """Whether this user's sessions must be verified by a second factor."""
    if not isinstance(user, User):
        return False
    return user.role in SECOND_FACTOR_ROLES or user.is_staff or user.is_superuser


def is_verified(user: Any) -> bool:
    """Set by django-otp's middleware on every request's user."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def recovery_codes_left(user: User) -> int:
    device = recovery_device(user)
    return device.token_set.count() if device is not None else 0


def totp_for(key_hex: str, now: float | None = None) -> TOTP:
    totp = TOTP(unhexlify(key_hex.encode()), step=STEP_SECONDS, t0=0, digits=DIGITS, drift=0)
    totp.time = time.time() if now is None else now
    return totp


def code_now(key_hex: str, now: float | None = None) -> str:
    """The code an authenticator app with this key shows now, as it shows it."""
    return f"{totp_for(key_hex, now).token():0{DIGITS}d}"


def setup_url(username: str, key_hex: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    device = TOTPDevice(key=key_hex, step=STEP_SECONDS, digits=DIGITS)
    device.user = User(username=username)
    return device.config_url


def qr_svg(url: str, title: str) -> SafeString:
    """The QR code of `url` as an inline SVG element (no image request, no script). Safe to
    put in a page as it is: segno writes only paths, and escapes the title."""
    svg = segno.make(url, error="m").svg_inline(
        scale=5, border=4, title=title, svgclass="qr-code", lineclass=None
    )
    return mark_safe(svg)  # noqa: S308


def secret_text(key_hex: str) -> str:
    """The key as an authenticator app asks for it when typed: base32, in groups of four."""
    encoded = b32encode(unhexlify(key_hex.encode())).decode().rstrip("=")
    return " ".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def normalise_code(raw: str) -> str:
    """What a person types, without the spaces and dashes they may add, lower case (the
    recovery codes are lower-case base32; the app's codes are digits)."""
    return "".join(ch for ch in raw if ch.isalnum()).lower()
