"""Pattern break (*mønsterbrud*): many more contacts lately than this patient usually has."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from opspor.engine.population import contacts_per_year
from opspor.engine.settings import EngineSettings
from opspor.engine.stats import poisson_sf


@dataclass(frozen=True)
class PatternBreak:
    recent_count: int
    baseline_count: int
    baseline_days: int
    expected: float
    p_value: float
    score: float
    signal: bool


def pattern_break(
    *,
    contact_dates: list[date],
    as_of: date,
    age: int,
    sex: str,
    registered_from: date | None,
    settings: EngineSettings,
) -> PatternBreak:
    recent_start = as_of - timedelta(days=settings.recent_days)
    baseline_start = as_of - timedelta(days=settings.baseline_days)
    if registered_from is not None and registered_from > baseline_start:
        baseline_start = registered_from
    baseline_days = max(0, (recent_start - baseline_start).days)
    recent = sum(1 for d in contact_dates if recent_start <= d <= as_of)
    baseline = sum(1 for d in contact_dates if baseline_start <= d < recent_start)
    # The prior: `prior_days` of contacts at the population rate for this age and sex.
    a = contacts_per_year(age, sex) / 365.0 * settings.prior_days
    rate_per_day = (baseline + a) / (baseline_days + settings.prior_days)
    expected = rate_per_day * settings.recent_days
    p = poisson_sf(recent, expected)
    score = -math.log10(p) if p > 0 else 300.0
    return PatternBreak(
        recent_count=recent,
        baseline_count=baseline,
        baseline_days=baseline_days,
        expected=expected,
        p_value=p,
        score=score,
        signal=recent >= settings.pattern_break_min_count and p < settings.pattern_break_p_value,
    )
