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
from datetime import date, timedelta
from typing import Literal

IntervalStatus = Literal["known", "unknown", "impossible"]

REPEAT_CONSULTATION_THRESHOLD = 3
"""Three or more consultations about a symptom: the group the English cancer patient experience
survey singled out. Lyratzopoulos G, Neal RD, Barbiere JM, Rubin GP, Abel GA. Variation in number
of general practitioner consultations before hospital referral for cancer: findings from the
2010 National Cancer Patient Experience Survey in England. Lancet Oncol 2012;13(4):353-65.
doi:10.1016/S1470-2045(12)70041-4 (title, journal, pages and the 'three or more pre-referral
consultations' outcome checked against the journal's abstract)."""

REPEAT_CONSULTATION_WINDOW_DAYS = 365
"""How far back the consultations are counted. Not from the source: the survey asked patients
how many times they saw their GP before referral, with no time window. One year is this
software's choice, so that old, settled episodes do not keep a symptom flagged for ever."""

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


def repeated_consultations(
    consultations: Mapping[str, Iterable[date]],
    *,
    on: date,
    window_days: int = REPEAT_CONSULTATION_WINDOW_DAYS,
    threshold: int = REPEAT_CONSULTATION_THRESHOLD,
) -> dict[str, int]:
    """The symptom codes consulted about ``threshold`` or more times in the window, with counts.

    The window is the ``window_days`` days that end with ``on``, ``on`` included (365 days:
    from ``on`` minus 364 days to ``on``). Later dates are not counted. Codes keep the order of
    ``consultations``.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, not {window_days}")
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, not {threshold}")
    first_day = on - timedelta(days=window_days - 1)
    counts = {
        code: sum(1 for day in days if first_day <= day <= on)
        for code, days in consultations.items()
    }
    return {code: count for code, count in counts.items() if count >= threshold}
