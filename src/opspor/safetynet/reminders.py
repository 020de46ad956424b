"""The patient's reminder before a safety net's follow-up date.

A sweep step of the worker (registered in `apps.py`): for each live episode whose
follow-up date falls within the next `OPSPOR_PATIENT_REMINDER_DAYS` days, one reminder per
episode and follow-up date is stored for the patient's page and e-mailed to the patient's
own address through casework's delivery. The e-mail names no patient, symptom, test or
diagnosis, only that the practice has a reminder, with a link to the patient's page. A
rescheduled follow-up gets a reminder of its own. The GP's reminder is the worklist item.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor.casework.notifications import notify
from opspor.casework.runner import lock, record_event
from opspor.casework.sweep import SWEEP_BATCH
from opspor.safetynet.models import PatientReminder, SafetyNetEpisode
from opspor.safetynet.workflow import LIVE


class PatientNotificationKind(TextChoices):
    # The e-mail's subject and first line: nothing in it says what the reminder is about.
    FOLLOW_UP_REMINDER = "follow_up_reminder", _("A reminder from your practice")


def reminder_days() -> int:
    return int(settings.OPSPOR_PATIENT_REMINDER_DAYS)


def episodes_to_remind(now: datetime) -> list[int]:
    """Live episodes with a follow-up within the reminder's days and no reminder for it."""
    today = timezone.localdate(now)
    reminded = PatientReminder.objects.filter(
        episode=OuterRef("pk"), follow_up_on=OuterRef("follow_up_on")
    )
    due = (
        SafetyNetEpisode.objects.filter(
            state__in=LIVE,
            follow_up_on__gte=today,
            follow_up_on__lte=today + timedelta(days=reminder_days()),
        )
        .filter(~Exists(reminded))
        .order_by("follow_up_on", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return list(due)


def _remind(episode_id: int, now: datetime) -> bool:
    """Remind the patient of one episode's follow-up; False when there is nothing to do
    (the episode moved on, or another worker reminded it first)."""
    today = timezone.localdate(now)
    with transaction.atomic():
        episode = lock(SafetyNetEpisode(pk=episode_id))
        soon = today <= episode.follow_up_on <= today + timedelta(days=reminder_days())
        if episode.state not in LIVE or not soon:
            return False
        try:
            with transaction.atomic():
                reminder = PatientReminder.objects.create(
                    episode=episode, follow_up_on=episode.follow_up_on, created_at=now
                )
        except IntegrityError:
            return False
        notify(
            kind=PatientNotificationKind.FOLLOW_UP_REMINDER,
            at=now,
            about=reminder,
            patient=episode.patient,
        )
        record_event(
            episode,
            by=None,
            at=now,
            action="patient_reminded",
            from_state=episode.state,
            reason=episode.follow_up_on.isoformat(),
        )
    return True


def patients_remind_of_follow_up(now: datetime) -> int:
    """The sweep step: how many patients were reminded."""
    return sum(_remind(episode_id, now) for episode_id in episodes_to_remind(now))
