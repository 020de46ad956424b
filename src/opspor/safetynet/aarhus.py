"""An episode's Aarhus statement time points, read from the record, and its intervals.

The time points (Weller et al. 2012; the arithmetic is `intervals.py`):
- first symptom: the earliest onset the patient reported for one of the episode's symptoms;
- first presentation: the first contact at which one of those symptoms was recorded;
- referral: the first of the episode's referrals sent;
- diagnosis: the first cancer diagnosis recorded for the patient on or after the first
  symptom (an earlier one belongs to another illness).
A date the record does not hold stays unknown; nothing is guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Min
from django.utils import timezone

from opspor.records.models import CancerDiagnosis, Contact, Symptom
from opspor.safetynet.intervals import (
    Intervals,
    TimePoints,
    aarhus_intervals,
    consultations_before_referral,
    repeated_consultations,
)
from opspor.safetynet.models import SafetyNetEpisode


@dataclass(frozen=True)
class EpisodeAarhus:
    points: TimePoints
    intervals: Intervals
    consultations_before_referral: int | None
    # Symptom codes consulted about 3 or more times within 12 months, with the counts.
    repeated: dict[str, int]


# One recorded symptom: its code, onset, the day it was recorded and its contact's moment.
SymptomRow = tuple[str, date, date, datetime | None]


def episode_symptom_codes(symptoms: object) -> list[str]:
    """The symptom codes an episode is about, from its stored list (malformed items left out)."""
    if not isinstance(symptoms, list):
        return []
    return [item["code"] for item in symptoms if isinstance(item, dict) and "code" in item]


def symptom_points(
    rows: Iterable[SymptomRow],
) -> tuple[date | None, date | None, dict[str, list[date]]]:
    """The first symptom and the first presentation read from a patient's recorded symptoms,
    and the days each code was seen on: the earliest onset, and the earliest day one of them
    was recorded (its contact's local day, or the day recorded where it has no contact).

    The episode's reading, public so that a pathway read from a cancer diagnosis rather than
    an episode (the quality unit's figures) reads its symptoms the same way.
    """
    onsets: list[date] = []
    seen_on: dict[str, list[date]] = defaultdict(list)
    for code, onset, recorded_on, contact_at in rows:
        onsets.append(onset)
        seen_on[code].append(timezone.localdate(contact_at) if contact_at else recorded_on)
    first_symptom = min(onsets, default=None)
    first_presentation = min((day for days in seen_on.values() for day in days), default=None)
    return first_symptom, first_presentation, seen_on


def episode_aarhus(episode: SafetyNetEpisode, *, today: date | None = None) -> EpisodeAarhus:
    today = today or timezone.localdate()
    codes = episode_symptom_codes(episode.symptoms)
    rows = list(
        Symptom.objects.filter(patient_id=episode.patient_id, code__in=codes)
        .select_related("contact")
        .values_list("code", "onset", "recorded_on", "contact__at")
    )
    first_symptom, first_presentation, seen_on = symptom_points(rows)
    sent = episode.referrals.filter(sent_at__isnull=False).aggregate(first=Min("sent_at"))["first"]
    referral = timezone.localdate(sent) if sent else None
    diagnoses = CancerDiagnosis.objects.filter(patient_id=episode.patient_id)
    if first_symptom is not None:
        diagnoses = diagnoses.filter(diagnosed_on__gte=first_symptom)
    diagnosis = diagnoses.aggregate(first=Min("diagnosed_on"))["first"]
    points = TimePoints(
        first_symptom=first_symptom,
        first_presentation=first_presentation,
        referral=referral,
        diagnosis=diagnosis,
    )
    contacts = [
        timezone.localdate(at)
        for at in Contact.objects.filter(patient_id=episode.patient_id).values_list("at", flat=True)
    ]
    return EpisodeAarhus(
        points=points,
        intervals=aarhus_intervals(points),
        consultations_before_referral=consultations_before_referral(
            contacts, first_presentation=first_presentation, referral=referral
        ),
        repeated=repeated_consultations(
            {code: sorted(set(days)) for code, days in seen_on.items()}, on=referral or today
        ),
    )
