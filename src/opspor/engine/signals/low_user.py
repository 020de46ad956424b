"""A marked rise in contacts in a previously low user (the DPF's words).

The Danish diagnostic pathway for non-specific symptoms names this sign without a number.
What is implemented is a WORKING DEFINITION of this software, not a guideline threshold:
a pattern break (`pattern_break.py`) in a patient whose baseline contact rate was below
`low_user_rate_fraction` times the population rate for their age and sex
(`population.yaml`), with a baseline of at least `low_user_min_baseline_days` days.
"""

from __future__ import annotations

from dataclasses import dataclass

from opspor.engine.population import contacts_per_year
from opspor.engine.settings import EngineSettings
from opspor.engine.signals.pattern_break import PatternBreak


@dataclass(frozen=True)
class LowUserRise:
    baseline_per_year: float
    population_per_year: float


def low_user_rise(
    pb: PatternBreak, *, age: int, sex: str, settings: EngineSettings
) -> LowUserRise | None:
    """The low-user reading of a pattern break, or None (no break, too short a baseline, or
    a baseline rate at or above the population's)."""
    if not pb.signal or pb.baseline_days < settings.low_user_min_baseline_days:
        return None
    baseline_per_year = pb.baseline_count / pb.baseline_days * 365.0
    population = contacts_per_year(age, sex)
    if baseline_per_year >= settings.low_user_rate_fraction * population:
        return None
    return LowUserRise(baseline_per_year=baseline_per_year, population_per_year=population)
