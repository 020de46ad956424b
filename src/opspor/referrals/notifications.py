"""Notifications: who must be told what, written with the change that causes them.

`notify` writes the `Notification` row inside the caller's transaction, so a rejection
cannot be saved without its notification; the e-mail is handed to the background worker
only once that transaction has committed (see `delivery.py`), and the worker's periodic sweep
picks up any row whose hand-over was lost.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from opspor.records.models import Clinician, DiagnosticUnit, Practice
from opspor.referrals.delivery import deliver_notification
from opspor.referrals.models import AdviceRequest, Notification, Referral
from opspor.referrals.workflow import NotificationKind


def notify(
    *,
    kind: NotificationKind,
    at: datetime,
    practice: Practice | None = None,
    unit: DiagnosticUnit | None = None,
    recipient: Clinician | None = None,
    referral: Referral | None = None,
    advice_request: AdviceRequest | None = None,
) -> Notification:
    """Record a notification for a practice or a unit and schedule its e-mail."""
    address = (practice.email if practice is not None else unit.email if unit else "") or ""
    recipient_address = getattr(getattr(recipient, "user", None), "email", "") or ""
    email_to = recipient_address or address
    notification = Notification.objects.create(
        kind=kind,
        practice=practice,
        unit=unit,
        recipient=recipient,
        referral=referral,
        advice_request=advice_request,
        created_at=at,
        email_to=email_to,
        delivery=Notification.Delivery.PENDING if email_to else Notification.Delivery.NO_ADDRESS,
        next_attempt_at=at if email_to else None,
    )
    if email_to:
        transaction.on_commit(lambda: schedule_delivery(notification.pk))
    return notification


def schedule_delivery(notification_id: int) -> None:
    """Hand the e-mail to the background worker."""
    deliver_notification.enqueue(notification_id)
