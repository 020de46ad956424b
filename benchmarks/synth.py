"""Benchmark: the synthetic region against DuckDB writing the same number of contact rows.

    PYTHONPATH=src python benchmarks/synth.py [--patients 200000] [--seed 1]

Both run in this process, one after the other, into a temporary directory. The DuckDB
baseline writes rows shaped like ``contacts.parquet`` (four int32/date columns and a
four-valued string) from ``range(n)`` with no realism at all, so the ratio is the price of
the realism (age- and sex-specific rates, registration periods, continuity, cancer and its
pre-diagnostic rise) and of writing the other eight files.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
from pages import cpu_model

from opspor.synth import generate_region


def duckdb_baseline(n_rows: int, path: Path) -> float:
    start = time.perf_counter()
    con = duckdb.connect()
    # COPY takes no bound parameters; n_rows is an int and path a temporary file of ours.
    con.execute(
        f"""
        COPY (
            SELECT
                (i // 50 + 1)::INTEGER AS patient_id,
                (i % 1100 + 1)::INTEGER AS clinician_id,
                (i % 640 + 1)::INTEGER AS practice_id,
                (DATE '2015-04-01' + (i * 7919 % 3650)::INTEGER) AS contact_date,
                ['consultation', 'phone', 'email', 'home_visit'][i % 4 + 1] AS kind
            FROM range({int(n_rows)}) t(i)
        ) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
        """  # noqa: S608
    )
    con.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    as_of = date(2025, 6, 30)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = generate_region(Path(tmp) / "region", args.patients, args.seed, as_of)
        synth_s = time.perf_counter() - start
        contacts = summary.rows["contacts"]
        duck_s = duckdb_baseline(contacts, Path(tmp) / "baseline.parquet")
    print(f"machine: {platform.machine()}, {cpu_model()}, Python {platform.python_version()}")
    print(f"patients: {args.patients:,}  practices: {summary.n_practices:,}  seed: {args.seed}")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in summary.rows.items()))
    print(f"opspor synth (all nine files): {synth_s:7.2f} s")
    print(f"duckdb COPY of {contacts:,} contact rows: {duck_s:7.2f} s")
    print(f"ratio synth / duckdb: {synth_s / duck_s:.1f}")


if __name__ == "__main__":
    main()
