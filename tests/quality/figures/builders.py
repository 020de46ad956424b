"""Small builders for the figures' tests: one row each, dated by local day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from opspor.accounts.models import User
from opspor.quality.cells import ALL, Cell
from opspor.records.models import CancerDiagnosis, Condition, Contact, Patient, Symptom
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralOrigin, ReferralState
from opspor.safetynet.models import SafetyNetEpisode
from opspor.safetynet.workflow import EpisodeOutcome, EpisodeReason, EpisodeState
from tests import factories


def at(day: date, hour: int = 10) -> datetime:
    """A moment of a local day."""
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def contact(patient: Patient, day: date, hour: int = 10) -> Contact:
    return factories.contact(patient, on=day, at=at(day, hour))


def symptom(
    patient: Patient, code: str, *, onset: date, on: date, with_contact: bool = True
) -> Symptom:
    return Symptom.objects.create(
        patient=patient,
        contact=contact(patient, on) if with_contact else None,
        code=code,
        onset=onset,
        recorded_on=on,
    )


def cancer(patient: Patient, day: date, site: str = "lung") -> CancerDiagnosis:
    return CancerDiagnosis.objects.create(patient=patient, diagnosed_on=day, site=site)


def referral(
    patient: Patient,
    day: date,
    *,
    by: User,
    pathway: str = "lung",
    origin: str = ReferralOrigin.GENERAL_PRACTICE,
) -> Referral:
    sent = at(day, 11)
    return Referral.objects.create(
        patient=patient,
        practice=patient.practice,
        unit=patient.practice.diagnostic_unit,
        requester=by,
        pathway=pathway,
        origin=origin,
        state=ReferralState.SENT,
        sent_at=sent,
        triage_due_at=sent + timedelta(days=1),
    )


def episode(
    patient: Patient,
    opened: datetime,
    *,
    by: User,
    codes: tuple[str, ...] = (),
    referrals: tuple[Referral, ...] = (),
    closed: datetime | None = None,
) -> SafetyNetEpisode:
    fields: dict[str, Any] = {}
    if closed is not None:
        fields = {
            "state": EpisodeState.CLOSED,
            "outcome": EpisodeOutcome.values[0],
            "closed_at": closed,
        }
    made = SafetyNetEpisode.objects.create(
        patient=patient,
        practice=patient.practice,
        owner=by,
        opened_by=by,
        opened_at=opened,
        reason=EpisodeReason.WAIT_AND_SEE,
        follow_up_on=timezone.localdate(opened) + timedelta(days=14),
        ends_on=timezone.localdate(opened) + timedelta(days=28),
        symptoms=[{"code": code, "words": ""} for code in codes],
        **fields,
    )
    made.referrals.set(referrals)
    return made


def depressed(patient: Patient, since: date) -> Condition:
    return Condition.objects.create(
        patient=patient, code="F32", system=Condition.System.ICD10, chronic=True, onset=since
    )


def cell(
    cells: list[Cell],
    indicator: str,
    practice_id: int | None = None,
    split: str = ALL,
    group: str = ALL,
) -> Cell:
    found = [
        c
        for c in cells
        if c.indicator == indicator
        and c.practice_id == practice_id
        and c.split == split
        and c.group == group
    ]
    assert len(found) == 1, (indicator, practice_id, split, group, len(found))
    return found[0]
