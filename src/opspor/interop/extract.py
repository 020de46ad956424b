"""A synthetic FHIR R4 Bulk Data extract, for tests and for the import benchmark.

    opspor fhir-extract --out DIR --resources 1000000 --seed 1 [--practices K]
        [--ydernummer NUMBER] [--as-of 2025-06-30]

One NDJSON file per resource type (``Patient.ndjson``, ``Observation.ndjson``, ...), one
resource a line, as a FHIR Bulk Data export writes them; references are relative
(``Patient/<id>``) and always point to a resource in the extract. The size is exact: the
extract holds ``resources`` resources in all.

What is in it: the practices (Organization, identified by their *ydernummer*
``urn:oid:1.2.208.176.1.4``), their GPs (Practitioner, PractitionerRole), then patient after
patient: the Patient (a CPR number consistent with the birth date and sex for most, another
identifier for some), ten years of contacts (Encounter, class AMB, VR or HH) and around them
lab results (NPU and LOINC codings of the vocabulary, with value, unit and reference range),
symptoms (SNOMED CT and ICPC-2), vital signs Opspor has no place for, smoking status,
conditions (ICD-10 and ICPC-2, a few malignant), medicines (MedicationStatement with ATC,
MedicationRequest with RxNorm and/or ATC) and family history. Most resources are
Observations and Encounters, as in a GP record.

Which practices. Organization *i* (1..K) has the ydernummer ``900000 + i``, the numbers
`opspor seed --practices K` gives its practices, so an extract of K practices imports into a
database seeded with at least K practices. ``--ydernummer`` puts every patient in one practice
with that number instead (an existing practice of any database); the importer's own
``--practice`` does the same on its side. The import benchmark creates the practices it needs.

Fictional people only. The CPR numbers are `opspor.synth.synthetic_cpr` numbers (format-valid,
failing the old modulus-11 check); names come from `opspor.synth.names`, practices and their
GPs from `opspor.synth.region`, condition, medicine, symptom and lab mixes from the synthetic
region's ``params.yaml``. The rates here (contacts per patient, how often a contact has a blood
panel, ...) are assumptions made for a realistic *mix* of resources, not sourced figures: use
`opspor synth` for a population whose rates are sourced.

Memory stays flat: resources are written as they are made, one patient at a time. What grows
is bounded whatever the size: the CPR serials used per birth date and sex (at most about
73,000 days and sexes) and the reference intervals per lab, sex and age.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import numpy as np

from opspor.engine.vocab import load_vocabulary
from opspor.interop import codings as cs
from opspor.interop.reading import (
    EXT_CHRONIC,
    EXT_PERSISTENT,
    EXT_RECORDED_ON,
    EXT_RECURRENT,
    V3_ROLE_CODE,
)
from opspor.synth import names, synthetic_cpr
from opspor.synth.params import SynthParams, load_params
from opspor.synth.region import build_region, default_practice_count

Resource = dict[str, Any]

# In the order a Bulk Data client would load them: parties first, then patients, then what
# refers to patients.
RESOURCE_TYPES = (
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "Encounter",
    "Condition",
    "Observation",
    "MedicationStatement",
    "MedicationRequest",
    "FamilyMemberHistory",
)
AS_OF = date(2025, 6, 30)
HISTORY_YEARS = 10
# Patients are up to 99 years old; a CPR number encodes births from 1858 to 2036.
MIN_AS_OF = date(1960, 1, 1)
MAX_AS_OF = date(2036, 12, 31)
MAX_RESOURCES = 100_000_000
MAX_PRACTICES = 5_000

# The identifier of a patient without a CPR number: the source system's own record number,
# in a namespace of this extract (a real source would use its own).
RECORD_NUMBER = "https://opspor.dk/fhir/sid/synthetic-record-number"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

# Vital signs, with the LOINC codes of FHIR R4's vital signs profile: Opspor's vocabulary
# has none of them, so the importer keeps them as received.
VITALS_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
BODY_WEIGHT = ("29463-7", "Body weight")
HEART_RATE = ("8867-4", "Heart rate")

# Smoking status (LOINC 72166-2) and SNOMED CT answers of US Core's smoking-status value set,
# as `reading` reads them.
SMOKING_STATUS = ("72166-2", "Tobacco smoking status")
SMOKING_ANSWERS = {
    "never": ("266919005", "Never smoked tobacco"),
    "former": ("8517006", "Ex-smoker"),
    "current": ("449868002", "Smokes tobacco daily"),
}

# Malignant neoplasms (ICD-10 categories, WHO), one per site of the synthetic region.
CANCERS = {
    "lung": ("C34", "Malignant neoplasm of bronchus and lung"),
    "breast": ("C50", "Malignant neoplasm of breast"),
    "colorectal": ("C18", "Malignant neoplasm of colon"),
    "prostate": ("C61", "Malignant neoplasm of prostate"),
    "kidney": ("C64", "Malignant neoplasm of kidney, except renal pelvis"),
    "lymphoma": ("C83", "Non-follicular lymphoma"),
    "leukaemia": ("C91", "Lymphoid leukaemia"),
}
# A relative's other conditions (ICD-10, WHO), which say nothing to the engine.
FAMILY_OTHER = (("I21", "Acute myocardial infarction"), ("E11", "Type 2 diabetes mellitus"))
RELATIONS = (("MTH", "mother"), ("FTH", "father"), ("SIS", "sister"), ("BRO", "brother"))

# Medicines prescribed at a contact. RxNorm codes and names as Synthea's module
# `lib/generic/modules/medications/otc_pain_reliever.json` prescribes them; the ATC codes are
# WHO's for the substance.
PRESCRIPTIONS = (
    ("313782", "Acetaminophen 325 MG Oral Tablet", "N02BE01"),
    ("310965", "Ibuprofen 200 MG Oral Tablet", "M01AE01"),
    ("849574", "Naproxen sodium 220 MG Oral Tablet", "M01AE02"),
    ("243670", "Aspirin 81 MG Oral Tablet", "B01AC06"),
)
PENICILLIN = ("J01CE02", "Phenoxymethylpenicillin")  # WHO ATC

# Labs drawn beside the region's background panels (they have an interval and codings).
EXTRA_LABS = ("sodium", "potassium", "tsh")

# The mix, per contact unless said otherwise (assumptions, see the module docstring).
LAB_PANEL_P = 0.4
SYMPTOM_P = 0.15
VITALS_P = 0.15
ACUTE_P = 0.04
PRESCRIPTION_P = 0.025
PENICILLIN_P = 0.01
NO_CPR_P = 0.05
SMOKING_RECORDED_P = 0.8
FAMILY_HISTORY_P = 0.12
CANCER_P = 0.012  # patients aged 40 or more
DIED_P = 0.02


class ExtractError(ValueError):
    """A request for an extract that cannot be made; the message says why."""


@dataclass
class ExtractSummary:
    out: Path
    resources: int
    patients: int
    seconds: float
    practice_numbers: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "resources": self.resources,
            "patients": self.patients,
            "seconds": round(self.seconds, 3),
            "practice_numbers": list(self.practice_numbers),
            "counts": dict(self.counts),
        }

    def summary(self) -> str:
        counts = ", ".join(f"{t} {n:,}" for t, n in self.counts.items())
        return (
            f"{self.resources:,} resources ({counts}) for {self.patients:,} patients in "
            f"{len(self.practice_numbers):,} practices, written to {self.out} in "
            f"{self.seconds:.1f} s"
        )


def practice_number(practice_id: int) -> str:
    """The ydernummer of the synthetic region's practice ``practice_id`` (1, 2, ...), the
    same number `opspor seed` gives it."""
    return f"{900_000 + practice_id:06d}"


def default_practices(resources: int) -> int:
    """About one practice for every 2,950 patients, as in the region (`opspor synth`)."""
    return max(1, min(MAX_PRACTICES, default_practice_count(resources // 85, load_params())))


@dataclass(frozen=True)
class _Lab:
    code: str
    unit: str
    codings: tuple[dict[str, str], ...]  # NPU first, then LOINC
    label: str
    skewed: bool
    median: float
    sigma: float


@dataclass(frozen=True)
class _Party:
    practice_id: str  # Organization id
    ydernummer: str
    name: str
    municipality: str
    clinicians: tuple[tuple[str, str], ...]  # (Practitioner id, name)


class _Writer:
    """One NDJSON file per resource type, counted; nothing kept in memory."""

    def __init__(self, folder: Path, limit: int) -> None:
        self.files: dict[str, IO[str]] = {
            t: open(folder / f"{t}.ndjson", "w", encoding="utf-8", newline="\n")  # noqa: SIM115
            for t in RESOURCE_TYPES
        }
        self.counts = dict.fromkeys(RESOURCE_TYPES, 0)
        self.left = limit
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def write(self, resource: Resource) -> None:
        kind = resource["resourceType"]
        self.files[kind].write(self._dumps(resource) + "\n")
        self.counts[kind] += 1
        self.left -= 1

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def write_extract(
    out: Path | str,
    resources: int,
    *,
    seed: int = 1,
    practices: int | None = None,
    ydernummer: str | None = None,
    as_of: date = AS_OF,
) -> ExtractSummary:
    """Write an extract of exactly ``resources`` resources into ``out`` (made if missing; its
    NDJSON files of these resource types are replaced, other files kept). The same arguments
    give byte-identical files."""
    started = time.perf_counter()
    out = Path(out)
    if isinstance(resources, bool) or not isinstance(resources, int):
        raise ExtractError("resources must be a whole number")
    if not 1 <= resources <= MAX_RESOURCES:
        raise ExtractError(f"resources must be between 1 and {MAX_RESOURCES:,}, got {resources:,}")
    if seed < 0:
        raise ExtractError(f"seed must be 0 or more, got {seed}")
    if ydernummer is not None:
        if practices not in (None, 1):
            raise ExtractError("give either a number of practices or one ydernummer, not both")
        if not (ydernummer.isdigit() and 1 <= len(ydernummer) <= 10):
            raise ExtractError("a ydernummer is 1 to 10 digits")
        practices = 1
    if practices is None:
        practices = default_practices(resources)
    if not 1 <= practices <= MAX_PRACTICES:
        raise ExtractError(f"practices must be between 1 and {MAX_PRACTICES:,}, got {practices:,}")
    if not MIN_AS_OF <= as_of <= MAX_AS_OF:
        raise ExtractError(
            f"as-of must be between {MIN_AS_OF.isoformat()} and {MAX_AS_OF.isoformat()}"
        )
    if out.exists() and not out.is_dir():
        raise ExtractError(f"{out} exists and is not a directory")

    params = load_params()
    rng = random.Random(seed)
    parties = _parties(practices, seed, params, ydernummer)
    party_count = sum(2 + 2 * len(p.clinicians) for p in parties) - len(parties)
    if resources < party_count + 1:
        raise ExtractError(
            f"{practices:,} practices and their GPs are {party_count:,} resources: ask for at "
            f"least {party_count + 1:,} resources, or fewer practices"
        )

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    patients = 0
    try:
        writer = _Writer(tmp, resources)
        try:
            for party in parties:
                for resource in _party_resources(party):
                    writer.write(resource)
            maker = _PatientMaker(rng, params, parties, as_of)
            while writer.left > 0:
                patients += 1
                for resource in maker.patient(patients):
                    writer.write(resource)
                    if writer.left == 0:
                        break
        finally:
            writer.close()
        out.mkdir(exist_ok=True)
        for kind in RESOURCE_TYPES:
            os.replace(tmp / f"{kind}.ndjson", out / f"{kind}.ndjson")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ExtractSummary(
        out=out,
        resources=resources,
        patients=patients,
        seconds=time.perf_counter() - started,
        practice_numbers=tuple(p.ydernummer for p in parties),
        counts=dict(writer.counts),
    )


def _parties(
    practices: int, seed: int, params: SynthParams, ydernummer: str | None
) -> list[_Party]:
    # Ids named after the ydernummer, so that they never look like the ids an export gives
    # rows of its own (practice-<pk>, clinician-<pk>) and stay the same for a practice.
    region = build_region(np.random.default_rng(seed), practices, params)
    staff: dict[int, list[str]] = {}
    for row in region.clinicians.to_pylist():
        staff.setdefault(row["practice_id"], []).append(row["name"])
    parties = []
    for row in region.practices.to_pylist():
        number = ydernummer or practice_number(row["practice_id"])
        gps = staff[row["practice_id"]]
        parties.append(
            _Party(
                practice_id=f"org-{number}",
                ydernummer=number,
                name=row["name"],
                municipality=row["municipality"],
                clinicians=tuple((f"gp-{number}-{k}", name) for k, name in enumerate(gps, 1)),
            )
        )
    return parties


def _human_name(full: str) -> dict[str, Any]:
    *given, family = full.split()
    return {"use": "official", "family": family, "given": given}


def _party_resources(party: _Party) -> Iterator[Resource]:
    yield {
        "resourceType": "Organization",
        "id": party.practice_id,
        "identifier": [{"system": cs.YDERNUMMER, "value": party.ydernummer}],
        "active": True,
        "name": party.name,
        "address": [{"city": party.municipality, "country": "DK"}],
    }
    for pid, name in party.clinicians:
        yield {
            "resourceType": "Practitioner",
            "id": pid,
            "active": True,
            "name": [_human_name(name)],
        }
    for pid, _ in party.clinicians:
        yield {
            "resourceType": "PractitionerRole",
            "id": f"role-{pid}",  # role-gp-<ydernummer>-<k>
            "active": True,
            "practitioner": {"reference": f"Practitioner/{pid}"},
            "organization": {"reference": f"Organization/{party.practice_id}"},
        }


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


@functools.cache
def _labs() -> dict[str, _Lab]:
    params = load_params()
    vocabulary = load_vocabulary()
    shapes = params.lab_fallback.labs
    wanted = [
        *params.background_labs.panel,
        *params.background_labs.extended,
        "psa",
        *EXTRA_LABS,
    ]
    out = {}
    for code in wanted:
        lab = vocabulary.labs[code]
        codings = [_coding(cs.NPU, m.code, m.term) for m in lab.npu]
        codings += [_coding(cs.LOINC, m.code, m.term) for m in lab.loinc]
        shape = shapes.get(code)
        out[code] = _Lab(
            code=code,
            unit=str(lab.unit),
            codings=tuple(codings),
            label=lab.label("en"),
            skewed=bool(shape and shape.skewed),
            median=float(shape.median or 0.0) if shape else 0.0,
            sigma=float(shape.sigma or 0.0) if shape else 0.0,
        )
    return out


@functools.cache
def _interval(code: str, sex: str, age: int) -> tuple[float | None, float | None]:
    return load_vocabulary().labs[code].reference_interval(sex=sex, age=float(age))


@functools.cache
def _symptoms() -> tuple[list[str], list[float]]:
    mix = load_params().background_symptoms.codes
    return list(mix), list(mix.values())


@functools.cache
def _symptom_codings(code: str) -> tuple[tuple[dict[str, str], ...], str]:
    entry = load_vocabulary().symptoms[code]
    codings = [_coding(cs.SNOMED_CT, m.code, m.term) for m in entry.snomed_ct]
    codings += [_coding(cs.ICPC2, m.code) for m in entry.icpc2 if m.exact]
    return tuple(codings), entry.label("en")


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def _moment(day: date, minute_of_day: int) -> str:
    # Danish local time: summer time from the last Sunday of March to the last of October,
    # taken here as April to October.
    offset = "+02:00" if 4 <= day.month <= 10 else "+01:00"
    return f"{day.isoformat()}T{minute_of_day // 60:02d}:{minute_of_day % 60:02d}:00{offset}"


def _ref(kind: str, rid: str) -> dict[str, str]:
    return {"reference": f"{kind}/{rid}"}


def _concept(
    codings: list[dict[str, str]] | tuple[dict[str, str], ...], text: str = ""
) -> Resource:
    concept: Resource = {"coding": [dict(c) for c in codings]}
    if text:
        concept["text"] = text
    return concept


def _category(system: str, code: str) -> list[Resource]:
    return [{"coding": [{"system": system, "code": code}]}]


class _PatientMaker:
    def __init__(
        self, rng: random.Random, params: SynthParams, parties: list[_Party], as_of: date
    ) -> None:
        self.r = rng
        self.p = params
        self.parties = parties
        self.as_of = as_of
        self.start = date(as_of.year - HISTORY_YEARS, as_of.month, min(as_of.day, 28))
        self.labs = _labs()
        self.panel = list(params.background_labs.panel)
        self.extended = list(params.background_labs.extended)
        self.symptom_codes, self.symptom_weights = _symptoms()
        self.acute = list(params.acute_conditions.codes)
        self.acute_weights = list(params.acute_conditions.codes.values())
        self.cancer_sites = list(CANCERS)
        # (birth day ordinal * 2 + sex) -> serials used; bounded by days times two sexes.
        self.cpr_serials: dict[int, int] = {}

    def _cpr(self, birth: date, sex: str) -> str:
        key = birth.toordinal() * 2 + (sex == "male")
        serial = self.cpr_serials.get(key, 0)
        self.cpr_serials[key] = serial + 1
        return synthetic_cpr(birth, sex, serial).replace("-", "")

    def patient(self, n: int) -> Iterator[Resource]:
        r = self.r
        party = self.parties[r.randrange(len(self.parties))]
        sex = "female" if r.random() < 0.505 else "male"
        age = min(99, int(r.betavariate(1.6, 1.9) * 100))
        birth = self.as_of - timedelta(days=age * 365 + r.randrange(365))
        pid = _uuid(r)
        language = "da"
        if r.random() < 0.06:
            language = r.choice(("ar", "tr", "so", "prs", "pl"))
        origin = names.origin_for_language(language)
        first_names = names.FIRST_NAMES[origin][sex]  # type: ignore[index]
        last_names = names.LAST_NAMES[origin]
        given = r.choice(first_names)
        family = r.choice(last_names)

        # The listed period inside the window: some moved in, some moved away or died.
        first = max(self.start.toordinal(), birth.toordinal())
        last = self.as_of.toordinal()
        if r.random() < 0.2:
            first = r.randrange(first, last + 1)
        died = r.random() < DIED_P * (1 + age / 40)
        if died or r.random() < 0.08:
            last = r.randrange(first, last + 1)

        patient: Resource = {"resourceType": "Patient", "id": pid}
        if r.random() < NO_CPR_P:
            patient["identifier"] = [{"system": RECORD_NUMBER, "value": f"R{n:08d}"}]
        else:
            patient["identifier"] = [
                {"use": "official", "system": cs.CPR, "value": self._cpr(birth, sex)}
            ]
        patient["name"] = [{"use": "official", "family": family, "given": [given]}]
        patient["gender"] = sex
        patient["birthDate"] = birth.isoformat()
        if died:
            patient["deceasedDateTime"] = date.fromordinal(last).isoformat()
        patient["address"] = [{"use": "home", "city": party.municipality, "country": "DK"}]
        if language != "da" or r.random() < 0.3:
            patient["communication"] = [
                {"language": {"coding": [{"system": BCP47, "code": language}]}, "preferred": True}
            ]
        own_gp, _ = party.clinicians[r.randrange(len(party.clinicians))]
        patient["generalPractitioner"] = [_ref("Organization", party.practice_id)]
        if r.random() < 0.7:
            patient["generalPractitioner"].append(_ref("Practitioner", own_gp))
        yield patient

        subject = _ref("Patient", pid)
        years = (last - first + 1) / 365.25
        rate = (3.0 + age / 12) * r.gammavariate(1.5, 1 / 1.5)
        contacts = max(1, round(rate * years)) if years > 0 else 1
        days = sorted(r.randrange(first, last + 1) for _ in range(contacts))

        conditions: list[tuple[str, str, str, int]] = []  # (system, code, display, onset)
        if age >= 18:
            for c in self.p.conditions:
                if r.random() < c.adult_prevalence * min(2.0, age / 45):
                    conditions.append(
                        (
                            cs.ICD10 if c.system == "icd10" else cs.ICPC2,
                            c.code,
                            "",
                            r.randrange(first, last + 1),
                        )
                    )
        if age >= 40 and r.random() < CANCER_P:
            site = r.choice(self.cancer_sites)
            if site == "prostate" and sex == "female":
                site = "breast"
            code, display = CANCERS[site]
            if r.random() < 0.5:
                code += ".9"
            conditions.append((cs.ICD10, code, display, r.randrange(first, last + 1)))

        for day_ordinal in days:
            yield from self._contact(
                r, subject, party, own_gp, sex, age, date.fromordinal(day_ordinal)
            )

        for system, code, display, onset in conditions:
            coding = {"system": system, "code": code}
            if display:
                coding["display"] = display
            condition: Resource = {
                "resourceType": "Condition",
                "id": _uuid(r),
                "clinicalStatus": _concept([{"system": CONDITION_CLINICAL, "code": "active"}]),
                "verificationStatus": _concept(
                    [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]
                ),
                "category": _category(CONDITION_CATEGORY, "problem-list-item"),
                "code": _concept([coding]),
                "subject": subject,
                "onsetDateTime": date.fromordinal(onset).isoformat(),
                "recordedDate": date.fromordinal(onset).isoformat(),
            }
            if not display:
                condition["extension"] = [{"url": EXT_CHRONIC, "valueBoolean": True}]
            yield condition

        for c in self.p.conditions:
            if not any(code == c.code for _, code, _, _ in conditions):
                continue
            for atc in c.atc:
                if r.random() < 0.8:
                    start = date.fromordinal(r.randrange(first, last + 1))
                    statement: Resource = {
                        "resourceType": "MedicationStatement",
                        "id": _uuid(r),
                        "status": "active",
                        "medicationCodeableConcept": _concept([{"system": cs.ATC, "code": atc}]),
                        "subject": subject,
                        "effectivePeriod": {"start": start.isoformat()},
                        "dateAsserted": start.isoformat(),
                    }
                    if r.random() < 0.2:
                        stop = min(
                            date.fromordinal(last), start + timedelta(days=r.randrange(30, 900))
                        )
                        statement["status"] = "completed"
                        statement["effectivePeriod"]["end"] = stop.isoformat()
                    yield statement

        if age >= 18 and r.random() < SMOKING_RECORDED_P:
            status = "never" if r.random() < 0.55 else "former" if r.random() < 0.6 else "current"
            code, display = SMOKING_ANSWERS[status]
            yield {
                "resourceType": "Observation",
                "id": _uuid(r),
                "status": "final",
                "category": _category(OBSERVATION_CATEGORY, "social-history"),
                "code": _concept(
                    [{"system": cs.LOINC, "code": SMOKING_STATUS[0], "display": SMOKING_STATUS[1]}]
                ),
                "subject": subject,
                "effectiveDateTime": date.fromordinal(r.randrange(first, last + 1)).isoformat(),
                "valueCodeableConcept": _concept(
                    [{"system": cs.SNOMED_CT, "code": code, "display": display}]
                ),
            }

        if age >= 18 and r.random() < FAMILY_HISTORY_P:
            rel_code, rel_display = r.choice(RELATIONS)
            if r.random() < 0.75:
                site = r.choice(self.cancer_sites)
                if site == "prostate" and rel_code in ("MTH", "SIS"):
                    site = "breast"
                code, display = CANCERS[site]
            else:
                code, display = r.choice(FAMILY_OTHER)
            yield {
                "resourceType": "FamilyMemberHistory",
                "id": _uuid(r),
                "status": "completed",
                "patient": subject,
                "date": date.fromordinal(r.randrange(first, last + 1)).isoformat(),
                "relationship": _concept(
                    [{"system": V3_ROLE_CODE, "code": rel_code, "display": rel_display}]
                ),
                "condition": [
                    {
                        "code": _concept([{"system": cs.ICD10, "code": code, "display": display}]),
                        "onsetAge": {
                            "value": r.randrange(35, 80),
                            "unit": "a",
                            "system": UCUM,
                            "code": "a",
                        },
                    }
                ],
            }

    def _contact(
        self,
        r: random.Random,
        subject: dict[str, str],
        party: _Party,
        own_gp: str,
        sex: str,
        age: int,
        day: date,
    ) -> Iterator[Resource]:
        eid = _uuid(r)
        u = r.random()
        kind = "AMB" if u < 0.55 else "VR" if u < 0.97 else "HH"
        clinician = own_gp
        if r.random() < 0.3:
            clinician = party.clinicians[r.randrange(len(party.clinicians))][0]
        moment = _moment(day, r.randrange(8 * 60, 16 * 60))
        symptom = (
            r.choices(self.symptom_codes, self.symptom_weights)[0]
            if r.random() < SYMPTOM_P
            else None
        )
        acute = r.choices(self.acute, self.acute_weights)[0] if r.random() < ACUTE_P else None
        encounter: Resource = {
            "resourceType": "Encounter",
            "id": eid,
            "status": "finished",
            "class": {"system": cs.V3_ACT_CODE, "code": kind},
            "subject": subject,
            "participant": [{"individual": _ref("Practitioner", clinician)}],
            "period": {"start": moment},
            "serviceProvider": _ref("Organization", party.practice_id),
        }
        reasons = []
        if symptom:
            reasons += [c for c in _symptom_codings(symptom)[0] if c["system"] == cs.ICPC2]
        if acute:
            reasons.append({"system": cs.ICPC2, "code": acute})
        if reasons:
            encounter["reasonCode"] = [_concept([c]) for c in reasons]
        yield encounter
        context = _ref("Encounter", eid)

        if kind == "AMB" and r.random() < LAB_PANEL_P:
            codes = list(self.panel)
            if r.random() < 0.3:
                codes += self.extended
            if r.random() < 0.2:
                codes.append(r.choice(EXTRA_LABS))
            if sex == "male" and age >= 50 and r.random() < 0.15:
                codes.append("psa")
            issued = _moment(day + timedelta(days=1), r.randrange(7 * 60, 18 * 60))
            for code in codes:
                yield self._lab(r, subject, context, code, sex, age, moment, issued)

        if symptom:
            codings, label = _symptom_codings(symptom)
            u = r.random()
            chosen = codings if u < 0.6 else codings[:1] if u < 0.8 else codings[-1:]
            onset = day - timedelta(days=int(r.expovariate(1 / 21)))
            observation: Resource = {
                "resourceType": "Observation",
                "id": _uuid(r),
                "extension": [{"url": EXT_RECORDED_ON, "valueDate": day.isoformat()}],
                "status": "final",
                "category": _category(OBSERVATION_CATEGORY, "exam"),
                "code": _concept(chosen, label),
                "subject": subject,
                "encounter": context,
                "effectiveDateTime": onset.isoformat(),
            }
            if r.random() < 0.3:
                observation["extension"].append({"url": EXT_PERSISTENT, "valueBoolean": True})
            if r.random() < 0.15:
                observation["extension"].append({"url": EXT_RECURRENT, "valueBoolean": True})
            yield observation

        if kind == "AMB" and age >= 18 and r.random() < VITALS_P:
            yield self._blood_pressure(r, subject, context, moment, age)
            if r.random() < 0.5:
                weight = round(r.gauss(78 if sex == "male" else 68, 12), 1)
                yield self._vital(
                    r, subject, context, moment, BODY_WEIGHT, max(weight, 35.0), "kg", "kg"
                )
            if r.random() < 0.3:
                pulse = round(r.gauss(72, 10))
                yield self._vital(
                    r, subject, context, moment, HEART_RATE, pulse, "/min", "beats/minute"
                )

        if acute:
            yield {
                "resourceType": "Condition",
                "id": _uuid(r),
                "clinicalStatus": _concept([{"system": CONDITION_CLINICAL, "code": "resolved"}]),
                "verificationStatus": _concept(
                    [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]
                ),
                "category": _category(CONDITION_CATEGORY, "encounter-diagnosis"),
                "code": _concept([{"system": cs.ICPC2, "code": acute}]),
                "subject": subject,
                "encounter": context,
                "onsetDateTime": day.isoformat(),
                "abatementDateTime": (day + timedelta(days=r.randrange(5, 30))).isoformat(),
                "recordedDate": day.isoformat(),
            }

        if r.random() < PRESCRIPTION_P:
            rxnorm, display, atc = r.choice(PRESCRIPTIONS)
            coding = [{"system": cs.RXNORM, "code": rxnorm, "display": display}]
            if r.random() < 0.5:
                coding.append({"system": cs.ATC, "code": atc})
            yield self._request(r, subject, context, clinician, day, coding, display)
        if r.random() < PENICILLIN_P:
            coding = [{"system": cs.ATC, "code": PENICILLIN[0], "display": PENICILLIN[1]}]
            yield self._request(r, subject, context, clinician, day, coding, "")

    def _lab(
        self,
        r: random.Random,
        subject: dict[str, str],
        context: dict[str, str],
        code: str,
        sex: str,
        age: int,
        moment: str,
        issued: str,
    ) -> Resource:
        lab = self.labs[code]
        low, high = _interval(code, sex, max(age, 18))
        if lab.skewed and lab.median > 0:
            value = r.lognormvariate(math.log(lab.median), lab.sigma)
            typical = lab.median
        elif low is not None and high is not None:
            value = r.gauss((low + high) / 2, (high - low) / 3.5)
            typical = high
        elif high is not None:
            value = r.uniform(0.1, high * 1.2)
            typical = high
        else:
            value = r.uniform(1.0, 10.0)
            typical = 10.0
        decimals = 2 if typical < 10 else 1 if typical < 100 else 0
        value = round(max(value, 10**-decimals), decimals)
        u = r.random()
        codings = lab.codings
        if len(codings) > 1 and u < 0.4:
            codings = codings[:1] if u < 0.25 else codings[1:]
        observation: Resource = {
            "resourceType": "Observation",
            "id": _uuid(r),
            "status": "final",
            "category": _category(OBSERVATION_CATEGORY, "laboratory"),
            "code": _concept(codings, lab.label),
            "subject": subject,
            "encounter": context,
            "effectiveDateTime": moment,
            "issued": issued,
            "valueQuantity": {"value": value if decimals else int(value), "unit": lab.unit},
        }
        if low is not None or high is not None:
            limits: Resource = {}
            if low is not None:
                limits["low"] = {"value": low, "unit": lab.unit}
            if high is not None:
                limits["high"] = {"value": high, "unit": lab.unit}
            observation["referenceRange"] = [limits]
        return observation

    def _blood_pressure(
        self,
        r: random.Random,
        subject: dict[str, str],
        context: dict[str, str],
        moment: str,
        age: int,
    ) -> Resource:
        systolic = round(r.gauss(115 + age / 3, 14))
        diastolic = round(min(systolic - 20, r.gauss(75 + age / 10, 9)))
        return {
            "resourceType": "Observation",
            "id": _uuid(r),
            "status": "final",
            "category": _category(OBSERVATION_CATEGORY, "vital-signs"),
            "code": _concept(
                [{"system": cs.LOINC, "code": VITALS_PANEL[0], "display": VITALS_PANEL[1]}]
            ),
            "subject": subject,
            "encounter": context,
            "effectiveDateTime": moment,
            "component": [
                {
                    "code": _concept([{"system": cs.LOINC, "code": c, "display": d}]),
                    "valueQuantity": {"value": v, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
                }
                for (c, d), v in ((SYSTOLIC, systolic), (DIASTOLIC, diastolic))
            ],
        }

    def _vital(
        self,
        r: random.Random,
        subject: dict[str, str],
        context: dict[str, str],
        moment: str,
        loinc: tuple[str, str],
        value: float,
        ucum: str,
        unit: str,
    ) -> Resource:
        return {
            "resourceType": "Observation",
            "id": _uuid(r),
            "status": "final",
            "category": _category(OBSERVATION_CATEGORY, "vital-signs"),
            "code": _concept([{"system": cs.LOINC, "code": loinc[0], "display": loinc[1]}]),
            "subject": subject,
            "encounter": context,
            "effectiveDateTime": moment,
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": ucum},
        }

    def _request(
        self,
        r: random.Random,
        subject: dict[str, str],
        context: dict[str, str],
        clinician: str,
        day: date,
        coding: list[dict[str, str]],
        text: str,
    ) -> Resource:
        return {
            "resourceType": "MedicationRequest",
            "id": _uuid(r),
            "status": "completed",
            "intent": "order",
            "medicationCodeableConcept": _concept(coding, text),
            "subject": subject,
            "encounter": context,
            "authoredOn": day.isoformat(),
            "requester": _ref("Practitioner", clinician),
            "dispenseRequest": {
                "validityPeriod": {
                    "start": day.isoformat(),
                    "end": (day + timedelta(days=r.choice((7, 10, 14, 30)))).isoformat(),
                }
            },
        }
