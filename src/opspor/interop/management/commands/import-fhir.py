"""`opspor import-fhir PATH... [--practice ID]`: FHIR R4 Bundles and Bulk Data NDJSON files
into the record.

Exit codes: 0 every file imported; 1 nothing to import (no such path, no such practice),
nothing changed; 2 at least one file was rejected and imported nothing (the others were
imported; the report names the file, the resource and the field).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opspor.interop.importing import PracticeNotFound, import_paths, practice_named

NOTHING_TO_IMPORT = 1
FILE_REJECTED = 2


class Command(BaseCommand):
    help = (
        "Import FHIR R4 records: Bundles (*.json) and FHIR Bulk Data NDJSON files (*.ndjson), "
        "or folders of them. Each file imports whole or not at all. Exit code 0 every file "
        "imported, 1 nothing to import, 2 a file was rejected (nothing of it imported)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="files or folders to import")
        parser.add_argument(
            "--practice",
            help="id or provider number (ydernummer) of the practice of new patients whose "
            "generalPractitioner names no known practice",
        )
        parser.add_argument(
            "--no-progress", dest="progress", action="store_false", help="no progress bar"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            practice = practice_named(options["practice"]) if options["practice"] else None
            report = import_paths(
                [Path(p) for p in options["paths"]],
                practice=practice,
                progress=options["progress"],
            )
        except PracticeNotFound as error:
            raise CommandError(str(error), returncode=NOTHING_TO_IMPORT) from None
        except FileNotFoundError as error:
            message = f"No such file or folder: {error}"
            raise CommandError(message, returncode=NOTHING_TO_IMPORT) from None
        if not report.files:
            raise CommandError("No *.json or *.ndjson files found.", returncode=NOTHING_TO_IMPORT)
        for line in report.lines():
            self.stdout.write(line)
        if not report.accepted:
            raise CommandError(
                f"{len(report.rejected)} of {len(report.files)} files rejected; "
                "nothing of them was imported.",
                returncode=FILE_REJECTED,
            )
