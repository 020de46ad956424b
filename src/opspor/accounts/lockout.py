"""When a login is not even tried: too many recent failures for the account, or from the
address.

Both counts come from the login trail (`LoginAttempt`), so the lock holds across processes
and restarts and is the same rows an administrator reads. Attempts refused while locked are
recorded but not counted, so hammering a locked account does not lengthen its lock; the lock
ends when its failures are older than the period. A success clears an account's count (not
an address's: one valid account must not reset an attack on the others from the same place).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from opspor.accounts.models import LoginAttempt


@dataclass(frozen=True)
class Lock:
    until: datetime
    # Which count locked; recorded, never shown (the page says the same for both).
    reason: str

    def minutes_left(self, now: datetime) -> int:
        return max(1, -(-int((self.until - now).total_seconds()) // 60))


def period() -> timedelta:
    return timedelta(seconds=settings.OPSPOR_LOGIN_LOCK_SECONDS)


def lock_for(username: str, address: str | None, now: datetime | None = None) -> Lock | None:
    """The lock that keeps this username or this address from trying now, if any."""
    now = now or timezone.now()
    since = now - period()
    failed = LoginAttempt.objects.filter(outcome=LoginAttempt.Outcome.FAILED, at__gt=since)

    last_success = (
        LoginAttempt.objects.filter(
            username=username, outcome=LoginAttempt.Outcome.SUCCEEDED, at__gt=since
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    account_failures = failed.filter(username=username)
    if last_success is not None:
        account_failures = account_failures.filter(at__gt=last_success)
    lock = _lock(account_failures, settings.OPSPOR_LOGIN_ACCOUNT_FAILURES, "account locked")
    if lock is None and address is not None:
        lock = _lock(
            failed.filter(address=address),
            settings.OPSPOR_LOGIN_ADDRESS_FAILURES,
            "address throttled",
        )
    return lock


def _lock(failures: object, limit: int, reason: str) -> Lock | None:
    times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])  # type: ignore[attr-defined]
    if len(times) < limit:
        return None
    # Locked until the oldest of the last `limit` failures leaves the period.
    return Lock(until=times[-1] + period(), reason=reason)


def reset_refused_because(email: str, address: str | None, now: datetime | None = None) -> str:
    """Why a request for a password-reset link is not sent on, or "" to send it: at most
    `OPSPOR_PASSWORD_RESET_LIMIT` links a period to one address, and from one client address
    at most as many requests as it may fail logins (the links go to a real mailbox: a flood
    of them would be an attack on its owner)."""
    now = now or timezone.now()
    asked = LoginAttempt.objects.filter(
        step=LoginAttempt.Step.PASSWORD_RESET,
        outcome=LoginAttempt.Outcome.CONTINUED,
        at__gt=now - period(),
    )
    if asked.filter(username=email[:150]).count() >= settings.OPSPOR_PASSWORD_RESET_LIMIT:
        return "reset limit for the e-mail address"
    if (
        address is not None
        and asked.filter(address=address).count() >= settings.OPSPOR_LOGIN_ADDRESS_FAILURES
    ):
        return "reset limit for the client address"
    return ""
