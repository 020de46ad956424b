"""Importing FHIR R4 records: files (`import_paths`) or one request body (`import_body`).

Each file is one transaction: a file with an invalid resource, a broken reference, an
unreadable item or a patient without a known practice imports nothing, and the report
names the file, the resource and the field. Other files still import.

Patients and parties (organisations, practitioners, their roles) are few and are written
one by one (a patient is matched against the record and may need its practice resolved);
clinical resources go in batches of `BATCH`: one lookup of their references and of their
ledger keys per batch, one bulk insert per model with its history.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, models, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from simple_history.utils import bulk_create_with_history
from tqdm import tqdm

from opspor.accounts.models import User
from opspor.interop import codings as cs
from opspor.interop import reading
from opspor.interop.importing import sources, writers
from opspor.interop.importing.references import BrokenReference, Resolver, Target, parse
from opspor.interop.importing.report import FileResult, ImportReport, Rejected, Rejection
from opspor.interop.importing.validation import validate
from opspor.interop.importing.writers import copy_fields, family_row, row_for
from opspor.interop.models import FhirImport, ImportedResource
from opspor.records import cpr as cpr_numbers
from opspor.records.models import (
    ClinicalFinding,
    Clinician,
    Contact,
    LabResult,
    Patient,
    PatientIdentifier,
    Practice,
)
from opspor.safetynet.loops import LIVE
from opspor.safetynet.models import Investigation
from opspor.safetynet.workflow import InvestigationState

logger = logging.getLogger(__name__)

BATCH = 1_000
PARTIES = frozenset({"Organization", "Practitioner", "PractitionerRole"})
# Resources of one patient that may become rows.
CLINICAL = frozenset(
    {
        "Encounter",
        "Condition",
        "Observation",
        "MedicationStatement",
        "MedicationRequest",
        "FamilyMemberHistory",
    }
)
# Read and deliberately not kept: Opspor's engine does not use allergies.
IGNORED = frozenset({"AllergyIntolerance"})
PATIENT = "records.patient"
CLINICIAN = "records.clinician"
PRACTICE = "records.practice"


class PracticeNotFound(ValueError):
    """`--practice` names no practice (neither an id nor a provider number)."""


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(resource: dict[str, Any]) -> str:
    return hashlib.sha256(_CANONICAL.encode(resource).encode()).hexdigest()


def practice_named(value: str) -> Practice:
    """A practice by its id or its provider number (ydernummer)."""
    found = Practice.objects.filter(provider_number=value).first()
    if found is None and value.isdigit():
        found = Practice.objects.filter(pk=int(value)).first()
    if found is None:
        raise PracticeNotFound(f"No practice has the id or provider number {value!r}.")
    return found


@dataclass
class _Run:
    """What every file of one import shares."""

    record: FhirImport
    practice: Practice | None
    user: User | None
    bar: Any
    practices: dict[tuple[str, str], int] = field(default_factory=dict)
    content_types: dict[str, ContentType] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def reason(self) -> str:
        return f"FHIR import #{self.record.pk}"

    def load(self) -> None:
        for pk, number, sor in Practice.objects.values_list("pk", "provider_number", "sor_code"):
            self.practices[(cs.YDERNUMMER, number)] = pk
            if sor:
                self.practices[(cs.SOR, sor)] = pk

    def content_type(self, model: type[models.Model]) -> ContentType:
        label = model._meta.label_lower
        if label not in self.content_types:
            ct = ContentType.objects.get_for_model(model)
            self.content_types[label] = ct
            self.labels[ct.pk] = label
        return self.content_types[label]


@dataclass
class _New:
    """A resource new to the ledger, waiting for its batch's insert."""

    entry: sources.Entry
    key: str
    digest: str
    rows: list[models.Model]
    unmapped: dict[str, Any] | None = None


class _FileImport:
    def __init__(self, run: _Run, result: FileResult, *, bundle: bool) -> None:
        self.run = run
        self.result = result
        self.bundle = bundle
        for model in (Patient, Clinician, Practice):
            run.content_type(model)
        self.resolver = Resolver(run.labels)
        self.batch: list[sources.Entry] = []
        self.new: list[_New] = []
        self.new_keys: set[tuple[str, str]] = set()
        self.patient_practice: dict[int, int] = {}
        self.smoking: dict[int, tuple[date, str]] = {}

    # -- driving ------------------------------------------------------------------------

    def prepare(self, entries: Sequence[sources.Entry]) -> None:
        for entry in entries:
            self.resolver.add_file_entry(entry.resource_type, entry.fhir_id, entry.full_url)

    def import_entries(self, entries: Iterable[sources.Entry]) -> None:
        for entry in entries:
            self.result.read += 1
            self.run.bar.update(1)
            validate(entry)
            kind = entry.resource_type
            if kind in CLINICAL or kind == "Medication":
                self.batch.append(entry)
                if len(self.batch) >= BATCH:
                    self.flush()
                continue
            self.flush()
            if kind == "Patient":
                self.patient(entry)
            elif kind in PARTIES:
                self.party(entry)
            elif kind in IGNORED:
                self.result.add(kind, "ignored")
            else:
                self.result.add(kind, "out_of_scope")
        self.flush()
        self.apply_smoking()

    def identity(self, entry: sources.Entry) -> tuple[str, str]:
        return self.resolver.identity(entry.resource_type, entry.fhir_id, entry.full_url)

    def remember(self, entry: sources.Entry, target: Target) -> None:
        # An NDJSON file holds one resource type, which its own resources do not reference:
        # nothing needs remembering, and its memory stays flat.
        if self.bundle:
            self.resolver.remember(self.identity(entry), target)

    def resolve(self, entry: sources.Entry, raw: str, path: str) -> Target | None:
        try:
            return self.resolver.resolve(raw)
        except BrokenReference as broken:
            raise Rejected(entry.where, path, f"broken reference: {broken.reason}") from None

    # -- the ledger ---------------------------------------------------------------------

    def ledger(self, resource_type: str, keys: list[str]) -> dict[str, tuple[int, str]]:
        """Key → (ledger id, content hash) of the keys imported before."""
        return writers.ledger_hashes(resource_type, keys)

    def ledger_one(self, resource_type: str, key: str) -> ImportedResource | None:
        return ImportedResource.objects.filter(resource_type=resource_type, key=key).first()

    def ledger_values(
        self,
        entry: sources.Entry,
        key: str,
        digest: str,
        row: models.Model | None,
        unmapped: dict[str, Any] | None = None,
        fhir_id: str | None = None,
    ) -> dict[str, Any]:
        return {
            "resource_type": entry.resource_type,
            "key": key[:400],
            "fhir_id": (entry.fhir_id if fhir_id is None else fhir_id)[:64],
            "content_hash": digest,
            "row_type_id": self.run.content_type(type(row)).pk if row is not None else None,
            "row_id": row.pk if row is not None else None,
            "unmapped": unmapped,
            "source": self.result.source[-255:],
        }

    def ledger_new(
        self,
        entry: sources.Entry,
        key: str,
        digest: str,
        row: models.Model | None,
        unmapped: dict[str, Any] | None = None,
    ) -> ImportedResource:
        return ImportedResource(**self.ledger_values(entry, key, digest, row, unmapped))

    def ledger_update(
        self,
        ledger: ImportedResource,
        digest: str,
        row: models.Model | None,
        unmapped: dict[str, Any] | None,
    ) -> None:
        ledger.content_hash = digest
        ledger.row_type = self.run.content_type(type(row)) if row is not None else None
        ledger.row_id = row.pk if row is not None else None
        ledger.unmapped = unmapped
        ledger.source = self.result.source[-255:]
        ledger.save()

    def save(self, row: models.Model) -> None:
        """Save a row with its history naming this import."""
        row._change_reason = self.run.reason  # type: ignore[attr-defined]
        if self.run.user is not None:
            row._history_user = self.run.user  # type: ignore[attr-defined]
        row.save()

    def delete(self, row: models.Model) -> None:
        row._change_reason = self.run.reason  # type: ignore[attr-defined]
        row.delete()

    # -- practices, patients and parties ------------------------------------------------

    def practice_of(self, identifiers: Iterable[tuple[str, str]]) -> int | None:
        for system, value in identifiers:
            if (system, value) in self.run.practices:
                return self.run.practices[(system, value)]
        return None

    def general_practitioner(
        self, entry: sources.Entry, references: Sequence[dict[str, Any]]
    ) -> tuple[int | None, int | None]:
        """The practice (and the own GP, where named) of `Patient.generalPractitioner`."""
        practice_id = gp_id = None
        for index, gp in enumerate(references):
            path = f"Patient.generalPractitioner[{index}]"
            identifier = gp.get("identifier") or {}
            if identifier.get("value"):
                found = self.practice_of([(identifier.get("system", ""), identifier["value"])])
                practice_id = practice_id or found
            raw = gp.get("reference")
            if not raw:
                continue
            ref = parse(raw)
            if ref.kind == "conditional":
                system, _, value = ref.key.partition("|")
                practice_id = practice_id or self.practice_of([(system, value)])
            target = self.resolve(entry, raw, f"{path}.reference")
            if target is None:
                continue
            if target.row_of(PRACTICE):
                practice_id = practice_id or target.row_id
            elif clinician := target.row_of(CLINICIAN):
                at = Clinician.objects.filter(pk=clinician).values_list("practice_id").first()
                if at is not None and at[0]:
                    gp_id = gp_id or clinician
                    practice_id = practice_id or at[0]
        return practice_id, gp_id

    def patient(self, entry: sources.Entry) -> None:
        resource = entry.resource
        item = reading.read_patient(resource)
        digits = None
        if item.cpr is not None:
            index = next(
                i
                for i, ident in enumerate(resource.get("identifier") or [])
                if ident.get("system") == cs.CPR and ident.get("value")
            )
            try:
                digits = cpr_numbers.normalise(item.cpr)
            except cpr_numbers.InvalidCPR as error:
                path = f"Patient.identifier[{index}].value"
                raise Rejected(entry.where, path, str(error)) from None
            if item.birth_date and cpr_numbers.birth_date(digits) != item.birth_date:
                raise Rejected(
                    entry.where, "Patient.birthDate", "the birth date does not match the CPR number"
                )
        others = [(s, v) for s, v in item.identifiers if s != cs.CPR]
        if digits:
            key = f"{cs.CPR}|{digits}"
        elif others:
            key = f"{others[0][0]}|{others[0][1]}"
        else:
            key = f"id:{entry.fhir_id}"
        digest = content_hash(resource)
        ledger = self.ledger_one("Patient", key)
        if ledger is not None and ledger.content_hash == digest and ledger.row_id:
            practice = Patient.objects.filter(pk=ledger.row_id).values_list("practice_id")
            if practice:
                self.patient_practice[ledger.row_id] = practice[0][0]
                self.remember(entry, Target("Patient", key, PATIENT, ledger.row_id))
                self.result.add("Patient", "unchanged")
                return
        patient = self.match_patient(entry, digits, others, ledger)
        practice_id, gp_id = self.general_practitioner(entry, item.general_practitioner)
        if patient is None:
            patient = self.new_patient(entry, item, digits, practice_id, gp_id)
            bucket = "imported"
        else:
            changed = self.update_patient(patient, item, digits, practice_id, gp_id)
            bucket = "updated" if changed else "unchanged"
        self.identifiers(entry, patient, others)
        if ledger is None:
            ImportedResource.objects.bulk_create([self.ledger_new(entry, key, digest, patient)])
        else:
            self.ledger_update(ledger, digest, patient, None)
        self.patient_practice[patient.pk] = patient.practice_id
        self.remember(entry, Target("Patient", key, PATIENT, patient.pk))
        self.result.add("Patient", bucket)

    def match_patient(
        self,
        entry: sources.Entry,
        digits: str | None,
        others: list[tuple[str, str]],
        ledger: ImportedResource | None,
    ) -> Patient | None:
        if ledger is not None and ledger.row_id:
            return Patient.objects.filter(pk=ledger.row_id).first()
        if digits:
            found = Patient.objects.filter(cpr=digits).first()
            if found is not None:
                return found
        if others:
            query = models.Q()
            for system, value in others:
                query |= models.Q(system=system, value=value)
            rows = PatientIdentifier.objects.filter(query).values_list("patient_id")
            owners = {owner for (owner,) in rows}
            if len(owners) > 1:
                raise Rejected(
                    entry.where, "Patient.identifier", "the identifiers name different patients"
                )
            if owners:
                found = Patient.objects.get(pk=owners.pop())
                if digits and found.cpr and found.cpr != digits:
                    raise Rejected(
                        entry.where,
                        "Patient.identifier",
                        "an identifier names a patient with another CPR number",
                    )
                return found
        return None

    def new_patient(
        self,
        entry: sources.Entry,
        item: reading.PatientItem,
        digits: str | None,
        practice_id: int | None,
        gp_id: int | None,
    ) -> Patient:
        if not item.name:
            raise Rejected(entry.where, "Patient.name", "a new patient needs a name")
        if item.birth_date is None:
            raise Rejected(entry.where, "Patient.birthDate", "a new patient needs a birth date")
        if item.sex is None:
            raise Rejected(
                entry.where, "Patient.gender", "a new patient needs the gender male or female"
            )
        if practice_id is None and self.run.practice is not None:
            practice_id = self.run.practice.pk
        if practice_id is None:
            raise Rejected(
                entry.where,
                "Patient.generalPractitioner",
                "names no known practice (by ydernummer or SOR code), and no practice was "
                "given for the import",
            )
        patient = Patient(
            cpr=digits,
            name=item.name[:150],
            birth_date=item.birth_date,
            sex=item.sex,
            practice_id=practice_id,
            own_gp_id=gp_id,
            registered_from=timezone.localdate(),
            died_on=item.died_on,
            preferred_language=(item.language or "da")[:8],
            # Imported from a practice system: a record of a person, not demo data.
            is_fictional=False,
        )
        self.save(patient)
        return patient

    def update_patient(
        self,
        patient: Patient,
        item: reading.PatientItem,
        digits: str | None,
        practice_id: int | None,
        gp_id: int | None,
    ) -> bool:
        values: dict[str, Any] = {
            "cpr": digits or patient.cpr,
            "name": item.name[:150] or patient.name,
            "birth_date": item.birth_date or patient.birth_date,
            "sex": item.sex or patient.sex,
            "died_on": item.died_on,
            "preferred_language": (item.language or patient.preferred_language)[:8],
            "practice_id": practice_id or patient.practice_id,
            "own_gp_id": gp_id or patient.own_gp_id,
        }
        changed = False
        for name, value in values.items():
            if getattr(patient, name) != value:
                setattr(patient, name, value)
                changed = True
        if changed:
            self.save(patient)
        return changed

    def identifiers(
        self, entry: sources.Entry, patient: Patient, others: list[tuple[str, str]]
    ) -> None:
        if not others:
            return
        query = models.Q()
        for system, value in others:
            query |= models.Q(system=system[:255], value=value[:255])
        have = {
            (s, v): owner
            for s, v, owner in PatientIdentifier.objects.filter(query).values_list(
                "system", "value", "patient_id"
            )
        }
        for system, value in others:
            owner = have.get((system[:255], value[:255]))
            if owner is None:
                added = PatientIdentifier(patient=patient, system=system[:255], value=value[:255])
                self.save(added)
                have[(system[:255], value[:255])] = patient.pk
            elif owner != patient.pk:
                message = "an identifier names another patient"
                raise Rejected(entry.where, "Patient.identifier", message)

    def party(self, entry: sources.Entry) -> None:
        resource = entry.resource
        item = reading.read_party(resource)
        key = f"{item.identifiers[0][0]}|{item.identifiers[0][1]}" if item.identifiers else ""
        key = key or f"id:{entry.fhir_id}"
        digest = content_hash(resource)
        kind = entry.resource_type
        ledger = self.ledger_one(kind, key)
        if ledger is not None and ledger.content_hash == digest:
            label = self.run.labels.get(ledger.row_type_id) if ledger.row_type_id else None
            self.remember(entry, Target(kind, key, label, ledger.row_id, ledger.unmapped))
            self.result.add(kind, "unchanged")
            return
        row: models.Model | None = None
        if kind == "Organization":
            practice_id = self.practice_of(item.identifiers)
            row = Practice.objects.get(pk=practice_id) if practice_id else None
        elif kind == "PractitionerRole":
            row = self.role_clinician(entry, item)
        elif ledger is not None and ledger.row_id and ledger.row_type_id == self.clinician_type:
            # A practitioner who is a clinician of a practice already: their name may change.
            clinician = Clinician.objects.get(pk=ledger.row_id)
            if item.name and clinician.name != item.name[:150]:
                clinician.name = item.name[:150]
                self.save(clinician)
            row = clinician
        unmapped = resource if row is None else None
        if ledger is None:
            ImportedResource.objects.bulk_create(
                [self.ledger_new(entry, key, digest, row, unmapped)]
            )
            bucket = "imported" if row is not None else "kept_unmapped"
        else:
            self.ledger_update(ledger, digest, row, unmapped)
            bucket = "updated" if row is not None else "kept_unmapped"
        label = type(row)._meta.label_lower if row is not None else None
        self.remember(
            entry, Target(kind, key, label, row.pk if row is not None else None, unmapped)
        )
        self.result.add(kind, bucket)

    @property
    def clinician_type(self) -> int:
        return self.run.content_type(Clinician).pk

    def role_clinician(self, entry: sources.Entry, item: reading.PartyItem) -> Clinician | None:
        """The clinician a PractitionerRole at a known practice makes of its practitioner."""
        practice_id = None
        if item.organization:
            organisation = self.resolve(entry, item.organization, "PractitionerRole.organization")
            if organisation is not None:
                practice_id = organisation.row_of(PRACTICE)
            ref = parse(item.organization)
            if practice_id is None and ref.kind == "conditional":
                system, _, value = ref.key.partition("|")
                practice_id = self.practice_of([(system, value)])
        if practice_id is None or not item.practitioner:
            return None
        practitioner = self.resolve(entry, item.practitioner, "PractitionerRole.practitioner")
        if practitioner is None:
            return None
        if clinician_id := practitioner.row_of(CLINICIAN):
            return Clinician.objects.get(pk=clinician_id)
        name = reading.read_party(practitioner.resource or {"resourceType": "Practitioner"}).name
        clinician = Clinician(
            name=(name or f"Practitioner {parse(item.practitioner).fhir_id}")[:150],
            role=Clinician.Role.GP,
            practice_id=practice_id,
        )
        self.save(clinician)
        # The practitioner is a clinician from now on: later references find the row.
        ImportedResource.objects.filter(resource_type="Practitioner", key=practitioner.key).update(
            row_type=self.run.content_type(Clinician), row_id=clinician.pk, unmapped=None
        )
        practitioner.row_model, practitioner.row_id = CLINICIAN, clinician.pk
        return clinician

    # -- clinical resources, by the batch ------------------------------------------------

    def subject_of(self, entry: sources.Entry) -> str:
        return "patient" if entry.resource_type == "FamilyMemberHistory" else "subject"

    def references(self, entry: sources.Entry) -> Iterator[str]:
        resource = entry.resource
        subject = (resource.get(self.subject_of(entry)) or {}).get("reference")
        if subject:
            yield subject
        for participant in resource.get("participant") or []:
            if ref := (participant.get("individual") or {}).get("reference"):
                yield ref
        if ref := (resource.get("medicationReference") or {}).get("reference"):
            yield ref

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        refs = [ref for entry in batch for ref in self.references(entry)]
        self.resolver.prefetch(refs)
        self.prefetch_practices(refs)
        planned: list[tuple[sources.Entry, str, str, list[models.Model], Any, Any]] = []
        for entry in batch:
            planned.append(self.plan(entry))
        keys: dict[str, list[str]] = {}
        for entry, key, *_ in planned:
            keys.setdefault(entry.resource_type, []).append(key)
        existing = {
            (kind, key): ledger
            for kind, kind_keys in keys.items()
            for key, ledger in self.ledger(kind, kind_keys).items()
        }
        for entry, key, digest, rows, unmapped, smoking in planned:
            kind = entry.resource_type
            if (kind, key) in self.new_keys:
                self.write_new()  # the same resource twice in a batch: the later one wins
                existing.update({(kind, k): v for k, v in self.ledger(kind, [key]).items()})
            seen = existing.get((kind, key))
            if seen is not None and seen[1] == digest:
                self.result.add(kind, "unchanged")
                continue
            if smoking is not None:
                patient_id, on, status = smoking
                self.note_smoking(patient_id, on, status)
                rows = [Patient(pk=patient_id)]
            if seen is not None:
                ledger = ImportedResource.objects.get(pk=seen[0])
                self.update_rows(entry, ledger, digest, rows, unmapped, smoking is not None)
                continue
            self.new.append(_New(entry, key, digest, rows, unmapped))
            self.new_keys.add((kind, key))
        self.write_new()

    def prefetch_practices(self, refs: list[str]) -> None:
        """The practices of the batch's patients not met before in the file, in one query."""
        wanted = set()
        for raw in set(refs):
            target = self.resolver.cached(raw)
            row_id = target.row_of(PATIENT) if target is not None else None
            if row_id and row_id not in self.patient_practice:
                wanted.add(row_id)
        if wanted:
            self.patient_practice.update(
                Patient.objects.filter(pk__in=wanted).values_list("pk", "practice_id")
            )

    def plan(self, entry: sources.Entry) -> tuple[Any, ...]:
        """(entry, key, hash, rows, unmapped resource, smoking) of one clinical resource."""
        resource = entry.resource
        kind = entry.resource_type
        digest = content_hash(resource)
        if kind == "Medication":
            key = self.key(entry, None)
            self.remember(entry, Target(kind, key, None, None, resource))
            return (entry, key, digest, [], resource, None)
        name = self.subject_of(entry)
        raw = (resource.get(name) or {}).get("reference")
        if not raw:
            raise Rejected(entry.where, f"{kind}.{name}", "a reference to the patient is required")
        target = self.resolve(entry, raw, f"{kind}.{name}.reference")
        patient_id = target.row_of(PATIENT) if target is not None else None
        if target is None or patient_id is None:
            raise Rejected(
                entry.where, f"{kind}.{name}.reference", "names no patient of this import"
            )
        key = self.key(entry, target.key)
        try:
            rows, smoking = self.read_rows(entry, patient_id)
        except reading.Unreadable as error:
            raise Rejected(entry.where, error.field_path, str(error)) from None
        return (entry, key, digest, rows, None if rows or smoking else resource, smoking)

    def key(self, entry: sources.Entry, patient_key: str | None) -> str:
        ids = reading.identifiers(entry.resource)
        if ids:
            return f"{ids[0][0]}|{ids[0][1]}"
        own = f"id:{entry.fhir_id}" if entry.fhir_id else f"url:{entry.full_url}"
        return f"{patient_key}#{own}" if patient_key else own

    def read_rows(
        self, entry: sources.Entry, patient_id: int
    ) -> tuple[list[models.Model], tuple[int, date, str] | None]:
        resource = entry.resource
        kind = entry.resource_type
        practice_id = self.patient_practice[patient_id]
        item: Any
        if kind == "Encounter":
            item = reading.read_encounter(resource)
            if item is None:
                return [], None  # a hospital encounter: out of scope, counted by the caller
            clinician_id = None
            if item.clinician:
                path = "Encounter.participant.individual.reference"
                clinician = self.resolve(entry, item.clinician, path)
                clinician_id = clinician.row_of(CLINICIAN) if clinician is not None else None
            row = row_for(
                item, patient_id=patient_id, practice_id=practice_id, clinician_id=clinician_id
            )
            return [row], None
        if kind == "Condition":
            item = reading.read_condition(resource)
        elif kind == "Observation":
            item = reading.read_observation(resource)
            if isinstance(item, reading.SmokingItem):
                return [], (patient_id, item.on, item.status)
        elif kind == "FamilyMemberHistory":
            relatives = reading.read_family_history(resource)
            return [family_row(i, patient_id=patient_id) for i in relatives], None
        else:
            medications = {}
            if ref := (resource.get("medicationReference") or {}).get("reference"):
                path = f"{kind}.medicationReference.reference"
                target = self.resolve(entry, ref, path)
                if target is not None and target.resource is not None:
                    medications[ref] = target.resource
            item = reading.read_medication(resource, medications)
        if item is None:
            return [], None
        row = row_for(item, patient_id=patient_id, practice_id=practice_id, clinician_id=None)
        return [row], None

    def write_new(self) -> None:
        if not self.new:
            return
        new, self.new, self.new_keys = self.new, [], set()
        by_model: dict[type[models.Model], list[models.Model]] = {}
        for item in new:
            for row in item.rows:
                if not isinstance(row, Patient):  # a smoking status changes its patient
                    by_model.setdefault(type(row), []).append(row)
        for model, rows in by_model.items():
            if writers.fast_inserts():
                writers.insert_with_history(
                    rows, reason=self.run.reason, user_id=self.run.user_id, when=timezone.now()
                )
            else:
                bulk_create_with_history(
                    rows,
                    model,
                    batch_size=BATCH,
                    default_user=self.run.user,
                    default_change_reason=self.run.reason,
                )
            self.announce(model, rows)
            if model is Contact:
                self.registration_reaches_back(rows)
        ledgers = []
        for item in new:
            kind = item.entry.resource_type
            if not item.rows and kind == "Encounter":
                self.result.add(kind, "out_of_scope")
                continue
            first = item.rows[0] if item.rows else None
            ledgers.append(
                self.ledger_values(item.entry, item.key, item.digest, first, item.unmapped)
            )
            # A relative with several cancers: one row each; the others get their own entry.
            for n, row in enumerate(item.rows[1:], start=2):
                ledgers.append(
                    self.ledger_values(
                        item.entry,
                        f"{item.key}#cancer-{n}",
                        item.digest,
                        row,
                        fhir_id=f"{item.entry.fhir_id}-{n}" if item.entry.fhir_id else "",
                    )
                )
            self.result.add(kind, "imported" if first is not None else "kept_unmapped")
        if writers.fast_inserts():
            # auto_now: set by save() alone. One moment for the batch, prepared once.
            now = writers.prepared_now(ImportedResource, "imported_at")
            for value in ledgers:
                value["imported_at"] = value["updated_at"] = now
            writers.insert(ImportedResource, ledgers, frozenset({"imported_at", "updated_at"}))
        else:
            ImportedResource.objects.bulk_create(
                [ImportedResource(**value) for value in ledgers], batch_size=BATCH
            )

    def registration_reaches_back(self, contacts: list[models.Model]) -> None:
        """A FHIR Patient carries no day of listing, so a new patient is listed from the
        import day; a contact with the practice before it shows the patient was listed
        then. Without this the engine would read the imported history as the time before
        the listing and judge the patient's attendance against the population alone."""
        first: dict[int, date] = {}
        for row in contacts:
            day = timezone.localdate(row.at)  # type: ignore[attr-defined]
            patient_id = row.patient_id  # type: ignore[attr-defined]
            if patient_id not in first or day < first[patient_id]:
                first[patient_id] = day
        for patient_id, day in first.items():
            # An update, not a save: the listing day is derived, not a change of the record.
            Patient.objects.filter(pk=patient_id, registered_from__gt=day).update(
                registered_from=day
            )

    def announce(self, model: type[models.Model], rows: list[models.Model]) -> None:
        """Tell the record's receivers of the new rows, as `save()` would have: a lab result
        or a finding may answer a safety-net order, a contact changes its patient's signals.
        A contact's receiver recomputes the patient, so it hears of one contact a patient
        and batch, not of every one."""
        if not post_save.has_listeners(model):
            return
        told: set[int] = set()
        waiting = None
        if model in (LabResult, ClinicalFinding):
            # Only a patient with an order waiting in a live episode has one to answer: the
            # others' rows would each cost the receiver a query for nothing.
            waiting = set(
                Investigation.objects.filter(
                    state=InvestigationState.ORDERED,
                    episode__state__in=LIVE,
                    episode__patient_id__in={r.patient_id for r in rows},  # type: ignore[attr-defined]
                ).values_list("episode__patient_id", flat=True)
            )
        for row in rows:
            if waiting is not None and row.patient_id not in waiting:  # type: ignore[attr-defined]
                continue
            if model is Contact:
                patient_id = row.patient_id  # type: ignore[attr-defined]
                if patient_id in told:
                    continue
                told.add(patient_id)
            # The row's history was written with it; django-simple-history's own post_save
            # receiver would write it a second time (and build its manager class to do so).
            row.skip_history_when_saving = True  # type: ignore[attr-defined]
            try:
                post_save.send(
                    sender=model,
                    instance=row,
                    created=True,
                    update_fields=None,
                    raw=False,
                    using=row._state.db,
                )
            finally:
                del row.skip_history_when_saving  # type: ignore[attr-defined]

    def update_rows(
        self,
        entry: sources.Entry,
        ledger: ImportedResource,
        digest: str,
        rows: list[models.Model],
        unmapped: Any,
        smoking: bool,
    ) -> None:
        """A resource imported before, with other content: its row takes the new values,
        and its history names this import."""
        kind = entry.resource_type
        if not rows and kind == "Encounter":
            self.result.add(kind, "out_of_scope")
            return
        old = self.rows_of(ledger)
        extras = ImportedResource.objects.filter(
            resource_type=kind, key__startswith=f"{ledger.key}#cancer-"
        )
        if smoking:
            for row in old:
                if not isinstance(row, Patient):
                    self.delete(row)
            self.ledger_update(ledger, digest, rows[0], None)
            self.result.add(kind, "updated")
            return
        if len(old) == 1 and len(rows) == 1 and type(old[0]) is type(rows[0]):
            changed = copy_fields(old[0], rows[0])
            if changed:
                self.save(old[0])
            self.ledger_update(ledger, digest, old[0], None)
            self.result.add(kind, "updated" if changed else "unchanged")
            return
        for row in old:
            if not isinstance(row, Patient):
                self.delete(row)
        extras.delete()
        for row in rows:
            self.save(row)
        self.ledger_update(ledger, digest, rows[0] if rows else None, unmapped)
        for n, row in enumerate(rows[1:], start=2):
            ImportedResource.objects.create(
                resource_type=kind,
                key=f"{ledger.key}#cancer-{n}"[:400],
                fhir_id=f"{entry.fhir_id}-{n}"[:64] if entry.fhir_id else "",
                content_hash=digest,
                row_type=self.run.content_type(type(row)),
                row_id=row.pk,
                source=self.result.source[-255:],
            )
        self.result.add(kind, "updated" if rows else "kept_unmapped")

    def rows_of(self, ledger: ImportedResource) -> list[models.Model]:
        out = []
        for entry in [
            ledger,
            *ImportedResource.objects.filter(
                resource_type=ledger.resource_type, key__startswith=f"{ledger.key}#cancer-"
            ),
        ]:
            if entry.row_type_id and entry.row_id:
                model = ContentType.objects.get_for_id(entry.row_type_id).model_class()
                assert model is not None
                row = model._default_manager.filter(pk=entry.row_id).first()
                if row is not None:
                    out.append(row)
        return out

    def note_smoking(self, patient_id: int, on: date, status: str) -> None:
        if patient_id not in self.smoking or self.smoking[patient_id][0] <= on:
            self.smoking[patient_id] = (on, status)

    def apply_smoking(self) -> None:
        """The latest smoking status of the file, per patient."""
        if not self.smoking:
            return
        for patient in Patient.objects.filter(pk__in=list(self.smoking)):
            status = self.smoking[patient.pk][1]
            if patient.smoking != status:
                patient.smoking = status
                self.save(patient)


# -- entry points ---------------------------------------------------------------------------


def _start(channel: str, practice: Practice | None, user: User | None, progress: bool) -> _Run:
    now = timezone.now()
    record = FhirImport.objects.create(
        channel=channel,
        user=user,
        by=getpass.getuser() if channel == FhirImport.Channel.COMMAND else "",
        started_at=now,
        finished_at=now,
        files=0,
        files_rejected=0,
        resources=0,
        report={},
    )
    bar = tqdm(desc="FHIR import", unit=" resources", disable=None if progress else True)
    run = _Run(record=record, practice=practice, user=user, bar=bar)
    run.load()
    return run


def _finish(run: _Run, report: ImportReport, started: float) -> ImportReport:
    run.bar.close()
    report.seconds = time.perf_counter() - started
    report.import_id = run.record.pk
    record = run.record
    record.finished_at = timezone.now()
    record.files = len(report.files)
    record.files_rejected = len(report.rejected)
    record.resources = report.resources
    record.report = report.as_dict()
    record.save()
    # Counts only: file names may carry patients' names (a generator's files do).
    logger.info(
        "FHIR import #%s via %s by %s: %d files, %d rejected, %d resources read, %s",
        record.pk,
        record.channel,
        f"user #{record.user_id}" if record.user_id else record.by or "-",
        len(report.files),
        len(report.rejected),
        report.read,
        dict(report.counts),
    )
    return report


def _import_file(run: _Run, path: Path) -> FileResult:
    ndjson = path.suffix == ".ndjson"
    result = FileResult(source=str(path), format="ndjson" if ndjson else "bundle")
    started = time.perf_counter()
    try:
        with transaction.atomic():
            work = _FileImport(run, result, bundle=not ndjson)
            if ndjson:
                with path.open(encoding="utf-8") as lines:
                    work.import_entries(sources.ndjson_entries(lines))
            else:
                entries = sources.read_document(path)
                result.format = "bundle" if len(entries) != 1 else "resource"
                work.prepare(entries)
                work.import_entries(sources.by_dependency(entries))
    except Rejected as rejected:
        result.reject(rejected.rejection)
    except UnicodeDecodeError:
        result.reject(Rejection("", "", "the file is not UTF-8 text"))
    except DatabaseError as error:
        # The database's message may quote values (patient data): its kind only.
        result.reject(Rejection("", "", f"the database refused a row ({type(error).__name__})"))
    result.seconds = time.perf_counter() - started
    return result


def import_paths(
    paths: Sequence[Path],
    *,
    practice: Practice | None = None,
    progress: bool = False,
    user: User | None = None,
) -> ImportReport:
    """Import the FHIR files and folders `paths` (Bundles as ``.json``, Bulk Data as
    ``.ndjson``), each file in its own transaction. `practice` is the practice of a new
    patient whose `generalPractitioner` names no known one. `FileNotFoundError` for a path
    that does not exist (before anything is imported)."""
    files = sources.files_in(Path(p) for p in paths)
    started = time.perf_counter()
    run = _start(FhirImport.Channel.COMMAND, practice, user, progress)
    report = ImportReport()
    for path in files:
        report.files.append(_import_file(run, path))
    return _finish(run, report, started)


def import_body(
    body: bytes, *, user: User, practice: Practice | None = None, source: str = "request"
) -> ImportReport:
    """Import one request body (a Bundle, or NDJSON text) in one transaction. `ValueError`
    (saying why) for a body that is neither JSON nor NDJSON: nothing is recorded then."""
    started = time.perf_counter()
    refused: Rejection | None = None
    try:
        kind, entries = sources.body_entries(body)
    except Rejected as rejected:
        kind, entries, refused = "bundle", [], rejected.rejection
    run = _start(FhirImport.Channel.API, practice, user, progress=False)
    result = FileResult(source=source, format=kind)
    if refused is not None:
        result.reject(refused)
    else:
        try:
            with transaction.atomic():
                work = _FileImport(run, result, bundle=True)
                work.prepare(entries)
                work.import_entries(sources.by_dependency(entries))
        except Rejected as rejected:
            result.reject(rejected.rejection)
        except DatabaseError as error:
            result.reject(Rejection("", "", f"the database refused a row ({type(error).__name__})"))
    result.seconds = time.perf_counter() - started
    report = ImportReport(files=[result])
    return _finish(run, report, started)
