"""`opspor export-fhir`: a patient, a referral or a safety-net episode as a FHIR R4 Bundle
(type collection), or a whole practice as NDJSON, one file per resource type.

Run by whoever operates the site (it reads every record it is pointed at); nothing it
reads is written to the access log, since no user of the site reads it. The bulk export
streams: patients are read in batches and each resource is written as it is made.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from opspor.interop.exporting import bundles
from opspor.records.models import Patient, Practice
from opspor.referrals.models import Referral
from opspor.safetynet.models import SafetyNetEpisode


class Command(BaseCommand):
    help = (
        "Export FHIR R4: --patient ID, --referral ID or --episode ID as one Bundle (to stdout "
        "or --out FILE), or --practice ID --out DIR as NDJSON, one file per resource type."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--patient", type=int, metavar="ID")
        which.add_argument("--referral", type=int, metavar="ID")
        which.add_argument("--episode", type=int, metavar="ID")
        which.add_argument("--practice", type=int, metavar="ID")
        parser.add_argument("--out", type=Path, help="the Bundle's file, or the NDJSON folder")
        parser.add_argument(
            "--batch-size", type=int, default=200, help="patients read at a time (bulk export)"
        )
        parser.add_argument(
            "--no-progress", dest="progress", action="store_false", help="no progress bar"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path | None = options["out"]
        if options["practice"] is not None:
            if out is None:
                raise CommandError("--practice writes one file per resource type: give --out DIR")
            if options["batch_size"] < 1:
                raise CommandError("--batch-size must be at least 1")
            self._practice(options["practice"], out, options["batch_size"], options["progress"])
            return
        resources = self._one(options)
        text = json.dumps(bundles.collection(resources), ensure_ascii=False, indent=2) + "\n"
        if out is None:
            self.stdout.write(text, ending="")
        else:
            if out.is_dir():
                raise CommandError(f"{out} is a folder: --out names the Bundle's file")
            try:
                out.write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"cannot write {out}: {error.strerror}") from None
            self.stderr.write(f"{len(resources)} resources written to {out}")

    def _one(self, options: dict[str, Any]) -> list[dict[str, Any]]:
        if options["patient"] is not None:
            patient = _get(Patient, options["patient"], "patient")
            return bundles.everything(patient)
        if options["referral"] is not None:
            return bundles.referral_resources(_get(Referral, options["referral"], "referral"))
        episode = _get(SafetyNetEpisode, options["episode"], "safety-net episode")
        return bundles.episode_resources(episode)

    def _practice(self, practice_id: int, folder: Path, batch_size: int, progress: bool) -> None:
        practice = _get(Practice, practice_id, "practice")
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{folder} is a file: --out names a folder for the NDJSON files")
        if folder.is_dir() and any(folder.glob("*.ndjson")):
            raise CommandError(f"{folder} already holds NDJSON files: give an empty folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"cannot make {folder}: {error.strerror}") from None
        total = Patient.objects.filter(practice=practice).count()
        with ExitStack() as stack:
            files: dict[str, IO[str]] = {}

            def write(kind: str, line: str) -> None:
                if kind not in files:
                    path = folder / f"{kind}.ndjson"
                    files[kind] = stack.enter_context(path.open("w", encoding="utf-8"))
                files[kind].write(line + "\n")

            bar = stack.enter_context(
                tqdm(
                    total=total,
                    desc="patients",
                    unit=" patients",
                    file=sys.stderr,
                    disable=None if progress else True,
                )
            )
            done = 0

            def advance(patients: int) -> None:
                nonlocal done
                bar.update(patients - done)
                done = patients

            written = bundles.practice_ndjson(
                practice, write, batch_size=batch_size, progress=advance
            )
        for kind in sorted(written.lines):
            self.stderr.write(f"{kind}.ndjson: {written.lines[kind]} resources")
        self.stderr.write(f"{written.patients} patients exported to {folder}")


def _get[M: Any](model: type[M], pk: int, name: str) -> M:
    try:
        return model._default_manager.get(pk=pk)
    except model.DoesNotExist:
        raise CommandError(f"no {name} with id {pk}") from None
