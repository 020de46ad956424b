"""`opspor quality-refresh`: compute the quality unit's figures now, as the worker does at night.

Exit codes: 0 computed and stored; 2 refused (a directory or file that is not there or not
a region's, a scan of another day, a day in the future), nothing changed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from opspor.quality.models import QualityRefresh
from opspor.quality.region.read import RegionDataError
from opspor.quality.services import quality_refresh

REFUSED = 2


class Command(BaseCommand):
    help = (
        "Compute every figure of the quality dashboard and the practices' mirrors from the "
        "record and, where given, the region's Parquet files; exit code 0 done, 2 refused "
        "(nothing changed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", type=date.fromisoformat, default=None, help="the day (default: today)"
        )
        parser.add_argument(
            "--region-data",
            type=Path,
            default=None,
            help=(
                "the region's Parquet files (`opspor synth` or `opspor export-population`); "
                "default: OPSPOR_QUALITY_REGION_DATA where it holds them"
            ),
        )
        parser.add_argument(
            "--scan", type=Path, default=None, help="an `opspor scan --all-patients` result"
        )
        parser.add_argument(
            "--linked",
            action="store_true",
            help=(
                "the region files' practice ids are this record's (`opspor export-population`), "
                "so each practice's mirror shows its region-wide figures"
            ),
        )
        parser.add_argument(
            "--record-only", action="store_true", help="leave the region's files out"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of: date = options["as_of"] or timezone.localdate()
        if as_of > timezone.localdate():
            raise CommandError(f"Refused: {as_of} is in the future.", returncode=REFUSED)
        region: Path | None = None
        if not options["record_only"]:
            region = options["region_data"]
            if region is None and (settings.QUALITY_REGION_DATA / "patients.parquet").exists():
                region = settings.QUALITY_REGION_DATA
            if region is not None and not (region / "patients.parquet").is_file():
                raise CommandError(
                    f"Refused: {region} holds no region (patients.parquet is missing).",
                    returncode=REFUSED,
                )
        scan: Path | None = options["scan"]
        if scan is not None and not scan.is_file():
            raise CommandError(f"Refused: {scan} is not a file.", returncode=REFUSED)
        if scan is not None and region is None:
            raise CommandError(
                "Refused: --scan needs the region's files (--region-data).", returncode=REFUSED
            )
        try:
            refresh = quality_refresh(
                by=QualityRefresh.By.COMMAND,
                as_of=as_of,
                region_data=region,
                scan_file=scan,
                linked=options["linked"],
            )
        except RegionDataError as refused:
            # Raised before anything is stored: the previous figures stay.
            raise CommandError(f"Refused: {refused}", returncode=REFUSED) from None
        self.stdout.write(
            f"Quality figures as of {refresh.as_of}: {refresh.cells} cells"
            + (f", the region's from {region}" if region else ", from the record only")
            + "."
        )
