"""What a patient sees of their own live safety nets, in plain words.

A read for the patient's own page (portal: `my_record`). For each safety net: what they
agreed with their doctor (the advice in the doctor's words), when the practice follows up,
"come back sooner if …" from the advice catalogue in the page's language, what is still
pending, the reminder stored before the follow-up, and what they have already told the
practice from this page. Nothing here draws a conclusion: the page says that none is drawn
until every result is in (the template), and no text may rule cancer in or out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.http import Http404
from django.utils import timezone, translation

from opspor.accounts.models import Role, User
from opspor.casework.forms import new_token
from opspor.engine.vocab import LANGUAGES
from opspor.engine.vocab.model import FALLBACK_LANGUAGE
from opspor.portal.forms import ConcernForm
from opspor.records.models import Patient
from opspor.records.services import record_read_log
from opspor.safetynet import selectors
from opspor.safetynet.advice import load_advice
from opspor.safetynet.models import PatientConcern, PatientReminder, SafetyNetEpisode
from opspor.safetynet.presenters import investigation_name
from opspor.safetynet.workflow import ConcernKind, InvestigationState


@dataclass(frozen=True)
class PendingForPatient:
    name: str  # the test in plain words (never the doctor's free-text description)
    result_in: bool  # the result has come; the doctor has yet to go through it with them
    referral: bool = False


@dataclass
class MySafetyNet:
    episode: SafetyNetEpisode
    agreed: str  # the doctor's words, as the patient was given them
    days_to_follow_up: int  # negative once the date has passed
    come_back_if: list[str]
    pending: list[PendingForPatient]
    open_concerns: dict[str, PatientConcern]  # by kind, not yet answered by the practice
    reminder: PatientReminder | None  # stored before the current follow-up date
    form: ConcernForm = field(default_factory=lambda: ConcernForm(initial={"token": new_token()}))

    @property
    def got_worse(self) -> PatientConcern | None:
        return self.open_concerns.get(ConcernKind.GOT_WORSE)

    @property
    def not_heard(self) -> PatientConcern | None:
        return self.open_concerns.get(ConcernKind.NOT_HEARD)


def _language() -> str:
    # The catalogue has Danish, English, Arabic and Turkish. A page in another interface
    # language (Dari) shows its English, the catalogue's source text, as the vocabulary's
    # labels on the same page do.
    language = translation.get_language() or settings.LANGUAGE_CODE
    return language if language in LANGUAGES else FALLBACK_LANGUAGE


def come_back_if(episode: SafetyNetEpisode, language: str) -> list[str]:
    """The catalogue's "come back sooner if …" items for the episode's symptoms."""
    catalogue = load_advice()
    items: list[str] = []
    for symptom in episode.symptoms:
        code = str(symptom.get("code", "")) if isinstance(symptom, dict) else ""
        advice = catalogue.for_symptom(code)
        for item in advice.come_back_if if advice is not None else ():
            text = item.text.get(language)
            if text not in items:
                items.append(text)
    return items


def _pending(missing: list[dict[str, Any]]) -> list[PendingForPatient]:
    items = []
    for item in missing:
        if item.get("item") == "referral":
            items.append(PendingForPatient(name="", result_in=False, referral=True))
            continue
        items.append(
            PendingForPatient(
                name=investigation_name(str(item.get("kind", "")), str(item.get("code", ""))),
                result_in=item.get("state") != InvestigationState.ORDERED,
            )
        )
    return items


def own_patient_check(user: User, patient: Patient) -> None:
    """404 unless `user` is the patient's own, active account: a patient reads only
    themself, and anyone else is told the same as for a patient that does not exist."""
    if not (user.is_active and user.role == Role.PATIENT and patient.user_id == user.pk):
        raise Http404("No such patient")


def safety_nets_in_words(*, user: User, today: date) -> list[MySafetyNet]:
    """The live safety nets of the patient `user` is, in plain words. Not a read of its own:
    the caller checks the patient (`own_patient_check`) and logs what its page shows."""
    episodes = list(selectors.own_live_episodes(user).order_by("follow_up_on", "pk"))
    if not episodes:
        return []
    pending = selectors.workups_pending(episodes)
    concerns: dict[int, dict[str, PatientConcern]] = {}
    for concern in PatientConcern.objects.filter(episode__in=episodes, answered_at__isnull=True):
        concerns.setdefault(concern.episode_id, {})[concern.kind] = concern
    reminders = {
        (reminder.episode_id, reminder.follow_up_on): reminder
        for reminder in PatientReminder.objects.filter(episode__in=episodes)
    }
    language = _language()
    return [
        MySafetyNet(
            episode=episode,
            agreed=episode.advice,
            days_to_follow_up=(episode.follow_up_on - today).days,
            come_back_if=come_back_if(episode, language),
            pending=_pending(pending[episode.pk]),
            open_concerns=concerns.get(episode.pk, {}),
            reminder=reminders.get((episode.pk, episode.follow_up_on)),
        )
        for episode in episodes
    ]


def my_safety_nets(*, user: User, patient: Patient, today: date | None = None) -> list[MySafetyNet]:
    """The patient's own live safety nets, in plain words.

    Only the patient themself may read this (404 for anyone else). The read is logged when
    there is something to show, like every read of a record.
    """
    own_patient_check(user, patient)
    nets = safety_nets_in_words(user=user, today=today or timezone.localdate())
    if nets:
        record_read_log(user=user, patient=patient, what="own safety nets")
    return nets
