"""The generated region's tables as rows of the record.

The generator (``opspor.synth``) gives pseudonymised tables; here they become a record:
fictional names, synthetic CPR numbers, contact times within opening hours, ICPC-2 reason
codes, Danish labels, and the "created" history of every clinical row. The story patients
are added on top (``stories.py``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from django.utils import timezone

from opspor.demo import region
from opspor.demo.seed_arguments import SeedArguments, SeedRefused
from opspor.demo.seed_insert import BATCH, HistoryInserter
from opspor.demo.seed_practices import (
    SeededPractices,
    practices_and_clinicians_insert,
    provider_number,
)
from opspor.demo.stories import (
    Story,
    icpc2_for,
    story_patients_build,
    story_rows_build,
    story_rows_insert,
)
from opspor.engine.vocab import load_vocabulary
from opspor.records.models import (
    CancerDiagnosis,
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
from opspor.synth.cpr import synthetic_cpr
from opspor.synth.names import full_name, origin_for_language

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


I64 = npt.NDArray[np.int64]
EPOCH = date(1970, 1, 1)


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


class RegionLoader:
    """Turns the generated tables into rows, in the order foreign keys need."""

    def __init__(self, *, tables: dict[str, pa.Table], arguments: SeedArguments, progress: bool):
        self.t = tables
        self.args = arguments
        self.reason = arguments.marker()
        self.when = timezone.now()
        self.rows = HistoryInserter(reason=self.reason, when=self.when, progress=progress)
        self.vocab = load_vocabulary()
        self.region, self.units = region.demo_region_ensure()
        self.patient_pk: dict[int, int] = {}
        self.cprs: list[str] = []
        # (generated patient id, day) -> database id of the first contact that day
        self.contact_on: dict[tuple[int, int], int] = {}

    # -- the region --

    def load(self, *, stories: Sequence[Story], password: str) -> region.DemoUsers:
        self._check_collisions()
        placed = practices_and_clinicians_insert(
            practices=self.t["practices"],
            clinicians=self.t["clinicians"],
            region_row=self.region,
            units=self.units,
            stories=stories,
            password=password,
            inserter=self.rows,
        )
        self._patients(placed)
        self._contacts(placed)
        self._symptoms()
        self._labs()
        self._conditions()
        self._medications()
        self._diagnoses()
        self._exposures_and_family()
        self._stories(stories, placed)
        return placed.users

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
        taken = Practice.objects.filter(provider_number__in=[provider_number(i) for i in ids])
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

    def _patients(self, placed: SeededPractices) -> None:
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
                "practice_id": _lookup(placed.practice_pk)(p["practice_id"]),
                "own_gp_id": _lookup(placed.clinician_pk)(p["own_gp_id"]),
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

    def _contacts(self, placed: SeededPractices) -> None:
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
                "practice_id": _lookup(placed.practice_pk)(c["practice_id"]),
                "clinician_id": _lookup(placed.clinician_pk)(c["clinician_id"]),
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

    def _stories(self, stories: Sequence[Story], placed: SeededPractices) -> None:
        if not stories:
            return
        gps = {
            pk: [c for c in staff if c.role == Clinician.Role.GP]
            for pk, staff in placed.staff.items()
        }
        patients = story_patients_build(
            stories=stories,
            as_of=self.args.as_of,
            practices=placed.demo_practices,
            gps_by_practice=gps,
            users=placed.users,
        )
        made: list[Patient] = self.rows.insert_objects(patients)
        rows = story_rows_build(
            stories=stories,
            patients=made,
            as_of=self.args.as_of,
            clinicians_by_practice=placed.staff,
        )
        story_rows_insert(rows=rows, change_reason=self.reason, when=self.when)
