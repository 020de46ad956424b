"""`opspor seed`: a synthetic region, the study's story patients and demo users in the database."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from opspor.demo import seeding
from opspor.demo.case_file import CaseFileError, load_cases
from opspor.demo.cases import demo_cases_ensure
from opspor.demo.imported_patient import demo_import_ensure
from opspor.demo.preparations import demo_preparations_ensure
from opspor.demo.quality import demo_quality_ensure
from opspor.demo.region import DemoError
from opspor.demo.safetynet_file import load_safety_nets
from opspor.demo.safetynets import demo_safety_nets_ensure
from opspor.demo.seed_arguments import SeedRefused
from opspor.demo.signals import demo_signals_ensure
from opspor.demo.stories import StoryFileError

# The whole region: 1.9 million, as `opspor synth` writes it.
MAX_QUALITY_REGION = 2_000_000


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            return int(str(value).strip())
        except ValueError:
            raise CommandError(f"{name} must be a whole number, got {value!r}.") from None
    return value


class Command(BaseCommand):
    help = (
        "Seed a synthetic Capital Region (fictional patients in a handful of practices), the "
        "study's story patients, a demo user for every role, referrals and advice "
        "requests in every state, and safety nets in every state. Running it again with the "
        "same arguments changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients", required=True, help=f"patients to generate (1-{seeding.MAX_PATIENTS:,})"
        )
        parser.add_argument("--seed", default="0", help="random seed, 0 or more (default 0)")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            default=None,
            help="last day of the generated history, YYYY-MM-DD (default: today)",
        )
        parser.add_argument(
            "--practices",
            default=None,
            help=(
                f"number of practices (default: {seeding.DEMO_PRACTICES}, or more for a large "
                "region)"
            ),
        )
        parser.add_argument(
            "--no-stories",
            dest="stories",
            action="store_false",
            help="leave out the story patients (and their patient users)",
        )
        parser.add_argument(
            "--no-progress", dest="progress", action="store_false", help="no progress bars"
        )
        parser.add_argument(
            "--quality-region-patients",
            dest="quality_region",
            default=None,
            help=(
                "compute the quality dashboard's figures, with a synthetic region of this many "
                "patients written to OPSPOR_QUALITY_REGION_DATA for the region-wide figures "
                "(0: from the record only; `make seed` gives 100000); left out: no figures "
                "until the worker's nightly run or `opspor quality-refresh`"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        patients = _int(options["patients"], "--patients")
        if not 1 <= patients <= seeding.MAX_PATIENTS:
            raise CommandError(
                f"--patients must be between 1 and {seeding.MAX_PATIENTS:,}, got {patients:,} "
                "(a whole-region population goes to Parquet with `opspor synth`)."
            )
        seed = _int(options["seed"], "--seed")
        if not 0 <= seed <= seeding.MAX_SEED:
            raise CommandError(f"--seed must be between 0 and {seeding.MAX_SEED}, got {seed}.")
        today = timezone.localdate()
        raw_as_of = options["as_of"]
        as_of = today
        if raw_as_of is not None:
            try:
                as_of = date.fromisoformat(str(raw_as_of).strip())
            except ValueError:
                raise CommandError(
                    f"--as-of must be a date written YYYY-MM-DD, got {raw_as_of!r}."
                ) from None
            if as_of > today:
                raise CommandError(
                    f"--as-of {as_of.isoformat()} lies in the future; the record cannot hold "
                    "contacts that have not happened yet."
                )
            if as_of < seeding.EARLIEST_AS_OF:
                raise CommandError(
                    f"--as-of must be {seeding.EARLIEST_AS_OF.isoformat()} or later, "
                    f"got {as_of.isoformat()}."
                )
        quality_region = None
        if options["quality_region"] is not None:
            quality_region = _int(options["quality_region"], "--quality-region-patients")
            if not 0 <= quality_region <= MAX_QUALITY_REGION:
                raise CommandError(
                    f"--quality-region-patients must be between 0 and {MAX_QUALITY_REGION:,}, "
                    f"got {quality_region:,}."
                )
        practices = None
        if options["practices"] is not None:
            practices = _int(options["practices"], "--practices")
            if not 1 <= practices <= patients:
                raise CommandError(
                    f"--practices must be between 1 and the number of patients ({patients:,}), "
                    f"got {practices:,}."
                )
        try:
            # Read first, like the stories: a broken case file stops before anything is
            # written.
            cases = load_cases()
            nets = load_safety_nets()
            result = seeding.region_seed(
                patients=patients,
                seed=seed,
                as_of=as_of,
                practices=practices,
                stories=options["stories"],
                as_of_given=raw_as_of is not None,
                progress=options["progress"],
            )
        except (SeedRefused, DemoError, StoryFileError, CaseFileError) as error:
            raise CommandError(str(error)) from None
        self._report(result)
        # The demo's referrals and advice requests, on top of the region: made once, and a
        # repeat (also one that finds the region already seeded) finds them there.
        try:
            made = demo_cases_ensure(as_of=result.arguments.as_of, cases=cases)
        except CaseFileError as error:
            raise CommandError(f"No demo cases made: {error}") from None
        self.stdout.write(made.summary())
        # The safety nets come after the cases: one of them follows a rejected referral.
        try:
            nets_made = demo_safety_nets_ensure(as_of=result.arguments.as_of, nets=nets)
        except CaseFileError as error:
            raise CommandError(f"No demo safety nets made: {error}") from None
        self.stdout.write(nets_made.summary())
        # The story patients' own preparations, written in the portal before the visit.
        try:
            self.stdout.write(demo_preparations_ensure(as_of=result.arguments.as_of).summary())
        except CaseFileError as error:
            raise CommandError(f"No demo preparations made: {error}") from None
        # A patient from a practice system's FHIR extract, through the real import: one of
        # the demo's stories, so it comes and goes with them.
        if options["stories"]:
            self.stdout.write(demo_import_ensure(as_of=result.arguments.as_of).summary())
        # Last, on the finished record: the GP's worklist shows the engine's signals on first
        # start instead of after the first nightly run.
        self.stdout.write(demo_signals_ensure(as_of=result.arguments.as_of).summary())
        if quality_region is not None:
            figures = demo_quality_ensure(
                as_of=result.arguments.as_of, seed=seed, patients=quality_region
            )
            self.stdout.write(figures.summary())

    def _report(self, result: seeding.SeedResult) -> None:
        marker = result.arguments.marker()
        if result.status == "already_seeded":
            self.stdout.write(f"Already seeded (`{marker}`); nothing to do.")
            return
        counts = ", ".join(f"{n:,} {name}" for name, n in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Seeded `{marker}` in {result.seconds:.1f} s: {counts}.")
        )
        if result.users:
            self.stdout.write(
                "Demo users (password from OPSPOR_DEMO_PASSWORD): " + ", ".join(result.users)
            )
        if result.kept_users:
            self.stdout.write("Existing users kept as they were: " + ", ".join(result.kept_users))
