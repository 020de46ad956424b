"""A patient's rows as the prefetch of a CDS Hooks call: just enough FHIR for the tests.

Deliberately small (the real export is `opspor.interop`'s own): each row becomes the
resource the readers in `opspor.interop.reading` read back to the same values.
"""

from __future__ import annotations

from typing import Any

from opspor.interop import codings as cs
from opspor.interop import reading
from opspor.records.models import (
    ClinicalFinding,
    Condition,
    Contact,
    FamilyHistory,
    LabResult,
    Medication,
    Patient,
    Symptom,
)

_SMOKING_CODES = {"never": "266919005", "former": "8517006", "current": "77176002"}
_CONDITION_SYSTEMS = {"icd10": cs.ICD10, "icpc2": cs.ICPC2}


def practitioner(clinician_id: int | None) -> str | None:
    return None if clinician_id is None else f"Practitioner/clinician-{clinician_id}"


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def patient_resource(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": f"patient-{patient.pk}",
        "identifier": [{"system": cs.CPR, "value": patient.cpr}] if patient.cpr else [],
        "gender": patient.sex,
        "birthDate": patient.birth_date.isoformat(),
        "communication": [
            {
                "language": {"coding": [{"code": patient.preferred_language}]},
                "preferred": True,
            }
        ],
    }
    if patient.interpreter_needed:
        resource["extension"] = [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired",
                "valueBoolean": True,
            }
        ]
    return resource


def prefetch_for(patient: Patient) -> dict[str, Any]:
    subject = {"reference": f"Patient/patient-{patient.pk}"}
    encounters = []
    for c in Contact.objects.filter(patient=patient):
        encounter: dict[str, Any] = {
            "resourceType": "Encounter",
            "status": "finished",
            "class": cs.contact_class(c.kind),
            "subject": subject,
            "period": {"start": c.at.isoformat()},
        }
        if c.clinician_id is not None:
            encounter["participant"] = [{"individual": {"reference": practitioner(c.clinician_id)}}]
        encounters.append(encounter)
    observations: list[dict[str, Any]] = []
    for s in Symptom.objects.filter(patient=patient):
        observations.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": cs.vocabulary_codings("symptom", s.code)},
                "subject": subject,
                "effectiveDateTime": s.onset.isoformat(),
                "extension": [
                    {"url": reading.EXT_RECORDED_ON, "valueDate": s.recorded_on.isoformat()},
                    {"url": reading.EXT_PERSISTENT, "valueBoolean": s.persistent},
                    {"url": reading.EXT_RECURRENT, "valueBoolean": s.recurrent},
                ],
            }
        )
    for f in ClinicalFinding.objects.filter(patient=patient):
        observations.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": cs.vocabulary_codings("finding", f.code)},
                "subject": subject,
                "effectiveDateTime": f.found_on.isoformat(),
            }
        )
    for lab in LabResult.objects.filter(patient=patient):
        observations.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": cs.vocabulary_codings("lab", lab.code)},
                "subject": subject,
                "effectiveDateTime": lab.taken_on.isoformat(),
                "valueQuantity": {"value": lab.value, "unit": lab.unit},
            }
        )
    if patient.smoking in _SMOKING_CODES:
        observations.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": cs.LOINC, "code": "72166-2"}]},
                "subject": subject,
                "effectiveDateTime": patient.registered_from.isoformat(),
                "valueCodeableConcept": {
                    "coding": [{"system": cs.SNOMED_CT, "code": _SMOKING_CODES[patient.smoking]}]
                },
            }
        )
    conditions = []
    for cond in Condition.objects.filter(patient=patient):
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "subject": subject,
            "code": {
                "coding": [
                    {"system": _CONDITION_SYSTEMS.get(cond.system, "urn:x"), "code": cond.code}
                ]
            },
        }
        if cond.resolved:
            resource["abatementDateTime"] = cond.resolved.isoformat()
        if cond.chronic:
            resource["extension"] = [{"url": reading.EXT_CHRONIC, "valueBoolean": True}]
        conditions.append(resource)
    statements = []
    for med in Medication.objects.filter(patient=patient):
        period = {"start": med.start.isoformat()}
        if med.stop:
            period["end"] = med.stop.isoformat()
        statements.append(
            {
                "resourceType": "MedicationStatement",
                "status": "active" if med.stop is None else "completed",
                "subject": subject,
                "medicationCodeableConcept": {"coding": [{"system": cs.ATC, "code": med.atc}]},
                "effectivePeriod": period,
            }
        )
    family = [
        {
            "resourceType": "FamilyMemberHistory",
            "status": "completed",
            "patient": subject,
            "relationship": {
                "coding": [
                    {"system": reading.V3_ROLE_CODE, "code": reading.RELATION_CODES[f.relation]}
                ]
            },
            "condition": [
                {"code": {"coding": [{"system": cs.ICD10, "code": _site_code(f.cancer_site)}]}}
            ],
        }
        for f in FamilyHistory.objects.filter(patient=patient)
    ]
    return {
        "patient": patient_resource(patient),
        "conditions": _bundle(conditions),
        "observations": _bundle(observations),
        "encounters": _bundle(encounters),
        "medicationStatements": _bundle(statements),
        "familyHistory": _bundle(family),
    }


def _site_code(site: str) -> str:
    for code in ("C34", "C18", "C50", "C61", "C25", "C56", "C64", "C67", "C16", "C43"):
        if cs.cancer_site(cs.ICD10, code) == site:
            return code
    raise ValueError(f"no ICD-10 code in this helper for the site {site!r}")
