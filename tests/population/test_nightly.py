"""The nightly population scan: asked for once a night by the sweep, also with two workers
sweeping at once, and never for an empty record."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from opspor.casework.sweep import STEPS
from opspor.population.models import NightlyScan
from opspor.population.tasks import region_scan_enqueue_nightly
from tests.referrals.background import cph
from tests.referrals.worlds import make_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sweep_asks_for_the_scan_once_a_night() -> None:
    make_world()
    assert "scan_enqueued" in STEPS
    night = cph(3, 11, 1, 59)
    assert region_scan_enqueue_nightly(night) == 0
    assert region_scan_enqueue_nightly(night + timedelta(minutes=1)) == 1
    assert region_scan_enqueue_nightly(night + timedelta(minutes=2)) == 0
    assert region_scan_enqueue_nightly(cph(3, 11, 23, 0)) == 0
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "opspor.population.tasks.region_scan_run"
    assert queued.args_kwargs["args"] == ["2026-03-11"]
    # The next night, once again.
    assert region_scan_enqueue_nightly(cph(3, 12, 2, 0)) == 1
    assert DBTaskResult.objects.count() == 2
    assert list(NightlyScan.objects.values_list("night", flat=True).order_by("night")) == [
        cph(3, 11, 2).date(),
        cph(3, 12, 2).date(),
    ]


def test_an_empty_record_is_not_scanned() -> None:
    assert region_scan_enqueue_nightly(cph(3, 11, 3, 0)) == 0
    assert (NightlyScan.objects.count(), DBTaskResult.objects.count()) == (0, 0)


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
            counts.append(region_scan_enqueue_nightly(cph(3, 11, 2, 0)))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=sweep) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=20)
    assert sorted(counts) == [0, 1]
    assert (NightlyScan.objects.count(), DBTaskResult.objects.count()) == (1, 1)
