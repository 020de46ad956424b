"""A CDS Hooks prefetch, checked and read into the engine's `PatientContext`.

The prefetch is the whole of what the service knows about the patient: nothing of the
clinical record is read from the database. Each resource is validated as FHIR R4B
(`fhir.resources`), then read by the same readers the importer uses
(`opspor.interop.reading`), and the context is built with the record's own choices
(`opspor.records.context`): the symptom and lab windows, unresolved conditions in the
engine's code systems only, medicines with an ATC code, contacts up to today.

What a prefetch cannot say, and the record can:
- `lives_alone` and occupational exposures have no FHIR R4 element the prefetch asks for;
  they stay at the engine's defaults (not living alone, no exposure);
- the day the patient was listed with the practice (the record's `registered_from`) is not
  in FHIR's Patient either, so a return after a long absence is measured from the last
  contact the prefetch holds, never from the listing;
- a contact's clinician is the reference the Encounter gives (``Practitioner/123``), and
  the current user is `context.userId`: continuity compares these strings as they are, so
  it holds when the EHR names the user and the encounters' participants the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from opspor.engine.context import PatientContext, Relation
from opspor.interop import reading
from opspor.records.context import ENGINE_CONDITION_SYSTEMS, LAB_DAYS, SYMPTOM_DAYS

_COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# The engine's family relations; another relation counts as "other", as in the record.
_RELATIONS = frozenset(get_args(Relation))

# FHIR R4's core extension for "an interpreter is required" on a Patient.
INTERPRETER_REQUIRED = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"


@dataclass(frozen=True)
class PrefetchKey:
    """One prefetch template: the key, the FHIR query, the resource type it returns, and
    whether the service can answer without it."""

    key: str
    template: str
    resource_type: str
    required: bool
    # Resource types a search may carry besides its own: a Medication `_include`d for a
    # `medicationReference`, an OperationOutcome about the search.
    also: tuple[str, ...] = ()


PATIENT_KEY = "patient"
PREFETCH: tuple[PrefetchKey, ...] = (
    PrefetchKey(PATIENT_KEY, "Patient/{{context.patientId}}", "Patient", required=True),
    PrefetchKey(
        "conditions", "Condition?patient={{context.patientId}}", "Condition", required=True
    ),
    PrefetchKey(
        "observations", "Observation?patient={{context.patientId}}", "Observation", required=True
    ),
    PrefetchKey(
        "encounters", "Encounter?patient={{context.patientId}}", "Encounter", required=True
    ),
    PrefetchKey(
        "medicationStatements",
        "MedicationStatement?patient={{context.patientId}}",
        "MedicationStatement",
        required=False,
        also=("Medication",),
    ),
    PrefetchKey(
        "medicationRequests",
        "MedicationRequest?patient={{context.patientId}}",
        "MedicationRequest",
        required=False,
        also=("Medication",),
    ),
    PrefetchKey(
        "familyHistory",
        "FamilyMemberHistory?patient={{context.patientId}}",
        "FamilyMemberHistory",
        required=False,
    ),
)
REQUIRED_KEYS = tuple(p.key for p in PREFETCH if p.required)


class PrefetchMissing(Exception):
    """The prefetch lacks data the service needs, and the service does not fetch it itself:
    answered 412 Precondition Failed, as CDS Hooks 2.0 names it."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(
            "The prefetch lacks what this service needs and Opspor does not query the FHIR "
            f"server itself: {', '.join(keys)} (see the discovery response's prefetch)."
        )
        self.keys = keys


class PrefetchInvalid(Exception):
    """A prefetch value that is not what its template returns, or not valid FHIR R4B:
    answered 400, the message naming the key and the field."""


@dataclass(frozen=True)
class Prefetched:
    """The prefetch after validation: the Patient and each search's resources by key."""

    patient: dict[str, Any]
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # `Medication/<id>` → Medication, for a medicine named by reference.
    medications: dict[str, dict[str, Any]] = field(default_factory=dict)


def _fhir_problems(error: ValidationError, where: str) -> str:
    # The input values are left out: they are the patient's data.
    parts = [
        f"{where}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
        for e in error.errors(include_input=False, include_url=False)[:5]
    ]
    more = len(error.errors()) - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _validate(value: dict[str, Any], where: str) -> None:
    try:
        get_fhir_model_class(value["resourceType"]).model_validate(value)
    except ValidationError as error:
        raise PrefetchInvalid(
            f"{where} is not valid FHIR R4 {value['resourceType']}: " + _fhir_problems(error, where)
        ) from None


def _is_outcome(value: Any) -> bool:
    # CDS Hooks 2.0 lets a client send an OperationOutcome where it could not fetch.
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def _party(reference: str | None) -> str | None:
    """A reference as `Type/id`, whether written relative or absolute, with or without a
    version: the form continuity compares."""
    if not reference:
        return None
    path = reference.split("/_history/")[0].rstrip("/")
    parts = path.split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else path


def _about_patient(resource: dict[str, Any], patient_id: str, where: str) -> None:
    name = "patient" if resource.get("resourceType") == "FamilyMemberHistory" else "subject"
    reference = (resource.get(name) or {}).get("reference")
    if reference and _party(reference) != f"Patient/{patient_id}":
        raise PrefetchInvalid(
            f"{where}.{name}: the resource is about another patient than "
            f"context.patientId ({reference!r})"
        )


def read_prefetch(prefetch: Any, *, patient_id: str) -> Prefetched:
    """Check the prefetch against the templates: 412 where a needed key is missing, 400 where
    a value is not the resource its template returns or not valid FHIR."""
    if prefetch is not None and not isinstance(prefetch, dict):
        raise PrefetchInvalid("prefetch must be an object of prefetch keys")
    given = prefetch or {}
    # An absent key is a template the client did not satisfy; null is "no such data" (CDS
    # Hooks 2.0), which is an answer for a search but leaves no patient to assess.
    patient = given.get(PATIENT_KEY)
    missing = [
        key
        for key in REQUIRED_KEYS
        if key not in given or _is_outcome(given[key]) or (key == PATIENT_KEY and patient is None)
    ]
    if missing:
        raise PrefetchMissing(missing)
    if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
        found = patient.get("resourceType") if isinstance(patient, dict) else type(patient).__name__
        raise PrefetchInvalid(f"prefetch.patient must be a Patient resource, not {found}")
    _validate(patient, "prefetch.patient")
    if patient.get("id") not in (None, patient_id):
        raise PrefetchInvalid("prefetch.patient.id is not context.patientId")
    out = Prefetched(patient=patient)
    for spec in PREFETCH:
        if spec.key == PATIENT_KEY:
            continue
        value = given.get(spec.key)
        # null: the client has no data for the template; an OperationOutcome: it could not
        # fetch it (only for a key the service can do without, by now).
        if value is None or _is_outcome(value):
            out.resources[spec.key] = []
            continue
        out.resources[spec.key] = _read_search(value, spec, patient_id, out.medications)
    return out


def _read_search(
    value: Any, spec: PrefetchKey, patient_id: str, medications: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    where = f"prefetch.{spec.key}"
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
        kind = value.get("resourceType") if isinstance(value, dict) else type(value).__name__
        raise PrefetchInvalid(
            f"{where} must be a searchset Bundle of {spec.resource_type}, not {kind}"
        )
    if value.get("type") != "searchset":
        raise PrefetchInvalid(f"{where} must be a Bundle of type searchset")
    # Every entry is looked at before the whole is validated, so that a resource of the
    # wrong type is named as such rather than as a list of fields it lacks.
    entries = value.get("entry", [])
    if not isinstance(entries, list):
        raise PrefetchInvalid(f"{where}.entry must be an array of entries")
    found: list[tuple[int, dict[str, Any]]] = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise PrefetchInvalid(f"{where}.entry[{i}] has no resource")
        kind = resource.get("resourceType")
        if kind == "OperationOutcome" or kind in spec.also:
            if kind == "Medication" and resource.get("id"):
                medications[f"Medication/{resource['id']}"] = resource
            continue
        if kind != spec.resource_type:
            raise PrefetchInvalid(
                f"{where}.entry[{i}].resource is of type {kind}; this Bundle holds "
                f"{spec.resource_type} resources"
            )
        found.append((i, resource))
    _validate(value, where)
    for i, resource in found:
        _about_patient(resource, patient_id, f"{where}.entry[{i}].resource")
    return [resource for _, resource in found]


def _interpreter_needed(patient: dict[str, Any]) -> bool:
    return any(
        e.get("url") == INTERPRETER_REQUIRED and e.get("valueBoolean") is True
        for e in patient.get("extension", []) or []
    )


def patient_context_from(
    prefetched: Prefetched, *, as_of: date, current_clinician: str | None
) -> PatientContext:
    """The engine's view of the patient the prefetch describes, on `as_of`, for the user
    `current_clinician` (a `Practitioner/...` or `PractitionerRole/...` reference)."""
    try:
        return _context(prefetched, as_of=as_of, current_clinician=current_clinician)
    except reading.Unreadable as error:
        raise PrefetchInvalid(f"The prefetch cannot be read: {error}") from None
    except ValidationError as error:
        raise PrefetchInvalid(
            "The prefetch does not make a patient context: " + _fhir_problems(error, "context")
        ) from None


def _context(
    prefetched: Prefetched, *, as_of: date, current_clinician: str | None
) -> PatientContext:
    patient = reading.read_patient(prefetched.patient)
    if patient.birth_date is None:
        raise reading.Unreadable("Patient.birthDate", "the engine needs the birth date")
    if patient.sex is None:
        raise reading.Unreadable("Patient.gender", "the engine's rules need female or male")
    resources = prefetched.resources

    contacts = []
    for resource in resources.get("encounters", []):
        contact = reading.read_encounter(resource)
        if contact is None:
            continue  # a hospital encounter, not a contact with the practice
        day = contact.at.astimezone(_COPENHAGEN).date()
        if day <= as_of:
            contacts.append(
                {"date": day, "clinician": _party(contact.clinician), "kind": contact.kind}
            )

    symptoms, findings, labs, smoking = [], [], [], []
    symptom_since = as_of - timedelta(days=SYMPTOM_DAYS)
    lab_since = as_of - timedelta(days=LAB_DAYS)
    for resource in resources.get("observations", []):
        item = reading.read_observation(resource)
        if isinstance(item, reading.SymptomItem):
            if item.recorded_on >= symptom_since and item.onset <= as_of:
                symptoms.append(
                    {
                        "code": item.code,
                        "onset": item.onset,
                        "persistent": item.persistent,
                        "recurrent": item.recurrent,
                    }
                )
        elif isinstance(item, reading.FindingItem):
            if item.found_on <= as_of:
                findings.append({"code": item.code, "date": item.found_on})
        elif isinstance(item, reading.LabItem):
            if lab_since <= item.taken_on <= as_of:
                labs.append(
                    {
                        "code": item.code,
                        "value": item.value,
                        "unit": item.unit,
                        "date": item.taken_on,
                    }
                )
        elif isinstance(item, reading.SmokingItem) and item.on <= as_of:
            smoking.append(item)

    conditions = []
    for resource in resources.get("conditions", []):
        condition = reading.read_condition(resource)
        # A malignant neoplasm is a cancer diagnosis in the record, not a condition the
        # rules read; a resolved one is history.
        if (
            condition.cancer_site is None
            and condition.resolved is None
            and condition.system in ENGINE_CONDITION_SYSTEMS
        ):
            conditions.append(
                {"code": condition.code, "system": condition.system, "chronic": condition.chronic}
            )

    medications = []
    for key in ("medicationStatements", "medicationRequests"):
        for resource in resources.get(key, []):
            medicine = reading.read_medication(resource, prefetched.medications)
            if medicine is not None and medicine.atc and medicine.start <= as_of:
                medications.append(
                    {"atc": medicine.atc, "start": medicine.start, "stop": medicine.stop}
                )

    family = []
    for resource in resources.get("familyHistory", []):
        for relative in reading.read_family_history(resource):
            relation = relative.relation if relative.relation in _RELATIONS else "other"
            family.append({"relation": relation, "cancer_site": relative.cancer_site})

    newest_smoking = max(smoking, key=lambda s: s.on).status if smoking else "unknown"
    data = {
        "as_of": as_of,
        "patient": {
            "birth_date": patient.birth_date,
            "sex": patient.sex,
            "smoking": newest_smoking,
            "interpreter_needed": _interpreter_needed(prefetched.patient),
            "language": (patient.language or "da").split("-")[0],
            "family_history": family,
        },
        "current_clinician": _party(current_clinician),
        "contacts": contacts,
        "symptoms": symptoms,
        "findings": findings,
        "labs": labs,
        "conditions": conditions,
        "medications": medications,
    }
    return PatientContext.model_validate(data)
