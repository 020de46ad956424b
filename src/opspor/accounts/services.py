"""What happens when someone logs in: the login trail, the second factor's enrolment and
check, new recovery codes, and passkeys added, removed and used."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from opspor.accounts import passkeys, sessions, two_factor
from opspor.accounts.addresses import client_address
from opspor.accounts.models import LoginAttempt, PasskeyDevice, User


def login_attempt_record(
    request: HttpRequest,
    *,
    username: str,
    user: User | None,
    step: LoginAttempt.Step,
    outcome: LoginAttempt.Outcome,
    reason: str,
) -> LoginAttempt:
    """One row of the login trail; every try at either step writes one."""
    return LoginAttempt.objects.create(
        username=username[:150],
        user=user,
        address=client_address(request),
        at=timezone.now(),
        step=step,
        outcome=outcome,
        reason=reason,
    )


def user_attempt_record(
    request: HttpRequest,
    user: User,
    *,
    step: LoginAttempt.Step,
    outcome: LoginAttempt.Outcome,
    reason: str,
) -> LoginAttempt:
    """A known user's row of the login trail, under the user's own username."""
    return login_attempt_record(
        request, username=user.get_username(), user=user, step=step, outcome=outcome, reason=reason
    )


def new_authenticator_key() -> str:
    """A fresh 160-bit key in django-otp's hex form (kept in the session until confirmed)."""
    return os.urandom(20).hex()


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]


def authenticator_enrol(user: User, key_hex: str, code: str) -> Enrolment | None:
    """Save the authenticator app that shows `code` for `key_hex` now, with a fresh set of
    recovery codes; None (nothing saved) when the code is not the app's current one.

    The device is saved only once the person has shown that their app works, so a key they
    never scanned cannot lock them out.
    """
    typed = two_factor.normalise_code(code)
    if not typed.isdigit():
        return None
    totp = two_factor.totp_for(key_hex)
    if not totp.verify(int(typed), two_factor.TOLERANCE):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user,
            name=two_factor.AUTHENTICATOR_NAME,
            key=key_hex,
            step=two_factor.STEP_SECONDS,
            digits=two_factor.DIGITS,
            tolerance=two_factor.TOLERANCE,
            # The code just typed cannot be used again to log in.
            last_t=totp.t(),
            confirmed=True,
        )
        codes = recovery_codes_renew(user)
    return Enrolment(device=device, recovery_codes=codes)


def recovery_codes_renew(user: User) -> list[str]:
    """Ten new one-time recovery codes; the old ones stop working. Only their text is
    returned, to be shown once."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(
            user=user, name=two_factor.RECOVERY_NAME, confirmed=True
        )
        codes = [StaticToken.random_token() for _ in range(two_factor.RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


class CodeThrottled(Exception):
    """A wrong code was typed moments ago: django-otp makes each next try wait twice as
    long as the one before (1, 2, 4 … seconds), so codes cannot be guessed in bulk."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"the next code is checked after {until:%H:%M:%S}")
        self.until = until


def second_factor_verify(request: HttpRequest, user: User, code: str) -> Device | None:
    """Check a code from the authenticator app or a recovery code, and mark the session as
    verified by the device that accepted it. Every try is recorded; a wrong code counts
    towards the account's lock like a wrong password. `CodeThrottled` when the code came
    too soon after a wrong one (not checked, recorded as refused)."""
    typed = two_factor.normalise_code(code)
    devices: list[Device] = []
    if typed.isdigit():
        devices += list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices += list(StaticDevice.objects.filter(user=user, confirmed=True))
    step = LoginAttempt.Step.SECOND_FACTOR
    waits = [device.verify_is_allowed() for device in devices]
    if devices and not any(allowed for allowed, _ in waits):
        user_attempt_record(
            request,
            user,
            step=step,
            outcome=LoginAttempt.Outcome.REFUSED,
            reason="code throttled",
        )
        raise CodeThrottled(min(data["locked_until"] for _, data in waits if data))
    accepted = None
    for device in devices:
        accepted = verify_token(user, device.persistent_id, typed) if typed else None
        if accepted is not None:
            break
    if accepted is None:
        user_attempt_record(
            request,
            user,
            step=step,
            outcome=LoginAttempt.Outcome.FAILED,
            reason="wrong code",
        )
        return None
    otp_login(request, accepted)
    sessions.previous_login_remember(request, user)
    reason = "recovery code" if isinstance(accepted, StaticDevice) else "authenticator code"
    user_attempt_record(
        request,
        user,
        step=step,
        outcome=LoginAttempt.Outcome.SUCCEEDED,
        reason=reason,
    )
    return accepted


def password_accepted(request: HttpRequest, user: User) -> None:
    """Log in after the password step: the session is the user's from here, but a staff
    user's stays unverified (and sees only the code step) until `second_factor_verify`.

    Only a complete login counts as a success: a right password alone does not clear the
    account's failures, or a thief with the password could guess codes for ever."""
    pending = two_factor.needs_second_factor(user)
    login(request, user)
    if not pending:
        sessions.previous_login_remember(request, user)
    user_attempt_record(
        request,
        user,
        step=LoginAttempt.Step.PASSWORD,
        outcome=LoginAttempt.Outcome.CONTINUED if pending else LoginAttempt.Outcome.SUCCEEDED,
        reason="password",
    )


def second_factor_enrolled(request: HttpRequest, user: User, device: TOTPDevice) -> None:
    """The enrolment's code was right: it completes this login like any other code."""
    otp_login(request, device)
    sessions.previous_login_remember(request, user)
    user_attempt_record(
        request,
        user,
        step=LoginAttempt.Step.SECOND_FACTOR,
        outcome=LoginAttempt.Outcome.SUCCEEDED,
        reason="enrolled",
    )


def demo_authenticator_set_up(user: User) -> TOTPDevice | None:
    """A seeded demo user's authenticator, whose code the code step shows outside
    production (there is no phone to read it from); None for a user who needs none or
    already has one."""
    if not two_factor.needs_second_factor(user) or two_factor.authenticator(user) is not None:
        return None
    return TOTPDevice.objects.create(
        user=user,
        name=two_factor.DEMO_DEVICE_NAME,
        key=new_authenticator_key(),
        step=two_factor.STEP_SECONDS,
        digits=two_factor.DIGITS,
        tolerance=two_factor.TOLERANCE,
        confirmed=True,
    )


def passkey_add(request: HttpRequest, user: User, name: str, credential: object) -> PasskeyDevice:
    """Save the passkey the browser just made for this user, after checking its answer
    against the challenge in the session; `passkeys.PasskeyRefused` and nothing saved if
    it does not check out or the passkey is registered already."""
    new = passkeys.registration_verify(request, user, credential)
    with transaction.atomic():
        if PasskeyDevice.objects.filter(credential_id=new.credential_id).exists():
            raise passkeys.PasskeyRefused(
                "passkey registered already",
                gettext("This passkey is added already."),
            )
        return PasskeyDevice.objects.create(
            user=user,
            name=name,
            credential_id=new.credential_id,
            public_key=new.public_key,
            sign_count=new.sign_count,
            transports=new.transports,
            confirmed=True,
        )


def passkey_remove(user: User, passkey_id: int) -> str:
    """Delete one of the user's own passkeys (`PasskeyDevice.DoesNotExist` for any other);
    its name, for the message."""
    device = PasskeyDevice.objects.get(user=user, pk=passkey_id)
    name = device.name
    device.delete()
    return name


def passkey_login(request: HttpRequest, user: User, credential: object) -> PasskeyDevice:
    """The second factor by passkey: check the browser's signed answer, mark the session as
    verified by that passkey, and record the try. A refused passkey
    (`passkeys.PasskeyRefused`) counts towards the account's lock like a wrong code."""
    step = LoginAttempt.Step.SECOND_FACTOR
    try:
        with transaction.atomic():
            assertion = passkeys.authentication_verify(request, user, credential)
            device = assertion.device
            device.sign_count = assertion.sign_count
            device.last_used_at = timezone.now()
            device.save(update_fields=["sign_count", "last_used_at"])
    except passkeys.PasskeyRefused as refused:
        user_attempt_record(
            request, user, step=step, outcome=LoginAttempt.Outcome.FAILED, reason=refused.reason
        )
        raise
    otp_login(request, device)
    sessions.previous_login_remember(request, user)
    user_attempt_record(
        request, user, step=step, outcome=LoginAttempt.Outcome.SUCCEEDED, reason="passkey"
    )
    return device
