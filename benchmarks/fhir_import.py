"""Benchmark: importing a FHIR R4 Bulk Data extract, against reading and validating it.

    .venv/bin/python benchmarks/fhir_import.py [--resources 1000000] [--seed 1]
        [--practices K] [--cache DIR] [--floor-only] [--tracemalloc]

An extract of ``--resources`` resources (`opspor fhir-extract`: one NDJSON file per resource
type, fictional patients of K practices) is generated, or reused from ``--cache``. The
database is a new SQLite file under /tmp, migrated, or, where DATABASE_URL is set, that
database (PostgreSQL), migrated; it must hold no imported resources yet, so that the figures
are those of a first import. The practices the extract names (by ydernummer) are created
when missing. Then, in this one process:

- the floor: every line of every file read, parsed (``json.loads``) and validated with
  fhir.resources' R4B model of its type, nothing written. No import can cost less than
  reading and validating what it imports; the ratio says how much the database writes (and
  the mapping onto the record) cost above that;
- the import: ``opspor.interop.importing.import_paths`` over the files, end to end, as
  `opspor import-fhir` runs it; its report is printed.

Memory. The process's resident high-water mark (``ru_maxrss``) is read before the floor,
after it and after the import: the import's figure is the high-water mark at its end, and how
far it rose during the import (zero when the import stayed below what the process had
already reached). With ``--tracemalloc`` the peak of Python allocations during the floor and
the import is measured too; it slows allocation-heavy code two- to threefold, so the times of
such a run are not the figures to quote.

``--floor-only`` measures the floor alone (no database).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from pages import cpu_model  # noqa: E402

from opspor.interop.extract import RESOURCE_TYPES, ExtractError, write_extract  # noqa: E402

UNIT_CODE = "fhir-import-benchmark"


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--resources", type=_at_least(1), default=1_000_000)
    parser.add_argument("--seed", type=_at_least(0), default=1)
    parser.add_argument("--practices", type=_at_least(1), default=None)
    parser.add_argument("--cache", type=Path, default=None, help="keep and reuse extracts here")
    parser.add_argument("--floor-only", action="store_true", help="no database, no import")
    parser.add_argument(
        "--floor-every",
        type=_at_least(1),
        default=1,
        help="validate every K-th line for the floor (a systematic sample with the extract's "
        "mix of types; the ratio compares rates)",
    )
    parser.add_argument("--tracemalloc", action="store_true", help="also the Python heap peak")
    return parser.parse_args(argv)


def maxrss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def heap_peak(enabled: bool, into: dict[str, float]) -> Iterator[None]:
    if not enabled:
        yield
        return
    tracemalloc.start()
    try:
        yield
        into["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def extract_paths(folder: Path) -> list[Path]:
    return [folder / f"{kind}.ndjson" for kind in RESOURCE_TYPES]


def extract(args: argparse.Namespace, work: Path) -> tuple[Path, float | None]:
    """The extract's folder, and the seconds it took to write (None when reused)."""
    if args.cache is not None:
        practices = args.practices if args.practices is not None else "auto"
        folder = args.cache / f"fhir-{args.resources}-seed{args.seed}-practices{practices}"
        if all(p.is_file() for p in extract_paths(folder)):
            return folder, None
    else:
        folder = work / "extract"
    summary = write_extract(folder, args.resources, seed=args.seed, practices=args.practices)
    return folder, summary.seconds


def floor(paths: list[Path], every: int = 1) -> int:
    """Read, parse and validate every `every`-th resource; nothing is kept. The number
    validated."""
    from fhir.resources.R4B import get_fhir_model_class

    count = 0
    seen = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                seen += 1
                if seen % every:
                    continue
                data = json.loads(line)
                get_fhir_model_class(data["resourceType"]).model_validate(data)
                count += 1
    return count


def django_database(work: Path) -> str:
    """Django on DATABASE_URL (migrated) or on a new SQLite file under ``work``; its name."""
    os.environ["OPSPOR_VAR_DIR"] = str(work)
    (work / "static").mkdir(exist_ok=True)  # WhiteNoise warns about a missing static root
    # DEBUG off: with DEBUG on Django keeps every query in memory and the figures drift.
    os.environ["OPSPOR_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    return connection.vendor


def practices_ensure(paths: list[Path]) -> tuple[int, int]:
    """A Practice for each ydernummer of the extract's Organizations: (made, there already)."""
    from opspor.interop.codings import YDERNUMMER
    from opspor.records.models import DiagnosticUnit, Practice, Region

    region, _ = Region.objects.get_or_create(
        code="hovedstaden", defaults={"name": "Region Hovedstaden"}
    )
    unit, _ = DiagnosticUnit.objects.get_or_create(
        code=UNIT_CODE,
        defaults={
            "name": "Diagnostisk Enhed (benchmark)",
            "hospital": "Benchmark Hospital",
            "region": region,
            "phone": "00 00 00 00",
            "direct_phone": "00 00 00 01",
        },
    )
    made = there = 0
    organizations = next(p for p in paths if p.name == "Organization.ndjson")
    with open(organizations, encoding="utf-8") as f:
        for line in f:
            org = json.loads(line)
            number = next(
                i["value"] for i in org.get("identifier", []) if i.get("system") == YDERNUMMER
            )
            _, created = Practice.objects.get_or_create(
                provider_number=number,
                defaults={
                    "name": org.get("name", number)[:150],
                    "kind": Practice.Kind.PARTNERSHIP,
                    "region": region,
                    "municipality": (org.get("address") or [{}])[0].get("city", "")[:60],
                    "phone": "00 00 00 00",
                    "direct_phone": "00 00 00 01",
                    "diagnostic_unit": unit,
                },
            )
            made += created
            there += not created
    return made, there


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} resources/s" if seconds > 0 else "-"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The importer needs Django set up before it is imported; only its presence is asked here.
    if not args.floor_only and importlib.util.find_spec("opspor.interop.importing") is None:
        print("fhir_import: the importer (opspor.interop.importing) is not there", file=sys.stderr)
        return 3
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="opspor-bench-fhir-", dir="/tmp") as tmp:
        work = Path(tmp)
        try:
            folder, made_in = extract(args, work)
        except ExtractError as error:
            print(f"fhir_import: {error}", file=sys.stderr)
            return 2
        paths = extract_paths(folder)
        size_mb = sum(p.stat().st_size for p in paths) / 2**20
        how = "reused" if made_in is None else f"written in {made_in:.1f} s"
        print(f"extract: {args.resources:,} resources, {size_mb:,.0f} MB, {how} ({folder})")

        before_floor = maxrss_mb()
        heap: dict[str, float] = {}
        started = time.perf_counter()
        with heap_peak(args.tracemalloc, heap):
            count = floor(paths, args.floor_every)
        floor_s = time.perf_counter() - started
        after_floor = maxrss_mb()
        heap_note = f"  heap peak {heap['peak_mb']:,.1f} MB" if heap else ""
        print(
            f"floor (read + json + R4B validation)  {floor_s:8.2f} s  {rate(count, floor_s)}"
            f"  peak RSS {after_floor:,.0f} MB (+{after_floor - before_floor:,.0f}){heap_note}"
        )
        if args.floor_every > 1:
            print(f"floor sample: every {args.floor_every}th line, {count:,} validated")
        if args.floor_only:
            return 0

        vendor = django_database(work)
        from opspor.interop.models import ImportedResource

        import_paths = importlib.import_module("opspor.interop.importing").import_paths

        if ImportedResource.objects.exists():
            print(
                "fhir_import: the database holds imported resources already; the figures "
                "must be those of a first import (use a new database)",
                file=sys.stderr,
            )
            return 2
        made, there = practices_ensure(paths)
        print(f"database: {vendor}, practices made {made}, there already {there}")

        before_import = maxrss_mb()
        heap = {}
        started = time.perf_counter()
        with heap_peak(args.tracemalloc, heap):
            report = import_paths(paths, practice=None, progress=False)
        import_s = time.perf_counter() - started
        after_import = maxrss_mb()
        heap_note = f"  heap peak {heap['peak_mb']:,.1f} MB" if heap else ""
        print(
            f"import (import_paths)                 {import_s:8.2f} s  "
            f"{rate(args.resources, import_s)}"
            f"  peak RSS {after_import:,.0f} MB (+{after_import - before_import:,.0f}){heap_note}"
        )
        print("report: " + json.dumps(report.as_dict(), sort_keys=True, default=str))
        # Rates, not times: the floor may have validated a sample (--floor-every).
        floor_rate = count / floor_s
        import_rate = args.resources / import_s
        print(f"ratio import / floor: {floor_rate / import_rate:.2f}")
        if args.tracemalloc:
            print("(tracemalloc was on: the times are slowed, quote a run without it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
