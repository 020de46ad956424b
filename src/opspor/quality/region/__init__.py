"""Region-wide figures of the quality dashboard, read from the synthetic region's Parquet files.

Pure (no Django): `region_cells` reads ``diagnoses``, ``patients``, ``practices`` and
``conditions`` with DuckDB and returns the `Cell`s of every indicator for the last year
(``as_of`` - 364 days .. ``as_of``) and the pooled three years (``as_of`` - 1,094 ..
``as_of``), by diagnosis date: for the whole region by split, and per practice (split
"all") for the funnel plots. Given the output of ``opspor scan --all-patients``, also the
share of listed patients with a pattern break and with any worklist signal on the scan's
day, which must be ``as_of``: the same cells for both periods, as the last scan of each.

Groups (split, group):
- "site": the cancer site (cancer indicators only); "sex": female/male;
- "age_band": 0-39, 40-49, 50-59, 60-69, 70-79, 80+ (age on the diagnosis date; on
  ``as_of`` for the signals); "practice_kind": solo/partnership/network;
- one split per vulnerability flag of the engine (yes/no) and "vulnerable" (any of them),
  by the engine's own definitions (`engine.signals.vulnerability`), with the conditions
  known on the diagnosis date; for the signals, the flags the scan computed on its day.

Every split's groups cover the "all" cell (the empty ones come with denominator 0), and the
practices' cells cover the region's.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from opspor.engine.settings import DEFAULT_SETTINGS, EngineSettings
from opspor.engine.signals.vulnerability import (
    has_language_barrier,
    is_male_living_alone,
    is_multimorbid,
)
from opspor.quality.aggregate import (
    AGE_BANDS,
    PRACTICE_KINDS,
    SEXES,
    VULNERABLE_SPLITS,
    YES_NO,
)
from opspor.quality.cells import Cell
from opspor.quality.region import read
from opspor.quality.region.figures import Measure, Period, Split, practice_cells, split_cells
from opspor.quality.region.read import RegionDataError
from opspor.synth.params import ROUTES, SITES

__all__ = ["INDICATORS", "RegionDataError", "region_cells"]

B = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

LAST_YEAR_DAYS = 364
POOLED_DAYS = 1094
INTERVALS = (
    "interval_patient",
    "interval_primary_care",
    "interval_secondary_care",
    "interval_diagnostic",
    "interval_total",
)
INDICATORS: tuple[str, ...] = (
    *INTERVALS,
    "consultations_before_referral",
    "consultations_3_or_more",
    *(f"route_{r}" for r in ROUTES),
    "signal_pattern_break",
    "signal_any",
)
PER_PRACTICE = (
    "route_emergency",
    "consultations_3_or_more",
    "interval_diagnostic",
    "signal_pattern_break",
    "signal_any",
)
AGE_BAND_NAMES = tuple(name for name, _, _ in AGE_BANDS)
UNKNOWN = "unknown"


def region_cells(
    data_dir: Path,
    *,
    as_of: date,
    scan_file: Path | None = None,
    settings: EngineSettings = DEFAULT_SETTINGS,
) -> list[Cell]:
    """Every region-wide and per-practice cell (see the module's docstring).

    Raises `RegionDataError` for a missing file or column, a diagnosis or scanned patient
    without a patient row, and a scan of another day or of the flagged patients only.
    """
    data_dir = Path(data_dir)
    scan_day = None
    if scan_file is not None:
        scan_day = read.scan_as_of(Path(scan_file))
        if scan_day != as_of:
            raise RegionDataError(
                f"the scan is of {scan_day.isoformat()}, the figures are as of {as_of.isoformat()}"
            )
    con = read.connect(data_dir, None if scan_file is None else Path(scan_file))
    try:
        practices = read.practices(con)
        practice_ids = [int(x) for x in practices.column("practice_id").to_pylist()]
        periods = (
            Period(as_of - timedelta(days=LAST_YEAR_DAYS), as_of),
            Period(as_of - timedelta(days=POOLED_DAYS), as_of),
        )
        rows = read.cancers(con, periods[1].start, as_of)
        out = _cancer_cells(rows, periods, practice_ids, settings)
        if scan_file is not None:
            scanned = read.scanned(con)
            out += _signal_cells(scanned, as_of, periods, practice_ids)
    finally:
        con.close()
    return out


def _days(t: pa.Table, name: str) -> F64:
    """A date column as days since 1970 (NaN for null)."""
    col = pc.cast(pc.cast(t.column(name), pa.int32()), pa.float64())
    return np.asarray(pc.fill_null(col, np.nan).to_numpy(), dtype=np.float64)


def _strings(t: pa.Table, name: str) -> npt.NDArray[np.str_]:
    values = pc.fill_null(pc.cast(t.column(name), pa.string()), UNKNOWN).to_pylist()
    return np.asarray(values, dtype=str) if values else np.zeros(0, dtype="<U1")


def _codes(t: pa.Table, name: str, known: tuple[str, ...]) -> tuple[I64, tuple[str, ...]]:
    """A text column as group indices: the known groups in their order, then any other
    value seen (so that the split still covers every row; a null is "unknown")."""
    col = pc.fill_null(pc.cast(t.column(name), pa.string()), UNKNOWN)
    encoded = pc.dictionary_encode(col).combine_chunks()
    values = [str(v) for v in encoded.dictionary.to_pylist()]
    groups = known + tuple(sorted(set(values) - set(known)))
    mapping = np.asarray([groups.index(v) for v in values], dtype=np.int64)
    indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return (mapping[indices] if len(mapping) else indices), groups


def _bools(t: pa.Table, name: str) -> B:
    col = pc.fill_null(t.column(name), False)
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=bool)


def _ages(birth: F64, day: F64) -> I64:
    """Whole years on ``day`` (the engine's `age()`: the birthday counted on the day)."""
    b = np.asarray(birth, dtype="datetime64[D]")
    d = np.asarray(day, dtype="datetime64[D]")
    by = b.astype("datetime64[Y]").astype(np.int64)
    dy = d.astype("datetime64[Y]").astype(np.int64)
    # Compare (month, day) rather than the day of the year, as leap years shift the latter.
    bm = b.astype("datetime64[M]").astype(np.int64) % 12
    dm = d.astype("datetime64[M]").astype(np.int64) % 12
    bd = (b - b.astype("datetime64[M]")).astype(np.int64)
    dd = (d - d.astype("datetime64[M]")).astype(np.int64)
    before_birthday = (dm < bm) | ((dm == bm) & (dd < bd))
    return (dy - by - before_birthday.astype(np.int64)).astype(np.int64)


def age_band_codes(age: I64) -> I64:
    lows = np.asarray([low for _, low, _ in AGE_BANDS], dtype=np.int64)
    return np.searchsorted(lows, np.maximum(age, 0), side="right").astype(np.int64) - 1


def _yes_no(flag: B) -> I64:
    return np.where(flag, YES_NO.index("yes"), YES_NO.index("no")).astype(np.int64)


def _common_splits(
    t: pa.Table,
    age: I64,
    flags: dict[str, B],
) -> list[Split]:
    splits = [
        Split("sex", *_codes(t, "sex", SEXES)),
        Split("age_band", age_band_codes(age), AGE_BAND_NAMES),
        Split("practice_kind", *_codes(t, "practice_kind", PRACTICE_KINDS)),
    ]
    any_flag = np.zeros(len(age), dtype=bool)
    for name in VULNERABLE_SPLITS:
        splits.append(Split(name, _yes_no(flags[name]), YES_NO))
        any_flag |= flags[name]
    splits.append(Split("vulnerable", _yes_no(any_flag), YES_NO))
    return splits


def _cancer_cells(
    t: pa.Table, periods: tuple[Period, ...], practice_ids: list[int], settings: EngineSettings
) -> list[Cell]:
    n = t.num_rows
    symptom = _days(t, "first_symptom_date")
    presentation = _days(t, "first_presentation_date")
    referral = _days(t, "referral_date")
    diagnosis = _days(t, "diagnosis_date")
    consultations = np.asarray(
        pc.fill_null(
            pc.cast(t.column("consultations_before_referral"), pa.float64()), np.nan
        ).to_numpy(),
        dtype=np.float64,
    )
    route = _strings(t, "route")
    sex = _strings(t, "sex")
    language = _strings(t, "language")
    lives_alone = _bools(t, "lives_alone")
    interpreter = _bools(t, "interpreter_needed")
    chronic = np.asarray(t.column("chronic").to_numpy(), dtype=np.int64)
    age = _ages(_days(t, "birth_date"), diagnosis)
    practice = np.asarray(pc.fill_null(t.column("practice_id"), -1).to_numpy(), dtype=np.int64)
    flags = {
        "male_living_alone": np.array(
            [
                is_male_living_alone(sex=s, lives_alone=bool(a), age=int(g), settings=settings)
                for s, a, g in zip(sex, lives_alone, age, strict=True)
            ],
            dtype=bool,
        ),
        "language_barrier": np.array(
            [
                has_language_barrier(interpreter_needed=bool(i), language=str(lang))
                for i, lang in zip(interpreter, language, strict=True)
            ],
            dtype=bool,
        ),
        "psychiatric_diagnosis": _bools(t, "psychiatric"),
        "substance_abuse": _bools(t, "substance"),
        "multimorbidity": np.array([is_multimorbid(int(c), settings) for c in chronic], dtype=bool),
    }
    splits = [Split("site", *_codes(t, "cancer_site", SITES)), *_common_splits(t, age, flags)]

    everyone = np.ones(n, dtype=bool)
    referred = ~np.isnan(referral)
    intervals = {
        "interval_patient": presentation - symptom,
        "interval_primary_care": referral - presentation,
        "interval_secondary_care": diagnosis - referral,
        "interval_diagnostic": diagnosis - presentation,
        "interval_total": diagnosis - symptom,
    }
    # An interval with a date missing or its dates in an impossible order has no number and
    # is left out of its denominator, as in the app's own figures (`figures/pathways.py`).
    measures = [
        Measure(name, ~np.isnan(days) & (np.nan_to_num(days, nan=-1.0) >= 0), days=days)
        for name, days in intervals.items()
    ]
    measures.append(
        Measure("consultations_before_referral", ~np.isnan(consultations), days=consultations)
    )
    measures.append(
        Measure(
            "consultations_3_or_more",
            referred,
            hit=referred & (np.nan_to_num(consultations, nan=0.0) >= 3),
        )
    )
    for r in ROUTES:
        measures.append(Measure(f"route_{r}", everyone, hit=route == r))

    ids = sorted(set(practice_ids) | set(practice.tolist()))
    per_practice = [m for m in measures if m.indicator in PER_PRACTICE]
    out: list[Cell] = []
    for period in periods:
        start = (period.start - date(1970, 1, 1)).days
        end = (period.end - date(1970, 1, 1)).days
        rows = (diagnosis >= start) & (diagnosis <= end)
        out += split_cells(measures, splits, rows, period)
        out += practice_cells(per_practice, practice, ids, rows, period)
    return out


def _signal_cells(
    t: pa.Table, scan_day: date, periods: tuple[Period, ...], practice_ids: list[int]
) -> list[Cell]:
    """The patients listed on the scan's day: the same figures for each period that holds
    the day (the last scan of the period)."""
    n = t.num_rows
    day = np.full(n, float((scan_day - date(1970, 1, 1)).days))
    age = _ages(_days(t, "birth_date"), day)
    flags = {name: _bools(t, name) for name in VULNERABLE_SPLITS}
    splits = _common_splits(t, age, flags)
    everyone = np.ones(n, dtype=bool)
    measures = [
        Measure("signal_pattern_break", everyone, hit=_bools(t, "pattern_break")),
        Measure("signal_any", everyone, hit=_bools(t, "any_signal")),
    ]
    practice = np.asarray(t.column("practice_id").to_numpy(), dtype=np.int64)
    ids = sorted(set(practice_ids) | set(practice.tolist()))
    out: list[Cell] = []
    for period in periods:
        out += split_cells(measures, splits, everyone, period)
        out += practice_cells(measures, practice, ids, everyone, period)
    return out
