"""The read-only FHIR API under /api/v1/fhir/: who reads what, the access log, the errors.

Real HTTP through Django's test client with bearer tokens, as an EHR would call it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from opspor.accounts.models import Role, User
from opspor.accounts.tokens import api_token_issue
from opspor.records.models import AccessLogEntry, LabResult
from opspor.referrals.models import Message
from opspor.referrals.workflow import AdviceState, ReferralState
from opspor.safetynet.models import SafetyNetEpisode
from tests import factories
from tests.interop.fhir import valid
from tests.referrals.worlds import NOW, World, advice_in, make_world, referral_in

pytestmark = pytest.mark.django_db

BASE = "/api/v1/fhir/"


class Case:
    def __init__(self) -> None:
        self.world: World = make_world()
        world = self.world
        self.patient = world.patient
        LabResult.objects.create(
            patient=self.patient,
            code="haemoglobin",
            value=6.0,
            unit="mmol/L",
            taken_on=date(2026, 3, 1),
        )
        self.referral = referral_in(world, ReferralState.SENT)
        Message.objects.create(
            referral=self.referral, author=world.gp, author_side="gp", sent_at=NOW, body="Hej"
        )
        self.draft = referral_in(world, ReferralState.DRAFT)
        self.advice = advice_in(world, AdviceState.ANSWERED)
        self.episode = SafetyNetEpisode.objects.create(
            patient=self.patient,
            practice=self.patient.practice,
            owner=world.gp,
            opened_by=world.gp,
            opened_at=NOW,
            reason="wait_and_see",
            follow_up_on=date(2026, 3, 25),
            ends_on=date(2026, 4, 22),
        )
        self.patient_user = factories.user(Role.PATIENT)
        self.patient.user = self.patient_user
        self.patient.save()
        self.analyst = factories.user(Role.ANALYST)

    def paths(self) -> dict[str, str]:
        r = self.referral.pk
        return {
            "Patient": f"Patient/patient-{self.patient.pk}",
            "everything": f"Patient/patient-{self.patient.pk}/$everything",
            "ServiceRequest": f"ServiceRequest/referral-{r}",
            "Task": f"Task/referral-{r}",
            "Communication": f"Communication?based-on=ServiceRequest/referral-{r}",
            "CommunicationRequest": f"CommunicationRequest/advice-{self.advice.pk}",
            "EpisodeOfCare": f"EpisodeOfCare/episode-{self.episode.pk}",
        }


WHAT = {
    "Patient": "fhir Patient",
    "everything": "fhir Patient $everything",
    "ServiceRequest": "fhir ServiceRequest",
    "Task": "fhir Task",
    "Communication": "fhir Communication",
    "CommunicationRequest": "fhir CommunicationRequest",
    "EpisodeOfCare": "fhir EpisodeOfCare",
}
UNIT_READS = {
    "Patient",
    "everything",
    "ServiceRequest",
    "Task",
    "Communication",
    "CommunicationRequest",
}


@pytest.fixture
def case() -> Case:
    return Case()


def get(user: User | None, path: str) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)}"} if user else {}
    return Client().get(BASE + path, **headers)


def caller(case: Case, who: str) -> User:
    w = case.world
    return {
        "gp": w.gp,
        "stranger_gp": w.stranger_gp,
        "doctor": w.doctor,
        "stranger_doctor": w.stranger_doctor,
        "patient": case.patient_user,
        "analyst": case.analyst,
    }[who]


def expected(who: str, name: str) -> int:
    if who == "gp":
        return 200
    if who in {"patient", "analyst"}:
        return 403
    if who == "stranger_gp":
        return 404
    # Unit doctors: their unit's cases and those patients; safety nets are the practice's.
    if name == "EpisodeOfCare":
        return 403
    return 200 if who == "doctor" else 404


@pytest.mark.parametrize("name", list(WHAT))
@pytest.mark.parametrize(
    "who", ["gp", "stranger_gp", "doctor", "stranger_doctor", "patient", "analyst"]
)
def test_who_reads_what(case: Case, who: str, name: str) -> None:
    user = caller(case, who)
    before = AccessLogEntry.objects.count()
    response = get(user, case.paths()[name])
    status = expected(who, name)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = valid(response.json())
    log = list(AccessLogEntry.objects.order_by("pk")[before:])
    if status == 200:
        assert [(e.user_id, e.patient_id, e.what, e.channel, e.refused) for e in log] == [
            (user.pk, case.patient.pk, WHAT[name], "fhir", False)
        ]
    elif status == 404:
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["code"] == "not-found"
        # The object exists: the attempt is a refused read of its patient.
        assert [(e.user_id, e.patient_id, e.what, e.refused) for e in log] == [
            (user.pk, case.patient.pk, WHAT[name], True)
        ]
    else:
        assert body["issue"][0]["code"] == "forbidden"
        assert log == []


@pytest.mark.parametrize("name", list(WHAT))
def test_no_token_is_401_and_logs_nothing(case: Case, name: str) -> None:
    response = get(None, case.paths()[name])
    assert response.status_code == 401
    assert "detail" in response.json()
    assert not AccessLogEntry.objects.exists()


def test_a_unit_doctor_gets_no_record_rows_and_no_safety_nets(case: Case) -> None:
    body = get(case.world.doctor, case.paths()["everything"]).json()
    kinds = {e["resource"]["resourceType"] for e in body["entry"]}
    assert {"Patient", "ServiceRequest", "Task", "CommunicationRequest"} <= kinds
    assert not kinds & {"Observation", "Encounter", "EpisodeOfCare", "Condition"}
    referrals = {
        e["resource"]["id"]
        for e in body["entry"]
        if e["resource"]["resourceType"] == "ServiceRequest"
    }
    assert referrals == {f"referral-{case.referral.pk}"}  # not the draft


def test_a_gps_everything_is_a_searchset_of_the_whole_record(case: Case) -> None:
    body = valid(get(case.world.gp, case.paths()["everything"]).json())
    assert body["type"] == "searchset"
    assert body["total"] == len(body["entry"])
    kinds = {e["resource"]["resourceType"] for e in body["entry"]}
    assert {"Patient", "Observation", "ServiceRequest", "Task", "EpisodeOfCare"} <= kinds
    assert f"ServiceRequest/referral-{case.draft.pk}" in {e["fullUrl"] for e in body["entry"]}


def test_a_draft_is_not_the_units(case: Case) -> None:
    response = get(case.world.doctor, f"ServiceRequest/referral-{case.draft.pk}")
    assert response.status_code == 404


def test_the_thread_is_a_searchset_of_communications(case: Case) -> None:
    body = valid(get(case.world.doctor, case.paths()["Communication"]).json())
    assert [e["resource"]["resourceType"] for e in body["entry"]] == ["Communication"]
    # Reading it here is no read receipt.
    assert Message.objects.get().read_at is None


@pytest.mark.parametrize(
    "path",
    [
        "Patient/patient-999999",
        "Patient/referral-1",
        "Patient/nonsense",
        "Task/patient-1",
        "ServiceRequest/investigation-999999",
        "EpisodeOfCare/episode-999999",
        "CommunicationRequest/advice-999999",
    ],
)
def test_an_unknown_id_is_404_and_logs_nothing(case: Case, path: str) -> None:
    response = get(case.world.gp, path)
    assert response.status_code == 404
    assert valid(response.json())["issue"][0]["code"] == "not-found"
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "Communication",
        "Communication?based-on=Patient/patient-1",
        "Communication?based-on=ServiceRequest/",
        "Communication?based-on=ServiceRequest/a b",
        "Patient/a%20b",
        "Task/" + "x" * 65,
    ],
)
def test_a_malformed_id_or_search_is_refused_before_anything_is_read(case: Case, path: str) -> None:
    response = get(case.world.gp, path)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert not AccessLogEntry.objects.exists()


def test_an_investigation_is_served_to_the_practice_only(case: Case) -> None:
    investigation = case.episode.investigations.create(
        kind="chest_xray", ordered_by=case.world.gp, ordered_at=NOW, expected_by=date(2026, 3, 18)
    )
    path = f"ServiceRequest/investigation-{investigation.pk}"
    body = valid(get(case.world.gp, path).json())
    assert body["supportingInfo"] == [{"reference": f"EpisodeOfCare/episode-{case.episode.pk}"}]
    assert get(case.world.stranger_gp, path).status_code == 404
    assert get(case.world.doctor, path).status_code == 404
