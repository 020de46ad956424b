"""The worker's periodic sweep: every step that keeps cases from waiting silently.

Casework's own step hands pending e-mails to the queue again; each kind of case registers
its own steps (a referral's escalation, its overdue deadlines) from its app's `ready()`.
Every step is safe to repeat and to run in two workers at once: it re-checks its condition
on the locked row. `now` is explicit so that the tests and the worker decide on the same
moment for every row of one sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from opspor.casework.models import Notification
from opspor.casework.notifications import schedule_delivery

# Rows per step and sweep; the rest follow in the next sweep (a minute later by default),
# so one sweep's transactions stay short after the mail server was down for a day.
SWEEP_BATCH = 500

SweepStep = Callable[[datetime], int]


def notifications_redeliver_pending(now: datetime) -> int:
    """Hand every pending e-mail whose attempt is due to the queue again.

    The commit hands each new notification over once; this catches a hand-over that was
    lost (the process stopped between commit and enqueue, a queue row was deleted) and
    every retry after a failed attempt. A notification that is queued twice is sent once:
    `delivery.deliver` skips a row that is no longer pending or not yet due.
    """
    due = (
        Notification.objects.filter(
            delivery=Notification.Delivery.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    ids = list(due)
    for notification_id in ids:
        schedule_delivery(notification_id)
    return len(ids)


# In the order they run; each name is the count it reports.
STEPS: dict[str, SweepStep] = {"handed_over": notifications_redeliver_pending}


def register_step(name: str, step: SweepStep) -> None:
    STEPS[name] = step


def sweep(now: datetime | None = None) -> dict[str, int]:
    """One pass of every step at `now` (default: the current time); what each step did."""
    now = now or timezone.now()
    return {name: step(now) for name, step in STEPS.items()}
