"""Loading a generated synthetic region into the database: `opspor seed`.

The generator (``opspor.synth``) gives pseudonymised tables; here they become a record:
fictional names, synthetic CPR numbers, contact times within opening hours, ICPC-2 reason
codes, and the "created" history of every clinical row. The story patients and the demo
users are added on top (``stories.py``, ``region.py``).

Seeding is all or nothing (one transaction) and idempotent: every historical row it writes
carries the seed's arguments as its change reason, which is how a later run recognises an
already seeded region.
"""

from __future__ import annotations

import time as clock
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history
from tqdm import tqdm

from opspor.demo import region
from opspor.demo.stories import (
    Story,
    icpc2_for,
    load_stories,
    story_patients_build,
    story_rows_build,
    story_rows_insert,
)
from opspor.engine.vocab import load_vocabulary
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
from opspor.synth.cpr import synthetic_cpr
from opspor.synth.names import full_name, origin_for_language
from opspor.synth.params import default_params
from opspor.synth.region import default_practice_count

# The database holds a demo region (about 50 contacts a patient, 1 GB of memory per 20,000
# patients while loading); a whole-region population is for `opspor synth`.
MAX_PATIENTS = 50_000
MAX_SEED = 2**32 - 1
EARLIEST_AS_OF = date(2000, 1, 1)
BATCH = 5_000
MARKER_PREFIX = "opspor seed "
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

OCCUPATIONS_DA: dict[str, str] = {
    "office_worker": "Kontoransat",
    "healthcare_worker": "Ansat i sundhedsvæsenet",
    "teacher": "Lærer",
    "retail_worker": "Butiksansat",
    "student": "Studerende",
    "unemployed": "Ledig",
    "cleaner": "Rengøringsassistent",
    "construction_worker": "Bygningsarbejder",
    "electrician": "Elektriker",
    "plumber": "VVS-montør",
    "firefighter": "Brandmand",
    "professional_driver": "Chauffør",
    "mechanic": "Mekaniker",
    "welder": "Svejser",
    "shipyard_worker": "Værftsarbejder",
    "other": "",
}

CONDITION_LABELS_DA: dict[str, str] = {
    "E11": "Type 2-diabetes",
    "K86": "Ukompliceret hypertension",
    "J44": "Kronisk obstruktiv lungesygdom (KOL)",
    "I25": "Kronisk iskæmisk hjertesygdom",
    "F32": "Depression",
    "F41": "Angsttilstand",
    "F20": "Skizofreni",
    "F31": "Bipolar affektiv sindslidelse",
    "F10": "Alkoholafhængighed",
    "F19": "Blandingsmisbrug",
    "R74": "Akut øvre luftvejsinfektion",
    "U71": "Blærebetændelse/urinvejsinfektion",
    "L03": "Lændesmerter uden udstråling",
    "D73": "Formodet infektiøs gastroenteritis",
}

MEDICATION_NAMES_DA: dict[str, str] = {
    "A10BA02": "Metformin",
    "C09AA05": "Ramipril",
    "C08CA01": "Amlodipin",
    "R03BB04": "Tiotropium",
    "B01AC06": "Acetylsalicylsyre",
    "C10AA05": "Atorvastatin",
    "N06AB06": "Sertralin",
    "N06AB10": "Escitalopram",
    "N05AH03": "Olanzapin",
    "N05AN01": "Lithium",
    "N07BB01": "Disulfiram",
    "N07BC02": "Metadon",
}

# Only where one ICD-10 category fits the site; the others span several categories.
SITE_ICD10: dict[str, str] = {"lung": "C34", "breast": "C50", "prostate": "C61", "kidney": "C64"}

FAMILY_RELATIONS: dict[str, tuple[str, ...]] = {
    "breast": ("mother", "sister"),
    "prostate": ("father", "brother"),
}
FIRST_DEGREE: tuple[str, ...] = ("mother", "father", "sister", "brother")


class SeedRefused(Exception):
    """Seeding would mix two regions or collide with existing rows; nothing was written."""


@dataclass(frozen=True)
class SeedArguments:
    patients: int
    seed: int
    as_of: date
    practices: int
    stories: bool

    def marker(self) -> str:
        # Stored as the history change reason (100 characters): the longest, with the
        # largest values the command accepts, is well under that.
        text = (
            f"{MARKER_PREFIX}--patients {self.patients} --seed {self.seed} "
            f"--as-of {self.as_of.isoformat()} --practices {self.practices}"
        )
        return text if self.stories else f"{text} --no-stories"

    @classmethod
    def from_marker(cls, text: str) -> SeedArguments | None:
        words = text.removeprefix(MARKER_PREFIX).split()
        flags = {w for w in words if w == "--no-stories"}
        pairs = [w for w in words if w not in flags]
        try:
            values = dict(zip(pairs[::2], pairs[1::2], strict=True))
            return cls(
                patients=int(values["--patients"]),
                seed=int(values["--seed"]),
                as_of=date.fromisoformat(values["--as-of"]),
                practices=int(values["--practices"]),
                stories=not flags,
            )
        except (KeyError, ValueError):
            return None

    def same_region(self, other: SeedArguments, *, as_of_given: bool) -> bool:
        same = (self.patients, self.seed, self.practices, self.stories) == (
            other.patients,
            other.seed,
            other.practices,
            other.stories,
        )
        return same and (self.as_of == other.as_of or not as_of_given)


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
        loader = _Loader(tables=tables, arguments=arguments, progress=progress)
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


I64 = npt.NDArray[np.int64]
EPOCH = date(1970, 1, 1)
Columns = dict[str, list[Any]]


def _days(column: pa.ChunkedArray | pa.Array) -> I64:
    """A date32 column as days since 1970-01-01 (nulls as the minimum int32)."""
    filled = column.cast(pa.int32()).fill_null(np.iinfo(np.int32).min)
    return np.asarray(filled.to_numpy(), dtype=np.int64)


def _date(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def _lookup(mapping: dict[int, int]) -> Callable[[pa.ChunkedArray], list[int | None]]:
    """Map a column of generated ids to database ids, vectorised."""
    table = np.zeros(max(mapping, default=0) + 1, dtype=np.int64)
    table[np.fromiter(mapping.keys(), dtype=np.int64)] = np.fromiter(
        mapping.values(), dtype=np.int64
    )

    def apply(column: pa.ChunkedArray) -> list[int | None]:
        values = column.cast(pa.int64())
        ids: list[int | None] = table[values.fill_null(0).to_numpy()].tolist()
        if values.null_count:
            for i, valid in enumerate(values.is_valid().to_pylist()):
                if not valid:
                    ids[i] = None
        return ids

    return apply


class _HistoryInserter:
    """Bulk insert of rows and their "created" history in column form, with explicit ids.

    It does what ``bulk_create_with_history`` does, without building a model instance per
    row: Django's per-value preparation costs about 100 µs a row, which made a demo region of
    3,000 patients (300,000 rows with their history) take most of a minute. Values go
    through the backend's own adapters (``connection.ops``, the field's ``get_db_prep_save``),
    so what lands in the table is what the ORM would have written.
    """

    FAST_VENDORS = frozenset({"sqlite", "postgresql"})
    HISTORY_FIELDS = (
        "history_id",
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user_id",
    )

    def __init__(self, *, reason: str, when: datetime, progress: bool):
        self.reason = reason
        self.when = when
        self.progress = progress

    def insert(self, model: type[models.Model], data: Columns, desc: str) -> list[int]:
        """Insert the rows (one list per attribute name) and return their ids, in order."""
        n = len(next(iter(data.values()))) if data else 0
        if not n:
            return []
        history_model = model.history.model  # type: ignore[attr-defined]
        tracked = [f.attname for f in history_model.tracked_fields]
        extra = {f.attname for f in history_model._meta.concrete_fields} - set(tracked)
        if connection.vendor not in self.FAST_VENDORS or extra != set(self.HISTORY_FIELDS):
            return self._insert_with_orm(model, data, n, desc)
        fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
        unknown = set(data) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
        names = list(fields)
        columns: list[list[Any]] = []
        for name in names:
            field = fields[name]
            if name in data:
                columns.append(self._adapt(field, data[name]))
            else:
                default = field.get_db_prep_save(field.get_default(), connection)
                columns.append([default] * n)
        ids = self._reserve_ids(model, n)
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        # Identifiers come from the model's metadata, quoted by the backend; values are bound.
        row_columns = ", ".join(qn(c) for c in ["id", *names])
        row_marks = ", ".join(["%s"] * (len(names) + 1))
        sql = f"INSERT INTO {table} ({row_columns}) VALUES ({row_marks})"  # noqa: S608
        by_name = dict(zip(names, columns, strict=True))
        by_name["id"] = ids
        history_columns = [by_name[c] for c in tracked]
        when = connection.ops.adapt_datetimefield_value(self.when)
        history_table = qn(history_model._meta.db_table)
        history_names = ", ".join(qn(c) for c in [*tracked, *self.HISTORY_FIELDS[1:]])
        history_marks = ", ".join(["%s"] * (len(tracked) + 4))
        history_sql = f"INSERT INTO {history_table} ({history_names}) VALUES ({history_marks})"  # noqa: S608
        history_tail = (when, self.reason, "+", None)
        with _bar(n, desc, self.progress) as bar, connection.cursor() as cursor:
            for start in range(0, n, BATCH):
                stop = min(start + BATCH, n)
                rows = list(zip(ids[start:stop], *(c[start:stop] for c in columns), strict=True))
                history_rows = [
                    (*row, *history_tail)
                    for row in zip(*(c[start:stop] for c in history_columns), strict=True)
                ]
                if connection.vendor == "postgresql":
                    # COPY is several times faster than INSERT for rows by the thousand.
                    self._copy(cursor, f"{table} ({row_columns})", rows)
                    self._copy(cursor, f"{history_table} ({history_names})", history_rows)
                else:
                    cursor.executemany(sql, rows)
                    cursor.executemany(history_sql, history_rows)
                bar.update(stop - start)
        return ids

    @staticmethod
    def _copy(cursor: Any, target: str, rows: list[tuple[Any, ...]]) -> None:
        with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    @staticmethod
    def _adapt(field: models.Field[Any, Any], values: list[Any]) -> list[Any]:
        kind = field.get_internal_type()
        if kind == "DateField":
            dates: dict[Any, Any] = {}
            return [
                dates[v]
                if v in dates
                else dates.setdefault(v, connection.ops.adapt_datefield_value(v))
                for v in values
            ]
        if kind == "DateTimeField":
            return [connection.ops.adapt_datetimefield_value(v) for v in values]
        if kind == "JSONField":
            seen: dict[str, Any] = {}
            out = []
            for v in values:
                key = repr(v)
                if key not in seen:
                    seen[key] = field.get_db_prep_save(v, connection)
                out.append(seen[key])
            return out
        # Text, numbers, booleans and foreign keys go to the driver as they are.
        return values

    @staticmethod
    def _reserve_ids(model: type[models.Model], n: int) -> list[int]:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, n],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: AUTOINCREMENT tables continue after the highest id ever used.
            cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            highest = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            first = max(highest, row[0] if row else 0) + 1
        return list(range(first, first + n))

    def _insert_with_orm(
        self, model: type[models.Model], data: Columns, n: int, desc: str
    ) -> list[int]:
        ids: list[int] = []
        names = list(data)
        with _bar(n, desc, self.progress) as bar:
            for start in range(0, n, BATCH):
                stop = min(start + BATCH, n)
                objs = [
                    model(**dict(zip(names, row, strict=True)))
                    for row in zip(*(data[c][start:stop] for c in names), strict=True)
                ]
                made = bulk_create_with_history(
                    objs, model, default_change_reason=self.reason, default_date=self.when
                )
                ids += [m.pk for m in made]
                bar.update(stop - start)
        return ids


def _bar(total: int, desc: str, progress: bool) -> tqdm[Any]:
    # disable=None: a bar only on a terminal, so logs and CI output stay clean.
    return tqdm(total=total, desc=desc, unit=" rows", disable=None if progress else True)


class _Loader:
    """Turns the generated tables into rows, in the order foreign keys need."""

    def __init__(self, *, tables: dict[str, pa.Table], arguments: SeedArguments, progress: bool):
        self.t = tables
        self.args = arguments
        self.reason = arguments.marker()
        self.when = timezone.now()
        self.rows = _HistoryInserter(reason=self.reason, when=self.when, progress=progress)
        self.vocab = load_vocabulary()
        self.region, self.units = region.demo_region_ensure()
        self.practice_pk: dict[int, int] = {}
        self.clinician_pk: dict[int, int] = {}
        self.patient_pk: dict[int, int] = {}
        self.demo_practices: list[Practice] = []
        self.staff: dict[int, list[Clinician]] = defaultdict(list)  # by practice pk
        self.users = region.DemoUsers()
        self.cprs: list[str] = []
        # (generated patient id, day) -> database id of the first contact that day
        self.contact_on: dict[tuple[int, int], int] = {}

    def _orm_insert(self, objs: Sequence[models.Model]) -> list[Any]:
        if not objs:
            return []
        made: list[Any] = bulk_create_with_history(
            list(objs),
            type(objs[0]),
            batch_size=BATCH,
            default_change_reason=self.reason,
            default_date=self.when,
        )
        return made

    # -- the region --

    def load(self, *, stories: Sequence[Story], password: str) -> region.DemoUsers:
        self._check_collisions()
        self._practices_and_clinicians(stories=stories, password=password)
        self._patients()
        self._contacts()
        self._symptoms()
        self._labs()
        self._conditions()
        self._medications()
        self._diagnoses()
        self._exposures_and_family()
        self._stories(stories)
        return self.users

    def _make_cprs(self) -> list[str]:
        p = self.t["patients"]
        births = _days(p["birth_date"]).tolist()
        sexes = p["sex"].to_pylist()
        serial: Counter[tuple[int, str]] = Counter()
        out = []
        for day, sex in zip(births, sexes, strict=True):
            key = (day, sex)
            out.append(synthetic_cpr(_date(day), sex, serial[key]).replace("-", ""))
            serial[key] += 1
        return out

    def _check_collisions(self) -> None:
        ids = self.t["practices"]["practice_id"].to_pylist()
        taken = Practice.objects.filter(provider_number__in=[_provider_number(i) for i in ids])
        if taken.exists():
            raise SeedRefused(
                "Practices with the demo region's provider numbers already exist; "
                "seed an empty database."
            )
        self.cprs = self._make_cprs()
        for start in range(0, len(self.cprs), BATCH):
            if Patient.objects.filter(cpr__in=self.cprs[start : start + BATCH]).exists():
                raise SeedRefused(
                    "Patients with the demo region's CPR numbers already exist; "
                    "seed an empty database."
                )

    def _practices_and_clinicians(self, *, stories: Sequence[Story], password: str) -> None:
        pr = self.t["practices"].to_pydict()
        cl = self.t["clinicians"].to_pydict()
        order = region.demo_practice_order(
            list(zip(pr["practice_id"], pr["n_gps"], pr["diagnostic_unit"], strict=True))
        )
        names = dict(zip(pr["practice_id"], pr["name"], strict=True))
        clinician_names = list(cl["name"])
        chosen_gps: list[tuple[region.DemoGP, int]] = []  # with the row of the clinician
        for spec in region.DEMO_GPS:
            if spec.slot >= len(order):
                continue
            pid = order[spec.slot]
            rows = [
                i
                for i, (p, role) in enumerate(zip(cl["practice_id"], cl["role"], strict=True))
                if p == pid and role == Clinician.Role.GP
            ]
            if spec.index >= len(rows):
                continue
            row = rows[spec.index]
            # The demo GPs keep fixed names so that the demo users stay the same for any seed;
            # a practice named after its GP follows the new name.
            names[pid] = _renamed(names[pid], clinician_names[row], spec.name)
            clinician_names[row] = spec.name
            chosen_gps.append((spec, row))

        practices = [
            Practice(
                provider_number=_provider_number(pid),
                name=names[pid],
                kind=kind,
                region=self.region,
                municipality=municipality,
                phone=region.fictional_phone(1, pid),
                direct_phone=region.fictional_phone(2, pid),
                on_call_phone=region.PRACTICE_ON_CALL_PHONE,
                diagnostic_unit=self.units[unit],
            )
            for pid, kind, municipality, unit in zip(
                pr["practice_id"],
                pr["kind"],
                pr["municipality"],
                pr["diagnostic_unit"],
                strict=True,
            )
        ]
        # Their "created" history is written below, once the second contact is known: a
        # seeded practice is created with one rather than changed to have one.
        made = Practice.objects.bulk_create(practices, batch_size=BATCH)
        self.practice_pk = {pid: p.pk for pid, p in zip(pr["practice_id"], made, strict=True)}
        by_pk = {p.pk: p for p in made}
        self.demo_practices = [by_pk[self.practice_pk[pid]] for pid in order]

        self.users = region.demo_users_create(
            gps=[spec for spec, _ in chosen_gps], stories=stories, password=password
        )
        user_of_row = {row: self.users.by_username[spec.username] for spec, row in chosen_gps}
        clinicians = [
            Clinician(
                name=name, role=role, practice_id=self.practice_pk[pid], user=user_of_row.get(i)
            )
            for i, (name, role, pid) in enumerate(
                zip(clinician_names, cl["role"], cl["practice_id"], strict=True)
            )
        ]
        made_c = self._orm_insert(clinicians)
        self.clinician_pk = {cid: c.pk for cid, c in zip(cl["clinician_id"], made_c, strict=True)}
        for c in made_c:
            self.staff[c.practice_id].append(c)
        self._orm_insert(region.unit_doctors_build(units=self.units, users=self.users))
        for practice in made:
            practice.second_contact = region.second_contact(self.staff[practice.pk])
        Practice.objects.bulk_update(made, ["second_contact"], batch_size=BATCH)
        Practice.history.bulk_history_create(
            made, batch_size=BATCH, default_change_reason=self.reason, default_date=self.when
        )

    def _patients(self) -> None:
        p = self.t["patients"]
        cols = p.to_pydict()
        n = p.num_rows
        names_rng = np.random.default_rng((self.args.seed, 0x4E41))
        names = [
            full_name(names_rng, sex, origin_for_language(language))
            for sex, language in zip(cols["sex"], cols["language"], strict=True)
        ]
        ids = self.rows.insert(
            Patient,
            {
                "cpr": self.cprs,
                "name": names,
                "birth_date": cols["birth_date"],
                "sex": cols["sex"],
                "practice_id": _lookup(self.practice_pk)(p["practice_id"]),
                "own_gp_id": _lookup(self.clinician_pk)(p["own_gp_id"]),
                "registered_from": cols["registered_from"],
                "registered_to": cols["registered_to"],
                "preferred_language": cols["language"],
                "interpreter_needed": cols["interpreter_needed"],
                "lives_alone": cols["lives_alone"],
                "occupation": [OCCUPATIONS_DA.get(o or "", o or "") for o in cols["occupation"]],
                "smoking": cols["smoking"],
                "died_on": cols["died_on"],
                "is_fictional": [True] * n,
            },
            "patients",
        )
        self.patient_pk = dict(zip(cols["patient_id"], ids, strict=True))
        self.patient_ids = _lookup(self.patient_pk)

    def _reason_codes(self) -> dict[tuple[int, int], list[str]]:
        """ICPC-2 codes of what was presented at a contact: its symptoms and acute problems."""
        sexes = dict(
            zip(
                self.t["patients"]["patient_id"].to_pylist(),
                self.t["patients"]["sex"].to_pylist(),
                strict=True,
            )
        )
        codes: dict[tuple[int, int], list[str]] = defaultdict(list)
        s = self.t["symptoms"]
        icpc: dict[tuple[str, str], list[str]] = {}
        for pid, code, day in zip(
            s["patient_id"].to_pylist(),
            s["code"].to_pylist(),
            _days(s["recorded_date"]).tolist(),
            strict=True,
        ):
            key = (code, sexes[pid])
            if key not in icpc:
                icpc[key] = icpc2_for(code, sexes[pid])
            listed = codes[(pid, day)]
            listed += [c for c in icpc[key] if c not in listed]
        c = self.t["conditions"]
        for pid, code, system, chronic, day in zip(
            c["patient_id"].to_pylist(),
            c["code"].to_pylist(),
            c["system"].to_pylist(),
            c["chronic"].to_pylist(),
            _days(c["onset"]).tolist(),
            strict=True,
        ):
            if system == Condition.System.ICPC2 and not chronic and code not in codes[(pid, day)]:
                codes[(pid, day)].append(code)
        return codes

    def _contacts(self) -> None:
        c = self.t["contacts"]
        n = c.num_rows
        pids = c["patient_id"].to_pylist()
        kinds = c["kind"].to_pylist()
        days = _days(c["contact_date"])
        rng = np.random.default_rng((self.args.seed, 0x7143))
        minutes = region.opening_minutes(
            np.asarray(kinds, dtype=object), rng.random(n), rng.random(n)
        )
        offsets = {int(d): region.utc_offset_minutes(_date(d)) for d in np.unique(days)}
        offset = np.fromiter((offsets[int(d)] for d in days), dtype=np.int64, count=n)
        # A contact on the as-of date cannot lie later than the moment of seeding.
        now = int(self.when.timestamp())
        seconds = np.minimum(days * 86_400 + (minutes - offset) * 60, now).tolist()
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        reasons = self._reason_codes()
        # Reason codes go on the first contact of the day; later ones that day (a phone call
        # after a consultation) did not present the symptom again.
        firsts: dict[tuple[int, int], int] = {}
        reason_codes: list[list[str]] = []
        for i, key in enumerate(zip(pids, days.tolist(), strict=True)):
            if key in firsts:
                reason_codes.append([])
            else:
                firsts[key] = i
                reason_codes.append(reasons.get(key, []))
        ids = self.rows.insert(
            Contact,
            {
                "patient_id": self.patient_ids(c["patient_id"]),
                "practice_id": _lookup(self.practice_pk)(c["practice_id"]),
                "clinician_id": _lookup(self.clinician_pk)(c["clinician_id"]),
                "at": [epoch + timedelta(seconds=s) for s in seconds],
                "kind": kinds,
                "reason_codes": reason_codes,
            },
            "contacts",
        )
        self.contact_on = {key: ids[i] for key, i in firsts.items()}

    def _symptoms(self) -> None:
        s = self.t["symptoms"]
        cols = s.to_pydict()
        recorded = _days(s["recorded_date"]).tolist()
        self.rows.insert(
            Symptom,
            {
                "patient_id": self.patient_ids(s["patient_id"]),
                "contact_id": [
                    self.contact_on.get((pid, day))
                    for pid, day in zip(cols["patient_id"], recorded, strict=True)
                ],
                "code": cols["code"],
                "onset": [
                    min(o, r) for o, r in zip(cols["onset"], cols["recorded_date"], strict=True)
                ],
                "recorded_on": cols["recorded_date"],
                "persistent": cols["persistent"],
                "recurrent": cols["recurrent"],
            },
            "symptoms",
        )

    def _labs(self) -> None:
        t = self.t["labs"]
        cols = t.to_pydict()
        npu = {code: (e.npu[0].code if e.npu else "") for code, e in self.vocab.labs.items()}
        self.rows.insert(
            LabResult,
            {
                "patient_id": self.patient_ids(t["patient_id"]),
                "code": cols["code"],
                "npu": [npu.get(code, "") for code in cols["code"]],
                "value": cols["value"],
                "unit": cols["unit"],
                "reference_low": cols["ref_low"],
                "reference_high": cols["ref_high"],
                "taken_on": cols["taken_date"],
            },
            "lab results",
        )

    def _conditions(self) -> None:
        t = self.t["conditions"]
        cols = t.to_pydict()
        self.rows.insert(
            Condition,
            {
                "patient_id": self.patient_ids(t["patient_id"]),
                "code": cols["code"],
                "system": cols["system"],
                "label": [CONDITION_LABELS_DA.get(code, "") for code in cols["code"]],
                "chronic": cols["chronic"],
                "onset": cols["onset"],
            },
            "conditions",
        )

    def _medications(self) -> None:
        t = self.t["medications"]
        cols = t.to_pydict()
        self.rows.insert(
            Medication,
            {
                "patient_id": self.patient_ids(t["patient_id"]),
                "atc": cols["atc"],
                "name": [MEDICATION_NAMES_DA.get(atc, "") for atc in cols["atc"]],
                "start": cols["start"],
                "stop": cols["stop"],
            },
            "medications",
        )

    def _diagnoses(self) -> None:
        t = self.t["diagnoses"]
        cols = t.to_pydict()
        self.rows.insert(
            CancerDiagnosis,
            {
                "patient_id": self.patient_ids(t["patient_id"]),
                "diagnosed_on": cols["diagnosis_date"],
                "site": cols["cancer_site"],
                "icd10": [SITE_ICD10.get(site, "") for site in cols["cancer_site"]],
            },
            "cancer diagnoses",
        )

    def _exposures_and_family(self) -> None:
        cols = (
            self.t["patients"]
            .select(["patient_id", "occupational_exposures", "family_history_sites"])
            .to_pydict()
        )
        exposed = [
            (self.patient_pk[pid], code)
            for pid, codes in zip(cols["patient_id"], cols["occupational_exposures"], strict=True)
            for code in codes or ()
        ]
        self.rows.insert(
            OccupationalExposure,
            {"patient_id": [p for p, _ in exposed], "code": [c for _, c in exposed]},
            "exposures",
        )
        # The generator gives the site only; the relative is drawn here, reproducibly.
        family_rng = np.random.default_rng((self.args.seed, 0xFA))
        relatives: list[tuple[int, str, str]] = []
        for pid, sites in zip(cols["patient_id"], cols["family_history_sites"], strict=True):
            for site in sites or ():
                relations = FAMILY_RELATIONS.get(site, FIRST_DEGREE)
                relation = relations[int(family_rng.integers(len(relations)))]
                relatives.append((self.patient_pk[pid], relation, site))
        self.rows.insert(
            FamilyHistory,
            {
                "patient_id": [r[0] for r in relatives],
                "relation": [r[1] for r in relatives],
                "cancer_site": [r[2] for r in relatives],
            },
            "family history",
        )

    # -- the stories --

    def _stories(self, stories: Sequence[Story]) -> None:
        if not stories:
            return
        gps = {
            pk: [c for c in staff if c.role == Clinician.Role.GP]
            for pk, staff in self.staff.items()
        }
        patients = story_patients_build(
            stories=stories,
            as_of=self.args.as_of,
            practices=self.demo_practices,
            gps_by_practice=gps,
            users=self.users,
        )
        made: list[Patient] = self._orm_insert(patients)
        rows = story_rows_build(
            stories=stories,
            patients=made,
            as_of=self.args.as_of,
            clinicians_by_practice=self.staff,
        )
        story_rows_insert(rows=rows, change_reason=self.reason, when=self.when)


def _provider_number(practice_id: int) -> str:
    # Six digits like a real ydernummer, in a block of its own.
    return f"{900_000 + practice_id:06d}"


def _renamed(practice_name: str, old: str, new: str) -> str:
    if old in practice_name:
        return practice_name.replace(old, new)
    old_last, new_last = old.split()[-1], new.split()[-1]
    words = practice_name.split()
    if old_last in words:
        words[words.index(old_last)] = new_last
    return " ".join(words)
