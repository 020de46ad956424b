"""E-mail delivery of notifications, retried until sent, several to one address in one.

The e-mail says only that something waits in Opspor and links to it: e-mail is not a
secure channel for patient data, and the app shows the case to those allowed to see it.

A burst of notifications to one address (a unit answering a practice's referrals one
after the other) becomes one e-mail: the first of a quiet address is tried at once, those
that follow within `OPSPOR_NOTIFICATION_DIGEST_S` wait for the end of that window and go
together, one line and link each (`first_attempt_at`, `deliver`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opspor.casework.models import Notification

logger = logging.getLogger(__name__)

# Waits between attempts grow to this cap and then stay there: a notification is never
# given up, only tried less often.
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
# The most notifications one e-mail lists; the rest go in the next one.
DIGEST_MAX = 100


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def digest_window() -> timedelta:
    return timedelta(seconds=settings.OPSPOR_NOTIFICATION_DIGEST_S)


def first_attempt_at(email_to: str, at: datetime) -> datetime:
    """When a new notification to `email_to`, made at `at`, is first tried.

    At once when nothing went to that address within the digest window; otherwise with
    the e-mail already waiting to go there within the window, or when the window ends.
    """
    window = digest_window()
    if not window:
        return at
    to_address = Notification.objects.filter(email_to=email_to).exclude(
        delivery=Notification.Delivery.NO_ADDRESS
    )
    if not to_address.filter(created_at__gt=at - window, created_at__lte=at).exists():
        return at
    waiting = (
        to_address.filter(
            delivery=Notification.Delivery.PENDING,
            next_attempt_at__gt=at,
            next_attempt_at__lte=at + window,
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return waiting or at + window


def _link(notification: Notification) -> str:
    subject = notification.subject
    path = subject.get_absolute_url() if subject is not None else reverse("home")
    return f"{settings.OPSPOR_BASE_URL.rstrip('/')}{path}"


def _subject(batch: Sequence[Notification]) -> str:
    if len(batch) == 1:
        return f"Opspor: {batch[0].kind_label}"
    return _("Opspor: %(count)d notifications") % {"count": len(batch)}


def _body(batch: Sequence[Notification]) -> str:
    if len(batch) == 1:
        [notification] = batch
        lines = [
            f"{notification.kind_label}.",
            _("Log in to Opspor to see it: %(url)s") % {"url": _link(notification)},
        ]
    else:
        items = "\n".join(f"- {n.kind_label}: {_link(n)}" for n in batch)
        lines = [_("Log in to Opspor to see them:"), items]
    return "\n\n".join([*lines, _("This e-mail carries no patient data.")])


def _language(notification: Notification) -> str:
    """The site's language for the practice's and the unit's staff, whoever's request
    happened to cause the notification; a patient's own language where the site has it."""
    patient = notification.patient
    spoken = {code for code, _name in settings.LANGUAGES}
    if patient is not None and patient.preferred_language in spoken:
        return patient.preferred_language
    return settings.LANGUAGE_CODE


def _message(batch: Sequence[Notification]) -> tuple[str, str]:
    with translation.override(_language(batch[0])):
        return _subject(batch), _body(batch)


def _claim(notification: Notification, now: datetime) -> list[Notification]:
    """Every pending notification to the same address that is due, this one first among
    them, marked as being tried (the attempt counted, the next one scheduled) in one
    transaction before anything is sent; [] when another worker claimed this one first.

    The claim is what keeps two workers from sending the same e-mail, and a worker killed
    while sending from losing it: the rows it held are due again after the back-off, as
    after any failed attempt.
    """
    pending = Notification.objects.filter(
        delivery=Notification.Delivery.PENDING, next_attempt_at__lte=now
    )
    if digest_window():
        pending = pending.filter(email_to=notification.email_to)
    else:
        pending = pending.filter(pk=notification.pk)
    with transaction.atomic():
        due = list(
            pending.select_for_update(of=("self",))
            .select_related("patient")
            .order_by("created_at", "pk")[:DIGEST_MAX]
        )
        if notification.pk not in {row.pk for row in due}:
            return []
        for row in due:
            row.attempts += 1
            row.next_attempt_at = now + retry_delay(row.attempts)
        Notification.objects.bulk_update(due, ["attempts", "next_attempt_at"])
    return due


def deliver(notification_id: int) -> str:
    """Try to send one notification's e-mail now, with every other one due for the same
    address; return what happened.

    Returns "sent", "retry" (the attempt failed; the rows stay pending with a later
    `next_attempt_at`), "not_due" (a retry is not due yet, or another worker is sending
    it: this hand-over came twice, from the commit and from the worker's sweep), or the
    row's final state.

    Once, but for one gap: the rows are claimed before the mail server is talked to (not
    locked while it is: that would hold SQLite's single write lock for as long as the
    server takes), and marked sent after it accepted the e-mail. A worker that dies
    between the two leaves them to be sent again after the back-off; a duplicate e-mail
    is harmless, a lost one is not.
    """
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        return "gone"
    if notification.delivery != Notification.Delivery.PENDING:
        return str(notification.delivery)
    now = timezone.now()
    if notification.next_attempt_at is not None and notification.next_attempt_at > now:
        return "not_due"
    batch = _claim(notification, now)
    if not batch:
        return "not_due"
    claimed = Notification.objects.filter(
        pk__in=[row.pk for row in batch], delivery=Notification.Delivery.PENDING
    )
    subject, body = _message(batch)
    try:
        send_mail(subject, body, None, [notification.email_to], fail_silently=False)
    except Exception as error:  # any failure of the mail server is retried
        # The error's type only: a server's message may echo the address or the body.
        error_name = type(error).__name__[:200]
        claimed.update(last_error=error_name)
        attempts = next(row.attempts for row in batch if row.pk == notification.pk)
        logger.warning(
            "notification %s (and %s more): e-mail attempt %s failed (%s); will retry",
            notification.pk,
            len(batch) - 1,
            attempts,
            error_name,
        )
        return "retry"
    claimed.update(
        delivery=Notification.Delivery.SENT,
        delivered_at=now,
        next_attempt_at=None,
        last_error="",
    )
    return "sent"


@task()
def notification_deliver(notification_id: int) -> str:
    """The background task for `deliver`: it takes an id, never a model instance or patient
    data, because its arguments are stored in the task queue's table."""
    return deliver(notification_id)
