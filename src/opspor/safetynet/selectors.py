"""Reads of safety-net episodes shared by the services, the screens and the API.

Access is decided here: a GP sees every episode of their own practice (nothing waits on
one absent doctor); a patient sees their own live safety nets (`own_live_episodes`);
everyone else sees none here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.records.context import SYMPTOM_DAYS
from opspor.records.models import CancerDiagnosis, Patient, Symptom
from opspor.records.selectors import practice_of
from opspor.records.services import record_read_refused_of
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState
from opspor.safetynet.models import Investigation, PatientConcern, SafetyNetEpisode
from opspor.safetynet.workflow import LIVE, PENDING_INVESTIGATION

# A referral the unit still has: the patient's workup goes on there.
OPEN_REFERRAL = frozenset(
    {ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.APPOINTMENT_BOOKED}
)


def episodes_visible_to(user: User) -> QuerySet[SafetyNetEpisode]:
    practice = practice_of(user) if user.is_authenticated and user.is_active else None
    if practice is None:
        return SafetyNetEpisode.objects.none()
    return SafetyNetEpisode.objects.filter(practice=practice).select_related("patient", "owner")


def _refused(user: User, rows: QuerySet[Any], what: str, patient: str = "patient_id") -> None:
    """Keep an attempt on another's episode as a refused read of its patient's record."""
    patient_id = rows.values_list(patient, flat=True).first()
    if patient_id is not None and user.is_authenticated:
        record_read_refused_of(user=user, patient_id=patient_id, what=what)


def episode_get(*, user: User, episode_id: int) -> SafetyNetEpisode:
    """One episode of the user's practice; 404 for every other id."""
    try:
        return episodes_visible_to(user).get(pk=episode_id)
    except SafetyNetEpisode.DoesNotExist:
        _refused(user, SafetyNetEpisode.objects.filter(pk=episode_id), "safety net")
        raise Http404("No such safety-net episode") from None


def concern_get(*, user: User, concern_id: int) -> PatientConcern:
    """A patient's concern about an episode of the user's practice; 404 for every other id."""
    try:
        return PatientConcern.objects.select_related("episode").get(
            pk=concern_id, episode__in=episodes_visible_to(user)
        )
    except PatientConcern.DoesNotExist:
        concern = PatientConcern.objects.filter(pk=concern_id)
        _refused(user, concern, "safety net", patient="episode__patient_id")
        raise Http404("No such concern") from None


def own_live_episodes(user: User) -> QuerySet[SafetyNetEpisode]:
    """The patient's own live safety nets (a patient's account sees only these; everyone
    else sees none here)."""
    if not (user.is_authenticated and user.is_active and user.role == Role.PATIENT):
        return SafetyNetEpisode.objects.none()
    return SafetyNetEpisode.objects.filter(patient__user=user, state__in=LIVE).select_related(
        "patient", "practice"
    )


def own_live_episode_get(*, user: User, episode_id: int) -> SafetyNetEpisode:
    """One of the patient's own live safety nets; 404 for every other id."""
    try:
        return own_live_episodes(user).get(pk=episode_id)
    except SafetyNetEpisode.DoesNotExist:
        _refused(
            user,
            SafetyNetEpisode.objects.filter(pk=episode_id).exclude(patient__user=user),
            "own safety nets",
        )
        raise Http404("No such safety net") from None


def investigation_get(*, user: User, investigation_id: int) -> Investigation:
    try:
        return Investigation.objects.select_related("episode").get(
            pk=investigation_id, episode__in=episodes_visible_to(user)
        )
    except Investigation.DoesNotExist:
        investigation = Investigation.objects.filter(pk=investigation_id)
        _refused(user, investigation, "safety net", patient="episode__patient_id")
        raise Http404("No such investigation") from None


def workup_pending(episode: SafetyNetEpisode) -> list[dict[str, Any]]:
    """What keeps the workup incomplete: investigations not yet told to the patient, and
    the patient's open referrals; each named, so a refusal and a page can list them."""
    return workups_pending([episode])[episode.pk]


def workups_pending(episodes: Iterable[SafetyNetEpisode]) -> dict[int, list[dict[str, Any]]]:
    """`workup_pending` for many episodes at once, in two queries (a list's rows)."""
    episodes = list(episodes)
    pending: dict[int, list[dict[str, Any]]] = {episode.pk: [] for episode in episodes}
    investigations = Investigation.objects.filter(
        episode__in=episodes, state__in=PENDING_INVESTIGATION
    ).order_by("ordered_at", "pk")
    for investigation in investigations:
        pending[investigation.episode_id].append(
            {
                "item": "investigation",
                "id": investigation.pk,
                "kind": investigation.kind,
                "code": investigation.code,
                "description": investigation.description,
                "state": investigation.state,
            }
        )
    by_patient: dict[int, list[int]] = {}
    for episode in episodes:
        by_patient.setdefault(episode.patient_id, []).append(episode.pk)
    referrals = Referral.objects.filter(
        patient_id__in=by_patient, state__in=OPEN_REFERRAL
    ).order_by("sent_at", "pk")
    for referral in referrals:
        for episode_id in by_patient[referral.patient_id]:
            pending[episode_id].append(
                {
                    "item": "referral",
                    "id": referral.pk,
                    "pathway": referral.pathway,
                    "state": referral.state,
                }
            )
    return pending


@dataclass(frozen=True)
class PathwayNegativeProposal:
    """A pathway ended without a cancer diagnosis and the symptoms persist: the overview
    proposes a `pathway_negative_symptoms_persist` safety net."""

    referral: Referral
    symptom_codes: list[str]


def pathway_negative_proposal(
    patient: Patient, *, today: date | None = None
) -> PathwayNegativeProposal | None:
    """The proposal for `patient`, or None. Exactly when all of these hold:

    - the patient's most recently completed referral (state `completed`) was sent, and no
      cancer diagnosis is recorded for the patient on or after the day it was sent;
    - no other referral of the patient is open at a unit (the workup goes on there);
    - the patient has no live safety-net episode, and none was opened since the
      completion (the GP has already decided once after the pathway ended);
    - a symptom persists: one recorded after the completion (at a contact after it, or,
      without a contact, on a later day), or one recorded as persistent within the
      overview's symptom window with an onset on or before the referral was sent.
    """
    today = today or timezone.localdate()
    referral = (
        Referral.objects.filter(
            patient=patient,
            state=ReferralState.COMPLETED,
            completed_at__isnull=False,
            sent_at__isnull=False,
        )
        .order_by("-completed_at", "-pk")
        .first()
    )
    if referral is None or referral.sent_at is None or referral.completed_at is None:
        return None
    sent_on = timezone.localdate(referral.sent_at)
    completed_at = referral.completed_at
    if CancerDiagnosis.objects.filter(patient=patient, diagnosed_on__gte=sent_on).exists():
        return None
    if Referral.objects.filter(patient=patient, state__in=OPEN_REFERRAL).exists():
        return None
    decided = SafetyNetEpisode.objects.filter(patient=patient).filter(
        Q(state__in=LIVE) | Q(opened_at__gte=completed_at)
    )
    if decided.exists():
        return None
    since = Symptom.objects.filter(patient=patient).filter(
        Q(contact__at__gt=completed_at)
        | Q(contact__isnull=True, recorded_on__gt=timezone.localdate(completed_at))
    )
    persistent = Symptom.objects.filter(
        patient=patient,
        persistent=True,
        recorded_on__gte=today - timedelta(days=SYMPTOM_DAYS),
        onset__lte=sent_on,
    )
    codes = sorted(
        set(since.values_list("code", flat=True)) | set(persistent.values_list("code", flat=True))
    )
    if not codes:
        return None
    return PathwayNegativeProposal(referral=referral, symptom_codes=codes)
