"""The record → export → scan → import gives every practice exactly the signals the
application's own computation gives: the same kinds, the same figures, the same latest
contact, for a seeded region with the study's story patients among ordinary ones. And the
nightly run, through the worker's queue, does the whole of it."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from opspor.demo.seeding import region_seed
from opspor.population.export import population_export
from opspor.population.models import NightlyScan, ScanImport
from opspor.population.scan.run import scan
from opspor.population.services import scan_import
from opspor.population.tasks import NIGHTLY_FROM, region_scan_enqueue_nightly
from opspor.records.models import Practice
from opspor.safetynet.models import PatientSignal, SignalRun
from opspor.safetynet.signal_compute import practice_signals_compute
from tests import factories
from tests.referrals.background import run_queue

PATIENTS = 300
Stored = dict[tuple[int, str], tuple[int, dict[str, Any], datetime, date]]


def stored() -> Stored:
    return {
        (s.patient_id, s.kind): (s.practice_id, s.figures, s.last_contact_at, s.as_of)
        for s in PatientSignal.objects.all()
    }


def by_the_worker(as_of: date) -> tuple[Stored, dict[int, int]]:
    """Every practice's signals as the application computes them, and its listed patients;
    then the stored signals are cleared for the other way to fill them again."""
    region_seed(patients=PATIENTS, seed=11, as_of=as_of, progress=False)
    # A rise in a low user and a pattern break in a regular attender, which so small a
    # region may lack: two contacts in the three years before and five in the last nine
    # weeks; one a month for three years and twelve in the last twelve weeks.
    practice = Practice.objects.order_by("pk").first()
    for history in ((1, 10, 20, 40, 60, 400, 900), (*range(1, 85, 7), *range(100, 1090, 30))):
        patient = factories.patient(practice, registered_from=date(2015, 1, 1))
        for days in history:
            factories.contact(patient, on=as_of - timedelta(days=days))
    now = timezone.now()
    for practice_id in Practice.objects.values_list("pk", flat=True):
        practice_signals_compute(practice_id=practice_id, as_of=as_of, now=now)
    expected = stored()
    listed = dict(SignalRun.objects.filter(patients__gt=0).values_list("practice_id", "patients"))
    # Every kind is there to compare.
    assert {kind for _, kind in expected} == {
        "pattern_break",
        "long_absence",
        "repeat_symptom",
        "low_user_rise",
    }
    PatientSignal.objects.all().delete()
    return expected, listed


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.django_db
def test_export_scan_import_gives_what_the_worker_gives(tmp_path: Path) -> None:
    as_of = timezone.localdate() - timedelta(days=3)
    expected, listed = by_the_worker(as_of)

    population_export(out=tmp_path / "record", as_of=as_of)
    scanned = scan(tmp_path / "record", as_of=as_of, out=tmp_path / "signals.parquet")
    report = scan_import(path=tmp_path / "signals.parquet", by="command")

    assert stored() == expected
    assert (report.unknown_patients, report.moved_patients) == (0, 0)
    assert report.rows == scanned.rows == report.patients_loaded
    assert set(report.practices) == set(listed)
    runs = SignalRun.objects.filter(practice_id__in=report.practices)
    assert {(r.as_of, r.source) for r in runs} == {(as_of, "scan")}
    assert {r.practice_id: r.patients for r in runs} == listed
    assert scanned.patients_scanned == sum(listed.values())


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_the_nightly_run_replaces_every_practices_signals_through_the_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The night's work folder goes into a temporary folder of this test's own: a scan that
    # another process runs meanwhile (another pytest-xdist worker's) must not count below.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    today = timezone.localdate()
    expected, _ = by_the_worker(today)
    night = timezone.make_aware(datetime.combine(today, NIGHTLY_FROM))
    work_before = set(Path(tempfile.gettempdir()).glob("opspor-scan-*"))

    assert region_scan_enqueue_nightly(night) == 1
    run_queue()

    assert stored() == expected
    loaded = NightlyScan.objects.get(night=today).scan_import
    assert loaded is not None
    assert (loaded.by, loaded.as_of, loaded.backend) == (ScanImport.By.WORKER, today, "duckdb")
    assert set(SignalRun.objects.filter(patients__gt=0).values_list("source", flat=True)) == {
        "scan"
    }
    # Nothing of the night's work is left on disk.
    assert set(Path(tempfile.gettempdir()).glob("opspor-scan-*")) == work_before
