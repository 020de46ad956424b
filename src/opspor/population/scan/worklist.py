"""A result row as the worklist's signals: the kinds and figures `watched_signals` gives.

The importer stores these (`opspor.population`), and the parity tests compare them with
the engine's for the same patient, so a signal looks the same on the worklist whether the
scan or the single-patient engine computed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opspor.engine.settings import DEFAULT_SETTINGS, EngineSettings
from opspor.engine.signals.watchlist import (
    LONG_ABSENCE,
    LOW_USER_RISE,
    PATTERN_BREAK,
    REPEAT_SYMPTOM,
)


def worklist_signals(
    row: Mapping[str, Any], settings: EngineSettings = DEFAULT_SETTINGS
) -> dict[str, dict[str, Any]]:
    """The signals of one result row (as `pyarrow.Table.to_pylist` gives it), by kind."""
    found: dict[str, dict[str, Any]] = {}
    if row["pattern_break"]:
        figures = {
            "recent": row["pattern_break_count"],
            "window_days": settings.recent_days,
            "expected": round(row["pattern_break_expected"], 3),
            "p_value": row["pattern_break_p"],
            "baseline": row["pattern_break_baseline"],
            "baseline_days": row["pattern_break_baseline_days"],
        }
        if row["low_user_rise"]:
            found[LOW_USER_RISE] = figures | {
                "baseline_per_year": round(row["low_user_baseline_per_year"], 2),
                "population_per_year": row["population_per_year"],
            }
        else:
            found[PATTERN_BREAK] = figures
    if row["long_absence_days"] is not None:
        found[LONG_ABSENCE] = {
            "gap_days": row["long_absence_days"],
            "returned_on": row["long_absence_returned_on"].isoformat(),
        }
    if row["repeat_symptoms"]:
        found[REPEAT_SYMPTOM] = {
            "symptoms": {s["code"]: s["consultations"] for s in row["repeat_symptoms"]},
            "window_days": settings.repeat_symptom_days,
        }
    return found
