"""One scan: check the tables, compute the figures on the backend, decide the signals, write
the result file with what was scanned in its metadata.

The result is written to a temporary file beside ``out`` and moved into place only when
complete, so a failed scan never leaves half a file where last night's was.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from opspor.engine.settings import DEFAULT_SETTINGS, EngineSettings
from opspor.population.scan import checks, signals
from opspor.population.scan.backends import (
    BackendOptions,
    connect,
    read_tables,
    to_arrow,
    to_scalar,
)
from opspor.population.scan.finish import Background, result_table, unexplained_repeats
from opspor.population.scan.shape import METADATA_KEY

FORMAT = 1


class RowsRefused(Exception):
    """Bad rows were found and no quarantine was asked for; nothing was written."""

    def __init__(self, problems: checks.Problems):
        super().__init__(f"{problems.total:,} bad rows")
        self.problems = problems


@dataclass
class ScanReport:
    as_of: date
    backend: str
    rows: int = 0
    patients_scanned: int = 0
    practices: list[int] = field(default_factory=list)
    seconds: float = 0.0
    quarantined: checks.Problems = field(default_factory=checks.Problems)
    signals: dict[str, int] = field(default_factory=dict)


Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def scan(
    data: Path,
    *,
    as_of: date,
    out: Path,
    backend: str = "duckdb",
    practice: int | None = None,
    all_patients: bool = False,
    quarantine: Path | None = None,
    progress: bool = False,
    options: BackendOptions | None = None,
    settings: EngineSettings = DEFAULT_SETTINGS,
    today: date | None = None,
) -> ScanReport:
    """Scan the tables in ``data`` for the patients listed on ``as_of`` and write the result
    rows to ``out`` (Parquet). Raises `checks.ShapeError` for tables not in the shape and
    `RowsRefused` for bad rows when no ``quarantine`` directory is given."""
    started = time.perf_counter()
    say: Progress = _stderr if progress else (lambda _message: None)
    options = options or BackendOptions(backend=backend)
    if options.backend != backend:
        options = BackendOptions(**{**options.__dict__, "backend": backend})
    today = today or date.today()
    checks.check_shape(data)
    con = connect(options)
    cached: list[ir.Table] = []
    try:
        return _scan(
            con,
            cached,
            data,
            as_of=as_of,
            out=out,
            backend=backend,
            practice=practice,
            all_patients=all_patients,
            quarantine=quarantine,
            say=say,
            settings=settings,
            today=today,
            started=started,
        )
    finally:
        for table in cached:
            table.release()
        _disconnect(con)


def _disconnect(con: Any) -> None:
    # Spark's session is kept for the next scan; DuckDB's database lives in this process.
    if con.name == "duckdb":
        con.disconnect()


def _scan(
    con: Any,
    cached: list[ir.Table],
    data: Path,
    *,
    as_of: date,
    out: Path,
    backend: str,
    practice: int | None,
    all_patients: bool,
    quarantine: Path | None,
    say: Progress,
    settings: EngineSettings,
    today: date,
    started: float,
) -> ScanReport:
    tables = read_tables(con, data)
    report = ScanReport(as_of=as_of, backend=backend)

    step = _Steps(say, started)
    step("reading the patients and the contacts")

    def keep(table: ir.Table) -> ir.Table:
        cached.append(table.cache())
        return cached[-1]

    patients = keep(checks.patient_problems(tables.patients, today))
    by_patient = keep(signals.contact_aggregates(tables, as_of=as_of, settings=settings))
    step("checking the rows")
    checked = checks.checked(tables, patients, today)
    suspicious = to_arrow(
        con, checks.suspicious_tables(by_patient, tables, patients, today)
    ).to_pylist()[0]
    problems = _problems(con, {"patients": checked["patients"]})
    # A patient set aside takes their rows with them: then every table is checked.
    skip = () if problems.total else tuple(name for name, bad in suspicious.items() if not bad)
    problems = _problems(con, checked, skip=skip)
    if problems.total:
        if quarantine is None:
            raise RowsRefused(problems)
        _write_quarantine(con, checked, quarantine)
        tables = signals.Tables(
            **{
                name: table.filter(table.problem.isnull()).drop("problem")
                for name, table in checked.items()
            }
        )
        by_patient = keep(signals.contact_aggregates(tables, as_of=as_of, settings=settings))
        report.quarantined = problems
        say(f"scan: {problems.total:,} bad rows set aside in {quarantine}")

    step("computing the figures")
    listed_now = signals.listed_patients(tables, as_of=as_of, practice=practice)
    late = keep(signals.registered_late(by_patient, listed_now, as_of=as_of, settings=settings))
    figures_expr, repeats_expr = signals.patient_figures(
        tables,
        by_patient,
        as_of=as_of,
        settings=settings,
        practice=practice,
        all_patients=all_patients,
        late=late if to_scalar(con, late.count()) else None,
        continuity=keep(signals.continuity_contacts(tables, as_of=as_of, settings=settings)),
    )
    figures = to_arrow(con, figures_expr)
    step("reading the repeated symptoms")
    repeats = to_arrow(con, repeats_expr)
    background = _background(con, tables, repeats_expr, as_of=as_of)
    listed = to_arrow(con, signals.listed_by_practice(tables, as_of=as_of, practice=practice))

    step("deciding the signals")
    result = result_table(
        figures,
        unexplained_repeats(repeats, background),
        as_of=as_of,
        settings=settings,
        all_patients=all_patients,
    )
    by_practice = {
        int(pid): int(n)
        for pid, n in zip(
            listed.column("practice_id").to_pylist(),
            listed.column("listed").to_pylist(),
            strict=True,
        )
    }
    report.practices = sorted(by_practice)
    report.patients_scanned = sum(by_practice.values())
    report.rows = result.num_rows
    report.signals = _signal_counts(result)
    step(f"writing {report.rows:,} rows")
    metadata = {
        "as_of": as_of.isoformat(),
        "backend": backend,
        "practices": report.practices,
        "listed": {str(k): v for k, v in sorted(by_practice.items())},
        "patients_scanned": report.patients_scanned,
        "all_patients": all_patients,
        "format": FORMAT,
    }
    _write(result, out, metadata)
    report.seconds = time.perf_counter() - started
    step(f"done: {report.patients_scanned:,} patients scanned, {report.rows:,} rows")
    return report


class _Steps:
    """Progress lines: what the scan is doing and how long it has taken so far."""

    def __init__(self, say: Progress, started: float):
        self.say = say
        self.started = started

    def __call__(self, what: str) -> None:
        self.say(f"scan [{time.perf_counter() - self.started:6.1f} s] {what}")


def _signal_counts(result: pa.Table) -> dict[str, int]:
    """Patients by worklist signal (a low-user rise is counted instead of its break)."""
    low = result.column("low_user_rise").to_numpy(zero_copy_only=False)
    brk = result.column("pattern_break").to_numpy(zero_copy_only=False)
    return {
        "pattern_break": int((brk & ~low).sum()),
        "low_user_rise": int(low.sum()),
        "long_absence": len(result) - result.column("long_absence_days").null_count,
        "repeat_symptom": len(result) - result.column("repeat_symptom_code").null_count,
    }


def _problems(
    con: Any, checked: dict[str, ir.Table], skip: tuple[str, ...] = ()
) -> checks.Problems:
    """Bad rows by table and kind (one query for every table), with examples of each."""
    bad = {name: t.filter(t.problem.notnull()) for name, t in checked.items() if name not in skip}
    counted = [
        t.group_by("problem").aggregate(rows=t.count()).mutate(table=ibis.literal(name))
        for name, t in bad.items()
    ]
    found = checks.Problems()
    if not counted:
        return found
    counts = to_arrow(con, ibis.union(*counted)).to_pylist()
    for row in counts:
        found.counts.setdefault(row["table"], {})[row["problem"]] = int(row["rows"])
    for name, kinds in found.counts.items():
        t = bad[name]
        found.examples[name] = {
            kind: to_arrow(
                con, t.filter(t.problem == kind).drop("problem").limit(checks.EXAMPLES)
            ).to_pylist()
            for kind in kinds
        }
    return found


def _write_quarantine(con: Any, checked: dict[str, ir.Table], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in checked.items():
        bad = to_arrow(con, table.filter(table.problem.notnull()))
        if bad.num_rows:
            pq.write_table(bad, directory / f"{name}.parquet")


def _background(con: Any, tables: signals.Tables, repeats: ir.Table, *, as_of: date) -> Background:
    """The chronic conditions and current medicines of the patients with a repeated symptom."""
    who = repeats.select("patient_id").distinct()
    chronic: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = to_arrow(con, signals.chronic_conditions(tables, who, as_of=as_of)).to_pydict()
    for pid, system, code in zip(rows["patient_id"], rows["system"], rows["code"], strict=True):
        chronic[pid].append((system, code))
    medicines: dict[int, list[str]] = defaultdict(list)
    rows = to_arrow(con, signals.current_medicines(tables, who, as_of=as_of)).to_pydict()
    for pid, atc in zip(rows["patient_id"], rows["atc"], strict=True):
        medicines[pid].append(atc)
    return chronic, medicines


def _write(result: pa.Table, out: Path, metadata: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    table = result.replace_schema_metadata({METADATA_KEY: json.dumps(metadata).encode()})
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(handle)
    try:
        pq.write_table(table, temporary, compression="zstd")
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
