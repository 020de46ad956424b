"""`opspor scan`: the population scan from the command line.

Exit codes:
  0  scanned; the result file is written (with ``--quarantine``, also when bad rows were
     set aside: the report says how many and where)
  2  the command was used wrongly (an unknown option, a malformed date)
  3  the input is not in the documented shape (a missing table, a missing column, a column
     of another type, a file that is not Parquet); nothing was written
  4  bad rows were found and ``--quarantine`` was not given; nothing was written, the
     report counts every kind of problem with examples
  5  the backend could not run (Spark without Java, a cluster that does not answer)
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from opspor.population.scan.backends import BACKENDS, DEFAULT_MEMORY_LIMIT, BackendOptions
from opspor.population.scan.checks import ShapeError
from opspor.population.scan.run import RowsRefused, ScanReport, scan

OK, USAGE, SHAPE, BAD_ROWS, BACKEND = 0, 2, 3, 4, 5


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="opspor scan",
        description="Scan a region's Parquet tables for the worklist's signals of every "
        "patient listed on a date, on DuckDB (default) or Apache Spark.",
        epilog="Exit codes: 0 scanned, 2 usage, 3 input not in the shape, 4 bad rows "
        "(see --quarantine), 5 backend failed.",
    )
    p.add_argument("--data", type=Path, required=True, help="directory of the Parquet tables")
    p.add_argument("--as-of", type=_day, required=True, help="the day scanned (YYYY-MM-DD)")
    p.add_argument("--out", type=Path, required=True, help="the result file (Parquet)")
    p.add_argument("--backend", choices=BACKENDS, default="duckdb")
    p.add_argument("--practice", type=int, help="scan only this practice's listed patients")
    p.add_argument(
        "--all-patients",
        action="store_true",
        help="a row for every listed patient, not only those with a signal",
    )
    p.add_argument(
        "--quarantine",
        type=Path,
        help="write bad rows here (one Parquet file per table, with their problem) and "
        "scan the rest, instead of refusing",
    )
    p.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help="DuckDB's memory cap; beyond it DuckDB spills to disk (default %(default)s)",
    )
    p.add_argument("--threads", type=int, help="DuckDB's threads (default: one per core)")
    p.add_argument("--spill-directory", type=Path, help="where DuckDB spills (default: its own)")
    p.add_argument(
        "--spark-master", help="Spark master URL (default local[*]; e.g. spark://host:7077)"
    )
    p.add_argument(
        "--spark-remote",
        help="a Spark Connect URL (sc://host:15002); SPARK_REMOTE in the environment also",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    options = BackendOptions(
        backend=args.backend,
        memory_limit=args.memory_limit,
        threads=args.threads,
        spill_directory=args.spill_directory,
        spark_master=args.spark_master,
        spark_remote=args.spark_remote,
    )
    try:
        report = scan(
            args.data,
            as_of=args.as_of,
            out=args.out,
            backend=args.backend,
            practice=args.practice,
            all_patients=args.all_patients,
            quarantine=args.quarantine,
            progress=not args.no_progress,
            options=options,
        )
    except ShapeError as error:
        print(f"opspor scan: the input is not in the shape: {error}", file=sys.stderr)
        return SHAPE
    except RowsRefused as refused:
        print(
            f"opspor scan: refused: {refused.problems.total:,} bad rows; nothing was written. "
            "Correct them, or give --quarantine DIR to set them aside and scan the rest.",
            file=sys.stderr,
        )
        for line in refused.problems.lines():
            print(f"  {line}", file=sys.stderr)
        return BAD_ROWS
    except ValueError as error:
        print(f"opspor scan: {error}", file=sys.stderr)
        return USAGE
    except Exception as error:  # any backend failure is reported, not traced
        if not _backend_failure(error):
            raise
        print(f"opspor scan: the {args.backend} backend failed: {error}", file=sys.stderr)
        return BACKEND
    _print(report, args.out)
    return OK


def _backend_failure(error: Exception) -> bool:
    module = type(error).__module__
    return module.startswith(("pyspark", "py4j")) or isinstance(error, (ImportError, OSError))


def _print(report: ScanReport, out: Path) -> None:
    print(
        f"Scanned {report.patients_scanned:,} patients of {len(report.practices):,} practices "
        f"as of {report.as_of.isoformat()} on {report.backend} in {report.seconds:.1f} s"
    )
    print(f"Wrote {report.rows:,} rows to {out}")
    for kind, n in report.signals.items():
        print(f"  {kind.replace('_', ' ')}: {n:,} patients")
    if report.quarantined.total:
        print(f"Set aside {report.quarantined.total:,} bad rows:")
        for line in report.quarantined.lines():
            print(f"  {line}")


if __name__ == "__main__":
    raise SystemExit(main())
