"""The nightly refresh of the quality figures, after the night's population scan.

The sweep asks for it once per local day from `NIGHTLY_FROM`; the night's QualityRefresh row
is its guard. The region's files are read where `OPSPOR_QUALITY_REGION_DATA` holds them. Only
counts go to the log.
"""

from __future__ import annotations

import functools
from datetime import datetime, time

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from opspor.quality.models import QualityRefresh
from opspor.quality.services import quality_refresh
from opspor.records.models import Patient

# An hour after the population scan asks for its run (02:00), so the night's signals count.
NIGHTLY_FROM = time(3, 0)


@task()
def quality_refresh_run(refresh_id: int) -> int:
    """Compute the night's figures into the night's row; the number of cells stored."""
    refresh = QualityRefresh.objects.get(pk=refresh_id)
    region = settings.QUALITY_REGION_DATA
    done = quality_refresh(
        by=QualityRefresh.By.WORKER,
        as_of=refresh.as_of,
        region_data=region if (region / "patients.parquet").is_file() else None,
        linked=settings.QUALITY_REGION_LINKED,
        refresh=refresh,
    )
    return done.cells


def quality_refresh_enqueue_nightly(now: datetime) -> int:
    """The sweep step: ask for the night's figures once; 1 when it did."""
    local = timezone.localtime(now)
    if local.time() < NIGHTLY_FROM:
        return 0
    night = local.date()
    if QualityRefresh.objects.filter(night=night).exists() or not Patient.objects.exists():
        return 0
    with transaction.atomic():
        refresh, created = QualityRefresh.objects.get_or_create(
            night=night,
            defaults={"as_of": night, "started_at": now, "by": QualityRefresh.By.WORKER},
        )
        if not created:
            return 0
        transaction.on_commit(functools.partial(quality_refresh_run.enqueue, refresh.pk))
    return 1
