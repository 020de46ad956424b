"""The demo's quality figures: a larger synthetic region's files and one refresh, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings

from opspor.demo.quality import demo_quality_ensure
from opspor.quality.models import QualityFigure, QualityRefresh
from tests.referrals.worlds import make_world

pytestmark = pytest.mark.django_db


def test_the_demo_writes_its_region_and_computes_the_figures_once(
    settings: Settings, tmp_path: Path
) -> None:
    settings.QUALITY_REGION_DATA = tmp_path / "region"
    make_world()
    as_of = timezone.localdate()
    made = demo_quality_ensure(as_of=as_of, seed=5, patients=3_000)
    assert made.status == "computed" and made.cells == QualityFigure.objects.count()
    assert (tmp_path / "region" / "diagnoses.parquet").is_file()
    refresh = QualityRefresh.objects.get()
    assert refresh.region_data == str(tmp_path / "region")
    assert QualityFigure.objects.filter(source="region").exists()
    # The region's practices are not the database's: no region figure names one.
    assert not QualityFigure.objects.filter(source="region", practice__isnull=False).exists()

    again = demo_quality_ensure(as_of=as_of, seed=5, patients=3_000)
    assert again.status == "kept" and "kept" in again.summary()
    assert list(QualityRefresh.objects.all()) == [refresh]


def test_without_a_region_the_figures_come_from_the_record_only(
    settings: Settings, tmp_path: Path
) -> None:
    settings.QUALITY_REGION_DATA = tmp_path / "region"
    make_world()
    made = demo_quality_ensure(as_of=timezone.localdate(), seed=5, patients=0)
    assert made.status == "computed"
    assert not (tmp_path / "region").exists()
    assert not QualityFigure.objects.filter(source="region").exists()
