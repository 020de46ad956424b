"""The rows of a patient's record as FHIR R4 resources, one builder per row type.

Each builder takes the row and the export's `Ids` (with the row and what it refers to
loaded) and returns the resource as a plain dict; nothing here queries the database beyond
the related rows the caller selected. What a builder writes for a record row is what
`interop.reading` reads back, so an export imported elsewhere gives the same rows.

Codings: a row that came with its own codings (`original_coding`) exports exactly those;
a row without exports the vocabulary's standard codings (`codings.vocabulary_codings`) and
Opspor's own coding of the entry (`codings.VOCABULARY_SYSTEMS`), so that an entry with no
exact standard code is still named.

Sources of the codes written here:
- Patient identifier: DK-core's CPR identifier, ``urn:oid:1.2.208.176.1.2``; the practice's
  provider number (*ydernummer*) ``urn:oid:1.2.208.176.1.4`` (`codings`).
- Interpreter: the core extension ``patient-interpreterRequired`` (FHIR R4 extension registry).
- Language: BCP 47 (``urn:ietf:bcp:47``), the binding of Patient.communication.language.
- Condition clinical and verification status: ``condition-clinical``, ``condition-ver-status``
  and category ``condition-category`` (terminology.hl7.org, FHIR R4 Condition).
- Observation category: ``observation-category`` (laboratory, exam, social-history);
  interpretation H/L: ``v3-ObservationInterpretation``; ages and years in UCUM ``a``.
- FamilyMemberHistory.relationship: v3 RoleCode (`reading.RELATION_CODES`); the relative's
  cancer as the ICD-10 category of the site (`data/icd10_sites.yaml`) where the site is one
  category, else in words with Opspor's cancer-site code (see `cancer_site_concept`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from opspor.engine.vocab import load_vocabulary
from opspor.interop import codings as cs
from opspor.interop import reading
from opspor.interop.exporting.ids import Ids
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Clinician,
    Condition,
    Contact,
    DiagnosticUnit,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    PatientIdentifier,
    Practice,
    Symptom,
)

Resource = dict[str, Any]

TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
CONDITION_CLINICAL = f"{TERMINOLOGY}condition-clinical"
CONDITION_VERIFICATION = f"{TERMINOLOGY}condition-ver-status"
CONDITION_CATEGORY = f"{TERMINOLOGY}condition-category"
OBSERVATION_CATEGORY = f"{TERMINOLOGY}observation-category"
INTERPRETATION = f"{TERMINOLOGY}v3-ObservationInterpretation"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"
EXT_INTERPRETER = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
# Opspor's identifier of a diagnostic unit (its code), and its cancer sites: Opspor's own.
UNIT_IDENTIFIER = "https://opspor.dk/fhir/sid/diagnostic-unit"
CANCER_SITE_SYSTEM = cs.CANCER_SITE_SYSTEM

_ROLE_TEXT: dict[str, str] = {
    Clinician.Role.GP: "General practitioner",
    Clinician.Role.TRAINEE_GP: "Trainee general practitioner",
    Clinician.Role.UNIT_DOCTOR: "Diagnostic unit doctor",
}

_CONDITION_SYSTEMS: dict[str, str] = {
    Condition.System.ICD10: cs.ICD10,
    Condition.System.ICPC2: cs.ICPC2,
    Condition.System.SNOMED_CT: cs.SNOMED_CT,
}


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def moment(value: datetime) -> str:
    # A FHIR dateTime with the offset of Danish local time.
    return timezone.localtime(value).isoformat(timespec="seconds")


def drop_empty(node: Any) -> Any:
    """FHIR JSON has no empty values: "", [], {} and None are left out, all the way down."""
    if isinstance(node, dict):
        out = {k: drop_empty(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(node, list):
        items = [drop_empty(v) for v in node]
        return [v for v in items if v not in (None, "", [], {})]
    return node


def _concept(codings: Sequence[dict[str, str]], text: str = "") -> Resource:
    clean = [{k: str(c[k]) for k in ("system", "code", "display") if c.get(k)} for c in codings]
    return drop_empty({"coding": [c for c in clean if c.get("code")], "text": text})


def _label(kind: str, code: str) -> str:
    vocabulary = load_vocabulary()
    table = {
        "symptom": vocabulary.symptoms,
        "lab": vocabulary.labs,
        "finding": vocabulary.findings,
        "exposure": vocabulary.exposures,
    }[kind]
    entry = table.get(code)
    return entry.labels.en if entry is not None else code


def vocabulary_concept(kind: cs.ObservationKind, code: str, original: Sequence[Any]) -> Resource:
    """The code of an observation row: its own codings, or the vocabulary's."""
    if original:
        return _concept([c for c in original if isinstance(c, dict)], _label(kind, code))
    label = _label(kind, code)
    standard = cs.vocabulary_codings(kind, code)
    own = {"system": cs.VOCABULARY_SYSTEMS[kind], "code": code, "display": label}
    return _concept([*standard, own], label)


def _category(code: str) -> list[Resource]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}]


# --- who ------------------------------------------------------------------------------


def practice_organization(practice: Practice, ids: Ids) -> Resource:
    return drop_empty(
        {
            "resourceType": "Organization",
            "id": ids.id(Practice, practice.pk),
            "identifier": [{"system": cs.YDERNUMMER, "value": practice.provider_number}],
            "active": True,
            "name": practice.name,
            "telecom": [
                {"system": "phone", "value": practice.phone, "use": "work"},
                {"system": "email", "value": practice.email, "use": "work"}
                if practice.email
                else None,
            ],
            "address": [{"text": practice.address, "city": practice.municipality}]
            if practice.address
            else None,
        }
    )


def unit_organization(unit: DiagnosticUnit, ids: Ids) -> Resource:
    return drop_empty(
        {
            "resourceType": "Organization",
            "id": ids.id(DiagnosticUnit, unit.pk),
            "identifier": [{"system": UNIT_IDENTIFIER, "value": unit.code}],
            "active": True,
            "name": unit.full_name,
            "telecom": [
                {"system": "phone", "value": unit.phone, "use": "work"},
                {"system": "email", "value": unit.email, "use": "work"} if unit.email else None,
            ],
        }
    )


def practitioner(clinician: Clinician, ids: Ids) -> Resource:
    return drop_empty(
        {
            "resourceType": "Practitioner",
            "id": ids.id(Clinician, clinician.pk, "Practitioner"),
            "active": True,
            "name": [{"text": clinician.name}],
        }
    )


def practitioner_role(clinician: Clinician, ids: Ids) -> Resource:
    if clinician.practice_id is not None:
        organization = ids.ref(Practice, clinician.practice_id)
    else:
        assert clinician.unit_id is not None  # the model's constraint: one or the other
        organization = ids.ref(DiagnosticUnit, clinician.unit_id)
    return drop_empty(
        {
            "resourceType": "PractitionerRole",
            "id": ids.id(Clinician, clinician.pk, "PractitionerRole"),
            "active": True,
            "practitioner": ids.ref(Clinician, clinician.pk, "Practitioner"),
            "organization": organization,
            "code": [{"text": _ROLE_TEXT[clinician.role]}],
        }
    )


def role_ref(clinician_id: int | None, ids: Ids) -> Resource | None:
    return ids.ref(Clinician, clinician_id, "PractitionerRole") if clinician_id else None


# --- the patient ------------------------------------------------------------------------


def _human_name(name: str) -> Resource:
    parts = name.split()
    return drop_empty(
        {
            "use": "official",
            "text": name,
            "family": parts[-1] if parts else "",
            "given": parts[:-1],
        }
    )


def patient(patient_: Patient, ids: Ids, identifiers: Sequence[PatientIdentifier] = ()) -> Resource:
    """The patient: CPR number where there is one, their other identifiers, and their
    practice (with its provider number) as general practitioner."""
    identifier = (
        [{"use": "official", "system": cs.CPR, "value": patient_.cpr}] if patient_.cpr else []
    )
    identifier += [{"system": i.system, "value": i.value} for i in identifiers]
    practice = patient_.practice
    gp: list[dict[str, Any]] = [
        {
            **ids.ref(Practice, practice.pk),
            "identifier": {"system": cs.YDERNUMMER, "value": practice.provider_number},
            "display": practice.name,
        }
    ]
    if patient_.own_gp_id:
        gp.append(ids.ref(Clinician, patient_.own_gp_id, "PractitionerRole"))
    return drop_empty(
        {
            "resourceType": "Patient",
            "id": ids.id(Patient, patient_.pk),
            "extension": [{"url": EXT_INTERPRETER, "valueBoolean": True}]
            if patient_.interpreter_needed
            else None,
            "identifier": identifier,
            "active": patient_.registered_to is None,
            "name": [_human_name(patient_.name)],
            "gender": patient_.sex,
            "birthDate": day(patient_.birth_date),
            "deceasedDateTime": day(patient_.died_on),
            "communication": [
                {
                    "language": {
                        "coding": [{"system": BCP47, "code": patient_.preferred_language}]
                    },
                    "preferred": True,
                }
            ],
            "generalPractitioner": gp,
        }
    )


# --- the record rows ----------------------------------------------------------------


def encounter(contact: Contact, ids: Ids) -> Resource:
    if contact.original_coding:
        reasons = [_concept([c]) for c in contact.original_coding if isinstance(c, dict)]
    else:
        reasons = [_concept([{"system": cs.ICPC2, "code": code}]) for code in contact.reason_codes]
    role = role_ref(contact.clinician_id, ids)
    return drop_empty(
        {
            "resourceType": "Encounter",
            "id": ids.id(Contact, contact.pk),
            "status": "finished" if contact.at <= timezone.now() else "planned",
            "class": cs.contact_class(contact.kind),
            "type": [{"coding": [{"system": cs.CONTACT_KIND_SYSTEM, "code": contact.kind}]}],
            "subject": ids.ref(Patient, contact.patient_id),
            "participant": [{"individual": role}] if role else None,
            "period": {"start": moment(contact.at)},
            "reasonCode": reasons,
            "serviceProvider": ids.ref(Practice, contact.practice_id),
        }
    )


def condition(row: Condition, ids: Ids) -> Resource:
    if row.original_coding:
        code = _concept(row.original_coding, row.label)
    elif row.system in _CONDITION_SYSTEMS:
        code = _concept([{"system": _CONDITION_SYSTEMS[row.system], "code": row.code}], row.label)
    else:
        code = {"text": row.label or row.code}
    status = "resolved" if row.resolved else "active"
    return drop_empty(
        {
            "resourceType": "Condition",
            "id": ids.id(Condition, row.pk),
            "extension": [{"url": reading.EXT_CHRONIC, "valueBoolean": True}]
            if row.chronic
            else None,
            "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": status}]},
            "verificationStatus": {
                "coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]
            },
            "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]}],
            "code": code,
            "subject": ids.ref(Patient, row.patient_id),
            "onsetDateTime": day(row.onset),
            "abatementDateTime": day(row.resolved),
        }
    )


def cancer_site_concept(site: str, icd10: str = "") -> Resource:
    """A cancer site as a code: the ICD-10 code given, else the site's ICD-10 category when
    the site is exactly one category (``data/icd10_sites.yaml``). A site of several
    categories (colorectal is C18-C20) names no one of them: it goes in words, with
    Opspor's cancer-site code beside, rather than a code narrower than what is known."""
    categories = cs.site_categories(site)
    code = icd10 or (categories[0] if len(categories) == 1 else "")
    codings = [{"system": cs.ICD10, "code": code}] if code else []
    codings.append({"system": CANCER_SITE_SYSTEM, "code": site})
    return _concept(codings, cancer_text(site))


def cancer_text(site: str) -> str:
    return f"Malignant neoplasm, {site.replace('_', ' ')}"


def cancer(row: CancerDiagnosis, ids: Ids) -> Resource:
    if row.original_coding:
        # The codings as received; the text is the site's, which is what the row keeps.
        code = _concept(row.original_coding, cancer_text(row.site))
    else:
        code = cancer_site_concept(row.site, row.icd10)
    return drop_empty(
        {
            "resourceType": "Condition",
            "id": ids.id(CancerDiagnosis, row.pk),
            "verificationStatus": {
                "coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]
            },
            "code": code,
            "subject": ids.ref(Patient, row.patient_id),
            "onsetDateTime": day(row.diagnosed_on),
        }
    )


def lab(row: LabResult, ids: Ids) -> Resource:
    code = vocabulary_concept("lab", row.code, row.original_coding)
    if row.npu and not any(
        c.get("system") == cs.NPU and c.get("code") == row.npu for c in code.get("coding", [])
    ):
        # After the vocabulary's codings: the entry's own code is what a reader maps first.
        code["coding"] = [*code.get("coding", []), {"system": cs.NPU, "code": row.npu}]
    quantity = {"value": row.value, "unit": row.unit}
    reference: Resource = {}
    if row.reference_low is not None:
        reference["low"] = {"value": row.reference_low, "unit": row.unit}
    if row.reference_high is not None:
        reference["high"] = {"value": row.reference_high, "unit": row.unit}
    flag = {"low": "L", "high": "H"}.get(row.flag)
    return drop_empty(
        {
            "resourceType": "Observation",
            "id": ids.id(LabResult, row.pk),
            "status": "final",
            "category": _category("laboratory"),
            "code": code,
            "subject": ids.ref(Patient, row.patient_id),
            "effectiveDateTime": day(row.taken_on),
            "valueQuantity": quantity,
            "interpretation": [{"coding": [{"system": INTERPRETATION, "code": flag}]}]
            if flag
            else None,
            "referenceRange": [reference] if reference else None,
        }
    )


def symptom(row: Symptom, ids: Ids) -> Resource:
    """A symptom: effective is its onset; when it was recorded, whether it persists or
    recurs are Opspor's extensions (`reading.EXT_*`); the patient's words are the value."""
    return drop_empty(
        {
            "resourceType": "Observation",
            "id": ids.id(Symptom, row.pk),
            "extension": [
                {"url": reading.EXT_PERSISTENT, "valueBoolean": row.persistent},
                {"url": reading.EXT_RECURRENT, "valueBoolean": row.recurrent},
                {"url": reading.EXT_RECORDED_ON, "valueDate": day(row.recorded_on)},
            ],
            "status": "final",
            "code": vocabulary_concept("symptom", row.code, row.original_coding),
            "subject": ids.ref(Patient, row.patient_id),
            "encounter": ids.ref(Contact, row.contact_id) if row.contact_id else None,
            "effectiveDateTime": day(row.onset),
            "valueString": row.patient_words,
        }
    )


def finding(row: ClinicalFinding, ids: Ids) -> Resource:
    return drop_empty(
        {
            "resourceType": "Observation",
            "id": ids.id(ClinicalFinding, row.pk),
            "status": "final",
            "category": _category("exam"),
            "code": vocabulary_concept("finding", row.code, row.original_coding),
            "subject": ids.ref(Patient, row.patient_id),
            "effectiveDateTime": day(row.found_on),
            "valueString": row.note,
        }
    )


def exposure(row: OccupationalExposure, ids: Ids) -> Resource:
    """An occupational exposure as a social-history Observation, coded in Opspor's own
    code system (`codings.EXPOSURE_SYSTEM`): no standard code names these agents as
    exposures. The years of exposure, where known, are the value (UCUM ``a``)."""
    label = _label("exposure", row.code)
    code = (
        _concept(row.original_coding, label)
        if row.original_coding
        else _concept([{"system": cs.EXPOSURE_SYSTEM, "code": row.code, "display": label}], label)
    )
    return drop_empty(
        {
            "resourceType": "Observation",
            "id": ids.id(OccupationalExposure, row.pk),
            "status": "final",
            "category": _category("social-history"),
            "code": code,
            "subject": ids.ref(Patient, row.patient_id),
            "valueQuantity": {"value": row.years, "unit": "years", "system": UCUM, "code": "a"}
            if row.years is not None
            else None,
            "note": [{"text": row.note}] if row.note else None,
        }
    )


def medication(row: Medication, ids: Ids) -> Resource:
    if row.original_coding:
        concept = _concept(row.original_coding, row.name)
    else:
        concept = _concept([{"system": cs.ATC, "code": row.atc, "display": row.name}], row.name)
    if not concept:
        concept = {"text": "Unnamed medicine"}
    ended = row.stop is not None and row.stop < timezone.localdate()
    return drop_empty(
        {
            "resourceType": "MedicationStatement",
            "id": ids.id(Medication, row.pk),
            "status": "completed" if ended else "active",
            "medicationCodeableConcept": concept,
            "subject": ids.ref(Patient, row.patient_id),
            "effectivePeriod": {"start": day(row.start), "end": day(row.stop)},
        }
    )


def family_history(row: FamilyHistory, ids: Ids) -> Resource:
    relation = reading.RELATION_CODES[row.relation]
    code = (
        _concept(row.original_coding, cancer_text(row.cancer_site))
        if row.original_coding
        else cancer_site_concept(row.cancer_site)
    )
    onset = (
        {"value": row.age_at_diagnosis, "unit": "years", "system": UCUM, "code": "a"}
        if row.age_at_diagnosis is not None
        else None
    )
    return drop_empty(
        {
            "resourceType": "FamilyMemberHistory",
            "id": ids.id(FamilyHistory, row.pk),
            "status": "completed",
            "patient": ids.ref(Patient, row.patient_id),
            "relationship": {
                "coding": [
                    {
                        "system": reading.V3_ROLE_CODE,
                        "code": relation,
                    }
                ]
            },
            "condition": [{"code": code, "onsetAge": onset}],
        }
    )
