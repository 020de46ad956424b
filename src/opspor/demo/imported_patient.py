"""A demo patient who arrives the way a real one would: in a FHIR R4 extract from the
practice's own system, through the same import `opspor import-fhir` runs.

Ib, 67, fictional, listed with laege.hansen's practice: an ex-smoker with COPD who came
about once a year and has now come five times in eight weeks, tired and losing weight, with
a low haemoglobin; his brother had bowel cancer. Coded as a Danish practice system codes
him: CPR number, ydernummer, ICPC-2 reasons for encounter, SNOMED CT and ICPC-2
observations, NPU, ICD-10, ATC. The bundle is built relative to the as-of day, so his
pattern break is as recent in every demo.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from opspor.accounts.models import User
from opspor.interop import codings as cs
from opspor.interop.importing import import_paths
from opspor.interop.models import ImportedResource
from opspor.records.models import Patient, Practice

GP_USERNAME = "laege.hansen"
NAME = ("Ib", "Lindberg")
_V3_ROLE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"


@dataclass
class DemoImport:
    made: bool = False
    already: bool = False
    skipped: bool = False

    def summary(self) -> str:
        if self.made:
            return "Demo FHIR import: 1 patient (Ib Lindberg) imported from a practice extract."
        if self.already:
            return "Demo FHIR import: already imported."
        return f"Demo FHIR import: skipped ({GP_USERNAME} has no practice here)."


def _cpr(born: date) -> str:
    # 7th digit 1: born in the 1900s; an odd last digit: a man. The first serial no other
    # patient holds, so the import never lands on someone else's record.
    for serial in range(1231, 1999, 2):
        cpr = f"{born:%d%m%y}{serial}"
        if not Patient.objects.filter(cpr=cpr).exists():
            return cpr
    raise RuntimeError("no free CPR number for the demo import")


def extract_bundle(*, as_of: date, ydernummer: str, cpr: str, born: date) -> dict[str, Any]:
    patient = "urn:uuid:6b0f4c1e-1f7a-4d0e-9a55-0c1d2e3f4a01"

    def day(days_ago: int) -> str:
        return (as_of - timedelta(days=days_ago)).isoformat()

    def coded(system: str, code: str, display: str) -> dict[str, Any]:
        return {"coding": [{"system": system, "code": code, "display": display}]}

    resources: list[tuple[str, dict[str, Any]]] = [
        (
            patient,
            {
                "resourceType": "Patient",
                "identifier": [{"system": cs.CPR, "value": cpr}],
                "name": [{"use": "official", "family": NAME[1], "given": [NAME[0]]}],
                "gender": "male",
                "birthDate": born.isoformat(),
                "communication": [
                    {"language": coded("urn:ietf:bcp:47", "da", "dansk"), "preferred": True}
                ],
                "generalPractitioner": [
                    {"identifier": {"system": cs.YDERNUMMER, "value": ydernummer}}
                ],
            },
        )
    ]

    def add(n: str, resource: dict[str, Any]) -> None:
        resources.append((f"urn:uuid:6b0f4c1e-1f7a-4d0e-9a55-0c1d2e3f{n:>04}", resource))

    # About once a year for three years, then five times in eight weeks.
    visits = [(1090, "R95", "Kronisk obstruktiv lungesygdom"), (730, "R95", "KOL-kontrol")]
    visits += [(370, "R95", "KOL-kontrol"), (56, "A04", "Træthed"), (42, "T08", "Vægttab")]
    visits += [(28, "A04", "Træthed"), (14, "T08", "Vægttab"), (3, "A04", "Træthed")]
    for n, (days_ago, icpc, text) in enumerate(visits):
        add(
            f"1{n:02}",
            {
                "resourceType": "Encounter",
                "status": "finished",
                "class": {"system": cs.V3_ACT_CODE, "code": "VR" if n == 5 else "AMB"},
                "subject": {"reference": patient},
                "period": {"start": f"{day(days_ago)}T09:20:00+01:00"},
                "reasonCode": [coded(cs.ICPC2, icpc, text)],
            },
        )
    observations = [
        ("201", cs.ICPC2, "T08", "Vægttab", 70),
        ("202", cs.SNOMED_CT, "84229001", "Fatigue (finding)", 60),
    ]
    for suffix, system, code, display, onset in observations:
        add(
            suffix,
            {
                "resourceType": "Observation",
                "status": "final",
                "code": coded(system, code, display),
                "subject": {"reference": patient},
                "effectiveDateTime": day(onset),
                "issued": f"{day(42)}T10:00:00+01:00",
            },
        )
    add(
        "203",
        {
            "resourceType": "Observation",
            "status": "final",
            "category": [
                coded(
                    "http://terminology.hl7.org/CodeSystem/observation-category",
                    "laboratory",
                    "Laboratory",
                )
            ],
            "code": coded(cs.NPU, "NPU02319", "B—Hæmoglobin(Fe); stofk."),
            "subject": {"reference": patient},
            "effectiveDateTime": day(13),
            "valueQuantity": {"value": 7.4, "unit": "mmol/L"},
            "referenceRange": [{"low": {"value": 8.3}, "high": {"value": 10.5}}],
        },
    )
    add(
        "204",
        {
            "resourceType": "Observation",
            "status": "final",
            "code": coded(cs.LOINC, "72166-2", "Tobacco smoking status"),
            "subject": {"reference": patient},
            "effectiveDateTime": day(370),
            "valueCodeableConcept": coded(cs.SNOMED_CT, "8517006", "Ex-smoker"),
        },
    )
    add(
        "301",
        {
            "resourceType": "Condition",
            "clinicalStatus": coded(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"
            ),
            "code": coded(cs.ICD10, "J44", "Kronisk obstruktiv lungesygdom"),
            "subject": {"reference": patient},
            "onsetDateTime": day(9 * 365),
        },
    )
    add(
        "401",
        {
            "resourceType": "MedicationStatement",
            "status": "active",
            "medicationCodeableConcept": coded(cs.ATC, "R03AL03", "Anoro Ellipta"),
            "subject": {"reference": patient},
            "effectivePeriod": {"start": day(6 * 365)},
        },
    )
    add(
        "501",
        {
            "resourceType": "FamilyMemberHistory",
            "status": "completed",
            "patient": {"reference": patient},
            "relationship": coded(_V3_ROLE, "BRO", "brother"),
            "condition": [
                {
                    "code": coded(cs.ICD10, "C18", "Kræft i tyktarmen"),
                    "onsetAge": {"value": 62, "unit": "a"},
                }
            ],
        },
    )
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": url,
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
            for url, resource in resources
        ],
    }


def demo_import_ensure(*, as_of: date) -> DemoImport:
    result = DemoImport()
    gp = User.objects.filter(username=GP_USERNAME).select_related("clinician").first()
    practice: Practice | None = getattr(getattr(gp, "clinician", None), "practice", None)
    if practice is None:
        result.skipped = True
        return result
    born = date(as_of.year - 67, 3, 14)
    known = ImportedResource.objects.filter(
        resource_type="Patient", key__startswith=f"{cs.CPR}|{born:%d%m%y}"
    )
    if Patient.objects.filter(
        pk__in=known.values("row_id"), practice=practice, name=" ".join(NAME)
    ).exists():
        result.already = True
        return result
    bundle = extract_bundle(
        as_of=as_of, ydernummer=practice.provider_number, cpr=_cpr(born), born=born
    )
    with tempfile.TemporaryDirectory(prefix="opspor-demo-fhir-") as folder:
        path = Path(folder) / "practice-extract.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
        report = import_paths([path])
    if not report.accepted:
        raise RuntimeError(f"the demo extract was refused: {report.rejected[0].as_dict()}")
    # The import takes an extract for real people; this one is the demo's, and says so.
    Patient.objects.filter(practice=practice, name=" ".join(NAME), is_fictional=False).update(
        is_fictional=True
    )
    result.made = True
    return result
