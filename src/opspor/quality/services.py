"""Computing every figure and storing it published: the one write of the quality app.

A refresh counts the application's tables (`figures/`) and, where the region's Parquet files
are at hand, the region-wide figures (`region/`); each source is published through the
privacy rule on its own (its practices and groups are its own partitions), and the cells are
stored with what may be shown. Pages read only the latest finished refresh; older ones are
removed, so the table holds one night's figures and the one being computed.
"""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opspor.quality.cells import Cell
from opspor.quality.figures import pathways, periods, referrals, safety_nets, signals
from opspor.quality.models import QualityFigure, QualityRefresh, Source
from opspor.quality.privacy import Published, publish
from opspor.records.models import Practice

logger = logging.getLogger(__name__)

_MODULES = (pathways, referrals, safety_nets, signals)
_BATCH = 5_000


def record_cells(as_of: date) -> list[Cell]:
    """Every figure the application's own tables give, for both periods."""
    return [
        cell
        for period in periods(as_of)
        for module in _MODULES
        for cell in module.cells(period, as_of=as_of)
    ]


def quality_refresh(
    *,
    by: QualityRefresh.By,
    as_of: date | None = None,
    region_data: Path | None = None,
    scan_file: Path | None = None,
    linked: bool = False,
    refresh: QualityRefresh | None = None,
) -> QualityRefresh:
    """Compute, publish and store every figure as of ``as_of`` (default: today).

    ``refresh`` is the night's row when the worker runs it (created by the sweep as its
    guard); otherwise a row is made here. ``linked`` says the region files' practice ids are
    this record's (an `opspor export-population` of it): only then is a region figure tied to
    a practice of the database, so that its mirror can show it. The figures replace the
    previous refresh's in one transaction, so a page never sees half of them.
    """
    started = clock.perf_counter()
    as_of = as_of or timezone.localdate()
    now = timezone.now()
    record = record_cells(as_of)
    region: list[Cell] = []
    if region_data is not None:
        # Imported here: DuckDB and Ibis are loaded only by a refresh that reads the files.
        from opspor.quality.region import region_cells

        region = region_cells(region_data, as_of=as_of, scan_file=scan_file)
    with transaction.atomic():
        if refresh is None:
            refresh = QualityRefresh.objects.create(as_of=as_of, started_at=now, by=by)
        refresh.as_of = as_of
        refresh.region_data = str(region_data or "")
        refresh.scan_file = str(scan_file or "")
        known = set(Practice.objects.values_list("pk", flat=True))
        rows = [
            *_rows(refresh, Source.RECORD, publish(record), known),
            *_rows(refresh, Source.REGION, publish(region), known if linked else set()),
        ]
        QualityFigure.objects.bulk_create(rows, batch_size=_BATCH)
        refresh.cells = len(rows)
        refresh.finished_at = timezone.now()
        refresh.save()
        # The previous figures, and nights that failed more than two days ago.
        QualityRefresh.objects.exclude(pk=refresh.pk).filter(
            Q(finished_at__isnull=False) | Q(started_at__lt=now - timedelta(days=2))
        ).delete()
    logger.info(
        "quality figures as of %s: %d cells (%d from the record, %d from the region's files) "
        "in %.1f s",
        as_of,
        len(rows),
        len(record),
        len(region),
        clock.perf_counter() - started,
    )
    return refresh


def _rows(
    refresh: QualityRefresh, source: Source, published: Sequence[Published], known: set[int]
) -> Iterable[QualityFigure]:
    for shown in published:
        cell = shown.cell
        q = cell.quartiles
        yield QualityFigure(
            refresh=refresh,
            source=source,
            indicator=cell.indicator,
            practice_ref=cell.practice_id,
            practice_id=cell.practice_id if cell.practice_id in known else None,
            split=cell.split,
            group=cell.group,
            period_start=cell.period_start,
            period_end=cell.period_end,
            denominator=cell.denominator,
            numerator=cell.numerator,
            p10=q.p10 if q else None,
            q1=q.q1 if q else None,
            median=q.median if q else None,
            q3=q.q3 if q else None,
            p90=q.p90 if q else None,
            shown_denominator=shown.denominator_text,
            shown_numerator=shown.numerator_text or "",
            shown_share=shown.share,
            shown_quartiles=shown.quartiles is not None,
            hidden_reason=shown.hidden_reason or "",
        )
