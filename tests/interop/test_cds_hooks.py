"""The CDS Hooks service over HTTP: discovery, cards that match the engine's findings on the
record, the indicator rule, access and its log, and reading nothing of the record."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from opspor.accounts.models import Role, User
from opspor.accounts.tokens import api_token_issue
from opspor.engine.assess import assess
from opspor.engine.assessment import Assessment
from opspor.interop.cds_hooks.cards import MAX_CARDS, criterion_alerts, summary_of
from opspor.interop.cds_hooks.prefetch import patient_context_from, read_prefetch
from opspor.records.context import patient_context_for
from opspor.records.models import (
    AccessLogEntry,
    ClinicalFinding,
    Clinician,
    Condition,
    FamilyHistory,
    LabResult,
    Patient,
    Practice,
    Symptom,
)
from tests import factories
from tests.interop.cds_prefetch import practitioner, prefetch_for

pytestmark = pytest.mark.django_db

URL = "/cds-services/opspor-patient-view"


@dataclass
class World:
    gp: Clinician
    user: User
    practice: Practice
    token: str


@pytest.fixture
def world() -> World:
    gp = factories.gp()
    assert gp.user is not None and gp.practice is not None
    return World(gp, gp.user, gp.practice, api_token_issue(user=gp.user))


def returning_man(practice: Practice) -> Patient:
    """Back after five years with weight loss, fatigue and anaemia: criteria met, a long
    absence, and missing pre-referral tests."""
    today = timezone.localdate()
    patient = factories.patient(
        practice,
        birth_date=date(today.year - 60, 1, 15),
        sex="male",
        smoking="former",
        registered_from=today - timedelta(days=20 * 365),
    )
    for i in range(2):
        factories.contact(patient, on=today - timedelta(days=5 * 365 + 7 * i))
    factories.contact(patient, on=today - timedelta(days=2))
    for code, onset in (("weight_loss", 80), ("fatigue", 60)):
        Symptom.objects.create(
            patient=patient,
            code=code,
            onset=today - timedelta(days=onset),
            recorded_on=today - timedelta(days=2),
            persistent=True,
        )
    ClinicalFinding.objects.create(patient=patient, code="anaemia", found_on=today - timedelta(1))
    LabResult.objects.create(
        patient=patient,
        code="haemoglobin",
        value=7.1,
        unit="mmol/L",
        reference_low=8.3,
        taken_on=today - timedelta(days=1),
    )
    FamilyHistory.objects.create(patient=patient, relation="father", cancer_site="lung")
    return patient


def frequent_attender(practice: Practice, other: Clinician) -> Patient:
    """Rarely came, now five times in two months, each time to another doctor."""
    today = timezone.localdate()
    patient = factories.patient(practice, birth_date=date(1975, 4, 2))
    factories.contact(patient, on=today - timedelta(days=700), clinician=other)
    for days in (60, 45, 30, 14, 3):
        factories.contact(patient, on=today - timedelta(days=days), clinician=other)
    Symptom.objects.create(
        patient=patient,
        code="abdominal_pain",
        onset=today - timedelta(days=60),
        recorded_on=today - timedelta(days=3),
    )
    Condition.objects.create(patient=patient, code="E11", system="icd10", chronic=True)
    Condition.objects.create(patient=patient, code="K86", system="icpc2", resolved=today)
    return patient


def hook_request(patient: Patient, user_ref: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": user_ref, "patientId": f"patient-{patient.pk}"},
        "prefetch": prefetch_for(patient),
    }
    body.update(changes)
    return body


def post(body: Any, token: str | None, *, raw: bytes | None = None, lang: str = "en") -> Any:
    headers = {"HTTP_ACCEPT_LANGUAGE": lang}
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    import json

    data = raw if raw is not None else json.dumps(body, default=str)
    # An EHR sends no CSRF token: the service must not ask for one.
    client = Client(enforce_csrf_checks=True)
    return client.post(URL, data=data, content_type="application/json", **headers)


COMPARED = ("guideline_criterion", "pattern_break", "long_absence", "continuity", "filter_package")


def _compared(assessment: Assessment) -> list[Any]:
    return [f.model_dump() for f in assessment.findings if f.kind in COMPARED]


def _from_prefetch(patient: Patient, user_ref: str) -> Assessment:
    prefetched = read_prefetch(prefetch_for(patient), patient_id=f"patient-{patient.pk}")
    return assess(
        patient_context_from(prefetched, as_of=timezone.localdate(), current_clinician=user_ref)
    )


# Discovery


def test_discovery_lists_the_patient_view_service_with_its_prefetch() -> None:
    response = Client().get("/cds-services")
    assert response.status_code == 200
    (service,) = response.json()["services"]
    assert service["id"] == "opspor-patient-view"
    assert service["hook"] == "patient-view"
    assert service["title"] and service["description"]
    prefetch = service["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"
    assert prefetch["observations"] == "Observation?patient={{context.patientId}}"
    assert prefetch["encounters"] == "Encounter?patient={{context.patientId}}"
    assert prefetch["medicationRequests"] == "MedicationRequest?patient={{context.patientId}}"
    assert prefetch["medicationStatements"] == ("MedicationStatement?patient={{context.patientId}}")
    assert prefetch["familyHistory"] == "FamilyMemberHistory?patient={{context.patientId}}"


# The same findings as the record gives


@pytest.mark.parametrize("who", ["returning", "frequent"])
def test_the_prefetch_gives_the_engine_the_findings_the_record_gives(
    who: str, world: World
) -> None:
    other = factories.gp(world.practice)
    patient = (
        returning_man(world.practice)
        if who == "returning"
        else frequent_attender(world.practice, other)
    )
    from_record = assess(
        patient_context_for(patient, as_of=timezone.localdate(), viewer=world.user)
    )
    from_prefetch = _from_prefetch(patient, practitioner(world.gp.pk) or "")
    assert _compared(from_prefetch) == _compared(from_record)
    assert _compared(from_record)  # the comparison compares something


def test_cards_carry_the_criteria_signals_and_missing_tests_with_sources(world: World) -> None:
    patient = returning_man(world.practice)
    expected = assess(patient_context_for(patient, as_of=timezone.localdate(), viewer=world.user))
    response = post(hook_request(patient, practitioner(world.gp.pk) or ""), world.token)
    assert response.status_code == 200, response.json()
    cards = {c["source"]["topic"]["code"]: c for c in response.json()["cards"]}
    assert len(cards) <= MAX_CARDS
    criteria = expected.of_kind("guideline_criterion")
    assert criteria and set(cards) == {"criteria", "signals", "missing-tests"}
    card = cards["criteria"]
    for criterion in criteria:
        assert criterion.source.recommendation_number in card["detail"]
        assert criterion.explanation.en.split(" ")[0] in card["detail"]
    assert card["source"]["url"].startswith("https://")
    assert "long absence" in cards["signals"]["summary"]
    missing = expected.of_kind("filter_package")[0].missing
    assert all(m.label.en in cards["missing-tests"]["detail"] for m in missing)
    assert cards["missing-tests"]["source"]["url"].startswith("https://")
    for c in cards.values():
        assert len(c["summary"]) < 140
        assert c["indicator"] in ("info", "warning")
        (link,) = c["links"]
        assert link["type"] == "absolute"
        assert link["url"] == f"http://testserver/patients/{patient.pk}/overview/"
        uuid.UUID(c["uuid"])
        assert "not cancer" not in (c["summary"] + c["detail"]).lower()


def test_continuity_is_judged_for_the_caller(world: World) -> None:
    other = factories.gp(world.practice)
    patient = frequent_attender(world.practice, other)
    response = post(hook_request(patient, practitioner(world.gp.pk) or ""), world.token)
    cards = {c["source"]["topic"]["code"]: c for c in response.json()["cards"]}
    signals = cards["signals"]
    assert "pattern break" in signals["summary"]
    assert "not seen by you before" in signals["summary"]
    # The doctor who saw her every time is no newcomer: no first-contact signal for them.
    seen = post(hook_request(patient, practitioner(other.pk) or ""), world.token).json()
    theirs = {c["source"]["topic"]["code"]: c for c in seen["cards"]}["signals"]
    assert "not seen by you before" not in theirs["summary"]


def test_cards_are_danish_on_request(world: World) -> None:
    patient = returning_man(world.practice)
    body = hook_request(patient, practitioner(world.gp.pk) or "")
    cards = post(body, world.token, lang="da").json()["cards"]
    assert any("Signaler i kontakterne" in c["summary"] for c in cards)


def test_no_findings_no_cards(world: World) -> None:
    patient = factories.patient(world.practice, birth_date=date(1990, 6, 1))
    response = post(hook_request(patient, practitioner(world.gp.pk) or ""), world.token)
    assert response.status_code == 200
    assert response.json() == {"cards": []}


@given(st.text(max_size=400))
def test_asummary_of_is_always_under_140_characters(text: str) -> None:
    assert len(summary_of(text)) < 140


# The indicator rule


@pytest.mark.parametrize(
    ("recommendation", "within", "alerts"),
    [
        ("immediate_referral", None, True),
        ("very_urgent_referral", 2, True),
        ("suspected_cancer_referral", 14, True),
        ("urgent_referral", 14, True),
        ("urgent_investigation", 2, True),
        ("urgent_investigation", 14, False),
        ("non_urgent_investigation", None, False),
        ("safety_net", None, False),
    ],
)
def test_only_urgent_referrals_warn(recommendation: str, within: int | None, alerts: bool) -> None:
    assert criterion_alerts(recommendation, within) is alerts


def test_pattern_break_warns_and_the_rest_informs(world: World) -> None:
    other = factories.gp(world.practice)
    patient = frequent_attender(world.practice, other)
    cards = post(hook_request(patient, practitioner(world.gp.pk) or ""), world.token).json()
    by_topic = {c["source"]["topic"]["code"]: c for c in cards["cards"]}
    assert by_topic["signals"]["indicator"] == "warning"
    assert all(c["indicator"] != "critical" for c in cards["cards"])


# Access and the log


def test_no_token_is_401_and_nothing_logged(world: World) -> None:
    patient = returning_man(world.practice)
    body = hook_request(patient, practitioner(world.gp.pk) or "")
    for token in (None, "not-a-token"):
        response = post(body, token)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "detail" in response.json()
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ANALYST, Role.ADMIN])
def test_other_roles_get_403_and_nothing_logged(role: str, world: World) -> None:
    patient = returning_man(world.practice)
    token = api_token_issue(user=factories.user(role))
    response = post(hook_request(patient, "Practitioner/x"), token)
    assert response.status_code == 403
    assert not AccessLogEntry.objects.exists()


def test_the_call_is_logged_as_a_read(world: World) -> None:
    patient = returning_man(world.practice)
    post(hook_request(patient, practitioner(world.gp.pk) or ""), world.token)
    (entry,) = AccessLogEntry.objects.all()
    assert (entry.user, entry.patient, entry.channel, entry.refused) == (
        world.user,
        patient,
        "cds-hooks",
        False,
    )
    assert entry.what == "CDS Hooks patient-view"


def test_another_practices_patient_is_refused_and_the_refusal_logged(world: World) -> None:
    theirs = returning_man(factories.practice())
    response = post(hook_request(theirs, practitioner(world.gp.pk) or ""), world.token)
    assert response.status_code == 404
    assert "cards" not in response.json()
    (entry,) = AccessLogEntry.objects.all()
    assert (entry.patient, entry.refused, entry.channel) == (theirs, True, "cds-hooks")


def test_an_unknown_patient_is_404_and_nothing_logged(world: World) -> None:
    patient = returning_man(world.practice)
    body = hook_request(patient, practitioner(world.gp.pk) or "")
    body["prefetch"]["patient"]["identifier"] = [{"system": "urn:x", "value": "nobody"}]
    assert post(body, world.token).status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_a_unit_doctor_sees_a_patient_referred_to_their_unit_only(world: World) -> None:
    from opspor.referrals.models import AdviceRequest

    doctor = factories.unit_doctor()
    assert doctor.user is not None and doctor.unit is not None
    token = api_token_issue(user=doctor.user)
    patient = returning_man(world.practice)
    body = hook_request(patient, "PractitionerRole/unit-doctor")
    assert post(body, token).status_code == 404
    advice = AdviceRequest.objects.create(
        patient=patient,
        practice=world.practice,
        unit=doctor.unit,
        asked_by=world.user,
        question="Weight loss and anaemia: refer?",
        sent_at=timezone.now(),
        answer_due_at=timezone.now() + timedelta(days=1),
    )
    response = post(body, token)
    assert response.status_code == 200
    links = {link["url"] for c in response.json()["cards"] for link in c["links"]}
    assert links == {f"http://testserver{advice.get_absolute_url()}"}


# Nothing of the record is read


# Not "DO UPDATE SET" of an upsert: SET is no table.
_TABLE = re.compile(r'(?:FROM|JOIN|INTO|UPDATE)\s+(?!SET\b)"?([a-z_]+)"?', re.IGNORECASE)
RECORD_TABLES = {
    "records_contact",
    "records_symptom",
    "records_labresult",
    "records_condition",
    "records_medication",
    "records_clinicalfinding",
    "records_familyhistory",
    "records_occupationalexposure",
    "records_cancerdiagnosis",
}


def test_a_complete_prefetch_reads_nothing_of_the_record(
    world: World, django_assert_max_num_queries: Any
) -> None:
    patient = returning_man(world.practice)
    body = hook_request(patient, practitioner(world.gp.pk) or "")
    with django_assert_max_num_queries(9), CaptureQueriesContext(connection) as queries:
        response = post(body, world.token)
    assert response.status_code == 200 and response.json()["cards"]
    tables = {t.lower() for q in queries.captured_queries for t in _TABLE.findall(q["sql"])}
    assert not tables & RECORD_TABLES
    # The token and its rate limit's count, the caller's practice, the patient's identity and
    # the access log.
    assert tables <= {
        "accounts_apitoken",
        "accounts_apiratewindow",
        "accounts_user",
        "records_clinician",
        "records_practice",
        "records_patient",
        "records_patientidentifier",
        "records_accesslogentry",
    }, tables
