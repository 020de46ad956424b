"""What happened to a case, told to the apps above that follow it.

Every audit event (`runner.record_event`) is published here, in the same transaction as
the change it records: a safety-net episode learns that its patient's referral was sent or
rejected from the referral's own events, without referrals knowing that safety nets exist
(they sit above it in the stack). A subscriber that raises undoes the change with it, so a
loop is closed by the event or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models

from opspor.accounts.models import User


@dataclass(frozen=True)
class CaseChange:
    row: Any  # the case row, as saved
    action: str
    by: User | None  # None: Opspor itself acted
    at: datetime
    from_state: str
    to_state: str


Subscriber = Callable[[CaseChange], None]
_SUBSCRIBERS: dict[tuple[str, str], list[Subscriber]] = {}


def subscribe(model: type[models.Model], action: str, subscriber: Subscriber) -> None:
    """Call `subscriber` after each `action` on a row of `model` (from an app's `ready()`)."""
    handlers = _SUBSCRIBERS.setdefault((model._meta.label_lower, action), [])
    if subscriber not in handlers:
        handlers.append(subscriber)


def publish(change: CaseChange) -> None:
    for subscriber in _SUBSCRIBERS.get((change.row._meta.label_lower, change.action), []):
        subscriber(change)
