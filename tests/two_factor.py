"""The second factor in tests: a known authenticator for a user, its current code, and a
test client's session verified the way the code step verifies it."""

from __future__ import annotations

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from opspor.accounts import two_factor
from opspor.accounts.models import User

# A fixed key, so that a test can type what the user's phone would show.
KNOWN_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, in hex


def give_authenticator(user: User) -> TOTPDevice:
    """The user's authenticator app, set up with the known key if they have none yet (the
    seeded demo users keep theirs)."""
    device = two_factor.authenticator(user)
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Test authenticator", key=KNOWN_KEY, confirmed=True
        )
    return device


def next_code(device: TOTPDevice) -> str:
    """The code the app shows now, or the next one when this one was already used (a code
    is accepted once): at most one step ahead, which the device's tolerance accepts."""
    device.refresh_from_db()
    now = time.time()
    step_now = int(now // device.step)
    step = max(step_now, device.last_t + 1)
    if step > step_now + device.tolerance:
        # Two logins of one user within one step: wait (at most one step) for the next.
        time.sleep((step - device.tolerance) * device.step - now + 0.1)
        return next_code(device)
    return two_factor.code_now(device.key, now=step * device.step)


def verify_client_session(client: Client, user: User) -> None:
    """Mark a test client's logged-in session as verified by the user's authenticator, as
    `django_otp.login` does when the code step accepts a code."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = give_authenticator(user).persistent_id
    session.save()
