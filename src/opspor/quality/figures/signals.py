"""The engine's worklist signals: how many patients have one, and whether the practice acted.

What is stored (`safetynet/models.py`): a practice's `PatientSignal` rows are replaced as a
whole by each population scan or computation (`SignalRun` says when, as of which day) and a
patient's after each new contact; a signal that no longer holds has no row, and a row keeps
no history. A `SignalDismissal` row is kept for good: the signal a GP dismissed, as it stood
(its day, and the patient's latest contact then).

Rates (``signal_pattern_break``, ``signal_any``): the patients listed with a practice on the
day of the figures (as the signals' own computation lists them,
`signal_compute.listed_on`), over those of them with a stored signal of the practice dated
in the period, dismissed or not, with or without a live safety net (it was raised all the
same). A pattern break in a previously low user is stored as ``low_user_rise`` (the more
specific reading of the same break, `engine/signals/watchlist.py`) and counts as a pattern
break. A practice whose signals were not computed as a whole in the period (no `SignalRun`
dated in it) has no patients in these figures: a rate of 0 would claim a scan that did not
happen.

Follow-up (``signal_followed_up``): with no history of the rows, "a signal raised" is a
*look*, the unit the worklist works in: one kind of signal for one patient as it held after
one of the patient's contacts (its ``last_contact_at``; the next contact recomputes it, and
brings a dismissed signal back for a fresh look). The looks the database knows are the
stored rows (the current look of each signal) and every dismissal (the looks a GP
dismissed). A look is raised on the local day of that contact. A stored look whose patient
had a live safety-net episode at that contact was never on the worklist (it shows signals
only for patients without one): the practice was already following the patient, and it is
not counted; a dismissed look was on the worklist by definition. A look followed by neither
a new contact nor a dismissal before the signal stopped holding, or before a later contact
replaced it, is lost: the denominator undercounts those, and the page says the figure reads
what is stored. Followed up: a safety-net episode opened, or a referral sent, for the
patient from the day raised to 30 days after (local days, both included); counted only once
those 30 days have passed by the day of the figures.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import F, Q

from opspor.quality.aggregate import Item, cells_for
from opspor.quality.cells import Cell
from opspor.quality.figures import Period
from opspor.quality.figures.moments import day_start, local_day, practice_ids
from opspor.quality.groups import WhoBook
from opspor.quality.indicators import BY_ID
from opspor.records.models import Patient
from opspor.referrals.models import Referral
from opspor.safetynet.models import (
    PatientSignal,
    SafetyNetEpisode,
    SignalDismissal,
    SignalKind,
    SignalRun,
)
from opspor.safetynet.signal_compute import listed_on

# Opspor's window for "followed up" (the registry's wording), not a published standard.
FOLLOW_UP_DAYS = 30
PATTERN_BREAKS = frozenset({SignalKind.PATTERN_BREAK, SignalKind.LOW_USER_RISE})


def _rates(period: Period, *, as_of: date, practices: list[int]) -> list[Cell]:
    last = min(period.end, as_of)
    computed = SignalRun.objects.filter(as_of__gte=period.start, as_of__lte=last).values(
        "practice_id"
    )
    listed_rows = Patient.objects.filter(listed_on(as_of), practice_id__in=computed)
    listed = list(listed_rows.values_list("pk", "practice_id"))
    kinds: dict[int, set[str]] = defaultdict(set)
    # The practice's own signals of its patients, as the worklist reads them.
    for patient_id, kind in PatientSignal.objects.filter(
        patient__in=listed_rows,
        practice_id=F("patient__practice_id"),
        as_of__gte=period.start,
        as_of__lte=last,
    ).values_list("patient_id", "kind"):
        kinds[patient_id].add(kind)
    book = WhoBook(pk for pk, _ in listed)
    out: list[Cell] = []
    for indicator, wanted in (
        ("signal_pattern_break", PATTERN_BREAKS),
        ("signal_any", frozenset(SignalKind.values)),
    ):
        items = [
            Item(
                practice_id=practice_id,
                who=book.who(patient_id, as_of),
                hit=bool(kinds[patient_id] & wanted),
            )
            for patient_id, practice_id in listed
        ]
        out += cells_for(
            indicator, BY_ID[indicator].kind, items, period=period.span, practices=practices
        )
    return out


# One look: patient, practice, kind, and the patient's latest contact when it was computed.
Look = tuple[int, int, str, datetime]


def _window(first_day: date, last_day: date) -> dict[str, datetime]:
    """Looks whose contact fell from `first_day` to `last_day` (local days, both included)."""
    return {
        "last_contact_at__gte": day_start(first_day),
        "last_contact_at__lt": day_start(last_day + timedelta(days=1)),
    }


def _looks(period: Period, *, last_day: date) -> tuple[set[Look], set[Look]]:
    """The stored looks and the dismissed ones raised from the period's start to `last_day`."""
    window = _window(period.start, last_day)
    fields = ("patient_id", "practice_id", "kind", "last_contact_at")
    stored: set[Look] = set(PatientSignal.objects.filter(**window).values_list(*fields))
    dismissed: set[Look] = set(SignalDismissal.objects.filter(**window).values_list(*fields))
    return stored, dismissed


def _followed_up(period: Period, *, as_of: date, practices: list[int]) -> list[Cell]:
    last_day = min(period.end, as_of - timedelta(days=FOLLOW_UP_DAYS))
    stored, dismissed = (
        _looks(period, last_day=last_day) if last_day >= period.start else (set(), set())
    )
    patients = {look[0] for look in stored | dismissed}
    episodes: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    acted: dict[int, list[date]] = defaultdict(list)
    if patients:
        window = _window(period.start, last_day)
        whose = Q(patient_id__in=PatientSignal.objects.filter(**window).values("patient_id")) | Q(
            patient_id__in=SignalDismissal.objects.filter(**window).values("patient_id")
        )
        in_reach = day_start(last_day + timedelta(days=FOLLOW_UP_DAYS + 1))
        for patient_id, opened_at, closed_at in SafetyNetEpisode.objects.filter(
            whose, opened_at__lt=in_reach
        ).values_list("patient_id", "opened_at", "closed_at"):
            episodes[patient_id].append((opened_at, closed_at))
            acted[patient_id].append(local_day(opened_at))
        for patient_id, sent_at in Referral.objects.filter(
            whose,
            sent_at__isnull=False,
            sent_at__gte=day_start(period.start),
            sent_at__lt=in_reach,
        ).values_list("patient_id", "sent_at"):
            if sent_at is not None:
                acted[patient_id].append(local_day(sent_at))

    def live_at(patient_id: int, moment: datetime) -> bool:
        return any(
            opened <= moment and (closed is None or closed > moment)
            for opened, closed in episodes[patient_id]
        )

    raised = dismissed | {look for look in stored if not live_at(look[0], look[3])}
    book = WhoBook(patients)
    items = []
    for patient_id, practice_id, _, contact_at in sorted(raised):
        day = local_day(contact_at)
        items.append(
            Item(
                practice_id=practice_id,
                who=book.who(patient_id, day),
                hit=any(
                    day <= acted_on <= day + timedelta(days=FOLLOW_UP_DAYS)
                    for acted_on in acted[patient_id]
                ),
            )
        )
    return cells_for(
        "signal_followed_up",
        BY_ID["signal_followed_up"].kind,
        items,
        period=period.span,
        practices=practices,
    )


def cells(period: Period, *, as_of: date) -> list[Cell]:
    """The cells of every indicator of this module for one period, as of `as_of`."""
    if period.end > as_of or period.start > period.end:
        raise ValueError(
            f"a period from {period.start} to {period.end} cannot be counted as of {as_of}: "
            "it must start before it ends and end by the day of the figures"
        )
    practices = practice_ids()
    return _rates(period, as_of=as_of, practices=practices) + _followed_up(
        period, as_of=as_of, practices=practices
    )
