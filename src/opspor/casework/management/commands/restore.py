"""`opspor restore FILE [--force]`: replace the database with a backup made by `opspor
backup` (`opspor.backups`). Everything is checked before anything changes; a backup of a
newer schema than this code's is refused, and so is a database that holds data unless
`--force` is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opspor.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database with a backup made by `opspor backup`. Refuses (exit code 2, "
        "nothing changed) a damaged file, a backup of another database engine or of a newer "
        "schema than this code's, and a database that holds data unless --force is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that holds data (every row in it is lost)",
        )
        parser.add_argument("--database", default="default", help="the database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            restored = restore(path, force=options["force"], using=options["database"])
        except BackupError as error:
            raise CommandError(str(error), returncode=2) from None
        manifest = restored.manifest
        self.stdout.write(
            f"Restored {path} ({manifest.engine}, made {manifest.created_at}, "
            f"{len(manifest.applied)} migrations applied)"
        )
        if restored.behind:
            self.stdout.write(
                "The backup's schema is older than this code's; `opspor migrate` brings "
                "it up to date."
            )
