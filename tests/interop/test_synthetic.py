"""A bundle as US synthetic-patient generators write them (a transaction bundle with
``urn:uuid`` references, conditional references to organisations and practitioners, US
identifiers and address, claims, vital signs, RxNorm prescriptions): it imports with a
practice given, and what Opspor has no place for is counted, not dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from opspor.interop import codings as cs
from opspor.interop.importing import import_paths
from opspor.interop.models import ImportedResource
from opspor.records.models import Condition, Contact, Medication, Patient, PatientIdentifier
from tests import factories

pytestmark = pytest.mark.django_db

BUNDLE = Path(__file__).parent / "data" / "us_synthetic_patient.json"


def test_a_synthetic_us_patient_imports_with_a_practice_given() -> None:
    practice = factories.practice()

    report = import_paths([BUNDLE], practice=practice)

    assert report.accepted, report.as_dict()
    result = report.files[0]
    assert result.read == result.resources == 20
    assert dict(result.counts) == {
        "imported": 5,  # the patient, a contact, a smoking status, a condition, a medicine
        "kept_unmapped": 6,  # five vital signs and a haemoglobin in g/dL (LOINC 718-7)
        "out_of_scope": 8,
        "ignored": 1,
    }
    out_of_scope = {t: c["out_of_scope"] for t, c in result.by_type.items() if c["out_of_scope"]}
    assert out_of_scope == {
        "Claim": 1,
        "ExplanationOfBenefit": 1,
        "Immunization": 1,
        "CarePlan": 1,
        "Procedure": 1,
        "DiagnosticReport": 1,
        "Provenance": 1,
        "Encounter": 1,  # the emergency visit; the consultation was imported
    }
    patient = Patient.objects.get()
    assert patient.cpr is None and patient.practice == practice
    assert patient.smoking == "never"
    assert PatientIdentifier.objects.filter(
        patient=patient, system="http://hl7.org/fhir/sid/us-ssn"
    ).exists()
    assert PatientIdentifier.objects.count() == 4
    contact = Contact.objects.get()
    assert contact.kind == "consultation" and contact.clinician is None
    condition = Condition.objects.get()
    assert (condition.system, condition.code) == ("snomed_ct", "44054006")
    medicine = Medication.objects.get()
    assert medicine.atc == ""
    assert medicine.original_coding[0]["system"] == cs.RXNORM
    assert ImportedResource.objects.filter(unmapped__isnull=False).count() == 6


def test_importing_it_again_changes_nothing() -> None:
    practice = factories.practice()
    import_paths([BUNDLE], practice=practice)
    rows = ImportedResource.objects.count()
    history = Patient.history.count()  # type: ignore[attr-defined]

    report = import_paths([BUNDLE], practice=practice)

    assert report.files[0].counts["unchanged"] == 11
    assert ImportedResource.objects.count() == rows
    assert Patient.history.count() == history  # type: ignore[attr-defined]
