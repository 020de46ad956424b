"""A marked rise in medicine use, one of the Danish diagnostic pathway's supporting criteria.

The pathway names antibiotics and analgesics without a number; this is the project's own
working definition, not a guideline threshold: new prescriptions of those groups in the
recent window, judged against the patient's own baseline like a pattern break, with a prior of
one prescription a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from opspor.engine.settings import EngineSettings
from opspor.engine.stats import poisson_sf

# J01 antibacterials for systemic use; N02 analgesics; M01A NSAIDs.
WATCHED_ATC = ("J01", "N02", "M01A")
_PRIOR_PER_YEAR = 1.0


@dataclass(frozen=True)
class MedicationRise:
    recent_count: int
    expected: float
    p_value: float
    signal: bool


def medication_rise(
    *,
    starts: list[tuple[str, date]],
    as_of: date,
    registered_from: date | None,
    settings: EngineSettings,
) -> MedicationRise:
    watched = [d for atc, d in starts if atc.startswith(WATCHED_ATC)]
    recent_start = as_of - timedelta(days=settings.recent_days)
    baseline_start = as_of - timedelta(days=settings.baseline_days)
    if registered_from is not None and registered_from > baseline_start:
        baseline_start = registered_from
    baseline_days = max(0, (recent_start - baseline_start).days)
    recent = sum(1 for d in watched if recent_start <= d <= as_of)
    baseline = sum(1 for d in watched if baseline_start <= d < recent_start)
    a = _PRIOR_PER_YEAR / 365.0 * settings.prior_days
    expected = (baseline + a) / (baseline_days + settings.prior_days) * settings.recent_days
    p = poisson_sf(recent, expected)
    return MedicationRise(
        recent_count=recent,
        expected=expected,
        p_value=p,
        signal=recent >= settings.medication_rise_min_count and p < settings.pattern_break_p_value,
    )
