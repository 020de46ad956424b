"""`opspor export-population DIR [--as-of DATE]`: the record as the population scan's input."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opspor.population.export import ExportError, population_export


class Command(BaseCommand):
    help = (
        "Write the record's patients, contacts, symptoms, conditions and medications as "
        "Parquet files in the shape `opspor scan` reads, with the record's own ids."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", help="the directory to write (made or its files replaced)")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            default=None,
            help="the last day of the record to write, YYYY-MM-DD (default: today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"] is not None:
            try:
                as_of = date.fromisoformat(str(options["as_of"]).strip())
            except ValueError:
                raise CommandError(
                    f"--as-of must be a date written YYYY-MM-DD, got {options['as_of']!r}."
                ) from None
        try:
            report = population_export(out=options["dir"], as_of=as_of)
        except ExportError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.summary())
