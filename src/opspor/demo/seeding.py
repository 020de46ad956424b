"""Loading a generated synthetic region into the database: what `opspor seed` calls.

The generator (``opspor.synth``) gives pseudonymised tables; they become a record
(``seed_tables.py``, with the practices and clinicians of ``seed_practices.py``, written by
``seed_insert.py``). The story patients and the demo users are added on top
(``stories.py``, ``region.py``).

Seeding is all or nothing (one transaction) and idempotent: every historical row it writes
carries the seed's arguments as its change reason (``seed_arguments.py``), which is how a
later run recognises an already seeded region.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from django.conf import settings
from django.db import models, transaction

from opspor.demo.seed_arguments import MARKER_PREFIX, SeedArguments, SeedRefused
from opspor.demo.seed_tables import RegionLoader
from opspor.demo.stories import load_stories
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Clinician,
    Condition,
    Contact,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    Practice,
    Symptom,
)
from opspor.synth import generate_region_tables
from opspor.synth.params import default_params
from opspor.synth.region import default_practice_count

# The database holds a demo region (about 50 contacts a patient, 1 GB of memory per 20,000
# patients while loading); a whole-region population is for `opspor synth`.
MAX_PATIENTS = 50_000
MAX_SEED = 2**32 - 1
EARLIEST_AS_OF = date(2000, 1, 1)
DEMO_PRACTICES = 6  # "a handful": more than the 1 or 2 that a few thousand patients would get

# Models in the order they are filled, for counts and reports.
SEEDED_MODELS: tuple[type[models.Model], ...] = (
    Practice,
    Clinician,
    Patient,
    Contact,
    Symptom,
    LabResult,
    Condition,
    Medication,
    CancerDiagnosis,
    OccupationalExposure,
    FamilyHistory,
    ClinicalFinding,
)


def default_practices(patients: int) -> int:
    return min(patients, max(DEMO_PRACTICES, default_practice_count(patients, default_params())))


@dataclass
class SeedResult:
    status: Literal["seeded", "already_seeded"]
    arguments: SeedArguments
    counts: dict[str, int] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)
    kept_users: list[str] = field(default_factory=list)
    seconds: float = 0.0


def seeded_arguments() -> SeedArguments | None:
    """The arguments of the seed that made this database's region, if one did."""
    reason = (
        Practice.history.filter(history_type="+", history_change_reason__startswith=MARKER_PREFIX)
        .order_by("history_id")
        .values_list("history_change_reason", flat=True)
        .first()
    )
    return SeedArguments.from_marker(reason) if reason else None


def region_seed(
    *,
    patients: int,
    seed: int,
    as_of: date,
    practices: int | None = None,
    stories: bool = True,
    as_of_given: bool = True,
    progress: bool = False,
) -> SeedResult:
    """Seed a synthetic region of ``patients`` patients, the story patients and demo users.

    A second run with the same arguments (or without an explicit as-of date) finds the
    region already seeded and changes nothing; a run with other arguments is refused.
    """
    started = clock.perf_counter()
    arguments = SeedArguments(
        patients=patients,
        seed=seed,
        as_of=as_of,
        practices=practices if practices is not None else default_practices(patients),
        stories=stories,
    )
    previous = seeded_arguments()
    if previous is not None:
        return _already_seeded(previous, arguments, as_of_given=as_of_given)

    story_list = load_stories() if stories else []
    tables = generate_region_tables(patients, seed, as_of, n_practices=arguments.practices)
    with transaction.atomic():
        # Checked again here: a seed that finished meanwhile is found; two running at the very
        # same time collide on the unique provider numbers, and one of them rolls back.
        previous = seeded_arguments()
        if previous is not None:
            return _already_seeded(previous, arguments, as_of_given=as_of_given)
        loader = RegionLoader(tables=tables, arguments=arguments, progress=progress)
        users = loader.load(stories=story_list, password=settings.OPSPOR_DEMO_PASSWORD)
    return SeedResult(
        status="seeded",
        arguments=arguments,
        counts=model_counts(),
        users=[u.username for u in users.created],
        kept_users=[u.username for u in users.kept],
        seconds=clock.perf_counter() - started,
    )


def _already_seeded(
    previous: SeedArguments, arguments: SeedArguments, *, as_of_given: bool
) -> SeedResult:
    if previous.same_region(arguments, as_of_given=as_of_given):
        return SeedResult(status="already_seeded", arguments=previous, counts=model_counts())
    raise SeedRefused(
        f"The database already holds a region seeded with `{previous.marker()}`; "
        f"seeding `{arguments.marker()}` on top of it would mix two regions. Repeat the same "
        "arguments (nothing happens), or seed an empty database (e.g. after `opspor flush`)."
    )


def model_counts() -> dict[str, int]:
    return {m.__name__: m._default_manager.count() for m in SEEDED_MODELS}
