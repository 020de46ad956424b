"""The time points and intervals of the road to a cancer diagnosis, as the Aarhus statement
defines them.

Weller D, Vedsted P, Rubin G, et al. The Aarhus statement: improving design and reporting of
studies on early cancer diagnosis. Br J Cancer 2012;106(7):1262-7. doi:10.1038/bjc.2012.68.

Four dated time points (first symptom, first presentation, referral, diagnosis) give five
intervals:

- patient interval         first symptom      -> first presentation
- primary care interval    first presentation -> referral
- secondary care interval  referral           -> diagnosis
- diagnostic interval      first presentation -> diagnosis
- total interval           first symptom      -> diagnosis

A missing date makes an interval *unknown*, never zero days; two dates in an impossible order
(symptoms starting after the first presentation, say) make it *impossible*, never a negative
number, and name the problem once in ``Intervals.problems`` so that a screen can flag the data.
Dates on the same day give a known interval of 0 days.

Pure Python on purpose: the safety-net services, the analyst's figures and the tests all count
the same way, with or without Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Literal

from opspor.engine.signals.repeat_symptom import (
    REPEAT_CONSULTATION_THRESHOLD,
    REPEAT_CONSULTATION_WINDOW_DAYS,
    repeated_consultations,
)

IntervalStatus = Literal["known", "unknown", "impossible"]

# The "3+ consultations within 12 months" flag has one definition, shared with the worklist's
# repeat-symptom signal: `engine/signals/repeat_symptom.py` (the English cancer patient
# experience survey, Lancet Oncol 2012;13(4):353-65, and why the window is a year).
__all__ = [
    "REPEAT_CONSULTATION_THRESHOLD",
    "REPEAT_CONSULTATION_WINDOW_DAYS",
    "Intervals",
    "TimePoints",
    "aarhus_intervals",
    "consultations_before_referral",
    "repeated_consultations",
]

_LABELS: Mapping[str, str] = {
    "first_symptom": "first symptom",
    "first_presentation": "first presentation",
    "referral": "referral",
    "diagnosis": "diagnosis",
}


@dataclass(frozen=True)
class TimePoints:
    """The four Aarhus time points of one pathway; None where the date is not known."""

    first_symptom: date | None = None
    first_presentation: date | None = None
    referral: date | None = None
    diagnosis: date | None = None


@dataclass(frozen=True)
class Interval:
    """An interval in whole days, or why there is no number.

    ``days`` is a non-negative number exactly when ``status`` is "known".
    """

    days: int | None
    status: IntervalStatus
    reason: str

    def __post_init__(self) -> None:
        if self.status == "known":
            if self.days is None or self.days < 0:
                raise ValueError(f"a known interval needs a non-negative number of days: {self}")
        elif self.days is not None:
            raise ValueError(f"an {self.status} interval has no number of days: {self}")


@dataclass(frozen=True)
class Intervals:
    """The five Aarhus intervals, and every pair of dates found in an impossible order."""

    patient: Interval
    primary_care: Interval
    secondary_care: Interval
    diagnostic: Interval
    total: Interval
    problems: tuple[str, ...] = ()


def _order_problem(points: TimePoints, earlier: str, later: str) -> str | None:
    start: date | None = getattr(points, earlier)
    end: date | None = getattr(points, later)
    if start is None or end is None or start <= end:
        return None
    return (
        f"{_LABELS[later]} ({end.isoformat()}) is before {_LABELS[earlier]} ({start.isoformat()})"
    )


def _interval(points: TimePoints, start_name: str, end_name: str) -> Interval:
    start: date | None = getattr(points, start_name)
    end: date | None = getattr(points, end_name)
    span = f"{_LABELS[start_name]} to {_LABELS[end_name]}"
    if start is None or end is None:
        missing = [
            _LABELS[name] for name, value in ((start_name, start), (end_name, end)) if value is None
        ]
        return Interval(None, "unknown", f"{span}: {' and '.join(missing)} not known")
    if end < start:
        return Interval(
            None, "impossible", f"{span}: {_order_problem(points, start_name, end_name)}"
        )
    return Interval((end - start).days, "known", span)


def aarhus_intervals(points: TimePoints) -> Intervals:
    """The five intervals of a pathway, each known, unknown or impossible.

    ``problems`` names each pair of known dates in the wrong order once, whether or not the
    pair is one of the five intervals (a first symptom after the referral is a problem even
    when the first presentation is not known), in the order of the time points.
    """
    names = [f.name for f in fields(TimePoints)]
    problems = tuple(
        problem
        for i, earlier in enumerate(names)
        for later in names[i + 1 :]
        if (problem := _order_problem(points, earlier, later)) is not None
    )
    return Intervals(
        patient=_interval(points, "first_symptom", "first_presentation"),
        primary_care=_interval(points, "first_presentation", "referral"),
        secondary_care=_interval(points, "referral", "diagnosis"),
        diagnostic=_interval(points, "first_presentation", "diagnosis"),
        total=_interval(points, "first_symptom", "diagnosis"),
        problems=problems,
    )


def consultations_before_referral(
    contacts: Iterable[date], *, first_presentation: date | None, referral: date | None
) -> int | None:
    """How many contacts fall from the first presentation up to and including the referral.

    Each item is one contact, so two contacts on the same day count twice. None when either
    date is unknown or the referral is dated before the first presentation: no count is better
    than a wrong one.
    """
    if first_presentation is None or referral is None or referral < first_presentation:
        return None
    return sum(1 for day in contacts if first_presentation <= day <= referral)
