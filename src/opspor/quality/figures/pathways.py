"""The roads to the cancers the record holds: Aarhus intervals, consultations before the
referral, routes, and the referrals' conversion and detection rates.

Every cancer diagnosis of the record (`CancerDiagnosis`) dated in the period is one pathway,
counted under the patient's practice (the record keeps the practice a patient is listed with
now, not the one they were with on the day). Its time points, read as the safety-net
episode reads them (`safetynet/aarhus.py`; the arithmetic is `safetynet/intervals.py`):

- diagnosis: the diagnosis' own date;
- referral: the first referral sent for the patient (date sent, local day) in the
  ``REFERRAL_WINDOW_DAYS`` days up to and including the diagnosis, whatever became of it
  (a rejected referral was still the practice's handing over);
- first symptom and first presentation: where that referral belongs to one or more
  safety-net episodes, the symptoms of those episodes, read exactly as the episode's own
  screen reads them (every symptom of the patient recorded with one of the episodes' codes
  by the period's last day: the earliest onset, the earliest day one was recorded).
  Otherwise (no referral, or its episodes name no symptom) every symptom recorded in the
  ``SYMPTOM_LOOKBACK_DAYS`` days up to and including the diagnosis.

``SYMPTOM_LOOKBACK_DAYS`` is 365, Opspor's choice, not a guideline: the year the worklist's
"same symptom at 3+ consultations" signal looks back over (`engine/signals/repeat_symptom.py`),
so that "the symptoms the practice was seeing" spans the same year on both screens. Without
an episode to say which symptoms belong to the cancer, every symptom of that year counts,
which can make a patient interval longer than the illness' own (a symptom of something else
recorded months before); the indicator's wording says so.

The record is read as it stood at the end of the period's last day (`moments.py`).
An interval whose dates are unknown or in an impossible order has no number and is left out
of that interval's denominator (`cells_for` counts only known values).

Routes: the record knows the referrals sent through Opspor, to an organ-specific cancer
patient pathway (``pathway`` other than "dpf") or to the diagnostic pathway ("dpf"). It does
not know a referral sent another way, nor an emergency presentation (hospital encounters are
not imported: `interop/codings.py`), so a cancer without a referral in the window is counted
in ``route_other_referral`` as "another route or not known", and ``route_emergency`` has no
cells from the record (a zero there would be a figure the record cannot give); the region's
figures from its registers carry the true routes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet

from opspor.quality.aggregate import Item, cells_for
from opspor.quality.cells import Cell
from opspor.quality.figures import Period
from opspor.quality.figures.moments import day_start, local_day, practice_ids
from opspor.quality.groups import WhoBook
from opspor.quality.indicators import BY_ID
from opspor.records.models import CancerDiagnosis, Contact, Symptom
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralOrigin
from opspor.safetynet.aarhus import SymptomRow, episode_symptom_codes, symptom_points
from opspor.safetynet.intervals import (
    TimePoints,
    aarhus_intervals,
    consultations_before_referral,
)
from opspor.safetynet.models import SafetyNetEpisode

# A cancer belongs to a referral sent within this many days before its diagnosis (the
# registry's CONVERSION source: Opspor's window).
REFERRAL_WINDOW_DAYS = 183
# Opspor's choice (see the module's docstring): the symptoms of the year before a diagnosis
# that no safety-net episode explains.
SYMPTOM_LOOKBACK_DAYS = 365
DPF = "dpf"

INTERVALS = (
    ("interval_patient", "patient"),
    ("interval_primary_care", "primary_care"),
    ("interval_secondary_care", "secondary_care"),
    ("interval_diagnostic", "diagnostic"),
    ("interval_total", "total"),
)
ROUTES = ("route_cancer_pathway", "route_dpf", "route_other_referral")


@dataclass(frozen=True)
class Sent:
    """A referral sent: its patient, practice, local day sent, pathway and origin."""

    pk: int
    patient_id: int
    practice_id: int
    day: date
    pathway: str
    origin: str


@dataclass(frozen=True)
class Pathway:
    """One cancer's road as the record holds it."""

    patient_id: int
    practice_id: int
    diagnosed_on: date
    referral: Sent | None
    points: TimePoints
    consultations: int | None

    @property
    def route(self) -> str:
        if self.referral is None:
            return "route_other_referral"
        return "route_dpf" if self.referral.pathway == DPF else "route_cancer_pathway"


def _sent(rows: QuerySet[Referral]) -> list[Sent]:
    return [
        Sent(pk, patient_id, practice_id, local_day(sent_at), pathway, origin)
        for pk, patient_id, practice_id, sent_at, pathway, origin in rows.values_list(
            "pk", "patient_id", "practice_id", "sent_at", "pathway", "origin"
        )
        if sent_at is not None
    ]


def cancer_pathways(start: date, end: date) -> list[Pathway]:
    """Every cancer diagnosed from `start` to `end` (inclusive) with its time points, in a
    fixed number of queries whatever the number of cancers."""
    diagnoses = CancerDiagnosis.objects.filter(diagnosed_on__gte=start, diagnosed_on__lte=end)
    rows = list(
        diagnoses.order_by("diagnosed_on", "pk").values_list(
            "patient_id", "patient__practice_id", "diagnosed_on"
        )
    )
    if not rows:
        return []
    patients = diagnoses.values("patient_id")
    referrals: dict[int, list[Sent]] = defaultdict(list)
    for sent in _sent(
        Referral.objects.filter(
            patient_id__in=patients,
            sent_at__isnull=False,
            sent_at__gte=day_start(start - timedelta(days=REFERRAL_WINDOW_DAYS)),
            sent_at__lt=day_start(end + timedelta(days=1)),
        ).order_by("sent_at", "pk")
    ):
        referrals[sent.patient_id].append(sent)
    # The symptom codes of the episodes each referral belongs to.
    episode_codes: dict[int, set[str]] = defaultdict(set)
    links = SafetyNetEpisode.referrals.through.objects.filter(
        referral__patient_id__in=patients,
        safetynetepisode__opened_at__lt=day_start(end + timedelta(days=1)),
    ).values_list("referral_id", "safetynetepisode__symptoms")
    for referral_id, listed in links:
        episode_codes[referral_id].update(episode_symptom_codes(listed))
    symptoms: dict[int, list[SymptomRow]] = defaultdict(list)
    # As the record stood at the end of the period's last day (`moments.py`).
    for patient_id, code, onset, recorded_on, contact_at in Symptom.objects.filter(
        patient_id__in=patients, recorded_on__lte=end
    ).values_list("patient_id", "code", "onset", "recorded_on", "contact__at"):
        symptoms[patient_id].append((code, onset, recorded_on, contact_at))
    contacts: dict[int, list[date]] = defaultdict(list)
    for patient_id, at in Contact.objects.filter(
        patient_id__in=patients, at__lt=day_start(end + timedelta(days=1))
    ).values_list("patient_id", "at"):
        contacts[patient_id].append(local_day(at))

    pathways = []
    for patient_id, practice_id, diagnosed_on in rows:
        window = diagnosed_on - timedelta(days=REFERRAL_WINDOW_DAYS)
        referral = next((r for r in referrals[patient_id] if window <= r.day <= diagnosed_on), None)
        codes = episode_codes.get(referral.pk, set()) if referral else set()
        if codes:
            own = [row for row in symptoms[patient_id] if row[0] in codes]
        else:
            since = diagnosed_on - timedelta(days=SYMPTOM_LOOKBACK_DAYS)
            own = [row for row in symptoms[patient_id] if since <= row[2] <= diagnosed_on]
        first_symptom, first_presentation, _ = symptom_points(own)
        referred_on = referral.day if referral else None
        points = TimePoints(
            first_symptom=first_symptom,
            first_presentation=first_presentation,
            referral=referred_on,
            diagnosis=diagnosed_on,
        )
        consultations = (
            consultations_before_referral(
                contacts[patient_id],
                first_presentation=first_presentation,
                referral=referred_on,
            )
            if referral is not None and referral.origin == ReferralOrigin.GENERAL_PRACTICE
            else None
        )
        pathways.append(
            Pathway(patient_id, practice_id, diagnosed_on, referral, points, consultations)
        )
    return pathways


def _kind(indicator: str) -> str:
    return BY_ID[indicator].kind


def _emit(
    indicator: str, items: Iterable[Item], period: Period, practices: Sequence[int]
) -> list[Cell]:
    return cells_for(indicator, _kind(indicator), items, period=period.span, practices=practices)


def cells(period: Period, *, as_of: date) -> list[Cell]:
    """The cells of every indicator of this module for one period, as of `as_of`."""
    if period.end > as_of or period.start > period.end:
        raise ValueError(
            f"a period from {period.start} to {period.end} cannot be counted as of {as_of}: "
            "it must start before it ends and end by the day of the figures"
        )
    start, end = period.start, period.end
    pathways = cancer_pathways(start, end)
    # Referrals sent in the period whose window has passed by `as_of`.
    last_sent = min(end, as_of - timedelta(days=REFERRAL_WINDOW_DAYS))
    sent_rows = Referral.objects.filter(
        sent_at__isnull=False,
        sent_at__gte=day_start(start),
        sent_at__lt=day_start(last_sent + timedelta(days=1)),
    )
    sent = [r for r in _sent(sent_rows) if start <= r.day <= last_sent]
    diagnosed: dict[int, list[date]] = defaultdict(list)
    for patient_id, day in CancerDiagnosis.objects.filter(
        patient_id__in=sent_rows.values("patient_id"),
        diagnosed_on__gte=start,
        diagnosed_on__lte=last_sent + timedelta(days=REFERRAL_WINDOW_DAYS),
    ).values_list("patient_id", "diagnosed_on"):
        diagnosed[patient_id].append(day)

    book = WhoBook([p.patient_id for p in pathways] + [r.patient_id for r in sent])
    practices = practice_ids()
    out: list[Cell] = []

    def item(pathway: Pathway, *, hit: bool | None = None, value: float | None = None) -> Item:
        who = book.who(pathway.patient_id, pathway.diagnosed_on)
        return Item(practice_id=pathway.practice_id, who=who, hit=hit, value=value)

    for indicator, name in INTERVALS:
        items = [item(p, value=getattr(aarhus_intervals(p.points), name).days) for p in pathways]
        out += _emit(indicator, items, period, practices)
    referred = [
        p
        for p in pathways
        if p.referral is not None and p.referral.origin == ReferralOrigin.GENERAL_PRACTICE
    ]
    out += _emit(
        "consultations_before_referral",
        [item(p, value=p.consultations) for p in referred],
        period,
        practices,
    )
    out += _emit(
        "consultations_3_or_more",
        [item(p, hit=p.consultations >= 3) for p in referred if p.consultations is not None],
        period,
        practices,
    )
    for route in ROUTES:
        out += _emit(route, [item(p, hit=p.route == route) for p in pathways], period, practices)
    out += _emit(
        "referral_detection",
        [item(p, hit=p.referral is not None) for p in pathways],
        period,
        practices,
    )
    conversions = [
        Item(
            practice_id=r.practice_id,
            who=book.who(r.patient_id, r.day),
            hit=any(
                r.day <= day <= r.day + timedelta(days=REFERRAL_WINDOW_DAYS)
                for day in diagnosed[r.patient_id]
            ),
        )
        for r in sent
    ]
    out += _emit("referral_conversion", conversions, period, practices)
    return out
