"""Reading the region's Parquet files with DuckDB: the cancers of a period with what the
figures group them by, and the scanned patients of a population scan.

Plain DuckDB SQL rather than Ibis: the figures need a join and a filter over the files and
nothing that has to run on Spark as well, and the few rows that come back (the cancers,
one row per scanned patient) are grouped in NumPy, where the quartiles are numpy's own.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opspor.engine.signals.vulnerability import is_psychiatric, is_substance_abuse

# What region_cells needs of each file.
NEEDS: dict[str, tuple[str, ...]] = {
    "diagnoses": (
        "patient_id",
        "diagnosis_date",
        "cancer_site",
        "first_symptom_date",
        "first_presentation_date",
        "referral_date",
        "route",
        "consultations_before_referral",
    ),
    "patients": (
        "patient_id",
        "birth_date",
        "sex",
        "practice_id",
        "lives_alone",
        "language",
        "interpreter_needed",
    ),
    "practices": ("practice_id", "kind"),
    "conditions": ("patient_id", "code", "system", "chronic", "onset"),
}
SCAN_NEEDS = (
    "patient_id",
    "practice_id",
    "as_of",
    "pattern_break",
    "low_user_rise",
    "long_absence_days",
    "repeat_symptom_code",
    "vulnerability_flags",
)
SCAN_METADATA_KEY = b"opspor.scan"


class RegionDataError(ValueError):
    """The files are missing, or lack a column the figures need."""


def file_path(data_dir: Path, name: str) -> Path:
    path = data_dir / f"{name}.parquet"
    if not path.is_file():
        raise RegionDataError(f"{path} is missing")
    missing = [c for c in NEEDS[name] if c not in pq.read_schema(path).names]
    if missing:
        raise RegionDataError(
            f"{path} lacks the columns {', '.join(missing)} (a region generated before the "
            "routes to diagnosis: generate it again)"
        )
    return path


def connect(data_dir: Path, scan_file: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per file (the files are checked first)."""
    paths = {name: file_path(data_dir, name) for name in NEEDS}
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    for name, path in paths.items():
        con.read_parquet(str(path)).create_view(name)
    if scan_file is not None:
        con.read_parquet(str(scan_file)).create_view("scan")
    return con


def _arrow(
    con: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None
) -> pa.Table:
    return con.sql(query, params=params).to_arrow_table()


def cancers(con: duckdb.DuckDBPyConnection, start: date, end: date) -> pa.Table:
    """One row per cancer diagnosed in [start, end], with its patient's figures, the
    practice's kind and the conditions known on the diagnosis date (`row` numbers them)."""
    rows = _arrow(
        con,
        """
        SELECT row_number() OVER (ORDER BY d.patient_id, d.diagnosis_date, d.cancer_site) - 1
                   AS row,
               d.patient_id, d.diagnosis_date, d.cancer_site, d.first_symptom_date,
               d.first_presentation_date, d.referral_date, d.route,
               d.consultations_before_referral,
               p.patient_id IS NOT NULL AS known_patient,
               p.birth_date, p.sex, p.practice_id, p.lives_alone, p.language,
               p.interpreter_needed, pr.kind AS practice_kind
        FROM diagnoses d
        LEFT JOIN patients p ON p.patient_id = d.patient_id
        LEFT JOIN practices pr ON pr.practice_id = p.practice_id
        WHERE d.diagnosis_date BETWEEN ? AND ?
        ORDER BY row
        """,
        [start, end],
    )
    if not _all(rows, "known_patient"):
        raise RegionDataError("diagnoses.parquet names a patient that patients.parquet lacks")
    con.register("cancer_rows", rows.select(["row", "patient_id", "diagnosis_date"]))
    codes = _arrow(
        con,
        """
        SELECT DISTINCT c.code, c.system
        FROM conditions c SEMI JOIN cancer_rows r ON r.patient_id = c.patient_id
        WHERE c.code IS NOT NULL AND c.system IS NOT NULL
        """,
    )
    code_list = codes.column("code").to_pylist()
    system_list = codes.column("system").to_pylist()
    flags = pa.table(
        {
            "code": pa.array(code_list, pa.string()),
            "system": pa.array(system_list, pa.string()),
            "psychiatric": [
                is_psychiatric(c, s) for c, s in zip(code_list, system_list, strict=True)
            ],
            "substance": [
                is_substance_abuse(c, s) for c, s in zip(code_list, system_list, strict=True)
            ],
        }
    )
    con.register("condition_flags", flags)
    per_row = _arrow(
        con,
        """
        SELECT r.row,
               sum(CASE WHEN c.chronic THEN 1 ELSE 0 END)::BIGINT AS chronic,
               coalesce(bool_or(f.psychiatric), false) AS psychiatric,
               coalesce(bool_or(f.substance), false) AS substance
        FROM cancer_rows r
        JOIN conditions c ON c.patient_id = r.patient_id
        LEFT JOIN condition_flags f ON f.code = c.code AND f.system = c.system
        WHERE c.onset IS NULL OR c.onset <= r.diagnosis_date
        GROUP BY r.row
        """,
    )
    con.unregister("cancer_rows")
    con.unregister("condition_flags")
    con.register("cancers_read", rows)
    con.register("per_row", per_row)
    out = _arrow(
        con,
        """
        SELECT c.*, coalesce(k.chronic, 0) AS chronic,
               coalesce(k.psychiatric, false) AS psychiatric,
               coalesce(k.substance, false) AS substance
        FROM cancers_read c LEFT JOIN per_row k ON k.row = c.row
        ORDER BY c.row
        """,
    )
    con.unregister("cancers_read")
    con.unregister("per_row")
    return out


def practices(con: duckdb.DuckDBPyConnection) -> pa.Table:
    return _arrow(con, "SELECT practice_id, kind FROM practices ORDER BY practice_id")


def scan_as_of(scan_file: Path) -> date:
    """The scan's day, from its metadata; refuses a scan of flagged patients only."""
    if not scan_file.is_file():
        raise RegionDataError(f"{scan_file} is missing")
    meta = pq.read_schema(scan_file).metadata or {}
    raw = meta.get(SCAN_METADATA_KEY)
    if raw is None:
        raise RegionDataError(f"{scan_file} is not the output of `opspor scan`")
    info = json.loads(raw)
    if not info.get("all_patients"):
        raise RegionDataError(
            f"{scan_file} lists only the patients with a signal: the figures need "
            "`opspor scan --all-patients`"
        )
    missing = [c for c in SCAN_NEEDS if c not in pq.read_schema(scan_file).names]
    if missing:
        raise RegionDataError(f"{scan_file} lacks the columns {', '.join(missing)}")
    return date.fromisoformat(info["as_of"])


def scanned(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """One row per scanned (listed) patient: the signals, the engine's flags on the scan's
    day, sex, birth date, the practice's kind."""
    rows = _arrow(
        con,
        """
        SELECT s.patient_id, s.practice_id,
               coalesce(s.pattern_break, false) AS pattern_break,
               coalesce(s.pattern_break, false) OR coalesce(s.low_user_rise, false)
                   OR s.long_absence_days IS NOT NULL OR s.repeat_symptom_code IS NOT NULL
                   AS any_signal,
               coalesce(list_contains(s.vulnerability_flags, 'male_living_alone'), false)
                   AS male_living_alone,
               coalesce(list_contains(s.vulnerability_flags, 'language_barrier'), false)
                   AS language_barrier,
               coalesce(list_contains(s.vulnerability_flags, 'psychiatric_diagnosis'), false)
                   AS psychiatric_diagnosis,
               coalesce(list_contains(s.vulnerability_flags, 'substance_abuse'), false)
                   AS substance_abuse,
               coalesce(list_contains(s.vulnerability_flags, 'multimorbidity'), false)
                   AS multimorbidity,
               p.patient_id IS NOT NULL AS known_patient,
               p.birth_date, p.sex, pr.kind AS practice_kind
        FROM scan s
        LEFT JOIN patients p ON p.patient_id = s.patient_id
        LEFT JOIN practices pr ON pr.practice_id = s.practice_id
        ORDER BY s.patient_id
        """,
    )
    if not _all(rows, "known_patient"):
        raise RegionDataError("the scan names a patient that patients.parquet lacks")
    return rows


def _all(t: pa.Table, column: str) -> bool:
    return t.num_rows == 0 or bool(pc.all(t.column(column)).as_py())
