"""Small hand-written FHIR R4 resources for the import tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opspor.interop import codings as cs

Resource = dict[str, Any]

CPR_1 = "1705701234"  # 17 May 1970; 7th digit 1: the 1900s
ANNA_ID = "anna"


def patient(
    fhir_id: str = ANNA_ID,
    *,
    cpr: str | None = CPR_1,
    birth: str | None = "1970-05-17",
    gender: str | None = "female",
    name: str = "Anna Testesen",
    gp: list[dict[str, Any]] | None = None,
    identifiers: list[dict[str, str]] | None = None,
) -> Resource:
    res: Resource = {"resourceType": "Patient", "id": fhir_id}
    ids = [{"system": cs.CPR, "value": cpr}] if cpr else []
    ids += identifiers or []
    if ids:
        res["identifier"] = ids
    if name:
        family, _, given = name.partition(" ")
        res["name"] = [{"use": "official", "family": given, "given": [family]}]
    if birth:
        res["birthDate"] = birth
    if gender:
        res["gender"] = gender
    if gp is not None:
        res["generalPractitioner"] = gp
    return res


def ydernummer(value: str) -> dict[str, Any]:
    return {"identifier": {"system": cs.YDERNUMMER, "value": value}}


def organization(fhir_id: str, system: str, value: str, name: str = "Lægehuset") -> Resource:
    return {
        "resourceType": "Organization",
        "id": fhir_id,
        "identifier": [{"system": system, "value": value}],
        "name": name,
    }


def practitioner(fhir_id: str, name: str = "Læge Hansen") -> Resource:
    given, _, family = name.partition(" ")
    return {
        "resourceType": "Practitioner",
        "id": fhir_id,
        "name": [{"family": family, "given": [given]}],
    }


def role(fhir_id: str, practitioner_ref: str, organization_ref: str) -> Resource:
    return {
        "resourceType": "PractitionerRole",
        "id": fhir_id,
        "practitioner": {"reference": practitioner_ref},
        "organization": {"reference": organization_ref},
    }


def encounter(
    fhir_id: str,
    subject: str,
    *,
    cls: str = "AMB",
    start: str = "2024-03-01T09:00:00+01:00",
    participant: str | None = None,
    reason: list[dict[str, str]] | None = None,
) -> Resource:
    res: Resource = {
        "resourceType": "Encounter",
        "id": fhir_id,
        "status": "finished",
        "class": {"system": cs.V3_ACT_CODE, "code": cls},
        "subject": {"reference": subject},
        "period": {"start": start},
    }
    if participant:
        res["participant"] = [{"individual": {"reference": participant}}]
    if reason:
        res["reasonCode"] = [{"coding": reason}]
    return res


def condition(
    fhir_id: str, subject: str, system: str, code: str, *, onset: str = "2023-06-01"
) -> Resource:
    return {
        "resourceType": "Condition",
        "id": fhir_id,
        "subject": {"reference": subject},
        "code": {"coding": [{"system": system, "code": code}]},
        "onsetDateTime": onset,
    }


def lab(
    fhir_id: str,
    subject: str,
    *,
    system: str = cs.NPU,
    code: str = "NPU02319",
    value: float = 7.1,
    day: str = "2024-03-01",
) -> Resource:
    return {
        "resourceType": "Observation",
        "id": fhir_id,
        "status": "final",
        "category": [{"coding": [{"code": "laboratory"}]}],
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": subject},
        "effectiveDateTime": day,
        "valueQuantity": {"value": value, "unit": "mmol/L"},
        "referenceRange": [{"low": {"value": 7.3}, "high": {"value": 9.5}}],
    }


def coded_observation(
    fhir_id: str, subject: str, system: str, code: str, *, day: str = "2024-02-20"
) -> Resource:
    return {
        "resourceType": "Observation",
        "id": fhir_id,
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": subject},
        "effectiveDateTime": day,
    }


def smoking(fhir_id: str, subject: str, answer: str = "8517006") -> Resource:
    return {
        "resourceType": "Observation",
        "id": fhir_id,
        "status": "final",
        "code": {"coding": [{"system": cs.LOINC, "code": "72166-2"}]},
        "subject": {"reference": subject},
        "effectiveDateTime": "2024-01-10",
        "valueCodeableConcept": {"coding": [{"system": cs.SNOMED_CT, "code": answer}]},
    }


def medication_statement(
    fhir_id: str, subject: str, system: str = cs.ATC, code: str = "B01AC06"
) -> Resource:
    return {
        "resourceType": "MedicationStatement",
        "id": fhir_id,
        "status": "active",
        "subject": {"reference": subject},
        "medicationCodeableConcept": {"coding": [{"system": system, "code": code}]},
        "effectivePeriod": {"start": "2022-01-01"},
    }


def family(fhir_id: str, subject: str, *icd10: str) -> Resource:
    return {
        "resourceType": "FamilyMemberHistory",
        "id": fhir_id,
        "status": "completed",
        "patient": {"reference": subject},
        "relationship": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH"}
            ]
        },
        "condition": [
            {"code": {"coding": [{"system": cs.ICD10, "code": c}]}, "onsetAge": {"value": 52}}
            for c in icd10
        ],
    }


def allergy(fhir_id: str, subject: str) -> Resource:
    return {
        "resourceType": "AllergyIntolerance",
        "id": fhir_id,
        "patient": {"reference": subject},
        "code": {"text": "Penicillin"},
    }


def bundle(*resources: Resource, kind: str = "collection", urls: bool = False) -> Resource:
    entries = []
    for res in resources:
        entry: dict[str, Any] = {"resource": res}
        entry["fullUrl"] = (
            f"urn:uuid:{res['id']}"
            if urls
            else f"https://ehr.example/fhir/{res['resourceType']}/{res['id']}"
        )
        if kind in ("transaction", "batch"):
            entry["request"] = {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def write_ndjson(path: Path, resources: list[Resource]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for res in resources:
            f.write(json.dumps(res) + "\n")
    return path
