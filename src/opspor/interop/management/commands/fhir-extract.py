"""`opspor fhir-extract --out DIR --resources N`: a synthetic FHIR R4 Bulk Data extract.

See `opspor.interop.extract` for what it holds and how its practices match a database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opspor.interop.extract import AS_OF, ExtractError, write_extract


def _whole(value: object, name: str) -> int:
    try:
        return int(str(value).strip().replace("_", ""))
    except ValueError:
        raise CommandError(f"{name} must be a whole number, got {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Write a synthetic FHIR R4 Bulk Data extract (one NDJSON file per resource type) of "
        "fictional patients of the synthetic region's practices, of exactly --resources "
        "resources. Organization i has the ydernummer 900000 + i, as `opspor seed` numbers "
        "its practices; --ydernummer puts everyone in one practice with that number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="the directory to write")
        parser.add_argument("--resources", required=True, help="resources in all, e.g. 1000000")
        parser.add_argument("--seed", default="1", help="random seed, 0 or more (default 1)")
        parser.add_argument(
            "--practices",
            default=None,
            help="number of practices (default: about one per 2,950 patients)",
        )
        parser.add_argument(
            "--ydernummer", default=None, help="put every patient in one practice of this number"
        )
        parser.add_argument(
            "--as-of",
            dest="as_of",
            default=AS_OF.isoformat(),
            help=f"last day of the history, YYYY-MM-DD (default {AS_OF.isoformat()})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        resources = _whole(options["resources"], "--resources")
        seed = _whole(options["seed"], "--seed")
        practices = None
        if options["practices"] is not None:
            practices = _whole(options["practices"], "--practices")
        try:
            as_of = date.fromisoformat(str(options["as_of"]).strip())
        except ValueError:
            raise CommandError(
                f"--as-of must be a date written YYYY-MM-DD, got {options['as_of']!r}."
            ) from None
        ydernummer = options["ydernummer"]
        try:
            summary = write_extract(
                options["out"],
                resources,
                seed=seed,
                practices=practices,
                ydernummer=None if ydernummer is None else str(ydernummer).strip(),
                as_of=as_of,
            )
        except ExtractError as error:
            raise CommandError(f"{error}.") from None
        self.stdout.write(summary.summary())
        self.stdout.write("practices (ydernummer): " + ", ".join(summary.practice_numbers))
