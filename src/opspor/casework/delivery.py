"""E-mail delivery of notifications, retried until sent.

The e-mail says only that something waits in Opspor and links to it: e-mail is not a
secure channel for patient data, and the app shows the case to those allowed to see it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
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


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def _subject(notification: Notification) -> str:
    return f"Opspor: {notification.kind_label}"


def _body(notification: Notification) -> str:
    subject = notification.subject
    path = subject.get_absolute_url() if subject is not None else reverse("home")
    base = settings.OPSPOR_BASE_URL.rstrip("/")
    return "\n\n".join(
        [
            f"{notification.kind_label}.",
            _("Log in to Opspor to see it: %(url)s") % {"url": f"{base}{path}"},
            _("This e-mail carries no patient data."),
        ]
    )


def _language(notification: Notification) -> str:
    """The site's language for the practice's and the unit's staff, whoever's request
    happened to cause the notification; a patient's own language where the site has it."""
    patient = notification.patient
    spoken = {code for code, _name in settings.LANGUAGES}
    if patient is not None and patient.preferred_language in spoken:
        return patient.preferred_language
    return settings.LANGUAGE_CODE


def _message(notification: Notification) -> tuple[str, str]:
    with translation.override(_language(notification)):
        return _subject(notification), _body(notification)


def deliver(notification_id: int) -> str:
    """Try to send one notification's e-mail now; return what happened.

    Returns "sent", "retry" (the attempt failed; the row stays pending with a later
    `next_attempt_at`), "not_due" (a retry is not due yet: this hand-over came twice, from
    the commit and from the worker's sweep), or the row's final state.

    At least once: the row is not locked while the mail server is talked to (that would
    hold SQLite's single write lock for as long as the server takes), so two workers may
    both send a pending e-mail; a duplicate e-mail is harmless, a lost one is not.
    """
    notification = Notification.objects.filter(pk=notification_id).select_related("patient").first()
    if notification is None:
        return "gone"
    if notification.delivery != Notification.Delivery.PENDING:
        return str(notification.delivery)
    now = timezone.now()
    if notification.next_attempt_at is not None and notification.next_attempt_at > now:
        return "not_due"
    attempts = notification.attempts + 1
    pending = Notification.objects.filter(
        pk=notification.pk, delivery=Notification.Delivery.PENDING
    )
    subject, body = _message(notification)
    try:
        send_mail(subject, body, None, [notification.email_to], fail_silently=False)
    except Exception as error:  # any failure of the mail server is retried
        # The error's type only: a server's message may echo the address or the body.
        error_name = type(error).__name__[:200]
        pending.update(
            attempts=attempts,
            next_attempt_at=now + retry_delay(attempts),
            last_error=error_name,
        )
        logger.warning(
            "notification %s: e-mail attempt %s failed (%s); will retry",
            notification.pk,
            attempts,
            error_name,
        )
        return "retry"
    pending.update(
        attempts=attempts,
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
