"""The FHIR R4 import: every resource type and code system, keys, practices, idempotence."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.interop import codings as cs
from opspor.interop.importing import import_paths
from opspor.interop.models import FhirImport, ImportedResource
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Clinician,
    Condition,
    Contact,
    FamilyHistory,
    LabResult,
    Medication,
    Patient,
    PatientIdentifier,
    Symptom,
)
from tests import factories
from tests.interop import bundles as fhir

pytestmark = pytest.mark.django_db

P = "Patient/anna"


def full_bundle(practice_number: str, sor: str = "") -> dict:
    org = (
        fhir.organization("org", cs.SOR, sor)
        if sor
        else fhir.organization("org", cs.YDERNUMMER, practice_number)
    )
    return fhir.bundle(
        fhir.lab("hb", P),  # before its patient: the import orders by dependency
        org,
        fhir.practitioner("doc"),
        fhir.role("doc-role", "Practitioner/doc", "Organization/org"),
        fhir.patient(gp=[{"reference": "Organization/org"}]),
        fhir.encounter(
            "enc",
            P,
            participant="Practitioner/doc",
            reason=[{"system": cs.ICPC2, "code": "R24"}],
        ),
        fhir.encounter("phone", P, cls="VR"),
        fhir.encounter("home", P, cls="HH"),
        fhir.encounter("stay", P, cls="IMP"),
        fhir.lab("hb-loinc", P, system=cs.LOINC, code="59260-0", day="2024-02-01"),
        fhir.coded_observation("cough", P, cs.SNOMED_CT, "66857006"),
        fhir.coded_observation("weight", P, cs.ICPC2, "T08"),
        fhir.coded_observation("ida", P, cs.ICPC2, "B80"),
        fhir.coded_observation("height", P, cs.LOINC, "8302-2"),
        fhir.smoking("smoke", P),
        fhir.condition("copd", P, cs.ICPC2, "R95"),
        fhir.condition("dm", P, cs.ICD10, "E11"),
        fhir.condition("sks", P, cs.SKS, "DI10"),
        fhir.condition("sct", P, cs.SNOMED_CT, "38341003"),
        fhir.condition("cancer", P, cs.ICD10, "C18.7"),
        fhir.medication_statement("asa", P),
        fhir.medication_statement("rx", P, cs.RXNORM, "243670"),
        fhir.family("fam", P, "C50", "I21"),
        fhir.allergy("pen", P),
        {
            "resourceType": "Immunization",
            "id": "vac",
            "status": "completed",
            "vaccineCode": {"text": "flu"},
            "patient": {"reference": P},
            "occurrenceDateTime": "2023-10-01",
        },
    )


def test_a_bundle_of_every_resource_type(tmp_path: Path) -> None:
    practice = factories.practice()
    path = fhir.write_json(tmp_path / "anna.json", full_bundle(practice.provider_number))

    report = import_paths([path])

    assert report.accepted, report.as_dict()
    patient = Patient.objects.get(cpr=fhir.CPR_1)
    assert patient.practice == practice
    assert patient.name == "Anna Testesen"
    assert patient.smoking == "former"
    assert not patient.is_fictional
    clinician = Clinician.objects.get(practice=practice)
    assert clinician.role == "gp" and clinician.name == "Læge Hansen"
    contacts = Contact.objects.filter(patient=patient)
    assert sorted(c.kind for c in contacts) == ["consultation", "home_visit", "phone"]
    consultation = contacts.get(kind="consultation")
    assert consultation.clinician == clinician
    assert consultation.reason_codes == ["R24"]
    assert contacts.get(kind="phone").clinician is None
    labs = LabResult.objects.filter(patient=patient)
    assert {(lab.code, lab.npu) for lab in labs} == {
        ("haemoglobin", "NPU02319"),
        ("haemoglobin", ""),
    }
    assert labs.get(npu="NPU02319").original_coding == [{"system": cs.NPU, "code": "NPU02319"}]
    assert {s.code for s in Symptom.objects.filter(patient=patient)} == {
        "haemoptysis",
        "weight_loss",
    }
    assert ClinicalFinding.objects.get(patient=patient).code == "iron_deficiency_anaemia"
    conditions = {c.system: c.code for c in Condition.objects.filter(patient=patient)}
    assert conditions == {"icpc2": "R95", "icd10": "I10", "snomed_ct": "38341003"} | {
        "icd10": conditions["icd10"]
    }
    assert {c.code for c in Condition.objects.filter(system="icd10")} == {"E11", "I10"}
    cancer = CancerDiagnosis.objects.get(patient=patient)
    assert (cancer.site, cancer.icd10, cancer.diagnosed_on) == (
        "colorectal",
        "C187",
        date(2023, 6, 1),
    )
    medicines = {m.atc: m for m in Medication.objects.filter(patient=patient)}
    assert set(medicines) == {"B01AC06", ""}
    assert medicines[""].original_coding == [{"system": cs.RXNORM, "code": "243670"}]
    assert FamilyHistory.objects.get(patient=patient).cancer_site == "breast"
    counts = report.files[0].counts
    assert counts["out_of_scope"] == 2  # the inpatient stay and the immunisation
    assert counts["ignored"] == 1
    # The unmapped height, the practitioner before its role made it a clinician.
    assert counts["kept_unmapped"] == 2
    assert report.files[0].resources == report.files[0].read == 25
    height = ImportedResource.objects.get(resource_type="Observation", fhir_id="height")
    assert height.unmapped["code"]["coding"][0]["code"] == "8302-2"
    assert height.key == f"{cs.CPR}|{fhir.CPR_1}#id:height"
    assert ImportedResource.objects.get(resource_type="Patient").key == f"{cs.CPR}|{fhir.CPR_1}"
    record = FhirImport.objects.get()
    assert record.channel == "command" and record.files == 1 and record.files_rejected == 0


def test_the_organisation_may_name_the_practice_by_its_sor_code(tmp_path: Path) -> None:
    practice = factories.practice(sor_code="123456789012345")
    path = fhir.write_json(tmp_path / "a.json", full_bundle("", sor="123456789012345"))
    assert import_paths([path]).accepted
    assert Patient.objects.get().practice == practice


def test_re_importing_changes_nothing(tmp_path: Path) -> None:
    practice = factories.practice()
    path = fhir.write_json(tmp_path / "anna.json", full_bundle(practice.provider_number))
    import_paths([path])
    models = [
        Patient,
        Contact,
        LabResult,
        Symptom,
        Condition,
        CancerDiagnosis,
        Medication,
        FamilyHistory,
        Clinician,
        ClinicalFinding,
    ]

    def state() -> list[int]:
        return (
            [m.objects.count() for m in models]
            + [
                m.history.count()
                for m in models  # type: ignore[attr-defined]
            ]
            + [ImportedResource.objects.count()]
        )

    before = state()
    report = import_paths([path])

    assert state() == before
    counts = report.files[0].counts
    assert counts["imported"] == counts["updated"] == 0
    assert counts["unchanged"] == 25 - 3  # all but the out-of-scope and ignored ones


def test_a_changed_resource_updates_its_row_and_history_names_the_import(tmp_path: Path) -> None:
    practice = factories.practice()
    first = fhir.bundle(
        fhir.patient(gp=[fhir.ydernummer(practice.provider_number)]), fhir.lab("hb", P)
    )
    import_paths([fhir.write_json(tmp_path / "a.json", first)])
    lab = LabResult.objects.get()
    changed = fhir.bundle(
        fhir.patient(gp=[fhir.ydernummer(practice.provider_number)], name="Anna Andersen"),
        fhir.lab("hb", P, value=6.2),
    )

    report = import_paths([fhir.write_json(tmp_path / "a.json", changed)])

    lab.refresh_from_db()
    assert lab.value == 6.2
    assert LabResult.objects.count() == 1
    latest = lab.history.first()  # type: ignore[attr-defined]
    assert latest.history_type == "~"
    assert latest.history_change_reason == f"FHIR import #{report.import_id}"
    assert Patient.objects.get().name == "Anna Andersen"
    assert report.files[0].counts["updated"] == 2


def test_a_patient_without_cpr_keeps_its_identifiers(tmp_path: Path) -> None:
    practice = factories.practice()
    ssn = {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-12-3456"}
    res = fhir.patient(cpr=None, identifiers=[ssn])
    path = fhir.write_json(tmp_path / "p.json", res)

    report = import_paths([path], practice=practice)

    assert report.accepted, report.as_dict()
    patient = Patient.objects.get()
    assert patient.cpr is None and patient.practice == practice
    assert list(PatientIdentifier.objects.values_list("system", "value")) == [
        (ssn["system"], ssn["value"])
    ]
    assert ImportedResource.objects.get().key == f"{ssn['system']}|{ssn['value']}"
    # Found again by that identifier: nothing new.
    assert import_paths([path], practice=practice).files[0].counts["unchanged"] == 1


def test_a_known_patient_is_matched_by_cpr(tmp_path: Path) -> None:
    practice = factories.practice()
    known = factories.patient(practice, birth_date=date(1970, 5, 17))
    res = fhir.patient(cpr=known.cpr)
    report = import_paths([fhir.write_json(tmp_path / "p.json", res)])
    assert report.accepted, report.as_dict()
    assert Patient.objects.get() == known
    assert report.files[0].counts["updated"] == 1


def test_a_practitioner_without_a_role_at_a_known_practice_is_no_clinician(tmp_path: Path) -> None:
    practice = factories.practice()
    doc = bundle = fhir.bundle(
        fhir.organization("hosp", "urn:oid:1.2.3", "x"),
        fhir.practitioner("doc"),
        fhir.role("r", "Practitioner/doc", "Organization/hosp"),
        fhir.patient(gp=[fhir.ydernummer(practice.provider_number)]),
        fhir.encounter("e", P, participant="Practitioner/doc"),
    )
    report = import_paths([fhir.write_json(tmp_path / "b.json", bundle)])
    assert report.accepted, report.as_dict()
    assert not Clinician.objects.exists()
    assert Contact.objects.get().clinician is None
    assert report.files[0].counts["kept_unmapped"] == 3
    assert doc


def test_ndjson_files_import_in_dependency_order(tmp_path: Path) -> None:
    practice = factories.practice()
    folder = tmp_path / "export"
    folder.mkdir()
    fhir.write_ndjson(folder / "a_Observation.ndjson", [fhir.lab(f"hb{i}", P) for i in range(3)])
    fhir.write_ndjson(
        folder / "b_Patient.ndjson", [fhir.patient(gp=[fhir.ydernummer(practice.provider_number)])]
    )
    fhir.write_ndjson(
        folder / "c_MedicationRequest.ndjson",
        [
            {
                "resourceType": "MedicationRequest",
                "id": "mr",
                "status": "active",
                "intent": "order",
                "subject": {"reference": P},
                "medicationReference": {"reference": "Medication/m1"},
                "authoredOn": "2024-01-02",
            }
        ],
    )
    fhir.write_ndjson(
        folder / "d_Medication.ndjson",
        [
            {
                "resourceType": "Medication",
                "id": "m1",
                "code": {"coding": [{"system": cs.ATC, "code": "C09AA05"}]},
            }
        ],
    )

    report = import_paths([folder])

    assert report.accepted, report.as_dict()
    assert [Path(f.source).name for f in report.files] == [
        "b_Patient.ndjson",
        "d_Medication.ndjson",
        "a_Observation.ndjson",
        "c_MedicationRequest.ndjson",
    ]
    assert LabResult.objects.count() == 3
    assert Medication.objects.get().atc == "C09AA05"


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(range(25)))
def test_in_any_order_a_bundle_gives_the_same_rows_and_counts(
    order: list[int], tmp_path: Path
) -> None:
    """Entries are taken in dependency order, whatever order the bundle has them in; every
    resource lands in exactly one bucket."""
    with transaction.atomic():
        practice = factories.practice(provider_number="424242")
        body = full_bundle(practice.provider_number)
        body["entry"] = [body["entry"][i] for i in order]
        report = import_paths([fhir.write_json(tmp_path / "shuffled.json", body)])
        assert report.accepted, report.as_dict()
        result = report.files[0]
        assert sum(result.counts.values()) == result.read == 25
        assert dict(result.counts) == {
            "imported": 20,
            "kept_unmapped": 2,
            "out_of_scope": 2,
            "ignored": 1,
        }
        assert Contact.objects.get(kind="consultation").clinician is not None
        transaction.set_rollback(True)


def test_the_record_hears_of_new_lab_results_and_contacts(tmp_path: Path) -> None:
    """As `save()` would tell it: the safety net recomputes a patient's signals after a
    contact (told once a patient, however many). A lab result is told only where its
    patient has an order waiting in a live episode (none here)."""
    from django.db.models.signals import post_save

    heard: list[tuple[str, int]] = []

    def listen(sender: type, instance: object, created: bool, **_: object) -> None:
        heard.append((sender.__name__, instance.patient_id))  # type: ignore[attr-defined]

    practice = factories.practice()
    body = fhir.bundle(
        fhir.patient(gp=[fhir.ydernummer(practice.provider_number)]),
        fhir.lab("hb1", P),
        fhir.lab("hb2", P, day="2024-04-01"),
        fhir.encounter("e1", P),
        fhir.encounter("e2", P, start="2024-04-01T09:00:00+02:00"),
    )
    for model in (LabResult, Contact):
        post_save.connect(listen, sender=model, dispatch_uid=f"test-{model.__name__}")
    try:
        import_paths([fhir.write_json(tmp_path / "a.json", body)])
    finally:
        for model in (LabResult, Contact):
            post_save.disconnect(sender=model, dispatch_uid=f"test-{model.__name__}")
    patient = Patient.objects.get().pk
    assert heard == [("Contact", patient)]


def test_every_imported_row_has_one_history_row_naming_the_import(tmp_path: Path) -> None:
    """Telling the record's receivers of a batch's rows writes no second history row."""
    practice = factories.practice()
    path = fhir.write_json(tmp_path / "anna.json", full_bundle(practice.provider_number))

    report = import_paths([path])

    assert report.accepted, report.as_dict()
    reason = f"FHIR import #{report.import_id}"
    for model in (Contact, LabResult, Symptom, Condition, CancerDiagnosis, Medication):
        rows = set(model.objects.values_list("pk", flat=True))
        history = list(model.history.values_list("id", "history_type", "history_change_reason"))  # type: ignore[attr-defined]
        assert sorted(h[0] for h in history) == sorted(rows), model.__name__
        assert {(h[1], h[2]) for h in history} == {("+", reason)}, model.__name__
