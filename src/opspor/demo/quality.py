"""The quality dashboard's figures for the demo: a synthetic region's files and one refresh.

The seeded database holds a few thousand patients in a handful of practices: too few for
region-wide distributions of intervals and routes, where most cells would rightly be hidden
as small numbers. So the demo also writes a larger synthetic region of the same seed to
`OPSPOR_QUALITY_REGION_DATA` (Parquet, as `opspor synth` writes it) for the region-wide
figures. Its practices are not the database's: the dashboard shows them as the region's,
and each practice's mirror keeps to the record, where its own practice is.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from opspor.quality.models import QualityRefresh
from opspor.quality.services import quality_refresh
from opspor.synth import generate_region

# Enough for distributions by cancer site over three years (about 750 cancers), written in
# about 15 seconds on a laptop.
DEMO_REGION_PATIENTS = 100_000
_MARKER = "opspor-demo-region.txt"


@dataclass(frozen=True)
class QualityDemo:
    status: str
    cells: int = 0

    def summary(self) -> str:
        if self.status == "kept":
            return "Quality figures: already computed for this day, kept."
        return f"Quality figures: {self.cells:,} cells computed."


def demo_quality_ensure(*, as_of: date, seed: int, patients: int) -> QualityDemo:
    """Write the demo's region files (unless the same are there) and compute the figures
    once for ``as_of``; a second run for the same day changes nothing."""
    if QualityRefresh.objects.filter(as_of=as_of, finished_at__isnull=False).exists():
        return QualityDemo(status="kept")
    region = settings.QUALITY_REGION_DATA
    marker = f"patients={patients} seed={seed} as_of={as_of.isoformat()}\n"
    written = (region / _MARKER).is_file() and (region / _MARKER).read_text() == marker
    if patients > 0 and not written:
        shutil.rmtree(region, ignore_errors=True)
        region.mkdir(parents=True)
        generate_region(region, n_patients=patients, seed=seed, as_of=as_of)
        (region / _MARKER).write_text(marker)
    refresh = quality_refresh(
        by=QualityRefresh.By.SEED,
        as_of=as_of,
        region_data=region if patients > 0 else None,
    )
    return QualityDemo(status="computed", cells=refresh.cells)
