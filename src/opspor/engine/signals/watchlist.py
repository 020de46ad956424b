"""The signals a practice watches for every patient without a live safety net, as figures.

One function for the nightly computation over a whole practice and for the recomputation
of one patient after a new contact, so both give the same answer (a test holds them to it,
and holds the pattern break and the long absence to `assess`): pattern break, return after
a long absence, the same unexplained symptom at 3+ consultations within a year, and a
marked rise in contacts in a previously low user (a working definition, `low_user.py`).

A pattern break in a previously low user is reported once, as `low_user_rise`: it is the
more specific reading of the same break, and its figures include the break's.
The figures are plain JSON values (numbers, ISO dates, codes), never words.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any

from opspor.engine.settings import DEFAULT_SETTINGS, EngineSettings
from opspor.engine.signals.absence import long_absence
from opspor.engine.signals.low_user import low_user_rise
from opspor.engine.signals.pattern_break import pattern_break
from opspor.engine.signals.repeat_symptom import repeat_symptom

PATTERN_BREAK = "pattern_break"
LONG_ABSENCE = "long_absence"
REPEAT_SYMPTOM = "repeat_symptom"
LOW_USER_RISE = "low_user_rise"
KINDS = (PATTERN_BREAK, LONG_ABSENCE, REPEAT_SYMPTOM, LOW_USER_RISE)


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def watched_signals(
    *,
    as_of: date,
    birth_date: date,
    sex: str,
    registered_from: date | None,
    contact_dates: Iterable[date],
    consultations: Mapping[str, Iterable[date]],
    familiar: Collection[str] = frozenset(),
    settings: EngineSettings = DEFAULT_SETTINGS,
) -> dict[str, dict[str, Any]]:
    """The signals that hold on ``as_of``, by kind, each with its figures.

    ``contact_dates``: the local days of the patient's contacts up to ``as_of``;
    ``consultations``: the days each symptom code was recorded at; ``familiar``: the codes
    the record's chronic conditions and current medicines account for.
    """
    days = [d for d in contact_dates if d <= as_of]
    age = age_on(birth_date, as_of)
    found: dict[str, dict[str, Any]] = {}
    pb = pattern_break(
        contact_dates=days,
        as_of=as_of,
        age=age,
        sex=sex,
        registered_from=registered_from,
        settings=settings,
    )
    if pb.signal:
        figures = {
            "recent": pb.recent_count,
            "window_days": settings.recent_days,
            "expected": round(pb.expected, 3),
            "p_value": pb.p_value,
            "baseline": pb.baseline_count,
            "baseline_days": pb.baseline_days,
        }
        low = low_user_rise(pb, age=age, sex=sex, settings=settings)
        if low is None:
            found[PATTERN_BREAK] = figures
        else:
            found[LOW_USER_RISE] = figures | {
                "baseline_per_year": round(low.baseline_per_year, 2),
                "population_per_year": low.population_per_year,
            }
    absence = long_absence(
        contact_dates=days, as_of=as_of, registered_from=registered_from, settings=settings
    )
    if absence is not None:
        found[LONG_ABSENCE] = {
            "gap_days": absence.gap_days,
            "returned_on": absence.returned_on.isoformat(),
        }
    repeated = repeat_symptom(
        consultations=consultations, as_of=as_of, familiar=familiar, settings=settings
    )
    if repeated is not None:
        found[REPEAT_SYMPTOM] = {"symptoms": repeated.counts, "window_days": repeated.window_days}
    return found
