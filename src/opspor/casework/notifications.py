"""Notifications: who must be told what, written with the change that causes them.

`notify` writes the `Notification` row inside the caller's transaction, so a rejection
cannot be saved without its notification; the e-mail is handed to the background worker
only once that transaction has committed (see `delivery.py`), and the worker's periodic
sweep picks up any row whose hand-over was lost. A notification is about one case of any
kind; the case's `get_absolute_url` is where the app shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db import models, transaction
from django.db.models import QuerySet, TextChoices
from django.utils import timezone

from opspor.accounts.models import User
from opspor.casework.delivery import first_attempt_at, notification_deliver
from opspor.casework.errors import WorkflowError
from opspor.casework.models import (
    NOTIFICATION_KINDS,
    SUBJECT_QUERYSETS,
    Notification,
    NotificationQuerySet,
)
from opspor.records.models import Clinician, DiagnosticUnit, Patient, Practice
from opspor.records.selectors import practice_of, unit_of


def register_kinds(kinds: type[TextChoices], *, subjects: Iterable[QuerySet[Any]] = ()) -> None:
    """Make an app's kinds of notification known, with their labels, and how its cases are
    read for a list of notifications (`subjects`, one query set per model; from `ready()`).

    A case model has `get_absolute_url`, `case_title` and `patient`: the list links to it
    and names it by those."""
    NOTIFICATION_KINDS.update({str(value): label for value, label in kinds.choices})
    SUBJECT_QUERYSETS.extend(subjects)


def with_subjects(notifications: NotificationQuerySet) -> NotificationQuerySet:
    """The notifications with their cases, one query per kind of case."""
    return notifications.prefetch_related(GenericPrefetch("subject", SUBJECT_QUERYSETS))


def notify(
    *,
    kind: str,
    at: datetime,
    about: models.Model,
    practice: Practice | None = None,
    unit: DiagnosticUnit | None = None,
    recipient: Clinician | None = None,
    patient: Patient | None = None,
) -> Notification:
    """Record a notification about a case for a practice, a unit or a patient (at their own
    account's address) and schedule its e-mail."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"Unknown kind of notification {kind!r}; register it first.")
    if patient is not None:
        account = patient.user
        address = account.email if account is not None and account.is_active else ""
    else:
        address = (practice.email if practice is not None else unit.email if unit else "") or ""
    recipient_address = getattr(getattr(recipient, "user", None), "email", "") or ""
    email_to = recipient_address or address
    notification = Notification.objects.create(
        kind=kind,
        practice=practice,
        unit=unit,
        patient=patient,
        recipient=recipient,
        subject=about,
        created_at=at,
        email_to=email_to,
        delivery=Notification.Delivery.PENDING if email_to else Notification.Delivery.NO_ADDRESS,
        next_attempt_at=first_attempt_at(email_to, at) if email_to else None,
    )
    if email_to:
        transaction.on_commit(lambda: schedule_delivery(notification.pk))
    return notification


def schedule_delivery(notification_id: int) -> None:
    """Hand the e-mail to the background worker."""
    notification_deliver.enqueue(notification_id)


def notifications_for(user: User) -> NotificationQuerySet:
    """The notifications of the user's practice or unit, newest first; none for others."""
    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    practice, unit = practice_of(user), unit_of(user)
    if practice is not None:
        mine = Notification.objects.filter(practice=practice)
    elif unit is not None:
        mine = Notification.objects.filter(unit=unit)
    else:
        return Notification.objects.none()
    return mine.select_related("recipient", "subject_type")


def unread_notification_count(user: User) -> int:
    return notifications_for(user).filter(read_at=None).count()


def unread_notification_ids(user: User, *, about: models.Model) -> list[int]:
    """The unread notifications about one case, so opening it can mark them read."""
    mine = notifications_for(user).filter(read_at=None).about(about)
    return list(mine.values_list("pk", flat=True))


def notifications_mark_read(
    *, by: User, notification_ids: list[int], now: datetime | None = None
) -> int:
    """Mark notifications of the reader's own practice or unit as read."""
    practice, unit = practice_of(by), unit_of(by)
    if not by.is_active or (practice is None and unit is None):
        raise WorkflowError("forbidden", "Only clinicians have notifications.")
    mine = Notification.objects.filter(pk__in=notification_ids, read_at__isnull=True)
    mine = mine.filter(practice=practice) if practice is not None else mine.filter(unit=unit)
    return mine.update(read_at=now or timezone.now(), read_by=by)
