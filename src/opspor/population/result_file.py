"""A population scan's result file: checked whole before anything is loaded, then read in
batches (a row's signals are `scan.worklist.worklist_signals`).

The file (`opspor scan --out FILE`) has the columns of `scan.shape.RESULT_SCHEMA`, one row per
patient, and the scan's own account of itself in the Parquet key-value metadata under
`opspor.scan` (JSON): the as-of day, the backend, the practices scanned and how many listed
patients each had. A refusal names the first thing wrong (a column, a metadata field, a row
by its number in the file), never a patient: the worker logs it as it is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from opspor.population.scan.shape import METADATA_KEY, RESULT_SCHEMA

META_KEY = METADATA_KEY.decode()

FORMAT = 1
# Rows per batch read: bounded memory whatever the region's size.
READ_BATCH = 10_000

# The columns a row's signals are made from.
SIGNAL_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "practice_id",
    "as_of",
    "pattern_break",
    "pattern_break_count",
    "pattern_break_expected",
    "pattern_break_p",
    "pattern_break_baseline",
    "pattern_break_baseline_days",
    "low_user_rise",
    "low_user_baseline_per_year",
    "population_per_year",
    "long_absence_days",
    "long_absence_returned_on",
    "repeat_symptoms",
)
_REQUIRED = ("patient_id", "practice_id", "as_of", "pattern_break", "low_user_rise")
_BREAK_FIGURES = (
    "pattern_break_count",
    "pattern_break_expected",
    "pattern_break_p",
    "pattern_break_baseline",
    "pattern_break_baseline_days",
)
_LOW_USER_FIGURES = ("low_user_baseline_per_year", "population_per_year")


class ScanRefused(Exception):
    """The file cannot be loaded; nothing was changed. The message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ScanMeta:
    """The scan's account of itself, from the file's metadata."""

    as_of: date
    backend: str
    practices: tuple[int, ...]
    listed: dict[int, int]  # practice id → listed patients scanned
    patients_scanned: int
    all_patients: bool


@dataclass(frozen=True)
class ResultFile:
    path: Path
    sha256: str
    meta: ScanMeta
    rows: int


def result_file_check(path: Path, *, today: date) -> ResultFile:
    """The file, checked whole: its columns and their types, its metadata, every row.
    Raises `ScanRefused` at the first thing wrong."""
    if not path.is_file():
        raise ScanRefused(f"There is no file at {path}.")
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise ScanRefused(f"{path} is not a Parquet file ({error}).") from None
    _check_columns(parquet.schema_arrow)
    meta = _meta(parquet.metadata.metadata or {})
    if meta.as_of > today:
        raise ScanRefused(
            f"The file's signals are as of {meta.as_of.isoformat()}, a day after today "
            f"({today.isoformat()}); a scan cannot see contacts that have not happened yet."
        )
    rows = _check_rows(parquet, meta)
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return ResultFile(path=path, sha256=digest, meta=meta, rows=rows)


def result_batches(
    file: ResultFile, columns: Sequence[str] = SIGNAL_COLUMNS
) -> Iterator[list[dict[str, Any]]]:
    """The file's rows, a batch at a time, as dicts of Python values."""
    parquet = pq.ParquetFile(file.path)
    for batch in parquet.iter_batches(batch_size=READ_BATCH, columns=list(columns)):
        yield batch.to_pylist()


def _check_columns(schema: pa.Schema) -> None:
    missing = [field.name for field in RESULT_SCHEMA if field.name not in schema.names]
    if missing:
        raise ScanRefused(
            "The file is not a population scan's result: it lacks the column(s) "
            + ", ".join(missing)
            + "."
        )
    for expected in RESULT_SCHEMA:
        found = schema.field(expected.name).type
        if not found.equals(expected.type):
            raise ScanRefused(
                f"Column {expected.name} is {found}, where a scan's result has {expected.type}."
            )


def _meta(metadata: dict[bytes, bytes]) -> ScanMeta:
    raw = metadata.get(METADATA_KEY)
    if raw is None:
        raise ScanRefused(
            f"The file has no '{META_KEY}' metadata: it does not say which day and which "
            "practices it was scanned for."
        )
    try:
        meta = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ScanRefused(f"The '{META_KEY}' metadata is not JSON.") from None
    if not isinstance(meta, dict):
        raise ScanRefused(f"The '{META_KEY}' metadata is not a JSON object.")
    if meta.get("format") != FORMAT:
        raise ScanRefused(
            f"The '{META_KEY}' metadata has format {meta.get('format')!r}; this version "
            f"reads format {FORMAT}."
        )
    try:
        as_of = date.fromisoformat(meta.get("as_of"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ScanRefused(
            f"The '{META_KEY}' metadata's as_of must be a day written YYYY-MM-DD, "
            f"not {meta.get('as_of')!r}."
        ) from None
    backend = meta.get("backend")
    if not isinstance(backend, str) or not backend:
        raise ScanRefused(f"The '{META_KEY}' metadata does not name the backend.")
    practices = meta.get("practices")
    if not isinstance(practices, list) or any(_whole(p, minimum=1) is None for p in practices):
        raise ScanRefused(f"The '{META_KEY}' metadata's practices must be a list of ids.")
    if not practices:
        raise ScanRefused("The file names no practice scanned: there is nothing to replace.")
    if len(set(practices)) != len(practices):
        raise ScanRefused(f"The '{META_KEY}' metadata names a practice twice.")
    listed = meta.get("listed")
    if not isinstance(listed, dict):
        raise ScanRefused(f"The '{META_KEY}' metadata's listed must be an object.")
    counts: dict[int, int] = {}
    for practice in practices:
        count = _whole(listed.get(str(practice)), minimum=0)
        if count is None:
            raise ScanRefused(
                f"The '{META_KEY}' metadata does not say how many listed patients practice "
                f"#{practice} had."
            )
        counts[practice] = count
    scanned = _whole(meta.get("patients_scanned"), minimum=0)
    if scanned is None:
        raise ScanRefused(f"The '{META_KEY}' metadata's patients_scanned must be a count.")
    all_patients = meta.get("all_patients")
    if not isinstance(all_patients, bool):
        raise ScanRefused(f"The '{META_KEY}' metadata's all_patients must be true or false.")
    return ScanMeta(
        as_of=as_of,
        backend=backend,
        practices=tuple(practices),
        listed=counts,
        patients_scanned=scanned,
        all_patients=all_patients,
    )


def _whole(value: object, *, minimum: int) -> int | None:
    """`value` if it is a whole number (not a boolean) of at least `minimum`, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    return None


def _check_rows(parquet: pq.ParquetFile, meta: ScanMeta) -> int:
    """Every row: its keys filled, its day the file's, its practice one scanned, its patient
    not seen before, the figures of each signal it holds present."""
    practices = set(meta.practices)
    seen: set[int] = set()
    number = 0
    for batch in parquet.iter_batches(batch_size=READ_BATCH, columns=list(SIGNAL_COLUMNS)):
        for row in batch.to_pylist():
            number += 1
            problem = _row_problem(row, meta=meta, practices=practices, seen=seen)
            if problem:
                raise ScanRefused(f"Row {number:,} of the file: {problem}.")
            seen.add(row["patient_id"])
    return number


def _row_problem(
    row: dict[str, Any], *, meta: ScanMeta, practices: set[int], seen: set[int]
) -> str:
    for name in _REQUIRED:
        if row[name] is None:
            return f"{name} is empty"
    if row["as_of"] != meta.as_of:
        return (
            f"as_of is {row['as_of'].isoformat()}, where the file's metadata says "
            f"{meta.as_of.isoformat()}"
        )
    if row["practice_id"] not in practices:
        return "its practice is not among the practices the metadata names as scanned"
    if row["patient_id"] in seen:
        return "its patient has a row earlier in the file; a patient has one row"
    if row["low_user_rise"] and not row["pattern_break"]:
        return "a rise in a low user without its pattern break"
    if row["pattern_break"]:
        for name in _BREAK_FIGURES:
            if row[name] is None:
                return f"a pattern break without its figures ({name} is empty)"
    if row["low_user_rise"]:
        for name in _LOW_USER_FIGURES:
            if row[name] is None:
                return f"a rise in a low user without its figures ({name} is empty)"
    if row["long_absence_days"] is not None and row["long_absence_returned_on"] is None:
        return "a long absence without the day of return (long_absence_returned_on is empty)"
    for item in row["repeat_symptoms"] or ():
        if item is None or item["code"] is None or item["consultations"] is None:
            return "a repeated symptom without its code or its consultations"
    return ""
