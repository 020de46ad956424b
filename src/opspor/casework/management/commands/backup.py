"""`opspor backup [--output FILE]`: a backup of the database with its own tool
(`opspor.backups`): SQLite's online backup or `pg_dump --format=custom`, with a manifest of
the schema's migrations. Safe while the site and the worker run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opspor.backups import BackupError, backup


def default_output() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"opspor-{stamp}.tar"


class Command(BaseCommand):
    help = (
        "Write a backup of the database (SQLite or PostgreSQL, with the database's own tool) "
        "and the migrations its schema has, to one file that `opspor restore` reads. Exit "
        "code 0 written, 2 refused (nothing written)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=None,
            help="the backup file (default: var/backups/opspor-<UTC time>.tar)",
        )
        parser.add_argument("--database", default="default", help="the database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"]) if options["output"] else default_output()
        try:
            manifest = backup(output, using=options["database"])
        except BackupError as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(
            f"Backup written: {output} ({manifest.engine}, {manifest.size:,} bytes, "
            f"{len(manifest.applied)} migrations applied)"
        )
