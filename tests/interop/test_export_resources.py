"""Each builder of the FHIR export gives valid R4 resources, and what it writes for a record
row is what `interop.reading` reads back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.engine.vocab import load_vocabulary
from opspor.interop import codings as cs
from opspor.interop import reading
from opspor.interop.exporting import bundles, cases, record
from opspor.interop.exporting.ids import Ids, row_pk
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
    Symptom,
)
from opspor.referrals.models import Message
from opspor.referrals.workflow import AdviceState, ReferralState
from opspor.safetynet.models import Investigation, SafetyNetEpisode
from tests import factories
from tests.interop.fhir import valid
from tests.referrals.worlds import NOW, advice_in, make_world, referral_in

VOCABULARY = load_vocabulary()
IDS = Ids()  # nothing imported: every id is <prefix>-<pk>
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 1, 1))
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)
HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- record rows, without the database ----------------------------------------------


@HYPOTHESIS
@given(
    code=st.sampled_from(sorted(VOCABULARY.labs)),
    value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    low=st.none() | st.floats(min_value=-10, max_value=10, allow_nan=False),
    width=st.none() | st.floats(min_value=0, max_value=100, allow_nan=False),
    taken_on=days,
)
def test_a_lab_result_validates_and_reads_back(
    code: str, value: float, low: float | None, width: float | None, taken_on: date
) -> None:
    high = None if width is None else (low or 0) + width
    row = LabResult(
        pk=3,
        patient_id=7,
        code=code,
        value=value,
        unit="mmol/L",
        reference_low=low,
        reference_high=high,
        taken_on=taken_on,
        npu="NPU02319",
    )
    resource = valid(record.lab(row, IDS))
    assert resource["id"] == "lab-3"
    item = reading.read_observation(resource)
    assert isinstance(item, reading.LabItem)
    assert (item.code, item.value, item.unit, item.taken_on) == (code, value, "mmol/L", taken_on)
    assert (item.reference_low, item.reference_high) == (low, high)
    assert item.subject == "Patient/patient-7"
    assert {"system": cs.NPU, "code": "NPU02319"} in resource["code"]["coding"]


@HYPOTHESIS
@given(
    code=st.sampled_from(sorted(VOCABULARY.symptoms)),
    onset=days,
    later=st.integers(0, 400),
    persistent=st.booleans(),
    recurrent=st.booleans(),
    patient_words=words,
)
def test_a_symptom_validates_and_reads_back(
    code: str, onset: date, later: int, persistent: bool, recurrent: bool, patient_words: str
) -> None:
    row = Symptom(
        pk=4,
        patient_id=7,
        code=code,
        onset=onset,
        recorded_on=onset + timedelta(days=later),
        persistent=persistent,
        recurrent=recurrent,
        patient_words=patient_words,
    )
    resource = valid(record.symptom(row, IDS))
    assert resource["effectiveDateTime"] == onset.isoformat()
    item = reading.read_observation(resource)
    assert isinstance(item, reading.SymptomItem)
    assert (item.code, item.onset, item.recorded_on) == (code, onset, row.recorded_on)
    assert (item.persistent, item.recurrent) == (persistent, recurrent)
    # FHIR strings are trimmed of nothing here, but an all-blank text is no value at all.
    assert item.patient_words == (patient_words if patient_words else "")


@HYPOTHESIS
@given(code=st.sampled_from(sorted(VOCABULARY.findings)), found_on=days, note=words)
def test_a_finding_validates_and_reads_back(code: str, found_on: date, note: str) -> None:
    row = ClinicalFinding(pk=5, patient_id=7, code=code, found_on=found_on, note=note)
    resource = valid(record.finding(row, IDS))
    item = reading.read_observation(resource)
    assert isinstance(item, reading.FindingItem)
    assert (item.code, item.found_on, item.note) == (code, found_on, note)


@HYPOTHESIS
@given(code=st.sampled_from(sorted(VOCABULARY.exposures)), years=st.none() | st.integers(0, 60))
def test_an_occupational_exposure_is_a_social_history_observation(
    code: str, years: int | None
) -> None:
    row = OccupationalExposure(pk=6, patient_id=7, code=code, years=years, note="Værft")
    resource = valid(record.exposure(row, IDS))
    assert resource["category"][0]["coding"][0]["code"] == "social-history"
    assert resource["code"]["coding"][0] == {
        "system": cs.EXPOSURE_SYSTEM,
        "code": code,
        "display": VOCABULARY.exposures[code].labels.en,
    }
    assert resource.get("valueQuantity", {}).get("value") == years


@HYPOTHESIS
@given(
    system=st.sampled_from(["icd10", "icpc2", "snomed_ct"]),
    onset=st.none() | days,
    resolved=st.booleans(),
    chronic=st.booleans(),
)
def test_a_condition_validates_and_reads_back(
    system: str, onset: date | None, resolved: bool, chronic: bool
) -> None:
    code = {"icd10": "E11", "icpc2": "T90", "snomed_ct": "44054006"}[system]
    end = (onset or date(2020, 1, 1)) + timedelta(days=30) if resolved else None
    row = Condition(
        pk=8,
        patient_id=7,
        code=code,
        system=system,
        label="Diabetes",
        chronic=chronic,
        onset=onset,
        resolved=end,
    )
    resource = valid(record.condition(row, IDS))
    item = reading.read_condition(resource)
    assert (item.system, item.code, item.onset, item.resolved) == (system, code, onset, end)
    assert item.chronic == chronic
    assert item.cancer_site is None


def test_a_cancer_diagnosis_is_a_condition_with_its_icd10_code() -> None:
    row = CancerDiagnosis(
        pk=9, patient_id=7, site="lung", icd10="C34", diagnosed_on=date(2024, 2, 1)
    )
    resource = valid(record.cancer(row, IDS))
    assert resource["id"] == "cancer-9"
    item = reading.read_condition(resource)
    assert (item.cancer_site, item.icd10, item.onset) == ("lung", "C34", date(2024, 2, 1))


def test_a_cancer_without_an_icd10_code_keeps_its_site_in_words_and_opspor_code() -> None:
    row = CancerDiagnosis(pk=9, patient_id=7, site="colorectal", diagnosed_on=date(2024, 2, 1))
    resource = valid(record.cancer(row, IDS))
    # colorectal is C18-C20: no one ICD-10 code is written for it.
    assert [c["system"] for c in resource["code"]["coding"]] == [cs.CANCER_SITE_SYSTEM]
    assert "colorectal" in resource["code"]["text"]
    assert reading.read_condition(resource).cancer_site == "colorectal"


@pytest.mark.parametrize("relation", [r.value for r in FamilyHistory.Relation])
@pytest.mark.parametrize(("site", "icd10"), [("lung", "C34"), ("colorectal", None)])
def test_a_family_history_names_the_relative_and_the_site(
    relation: str, site: str, icd10: str | None
) -> None:
    row = FamilyHistory(
        pk=10, patient_id=7, relation=relation, cancer_site=site, age_at_diagnosis=55
    )
    resource = valid(record.family_history(row, IDS))
    assert resource["relationship"]["coding"][0] == {
        "system": reading.V3_ROLE_CODE,
        "code": reading.RELATION_CODES[relation],
    }
    systems = {c["system"]: c["code"] for c in resource["condition"][0]["code"]["coding"]}
    assert systems.get(cs.ICD10) == icd10
    [item] = reading.read_family_history(resource)
    assert (item.relation, item.cancer_site, item.age_at_diagnosis) == (relation, site, 55)


@HYPOTHESIS
@given(
    atc=st.sampled_from(["", "N02BE01", "C09AA05"]),
    start=days,
    length=st.none() | st.integers(0, 1000),
)
def test_a_medication_validates_and_reads_back(atc: str, start: date, length: int | None) -> None:
    stop = None if length is None else start + timedelta(days=length)
    original = [] if atc else [{"system": cs.RXNORM, "code": "198440", "display": "paracetamol"}]
    row = Medication(
        pk=11,
        patient_id=7,
        atc=atc,
        name="Panodil",
        start=start,
        stop=stop,
        original_coding=original,
    )
    resource = valid(record.medication(row, IDS))
    item = reading.read_medication(resource)
    assert item is not None
    assert (item.atc, item.start, item.stop) == (atc, start, stop)
    if original:
        assert resource["medicationCodeableConcept"]["coding"] == original


@pytest.mark.parametrize("kind", [k.value for k in Contact.Kind])
def test_a_contact_is_an_encounter_with_its_class_and_reasons(kind: str) -> None:
    row = Contact(
        pk=12,
        patient_id=7,
        practice_id=2,
        clinician_id=5,
        kind=kind,
        at=datetime(2025, 5, 1, 8, 30, tzinfo=UTC),
        reason_codes=["R05", "A04"],
    )
    resource = valid(record.encounter(row, IDS))
    assert resource["class"] == cs.contact_class(kind)
    item = reading.read_encounter(resource)
    assert item is not None
    assert (item.at, item.reason_codes, item.clinician) == (
        row.at,
        ("R05", "A04"),
        "PractitionerRole/role-5",
    )
    # E-mail and phone share the class VR; Opspor's contact-kind type tells them apart.
    assert item.kind == kind


def test_original_codings_are_exported_exactly() -> None:
    original = [{"system": cs.LOINC, "code": "718-7", "display": "Hemoglobin"}]
    row = LabResult(
        pk=3,
        patient_id=7,
        code="haemoglobin",
        value=8.1,
        unit="mmol/L",
        taken_on=date(2025, 1, 1),
        original_coding=original,
    )
    assert valid(record.lab(row, IDS))["code"]["coding"] == original


# --- with the database --------------------------------------------------------------


@pytest.mark.django_db
def test_a_patient_with_a_cpr_number_and_other_identifiers() -> None:
    gp = factories.gp()
    patient = factories.patient(
        gp.practice, own_gp=gp, interpreter_needed=True, preferred_language="ar"
    )
    PatientIdentifier.objects.create(patient=patient, system="urn:oid:1.2.3", value="X-1")
    resource = valid(bundles.patient_resource(patient))
    assert resource["identifier"][0] == {"use": "official", "system": cs.CPR, "value": patient.cpr}
    assert resource["identifier"][1] == {"system": "urn:oid:1.2.3", "value": "X-1"}
    assert (
        resource["generalPractitioner"][0]["reference"] == f"Organization/practice-{gp.practice.pk}"
    )
    assert resource["generalPractitioner"][0]["identifier"] == {
        "system": cs.YDERNUMMER,
        "value": gp.practice.provider_number,
    }
    item = reading.read_patient(resource)
    assert (item.cpr, item.name, item.birth_date, item.sex, item.language) == (
        patient.cpr,
        patient.name,
        patient.birth_date,
        patient.sex,
        "ar",
    )


@pytest.mark.django_db
def test_a_patient_without_a_cpr_number_has_its_other_identifiers() -> None:
    patient = factories.patient(cpr=None, died_on=date(2025, 3, 1))
    PatientIdentifier.objects.create(patient=patient, system="urn:oid:1.2.3", value="X-2")
    resource = valid(bundles.patient_resource(patient))
    assert resource["identifier"] == [{"system": "urn:oid:1.2.3", "value": "X-2"}]
    assert resource["deceasedDateTime"] == "2025-03-01"


@pytest.mark.django_db
def test_an_imported_row_keeps_its_id_everywhere_it_is_named() -> None:
    patient = factories.patient()
    lab = LabResult.objects.create(
        patient=patient, code="haemoglobin", value=7.0, unit="mmol/L", taken_on=date(2025, 1, 1)
    )
    ImportedResource.objects.create(
        resource_type="Patient",
        key="k",
        fhir_id="abc-123",
        content_hash="x",
        row_type=ContentType.objects.get_for_model(Patient),
        row_id=patient.pk,
        source="test",
    )
    resources = bundles.everything(patient)
    for resource in resources:
        valid(resource)
    assert resources[0]["id"] == "abc-123"
    observation = next(r for r in resources if r["resourceType"] == "Observation")
    assert observation["id"] == f"lab-{lab.pk}"
    assert observation["subject"] == {"reference": "Patient/abc-123"}
    assert row_pk(Patient, "Patient", "abc-123") == patient.pk
    assert row_pk(Patient, "Patient", f"patient-{patient.pk}") is None  # it has its own id
    assert row_pk(Patient, "Patient", "patient-0") is None
    assert row_pk(Patient, "Patient", "practice-1") is None


@pytest.mark.django_db
def test_imported_ids_are_looked_up_in_one_query(django_assert_num_queries: Any) -> None:
    patients = [factories.patient() for _ in range(5)]
    ContentType.objects.get_for_models(Patient, LabResult)  # cached from here on
    labs = [
        LabResult.objects.create(
            patient=p, code="haemoglobin", value=7.0, unit="mmol/L", taken_on=date(2025, 1, 1)
        )
        for p in patients
    ]
    with django_assert_num_queries(1):  # every imported id of both types at once
        Ids().load([*patients, *labs])


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "expected"), list(cases.REFERRAL_STATUS.items()))
def test_each_referral_state_gives_its_order_and_task_status(
    state: str, expected: tuple[str, str]
) -> None:
    world = make_world()
    fields: dict[str, Any] = {}
    if state == ReferralState.RETURNED_WITH_ADVICE:
        fields = {"advice_text": "Start with a CT of the abdomen."}
    referral = referral_in(world, state, **fields)
    resources = [valid(r) for r in bundles.referral_resources(referral)]
    order = next(r for r in resources if r["resourceType"] == "ServiceRequest")
    task = next(r for r in resources if r["resourceType"] == "Task")
    assert (order["status"], task["status"]) == expected
    assert order["intent"] == task["intent"] == "order"
    assert task["focus"] == {"reference": f"ServiceRequest/referral-{referral.pk}"}
    assert task["owner"] == {"reference": f"Organization/unit-{referral.unit_id}"}
    assert order["performer"] == [task["owner"]]
    assert order["requester"]["reference"].startswith("PractitionerRole/role-")
    assert task["businessStatus"]["coding"][0]["code"] == state
    # Every reference in the export names a resource of it.
    named = {f"{r['resourceType']}/{r['id']}" for r in resources}
    assert {ref for r in resources for ref in _references(r)} - named <= {
        f"Patient/patient-{referral.patient_id}"
    }


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["reference"]} if isinstance(node.get("reference"), str) else set()
        return found.union(*(_references(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_references(v) for v in node))
    return set()


@pytest.mark.django_db
def test_a_rejection_gives_its_reason_and_the_alternative_plan() -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.REJECTED, alternative_plan_text="Gentag blodprøver")
    task = valid(cases.task(referral, IDS))
    assert task["statusReason"] == {
        "coding": [{"system": cases.REJECTION_REASON_SYSTEM, "code": "criteria_not_met"}],
        "text": "No visible haematuria in the letter",
    }
    [plan] = task["output"]
    assert plan["type"]["coding"][0]["code"] == "alternative-plan"
    assert plan["valueCodeableConcept"] == {
        "coding": [{"system": cases.ALTERNATIVE_PLAN_SYSTEM, "code": "repeat_blood_tests"}],
        "text": "Gentag blodprøver",
    }


@pytest.mark.django_db
def test_a_referral_returned_with_advice_gives_the_advice() -> None:
    world = make_world()
    referral = referral_in(
        world, ReferralState.RETURNED_WITH_ADVICE, advice_text="CT first, then refer again."
    )
    task = valid(cases.task(referral, IDS))
    assert task["status"] == "rejected"
    assert task["output"] == [
        {
            "type": {"coding": [{"system": cases.TASK_OUTPUT_SYSTEM, "code": "advice"}]},
            "valueString": "CT first, then refer again.",
        }
    ]


@pytest.mark.django_db
def test_the_thread_points_at_the_exported_resources() -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.SENT)
    Message.objects.create(
        referral=referral, author=world.doctor, author_side="unit", sent_at=NOW, body="Ring mig"
    )
    [message] = [valid(r) for r in bundles.thread_resources(referral)]
    order = f"ServiceRequest/referral-{referral.pk}"
    assert message["about"] == [{"reference": order}]
    assert message["basedOn"] == [{"reference": order}]
    assert message["subject"] == {"reference": f"Patient/patient-{referral.patient_id}"}
    role = f"PractitionerRole/role-{world.doctor.clinician.pk}"
    assert message["sender"]["reference"] == role
    assert message["payload"][0]["contentString"] == "Ring mig"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "status"),
    [
        (AdviceState.SENT, "active"),
        (AdviceState.ANSWERED, "completed"),
        (AdviceState.CLOSED, "completed"),
    ],
)
def test_an_advice_request_is_a_communication_request_with_its_answer(
    state: str, status: str
) -> None:
    world = make_world()
    advice = advice_in(world, state)
    resources = [valid(r) for r in bundles.advice_resources(advice)]
    request = resources[0]
    assert (request["resourceType"], request["id"], request["status"]) == (
        "CommunicationRequest",
        f"advice-{advice.pk}",
        status,
    )
    answers = [r for r in resources if r["resourceType"] == "Communication"]
    assert len(answers) == (0 if state == AdviceState.SENT else 1)
    for answer in answers:
        assert answer["basedOn"] == [{"reference": f"CommunicationRequest/advice-{advice.pk}"}]


@pytest.mark.django_db
def test_an_advice_request_closed_unanswered_is_revoked() -> None:
    world = make_world()
    advice = advice_in(world, AdviceState.SENT)
    advice.state = AdviceState.CLOSED
    advice.closed_at = NOW
    assert valid(cases.communication_request(advice, IDS))["status"] == "revoked"


def episode_with_investigations() -> tuple[SafetyNetEpisode, list[Investigation], LabResult]:
    world = make_world()
    episode = SafetyNetEpisode.objects.create(
        patient=world.patient,
        practice=world.patient.practice,
        owner=world.gp,
        opened_by=world.gp,
        opened_at=NOW,
        reason="pending_investigations",
        follow_up_on=date(2026, 3, 25),
        ends_on=date(2026, 4, 22),
    )
    lab = LabResult.objects.create(
        patient=world.patient,
        code="haemoglobin",
        value=6.2,
        unit="mmol/L",
        reference_low=7.3,
        reference_high=9.5,
        taken_on=date(2026, 3, 12),
    )
    common = {
        "episode": episode,
        "ordered_by": world.gp,
        "ordered_at": NOW,
        "expected_by": date(2026, 3, 18),
    }
    investigations = [
        Investigation.objects.create(
            kind="lab",
            code="haemoglobin",
            state="resulted",
            resulted_at=NOW,
            lab_result=lab,
            **common,
        ),
        Investigation.objects.create(
            kind="chest_xray",
            description="Røntgen af thorax",
            state="seen",
            resulted_at=NOW,
            result_text="No focal changes",
            **common,
        ),
        Investigation.objects.create(kind="ct_thorax_abdomen", **common),
    ]
    return episode, investigations, lab


@pytest.mark.django_db
def test_an_episode_with_its_investigations_and_their_results() -> None:
    episode, (lab_test, xray, ct), lab = episode_with_investigations()
    resources = [valid(r) for r in bundles.episode_resources(episode)]
    by_id = {f"{r['resourceType']}/{r['id']}": r for r in resources}
    care = by_id[f"EpisodeOfCare/episode-{episode.pk}"]
    assert care["status"] == "active"
    assert care["managingOrganization"] == {
        "reference": f"Organization/practice-{episode.practice_id}"
    }
    assert care["careManager"]["reference"].startswith("PractitionerRole/role-")
    assert care["period"]["start"].startswith("2026-03-11")
    episode_ref = {"reference": f"EpisodeOfCare/episode-{episode.pk}"}
    for investigation in (lab_test, xray, ct):
        request = by_id[f"ServiceRequest/investigation-{investigation.pk}"]
        assert request["supportingInfo"] == [episode_ref]
        assert {"url": cases.EXT_EPISODE, "valueReference": episode_ref} in request["extension"]
    assert by_id[f"ServiceRequest/investigation-{ct.pk}"]["status"] == "active"
    results = {
        e["valueReference"]["reference"]
        for i in (lab_test, xray)
        for e in by_id[f"ServiceRequest/investigation-{i.pk}"]["extension"]
        if e["url"] == cases.EXT_RESULT
    }
    assert results == {f"Observation/lab-{lab.pk}", f"Observation/investigation-{xray.pk}"}
    assert by_id[f"Observation/investigation-{xray.pk}"]["valueString"] == "No focal changes"
    assert by_id[f"Observation/lab-{lab.pk}"]["valueQuantity"]["value"] == 6.2
    assert not any(
        e["url"] == cases.EXT_RESULT
        for e in by_id[f"ServiceRequest/investigation-{ct.pk}"]["extension"]
    )


@pytest.mark.django_db
def test_a_closed_episode_is_finished_with_its_outcome() -> None:
    episode, _, _ = episode_with_investigations()
    SafetyNetEpisode.objects.filter(pk=episode.pk).update(
        state="closed", outcome="no_cancer_found", closed_at=NOW + timedelta(days=20)
    )
    episode.refresh_from_db()
    care = valid(cases.episode_of_care(episode, IDS))
    assert care["status"] == "finished"
    assert "end" in care["period"]
    assert {
        "url": cases.EXT_OUTCOME,
        "valueCodeableConcept": {
            "coding": [{"system": cases.EPISODE_OUTCOME_SYSTEM, "code": "no_cancer_found"}]
        },
    } in care["extension"]


@pytest.mark.django_db
def test_a_patients_everything_validates_as_one_bundle_without_duplicates() -> None:
    world = make_world()
    patient = world.patient
    clinician = Clinician.objects.get(user=world.gp)
    factories.contact(patient, on=date(2026, 1, 5), clinician=clinician, reason_codes=["R05"])
    Symptom.objects.create(
        patient=patient,
        code="cough",
        onset=date(2026, 1, 1),
        recorded_on=date(2026, 1, 5),
        patient_words="Hoste",
    )
    FamilyHistory.objects.create(patient=patient, relation="mother", cancer_site="breast")
    referral_in(world, ReferralState.REJECTED)
    advice_in(world, AdviceState.ANSWERED)
    resources = bundles.everything(Patient.objects.get(pk=patient.pk))
    bundle = valid(bundles.collection(resources))
    keys = [f"{r['resourceType']}/{r['id']}" for r in resources]
    assert len(keys) == len(set(keys))
    assert bundle["type"] == "collection"
    kinds = {r["resourceType"] for r in resources}
    assert kinds >= {
        "Patient",
        "Organization",
        "Practitioner",
        "PractitionerRole",
        "Encounter",
        "Observation",
        "FamilyMemberHistory",
        "ServiceRequest",
        "Task",
        "CommunicationRequest",
    }
