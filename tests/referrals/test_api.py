"""Advice requests and referrals over real HTTP, with bearer tokens from `opspor token`."""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from opspor.accounts.models import Role, User
from opspor.records.models import Patient
from opspor.referrals.models import AdviceRequest, Referral, ReferralEvent
from opspor.referrals.workflow import AdviceState, ReferralState
from tests import factories
from tests.referrals.test_services import patient_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in test_services: keep the shared counter, which makes CPR numbers, where it was.
    monkeypatch.setattr(factories, "_counter", itertools.count(2_000_000))


def _token(user: User) -> str:
    out = StringIO()
    call_command("token", user.username, stdout=out)
    return out.getvalue().strip()


class Client:
    def __init__(self, base: str, user: User) -> None:
        self.base, self.token = f"{base}/api/v1", _token(user)

    def call(self, method: str, path: str, body: object = None, key: str = "") -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if key:
            request.add_header("Idempotency-Key", key)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def get(self, path: str) -> tuple[int, Any]:
        return self.call("GET", path)

    def post(self, path: str, body: object = None, key: str = "") -> tuple[int, Any]:
        return self.call("POST", path, body, key)  # no body at all when None


@dataclass
class World:
    gp: Client
    doctor: Client
    stranger_gp: Client  # a GP of another practice
    stranger_doctor: Client  # a doctor of another unit
    patient: Patient


@pytest.fixture
def world(live_server: Any) -> World:
    unit = factories.unit()
    practice = factories.practice(diagnostic_unit=unit)
    gp, doctor = factories.gp(practice).user, factories.unit_doctor(unit).user
    stranger_gp, stranger_doctor = factories.gp().user, factories.unit_doctor().user
    assert gp and doctor and stranger_gp and stranger_doctor
    return World(
        gp=Client(live_server.url, gp),
        doctor=Client(live_server.url, doctor),
        stranger_gp=Client(live_server.url, stranger_gp),
        stranger_doctor=Client(live_server.url, stranger_doctor),
        patient=patient_in(practice),
    )


def _draft(world: World, **fields: Any) -> dict[str, Any]:
    body = {"patient_id": world.patient.pk, "pathway": "kidney", "clinical_question": "Haematuria"}
    status, referral = world.gp.post("/referrals", body | fields)
    assert status == 201, referral
    return referral


def _sent(world: World) -> dict[str, Any]:
    referral = _draft(world, informed_about_kraeft=True)
    status, referral = world.gp.post(f"/referrals/{referral['id']}/send")
    assert status == 200, referral
    return referral


def _snapshot(referral_id: int) -> tuple[str, int]:
    row = Referral.objects.get(pk=referral_id)
    return row.state, ReferralEvent.objects.filter(referral=row).count()


def _has_offset(moment: str) -> bool:
    return datetime.fromisoformat(moment).utcoffset() is not None and moment[-6] in "+-"


def test_draft_send_reject_acknowledge_then_a_new_referral_is_accepted(world: World) -> None:
    draft = _draft(world)
    assert draft["state"] == ReferralState.DRAFT
    assert {"item": "informed_about_kraeft"} in draft["missing"]
    assert draft["triage"]["decision"] is None
    rid = draft["id"]

    status, error = world.gp.post(f"/referrals/{rid}/send")
    assert status == 422
    assert error["code"] == "incomplete"
    assert error["missing"] == [{"item": "informed_about_kraeft"}]
    assert _snapshot(rid) == (ReferralState.DRAFT, 1)

    status, sent = world.gp.post(f"/referrals/{rid}/send", {"incomplete_reason": "Urgent"})
    assert status == 200
    assert sent["state"] == ReferralState.SENT
    assert sent["missing"] == [{"item": "informed_about_kraeft"}]
    assert _has_offset(sent["sent_at"]) and _has_offset(sent["triage_due_at"])

    reject = {"reason_category": "investigations_first", "reason_text": "CT first"}
    status, error = world.doctor.post(f"/referrals/{rid}/reject", reject)
    assert (status, error["code"]) == (422, "missing_plan")
    assert _snapshot(rid) == (ReferralState.SENT, 2)

    plan = {"code": "direct_ct_thorax_abdomen", "text": "CT of thorax and abdomen first"}
    status, rejected = world.doctor.post(
        f"/referrals/{rid}/reject", reject | {"alternative_plan": plan}
    )
    assert status == 200
    assert rejected["state"] == ReferralState.REJECTED
    assert rejected["triage"]["decision"] == ReferralState.REJECTED
    assert rejected["triage"]["alternative_plan"] == plan
    assert rejected["triage"]["acknowledged_at"] is None

    assert world.doctor.post(f"/referrals/{rid}/acknowledge-rejection")[0] == 403
    status, acknowledged = world.gp.post(f"/referrals/{rid}/acknowledge-rejection")
    assert status == 200
    assert _has_offset(acknowledged["triage"]["acknowledged_at"])
    status, error = world.gp.post(f"/referrals/{rid}/acknowledge-rejection")
    assert (status, error["code"]) == (409, "not_allowed")

    new = _sent(world)
    assert new["missing"] == [] and new["incomplete_reason"] == ""
    assert world.gp.post(f"/referrals/{new['id']}/accept")[0] == 403
    status, accepted = world.doctor.post(f"/referrals/{new['id']}/accept")
    assert status == 200
    assert accepted["state"] == ReferralState.ACCEPTED
    assert accepted["triage"]["decision"] == ReferralState.ACCEPTED
    status, error = world.doctor.post(
        f"/referrals/{new['id']}/reject", reject | {"alternative_plan": plan}
    )
    assert (status, error["code"]) == (409, "not_allowed")


def test_advice_is_asked_answered_and_becomes_a_referral(world: World) -> None:
    body = {"patient_id": world.patient.pk, "question": "Weight loss 6 kg: refer?"}
    status, advice = world.gp.post("/advice-requests", body)
    assert status == 201
    assert advice["state"] == AdviceState.SENT and _has_offset(advice["answer_due_at"])
    aid = advice["id"]
    assert world.gp.post(f"/advice-requests/{aid}/answer", {"answer": "Yes"})[0] == 403
    assert world.stranger_doctor.post(f"/advice-requests/{aid}/answer", {"answer": "Yes"})[0] == 404
    status, error = world.doctor.post(f"/advice-requests/{aid}/answer", {"answer": " "})
    assert (status, error["code"]) == (422, "invalid")
    status, answered = world.doctor.post(f"/advice-requests/{aid}/answer", {"answer": "Refer."})
    assert status == 200 and answered["state"] == AdviceState.ANSWERED

    status, draft = world.gp.post("/referrals", {"from_advice_id": aid, "pathway": "dpf"})
    assert status == 201
    assert draft["patient_id"] == world.patient.pk
    assert draft["clinical_question"] == "Weight loss 6 kg: refer?"
    assert AdviceRequest.objects.get(pk=aid).state == AdviceState.CLOSED


def test_return_with_advice_and_withdraw(world: World) -> None:
    returned = _sent(world)
    status, body = world.doctor.post(
        f"/referrals/{returned['id']}/return-with-advice", {"advice_text": "Repeat ALT"}
    )
    assert status == 200
    assert body["state"] == body["triage"]["decision"] == ReferralState.RETURNED_WITH_ADVICE

    withdrawn = _sent(world)
    path = f"/referrals/{withdrawn['id']}/withdraw"
    status, body = world.gp.post(path, {"reason": "Symptoms resolved"})
    assert status == 200 and body["state"] == ReferralState.WITHDRAWN
    assert world.gp.post(path)[0] == 409


def test_create_and_send_with_the_same_key_happen_once(world: World) -> None:
    body = {"patient_id": world.patient.pk, "pathway": "kidney", "informed_about_kraeft": True}
    first = world.gp.post("/referrals", body, key="create-1")
    assert world.gp.post("/referrals", body, key="create-1") == first
    assert first[0] == 201
    assert Referral.objects.count() == 1

    path = f"/referrals/{first[1]['id']}/send"
    sent = world.gp.post(path, key="send-1")
    assert sent[0] == 200 and sent[1]["state"] == ReferralState.SENT
    assert world.gp.post(path, key="send-1") == sent
    assert ReferralEvent.objects.filter(action="send").count() == 1
    # Without the key a second send is a second attempt, and the state refuses it.
    assert world.gp.post(path)[0] == 409

    advice = {"patient_id": world.patient.pk, "question": "Refer?"}
    first = world.gp.post("/advice-requests", advice, key="ask-1")
    assert world.gp.post("/advice-requests", advice, key="ask-1") == first
    assert AdviceRequest.objects.count() == 1

    # The key is stored; one longer than its column is refused before anything is made.
    assert world.gp.post("/referrals", body, key="k" * 201)[0] == 422
    assert Referral.objects.count() == 1


def test_values_the_database_would_refuse_are_422(world: World) -> None:
    body = {"patient_id": world.patient.pk, "pathway": "kidney"}
    assert world.gp.post("/referrals", body | {"clinical_frailty_scale": 10})[0] == 422
    status, error = world.gp.post("/referrals", body | {"pathway": "nope"})
    assert (status, error["code"]) == (422, "invalid")
    assert Referral.objects.count() == 0


def test_another_practice_gets_404_and_changes_nothing(world: World) -> None:
    draft = _draft(world)
    rid = draft["id"]
    assert world.stranger_gp.get(f"/referrals/{rid}")[0] == 404
    assert world.stranger_gp.post(f"/referrals/{rid}/send", {"incomplete_reason": "x"})[0] == 404
    assert world.stranger_gp.post(f"/referrals/{rid}/withdraw")[0] == 404
    body = {"patient_id": world.patient.pk, "pathway": "kidney"}
    assert world.stranger_gp.post("/referrals", body)[0] == 404
    assert _snapshot(rid) == (ReferralState.DRAFT, 1)
    assert Referral.objects.count() == 1


def test_a_doctor_of_another_unit_gets_404_and_changes_nothing(world: World) -> None:
    rid = _sent(world)["id"]
    before = _snapshot(rid)
    assert world.stranger_doctor.get(f"/referrals/{rid}")[0] == 404
    assert world.stranger_doctor.post(f"/referrals/{rid}/accept")[0] == 404
    reject = {
        "reason_category": "other",
        "reason_text": "No",
        "alternative_plan": {"text": "Watchful waiting"},
    }
    assert world.stranger_doctor.post(f"/referrals/{rid}/reject", reject)[0] == 404
    assert _snapshot(rid) == before


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ANALYST])
def test_patients_and_analysts_are_refused(world: World, live_server: Any, role: str) -> None:
    rid = _sent(world)["id"]
    before = _snapshot(rid)
    client = Client(live_server.url, factories.user(role))
    assert client.get("/referrals")[0] == 403
    assert client.get(f"/referrals/{rid}")[0] == 403
    assert (
        client.post("/referrals", {"patient_id": world.patient.pk, "pathway": "kidney"})[0] == 403
    )
    assert client.post(f"/referrals/{rid}/accept")[0] == 403
    assert client.post("/advice-requests", {"patient_id": 1, "question": "?"})[0] == 403
    assert _snapshot(rid) == before and Referral.objects.count() == 1


def test_the_list_holds_only_the_callers_referrals(world: World, live_server: Any) -> None:
    own = _sent(world)["id"]
    other_practice = factories.practice()
    other_gp = factories.gp(other_practice).user
    assert other_gp is not None
    Client(live_server.url, other_gp).post(
        "/referrals", {"patient_id": patient_in(other_practice).pk, "pathway": "lung"}
    )
    assert Referral.objects.count() == 2

    for client in (world.gp, world.doctor):
        status, listed = client.get("/referrals")
        assert status == 200 and [r["id"] for r in listed] == [own]
    assert world.stranger_doctor.get("/referrals") == (200, [])


def test_the_openapi_schema_lists_every_endpoint(live_server: Any) -> None:
    with urllib.request.urlopen(f"{live_server.url}/api/v1/openapi.json", timeout=10) as response:
        paths = json.loads(response.read())["paths"]
    expected = {
        ("post", "/api/v1/advice-requests"),
        ("post", "/api/v1/advice-requests/{advice_id}/answer"),
        ("get", "/api/v1/referrals"),
        ("post", "/api/v1/referrals"),
        ("get", "/api/v1/referrals/{referral_id}"),
    } | {
        ("post", f"/api/v1/referrals/{{referral_id}}/{action}")
        for action in (
            "send",
            "accept",
            "reject",
            "return-with-advice",
            "acknowledge-rejection",
            "withdraw",
        )
    }
    listed = {(method, path) for path, methods in paths.items() for method in methods}
    assert expected <= listed
    reject = paths["/api/v1/referrals/{referral_id}/reject"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(reject["responses"])
