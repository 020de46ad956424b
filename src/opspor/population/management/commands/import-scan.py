"""`opspor import-scan FILE`: a population scan's result file as the practices' signals.

Exit codes: 0 loaded; 1 the same file (SHA-256 and as-of day) was loaded before, nothing
changed; 2 refused (not a scan's result, a future or older day, another record's
practices), nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opspor.population.models import ScanImport
from opspor.population.services import ScanRefused, scan_import

ALREADY_IMPORTED = 1
REFUSED = 2


class Command(BaseCommand):
    help = (
        "Load a population scan's result file (`opspor scan --out FILE`) as the worklist "
        "signals of every practice it scanned. Exit code 0 loaded, 1 already loaded before "
        "(nothing changed), 2 refused (nothing changed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the scan's result file (Parquet)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = scan_import(path=options["file"], by=ScanImport.By.COMMAND)
        except ScanRefused as refused:
            raise CommandError(
                f"Refused, nothing changed: {refused.message}", returncode=REFUSED
            ) from None
        for line in report.lines():
            self.stdout.write(line)
        if report.already_imported:
            raise CommandError("The file was imported before.", returncode=ALREADY_IMPORTED)
