"""From the backend's figures to the result rows: the decisions of the engine's signals.

The backend has reduced the region to one row per candidate patient (`signals.py`); what is
left is small and is done here with the engine's own functions and thresholds: the Poisson
tail and the pattern break's test, the low-user reading (`engine/signals/low_user.py`),
which repeated symptoms the chronic conditions and current medicines explain
(`engine/signals/new_symptom.familiar_symptoms`), and the vulnerability flags in the
engine's order (`engine/signals/vulnerability.py`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from opspor.engine.settings import EngineSettings
from opspor.engine.signals.new_symptom import familiar_symptoms
from opspor.population.scan.poisson import poisson_sf_array
from opspor.population.scan.shape import RESULT_SCHEMA

# (system, code) pairs and ATC codes by patient: what may explain a repeated symptom.
Background = tuple[dict[int, list[tuple[str, str]]], dict[int, list[str]]]


def _column(table: pa.Table, name: str, dtype: Any, fill: Any) -> np.ndarray:
    return np.asarray(table.column(name).fill_null(fill).to_numpy(), dtype=dtype)


def _date_array(days: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Day numbers as a date32 column, null where not ``valid``."""
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=~valid).cast(pa.date32())


def unexplained_repeats(
    repeats: pa.Table, background: Background
) -> dict[int, list[tuple[str, int]]]:
    """Each patient's repeated symptoms that their background does not explain, the most
    consultation days first, then by code (`engine/signals/repeat_symptom.py`)."""
    chronic, medicines = background
    found: dict[int, list[tuple[str, int]]] = defaultdict(list)
    columns = repeats.select(["patient_id", "code", "consultations"]).to_pydict()
    for pid, code, count in zip(
        columns["patient_id"], columns["code"], columns["consultations"], strict=True
    ):
        found[pid].append((code, count))
    kept: dict[int, list[tuple[str, int]]] = {}
    for pid, codes in found.items():
        familiar = familiar_symptoms(chronic=chronic.get(pid, []), medicines=medicines.get(pid, []))
        left = sorted(((c, n) for c, n in codes if c not in familiar), key=lambda x: (-x[1], x[0]))
        if left:
            kept[pid] = left
    return kept


def result_table(
    figures: pa.Table,
    repeats: dict[int, list[tuple[str, int]]],
    *,
    as_of: date,
    settings: EngineSettings,
    all_patients: bool,
) -> pa.Table:
    """The result rows (`shape.RESULT_SCHEMA`) of the patients with a signal, sorted by
    patient; every row given with ``all_patients``."""
    figures = _with_a_signal(figures, repeats, settings) if not all_patients else figures
    n = figures.num_rows
    k = _column(figures, "recent", np.int64, 0)
    mu = _column(figures, "expected", np.float64, 0.0)
    p = poisson_sf_array(k, mu) if n else np.zeros(0)
    brk = (k >= settings.pattern_break_min_count) & (p < settings.pattern_break_p_value)
    baseline = _column(figures, "baseline", np.int64, 0)
    baseline_days = _column(figures, "baseline_days", np.int64, 0)
    population = _column(figures, "population_per_year", np.float64, np.nan)
    long_enough = brk & (baseline_days >= settings.low_user_min_baseline_days)
    per_year = np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        # The engine's order: count / days * 365.
        per_year[long_enough] = baseline[long_enough] / baseline_days[long_enough] * 365.0
    low = long_enough & (per_year < settings.low_user_rate_fraction * population)
    gap = _column(figures, "gap", np.int64, -1)
    absent = gap >= settings.long_absence_days
    first_recent = _column(figures, "first_recent", np.int64, 0)
    last_contact = figures.column("last_contact")
    pids = _column(figures, "patient_id", np.int64, 0)

    repeat_lists: list[list[dict[str, Any]] | None] = []
    top_code: list[str | None] = []
    top_count: list[int | None] = []
    flags: list[list[str]] = []
    age = _column(figures, "age", np.int64, 0)
    sex = figures.column("sex").to_pylist()
    lives_alone = _column(figures, "lives_alone", np.bool_, False)
    interpreter = _column(figures, "interpreter_needed", np.bool_, False)
    language = figures.column("language").to_pylist()
    psychiatric = _column(figures, "psychiatric", np.bool_, False)
    substance = _column(figures, "substance", np.bool_, False)
    chronic = _column(figures, "chronic", np.int64, 0)
    has_repeat = np.zeros(n, dtype=np.bool_)
    for row in range(n):
        codes = repeats.get(int(pids[row]))
        if codes:
            has_repeat[row] = True
            repeat_lists.append([{"code": c, "consultations": m} for c, m in codes])
            top_code.append(codes[0][0])
            top_count.append(codes[0][1])
        else:
            repeat_lists.append(None)
            top_code.append(None)
            top_count.append(None)
        mine: list[str] = []
        if (
            sex[row] == "male"
            and lives_alone[row]
            and age[row] >= settings.male_living_alone_min_age
        ):
            mine.append("male_living_alone")
        if interpreter[row] or language[row] != "da":
            mine.append("language_barrier")
        if psychiatric[row]:
            mine.append("psychiatric_diagnosis")
        if substance[row]:
            mine.append("substance_abuse")
        if chronic[row] >= settings.multimorbidity_min_conditions:
            mine.append("multimorbidity")
        if absent[row]:
            mine.append("long_absence")
        flags.append(mine)

    columns: dict[str, Any] = {
        "patient_id": pids,
        "practice_id": _column(figures, "practice_id", np.int64, 0),
        "as_of": pa.array([as_of] * n, type=pa.date32()),
        "pattern_break": brk,
        "pattern_break_count": k,
        "pattern_break_expected": mu,
        "pattern_break_p": p,
        "pattern_break_baseline": baseline,
        "pattern_break_baseline_days": baseline_days,
        "low_user_rise": low,
        "low_user_baseline_per_year": pa.array(per_year, mask=~low),
        "population_per_year": population,
        "long_absence_days": pa.array(gap, mask=~absent),
        "long_absence_returned_on": _date_array(first_recent, absent),
        "n_contacts_2y": _column(figures, "n_contacts", np.int64, 0),
        "upc": figures.column("upc"),
        "coc": figures.column("coc"),
        "secon": figures.column("secon"),
        "repeat_symptom_code": pa.array(top_code, type=pa.string()),
        "repeat_symptom_consultations": pa.array(top_count, type=pa.int64()),
        "repeat_symptoms": pa.array(repeat_lists, type=RESULT_SCHEMA.field("repeat_symptoms").type),
        "last_contact_date": last_contact.cast(pa.int32()).cast(pa.date32())
        if n
        else pa.array([], type=pa.date32()),
        "vulnerability_flags": pa.array(flags, type=pa.list_(pa.string())),
    }
    table = pa.table(
        {
            name: pa.array(columns[name])
            if isinstance(columns[name], np.ndarray)
            else columns[name]
            for name in RESULT_SCHEMA.names
        }
    ).cast(RESULT_SCHEMA)
    return table.sort_by("patient_id")


def _with_a_signal(
    figures: pa.Table, repeats: dict[int, list[tuple[str, int]]], settings: EngineSettings
) -> pa.Table:
    """The candidate rows that hold a signal: the rest need no words or lists."""
    k = _column(figures, "recent", np.int64, 0)
    mu = _column(figures, "expected", np.float64, 0.0)
    p = poisson_sf_array(k, mu) if len(k) else np.zeros(0)
    brk = (k >= settings.pattern_break_min_count) & (p < settings.pattern_break_p_value)
    absent = _column(figures, "gap", np.int64, -1) >= settings.long_absence_days
    repeated = np.isin(_column(figures, "patient_id", np.int64, 0), list(repeats))
    return figures.filter(pa.array(brk | absent | repeated))
