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
    # The same symptom at this many consultations (distinct contact days) within this many
    # days up to as-of: the "3+ consultations" group of the English audits (source and the
    # window's status in `signals/repeat_symptom.py`). The safety nets' Aarhus flag reads
    # the same two figures.
    repeat_symptom_min_consultations: int = 3
    repeat_symptom_days: int = 365
    # A marked rise in contacts in a previously low user (the DPF's words, without a
    # number). WORKING DEFINITION, not a guideline threshold: a pattern break in a patient
    # whose baseline contact rate was below `low_user_rate_fraction` times the population
    # rate for their age and sex (`population.yaml`), judged only on a baseline of at least
    # `low_user_min_baseline_days` days (a new patient has no "previously").
    low_user_rate_fraction: float = 1.0
    low_user_min_baseline_days: int = 365


DEFAULT_SETTINGS = EngineSettings()
