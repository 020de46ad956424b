"""The engine's parameters, in one place (DESIGN.md section 4). Windows are whole days."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineSettings:
    # Pattern break: recent window [T - recent_days, T],
    # baseline window [T - baseline_days, T - recent_days).
    recent_days: int = 90
    baseline_days: int = 1095
    # The smoothing prior counts as this many days at the population rate for age and sex.
    prior_days: int = 365
    pattern_break_min_count: int = 3
    pattern_break_p_value: float = 0.01
    # Return after a long absence: no contact for this long while registered.
    long_absence_days: int = 1095
    # Continuity over the contacts with a named clinician in (T - continuity_days, T].
    continuity_days: int = 730
    continuity_min_contacts: int = 3
    low_continuity_upc: float = 0.5
    # Vulnerability: a man living alone from this age; multimorbidity from this many chronic
    # conditions.
    male_living_alone_min_age: int = 40
    multimorbidity_min_conditions: int = 2
    # A symptom is "new" when its onset lies within this many days.
    new_symptom_days: int = 90
    # A marked rise in medicine use: new prescriptions of the watched ATC groups in the recent
    # window against the baseline rate, judged like a pattern break.
    medication_rise_min_count: int = 3


DEFAULT_SETTINGS = EngineSettings()
