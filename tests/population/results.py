"""Result files in the population scan's shape, written with pyarrow for the import's tests:
one row per patient in the columns of `RESULT_SCHEMA`, the scan's metadata beside them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from opspor.population.result_file import META_KEY
from opspor.population.scan.shape import RESULT_SCHEMA

# A row with no signal: every signal's columns empty, the pattern break's figures given.
_QUIET: dict[str, Any] = {
    "pattern_break": False,
    "pattern_break_count": 0,
    "pattern_break_expected": 1.25,
    "pattern_break_p": 0.7,
    "pattern_break_baseline": 12,
    "pattern_break_baseline_days": 1005,
    "low_user_rise": False,
    "low_user_baseline_per_year": None,
    "population_per_year": None,
    "long_absence_days": None,
    "long_absence_returned_on": None,
    "n_contacts_2y": None,
    "upc": None,
    "coc": None,
    "secon": None,
    "repeat_symptom_code": None,
    "repeat_symptom_consultations": None,
    "repeat_symptoms": [],
    "last_contact_date": None,
    "vulnerability_flags": [],
}


def row(patient_id: int, practice_id: int, as_of: date, **columns: Any) -> dict[str, Any]:
    """One patient's row; `columns` set the signals it holds."""
    unknown = set(columns) - set(RESULT_SCHEMA.names)
    assert not unknown, unknown
    return {"patient_id": patient_id, "practice_id": practice_id, "as_of": as_of} | _QUIET | columns


def pattern_break(recent: int = 5, expected: float = 0.41234, p: float = 0.00081) -> dict[str, Any]:
    return {
        "pattern_break": True,
        "pattern_break_count": recent,
        "pattern_break_expected": expected,
        "pattern_break_p": p,
        "pattern_break_baseline": 2,
        "pattern_break_baseline_days": 1005,
    }


def low_user_rise(baseline: float = 0.72654, population: float = 3.1) -> dict[str, Any]:
    return pattern_break() | {
        "low_user_rise": True,
        "low_user_baseline_per_year": baseline,
        "population_per_year": population,
    }


def long_absence(gap_days: int, returned_on: date) -> dict[str, Any]:
    return {"long_absence_days": gap_days, "long_absence_returned_on": returned_on}


def repeat_symptoms(*codes: tuple[str, int]) -> dict[str, Any]:
    return {
        "repeat_symptom_code": codes[0][0],
        "repeat_symptom_consultations": codes[0][1],
        "repeat_symptoms": [{"code": code, "consultations": n} for code, n in codes],
    }


def meta(
    as_of: date, listed: dict[int, int], *, backend: str = "duckdb", **changes: Any
) -> dict[str, Any]:
    return {
        "as_of": as_of.isoformat(),
        "backend": backend,
        "practices": sorted(listed),
        "listed": {str(p): n for p, n in listed.items()},
        "patients_scanned": sum(listed.values()),
        "all_patients": False,
        "format": 1,
    } | changes


def write(
    path: Path,
    rows: Sequence[dict[str, Any]],
    metadata: dict[str, Any] | bytes | None,
    *,
    schema: pa.Schema = RESULT_SCHEMA,
) -> Path:
    """The rows as a result file at `path`, with `metadata` under the scan's key (none:
    no key; bytes: written as they are)."""
    table = pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows], schema)
    if metadata is not None:
        raw = metadata if isinstance(metadata, bytes) else json.dumps(metadata).encode()
        table = table.replace_schema_metadata({META_KEY: raw})
    pq.write_table(table, path)
    return path
