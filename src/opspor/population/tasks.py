"""The nightly population scan: the whole region's worklist signals, once a night.

The sweep (`opspor worker`, every minute) asks for it once per local day, at its first pass
from `NIGHTLY_FROM` (02:00 Copenhagen time), when the record has patients. The run exports
the record into a temporary directory (`export.py`), scans it on DuckDB for today
(`scan/`), loads the result as every scanned practice's signals (`services.scan_import`,
by the worker) and removes the directory. Rows the scan finds cannot be true (a contact
before the patient's birth, say) are set aside and counted in the log, so that one bad
row does not hold back the region's night. A run that fails or is lost (the worker stopped)
leaves the signals of the night before, and the next night runs again; a new contact
recomputes its patient at once either way (`safetynet/tasks.py`).

Only counts go to the log, never a patient.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import time as clock
from datetime import date, datetime, time
from pathlib import Path

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from opspor.population.export import population_export
from opspor.population.models import NightlyScan, ScanImport
from opspor.population.result_file import ScanRefused
from opspor.population.services import scan_import
from opspor.records.models import Patient

logger = logging.getLogger(__name__)

# After the day's contacts are in and before the practices open.
NIGHTLY_FROM = time(2, 0)
BACKEND = "duckdb"


@task()
def region_scan_run(night: str) -> dict[str, int]:
    """Export, scan and load the region's signals for today; what it did, in counts."""
    started = clock.perf_counter()
    as_of = timezone.localdate()
    with tempfile.TemporaryDirectory(prefix="opspor-scan-") as work:
        # Imported here: the scan's engine (DuckDB, Ibis) is loaded only by this task.
        from opspor.population.scan.run import scan

        exported = population_export(out=Path(work) / "record", as_of=as_of)
        result = Path(work) / "signals.parquet"
        scanned = scan(
            Path(work) / "record",
            as_of=as_of,
            out=result,
            backend=BACKEND,
            quarantine=Path(work) / "set-aside",
            today=as_of,
        )
        for line in _set_aside(scanned.quarantined.counts):
            logger.warning("population scan as of %s: %s", as_of, line)
        try:
            report = scan_import(path=result, by=ScanImport.By.WORKER)
        except ScanRefused as refused:
            # The message names columns, fields and row numbers, never a patient.
            logger.error("population scan as of %s not loaded: %s", as_of, refused.message)
            raise
    NightlyScan.objects.filter(night=date.fromisoformat(night)).update(
        scan_import_id=report.scan_import_id
    )
    counts = {
        "patients_exported": exported.rows["patients"],
        "patients_scanned": scanned.patients_scanned,
        "rows_set_aside": scanned.quarantined.total,
        "rows": report.rows,
        "patients_loaded": report.patients_loaded,
        "signals": report.signals,
        "practices": len(report.practices),
        "unknown_patients": report.unknown_patients,
        "moved_patients": report.moved_patients,
    }
    logger.info(
        "population scan as of %s%s in %.1f s: %s",
        as_of,
        " (already loaded)" if report.already_imported else "",
        clock.perf_counter() - started,
        ", ".join(f"{n} {name}" for name, n in counts.items()),
    )
    return counts


def _set_aside(counts: dict[str, dict[str, int]]) -> list[str]:
    """The scan's bad rows by table and kind, in counts only (its examples are rows of the
    record and stay out of the log)."""
    return [
        f"{n} rows of {table} set aside: {kind.replace('_', ' ')}"
        for table, kinds in sorted(counts.items())
        for kind, n in sorted(kinds.items())
    ]


def region_scan_enqueue_nightly(now: datetime) -> int:
    """The sweep step: ask for the region's scan once a night; 1 when it did."""
    local = timezone.localtime(now)
    if local.time() < NIGHTLY_FROM:
        return 0
    night = local.date()
    if NightlyScan.objects.filter(night=night).exists() or not Patient.objects.exists():
        return 0
    with transaction.atomic():
        # The night's row is the guard: of two workers sweeping at once, one creates it.
        _, created = NightlyScan.objects.get_or_create(night=night, defaults={"enqueued_at": now})
        if not created:
            return 0
        transaction.on_commit(functools.partial(region_scan_run.enqueue, night.isoformat()))
    return 1
