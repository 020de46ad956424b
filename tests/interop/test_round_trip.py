"""Export, import into an empty record, export again: the same resources.

The record of a practice is written as Bulk Data NDJSON, every patient and clinician is
deleted (the practice stays, since an import resolves practices and never creates them),
the files are imported, and the practice is exported again. Every resource type the
importer reads comes back line for line: same ids, same codings, same values.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from opspor.interop import codings as cs
from opspor.interop.exporting.bundles import practice_ndjson
from opspor.interop.importing import import_paths
from opspor.interop.models import ImportedResource
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
    PatientIdentifier,
    Practice,
    Smoking,
    Symptom,
)
from tests import factories

pytestmark = pytest.mark.django_db

# What the importer reads; the rest of a practice's export (referrals, episodes) is case
# work, exported for other systems and not imported.
RECORD_TYPES = {
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "Encounter",
    "Condition",
    "Observation",
    "MedicationStatement",
    "FamilyMemberHistory",
}


def _record(practice: Practice) -> None:
    gp, other = factories.gp(practice), factories.gp(practice)
    ann = factories.patient(practice, birth_date=date(1951, 3, 2), sex="female")
    ann.smoking = Smoking.FORMER
    ann.save()
    abroad = factories.patient(practice, cpr=None, birth_date=date(1980, 1, 9), sex="male")
    PatientIdentifier.objects.create(
        patient=abroad, system="urn:oid:2.16.578.1.12.4.1.4.1", value="09018012345"
    )
    for n, kind in enumerate(Contact.Kind.values):
        factories.contact(
            ann,
            on=date(2025, 3, 3 + n),
            clinician=gp if n % 2 else other,
            kind=kind,
            reason_codes=["R05"],
        )
    factories.contact(abroad, on=date(2025, 2, 3), clinician=None)
    Symptom.objects.create(
        patient=ann,
        code="haemoptysis",
        onset=date(2025, 2, 20),
        recorded_on=date(2025, 3, 3),
        persistent=True,
        recurrent=True,
        patient_words="Blod i spyttet om morgenen",
    )
    Symptom.objects.create(
        patient=abroad, code="cough", onset=date(2025, 1, 10), recorded_on=date(2025, 2, 3)
    )
    LabResult.objects.create(
        patient=ann,
        code="haemoglobin",
        npu="NPU02319",
        value=6.9,
        unit="mmol/L",
        reference_low=7.3,
        reference_high=9.5,
        taken_on=date(2025, 3, 4),
    )
    ClinicalFinding.objects.create(
        patient=ann, code=_a_finding(), found_on=date(2025, 3, 5), note="Set ved røntgen"
    )
    Condition.objects.create(
        patient=ann, code="J44", system="icd10", label="KOL", chronic=True, onset=date(2015, 1, 1)
    )
    Condition.objects.create(
        patient=ann,
        code="K74",
        system="icpc2",
        label="Angina",
        onset=date(2019, 1, 1),
        resolved=date(2020, 1, 1),
    )
    CancerDiagnosis.objects.create(
        patient=abroad, diagnosed_on=date(2024, 5, 1), site="lung", icd10="C34"
    )
    Medication.objects.create(patient=ann, atc="R03AK08", name="Symbicort", start=date(2016, 1, 1))
    Medication.objects.create(
        patient=ann,
        atc="J01CA04",
        name="Amoxicillin",
        start=date(2025, 3, 3),
        stop=date(2025, 3, 10),
    )
    FamilyHistory.objects.create(patient=ann, relation="brother", cancer_site="lung")
    FamilyHistory.objects.create(
        patient=abroad, relation="mother", cancer_site="colorectal", age_at_diagnosis=61
    )
    OccupationalExposure.objects.create(
        patient=ann, code="firefighting_smoke", years=22, note="Brandmand i Gentofte"
    )


def _a_finding() -> str:
    from opspor.engine.vocab import load_vocabulary

    return sorted(load_vocabulary().findings)[0]


def _export(practice: Practice, folder: Path) -> dict[str, dict[str, Any]]:
    folder.mkdir()
    files: dict[str, list[str]] = {}
    practice_ndjson(practice, lambda kind, line: files.setdefault(kind, []).append(line))
    resources: dict[str, dict[str, Any]] = {}
    for kind, lines in files.items():
        if kind not in RECORD_TYPES:
            continue
        (folder / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for line in lines:
            resource = json.loads(line)
            resources[f"{kind}/{resource['id']}"] = resource
    return resources


def _empty_the_record(practice: Practice) -> None:
    Patient.objects.filter(practice=practice).delete()
    Clinician.objects.filter(practice=practice).update(user=None)
    Clinician.objects.filter(practice=practice).delete()
    ImportedResource.objects.all().delete()


def test_export_import_export_gives_the_same_resources(tmp_path: Path) -> None:
    practice = factories.practice()
    _record(practice)
    first = _export(practice, tmp_path / "first")
    assert {key.split("/")[0] for key in first} == RECORD_TYPES

    _empty_the_record(practice)
    assert not Patient.objects.filter(practice=practice).exists()
    report = import_paths([tmp_path / "first"])
    assert report.accepted, [f.as_dict() for f in report.rejected]

    second = _export(practice, tmp_path / "second")
    assert sorted(second) == sorted(first)
    for key, resource in first.items():
        assert second[key] == resource, key


def test_an_email_consultation_stays_one_after_the_round_trip(tmp_path: Path) -> None:
    practice = factories.practice()
    patient = factories.patient(practice)
    factories.contact(patient, on=date(2025, 3, 3), kind=Contact.Kind.EMAIL)
    first = _export(practice, tmp_path / "first")
    (encounter,) = [r for k, r in first.items() if k.startswith("Encounter/")]
    assert encounter["class"]["code"] == "VR"
    assert {"system": cs.CONTACT_KIND_SYSTEM, "code": "email"} in encounter["type"][0]["coding"]

    _empty_the_record(practice)
    import_paths([tmp_path / "first"])
    assert Contact.objects.get(patient__practice=practice).kind == Contact.Kind.EMAIL


def test_an_occupational_exposure_comes_back_as_a_risk_factor(tmp_path: Path) -> None:
    practice = factories.practice()
    patient = factories.patient(practice)
    OccupationalExposure.objects.create(patient=patient, code="firefighting_smoke", years=22)
    _export(practice, tmp_path / "first")

    _empty_the_record(practice)
    import_paths([tmp_path / "first"])
    exposure = OccupationalExposure.objects.get(patient__practice=practice)
    assert (exposure.code, exposure.years) == ("firefighting_smoke", 22)
