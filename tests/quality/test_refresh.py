"""Computing the figures: `opspor quality-refresh`, the nightly run, and what is stored."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from opspor.casework.sweep import STEPS
from opspor.quality.models import QualityFigure, QualityRefresh
from opspor.quality.services import quality_refresh
from opspor.quality.tasks import quality_refresh_enqueue_nightly, quality_refresh_run
from opspor.records.models import CancerDiagnosis
from opspor.synth import generate_region
from tests.referrals.background import cph
from tests.referrals.worlds import make_world

pytestmark = pytest.mark.django_db(transaction=True)


def _state() -> tuple[int, int]:
    return QualityRefresh.objects.count(), QualityFigure.objects.count()


def test_a_refresh_stores_every_cell_published_and_replaces_the_last() -> None:
    world = make_world()
    today = timezone.localdate()
    CancerDiagnosis.objects.create(
        patient=world.patient, diagnosed_on=today - timedelta(days=10), site="lung"
    )
    first = quality_refresh(by=QualityRefresh.By.COMMAND)
    assert first.finished_at is not None and first.cells == QualityFigure.objects.count() > 0
    practice = world.patient.practice
    listed = QualityFigure.objects.get(
        refresh=first,
        indicator="route_other_referral",
        practice=practice,
        split="all",
        period_end=timezone.localdate(),
        period_start=timezone.localdate() - timedelta(days=364),
    )
    # One cancer: the count is hidden as a small number, the raw one kept.
    assert (listed.denominator, listed.shown_denominator) == (1, "<5")
    assert listed.shown_share is None and listed.hidden_reason
    second = quality_refresh(by=QualityRefresh.By.COMMAND)
    assert list(QualityRefresh.objects.values_list("pk", flat=True)) == [second.pk]
    assert QualityFigure.objects.filter(refresh=first).count() == 0


def test_the_command_refuses_what_it_cannot_use_and_changes_nothing(tmp_path: Path) -> None:
    make_world()
    cases = [
        ["--as-of", (timezone.localdate() + timedelta(days=1)).isoformat()],
        ["--region-data", str(tmp_path / "nowhere")],
        ["--region-data", str(tmp_path)],  # a directory without the region's tables
        ["--scan", str(tmp_path / "scan.parquet")],
    ]
    (tmp_path / "scan.parquet").write_bytes(b"not parquet")
    cases.append(["--record-only", "--scan", str(tmp_path / "scan.parquet")])
    for arguments in cases:
        with pytest.raises(CommandError) as refused:
            call_command("quality-refresh", *arguments, stdout=StringIO())
        assert refused.value.returncode == 2
        assert str(refused.value).startswith("Refused")
        assert _state() == (0, 0)


def test_the_command_reads_the_region_files(tmp_path: Path) -> None:
    make_world()
    as_of = timezone.localdate()
    generate_region(tmp_path, n_patients=3_000, seed=3, as_of=as_of)
    out = StringIO()
    call_command("quality-refresh", "--region-data", str(tmp_path), stdout=out)
    assert "cells" in out.getvalue() and str(tmp_path) in out.getvalue()
    refresh = QualityRefresh.objects.get()
    assert refresh.region_data == str(tmp_path)
    region = QualityFigure.objects.filter(refresh=refresh, source="region")
    total = region.get(
        indicator="route_emergency",
        practice_ref=None,
        split="all",
        period_start=as_of - timedelta(days=3 * 365 - 1),
    )
    # Every cancer of the pooled period has one route: the four routes' numerators add up.
    routes = region.filter(
        indicator__startswith="route_",
        practice_ref=None,
        split="all",
        period_start=total.period_start,
    )
    assert sum(r.numerator or 0 for r in routes) == total.denominator > 0
    # The region files' practices are not the record's (ids only, no link).
    assert not region.filter(practice__isnull=False).exists()
    # A region without its diagnoses is refused whole; the figures stored stay as they were.
    before = sorted(QualityFigure.objects.values_list("pk", flat=True))
    (tmp_path / "diagnoses.parquet").unlink()
    with pytest.raises(CommandError) as refused:
        call_command("quality-refresh", "--region-data", str(tmp_path), stdout=StringIO())
    assert refused.value.returncode == 2 and "diagnoses" in str(refused.value)
    assert sorted(QualityFigure.objects.values_list("pk", flat=True)) == before
    assert QualityRefresh.objects.get() == refresh


def test_the_sweep_asks_for_the_figures_once_a_night() -> None:
    make_world()
    assert "quality_enqueued" in STEPS
    night = cph(3, 11, 2, 59)
    assert quality_refresh_enqueue_nightly(night) == 0
    assert quality_refresh_enqueue_nightly(night + timedelta(minutes=1)) == 1
    assert quality_refresh_enqueue_nightly(night + timedelta(minutes=2)) == 0
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "opspor.quality.tasks.quality_refresh_run"
    refresh = QualityRefresh.objects.get()
    assert (refresh.night, refresh.finished_at) == (date(2026, 3, 11), None)
    assert quality_refresh_enqueue_nightly(cph(3, 12, 3, 0)) == 1
    assert QualityRefresh.objects.count() == 2


def test_the_nightly_run_fills_the_nights_row() -> None:
    make_world()
    quality_refresh_enqueue_nightly(cph(3, 11, 3, 0))
    refresh = QualityRefresh.objects.get()
    cells = quality_refresh_run.call(refresh.pk)
    refresh.refresh_from_db()
    assert refresh.finished_at is not None and refresh.cells == cells > 0
    assert refresh.as_of == date(2026, 3, 11)


def test_an_empty_record_gets_no_nightly_run() -> None:
    assert quality_refresh_enqueue_nightly(cph(3, 11, 4, 0)) == 0
    assert (QualityRefresh.objects.count(), DBTaskResult.objects.count()) == (0, 0)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections at once need a server database"
)
def test_two_workers_sweeping_at_once_ask_once() -> None:
    make_world()
    start = threading.Barrier(2, timeout=10)
    counts: list[int] = []

    def sweep() -> None:
        try:
            start.wait()
            counts.append(quality_refresh_enqueue_nightly(cph(3, 11, 3, 0)))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=sweep) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=20)
    assert sorted(counts) == [0, 1]
    assert (QualityRefresh.objects.count(), DBTaskResult.objects.count()) == (1, 1)
