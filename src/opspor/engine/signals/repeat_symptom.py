"""The same symptom at three or more consultations within a year: the "3+ consultations"
group of the English audits, one definition for the worklist's signal and the safety nets'
Aarhus flag (`safetynet/intervals.py` reads it from here).

Three or more consultations about a symptom: the group the English cancer patient
experience survey singled out. Lyratzopoulos G, Neal RD, Barbiere JM, Rubin GP, Abel GA.
Variation in number of general practitioner consultations before hospital referral for
cancer: findings from the 2010 National Cancer Patient Experience Survey in England. Lancet
Oncol 2012;13(4):353-65. doi:10.1016/S1470-2045(12)70041-4 (title, journal, pages and the
'three or more pre-referral consultations' outcome checked against the journal's abstract).

The window is not from the source: the survey asked patients how many times they saw their
GP before referral, with no time window. One year is this software's choice, so that old,
settled symptoms do not keep a patient flagged for ever.

What is implemented: a consultation is a distinct day on which the symptom code was
recorded (the day of the contact it was recorded at, else the day it was recorded), so two
entries on one day count once. "Unexplained" is the new-symptom signal's reading
(`explanations.yaml`): a code that one of the patient's chronic conditions or current
medicines accounts for is left out, and nothing else is (no free text is read).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from opspor.engine.settings import DEFAULT_SETTINGS, EngineSettings

REPEAT_CONSULTATION_THRESHOLD = DEFAULT_SETTINGS.repeat_symptom_min_consultations
REPEAT_CONSULTATION_WINDOW_DAYS = DEFAULT_SETTINGS.repeat_symptom_days


def repeated_consultations(
    consultations: Mapping[str, Iterable[date]],
    *,
    on: date,
    window_days: int = REPEAT_CONSULTATION_WINDOW_DAYS,
    threshold: int = REPEAT_CONSULTATION_THRESHOLD,
) -> dict[str, int]:
    """The symptom codes consulted about on ``threshold`` or more distinct days in the
    window, with those counts.

    The window is the ``window_days`` days that end with ``on``, ``on`` included (365 days:
    from ``on`` minus 364 days to ``on``). Later dates are not counted. Codes keep the order
    of ``consultations``.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, not {window_days}")
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, not {threshold}")
    first_day = on - timedelta(days=window_days - 1)
    counts = {
        code: len({day for day in days if first_day <= day <= on})
        for code, days in consultations.items()
    }
    return {code: count for code, count in counts.items() if count >= threshold}


@dataclass(frozen=True)
class RepeatSymptom:
    # Unexplained symptom codes with their number of consultation days, most first.
    counts: dict[str, int]
    window_days: int


def repeat_symptom(
    *,
    consultations: Mapping[str, Iterable[date]],
    as_of: date,
    familiar: Collection[str] = frozenset(),
    settings: EngineSettings = DEFAULT_SETTINGS,
) -> RepeatSymptom | None:
    """The unexplained symptoms recorded at ``repeat_symptom_min_consultations`` or more
    distinct consultation days within the ``repeat_symptom_days`` up to ``as_of``; None when
    there are none. ``familiar``: the codes the record's conditions and medicines account
    for (`new_symptom.familiar_symptoms`)."""
    counts = repeated_consultations(
        {code: days for code, days in consultations.items() if code not in familiar},
        on=as_of,
        window_days=settings.repeat_symptom_days,
        threshold=settings.repeat_symptom_min_consultations,
    )
    if not counts:
        return None
    ordered = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return RepeatSymptom(counts=ordered, window_days=settings.repeat_symptom_days)
