"""Advice requests and referrals over real HTTP, with bearer tokens from `opspor token`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from opspor.accounts.models import Role, User
from opspor.records.models import AccessLogEntry, Patient
from opspor.referrals.models import AdviceRequest, Referral, ReferralEvent
from opspor.referrals.workflow import AdviceState, ReferralState
from tests import factories
from tests.api_schema import openapi_schema
from tests.referrals.worlds import World, make_world, patient_in

pytestmark = pytest.mark.django_db(transaction=True)


def token_for(user: User) -> str:
    out = StringIO()
    call_command("token", user.username, stdout=out)
    return out.getvalue().strip()


class Client:
    def __init__(self, base: str, user: User) -> None:
        self.base, self.token = f"{base}/api/v1", token_for(user)

    def call(
        self, method: str, path: str, body: object = None, key: str = "", raw: bytes | None = None
    ) -> tuple[int, Any]:
        data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if key:
            request.add_header("Idempotency-Key", key)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                self.content_type = response.headers.get("Content-Type", "")
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            self.content_type = error.headers.get("Content-Type", "")
            return error.code, json.loads(error.read() or b"null")

    def get(self, path: str) -> tuple[int, Any]:
        return self.call("GET", path)

    def post(self, path: str, body: object = None, key: str = "") -> tuple[int, Any]:
        return self.call("POST", path, body, key)  # no body at all when None


@dataclass
class ApiWorld:
    """The people of `tests.referrals.worlds.World`, each with a bearer token."""

    gp: Client
    other_gp: Client  # a GP of the same practice
    doctor: Client
    other_doctor: Client  # a doctor of the same unit
    stranger_gp: Client  # a GP of another practice
    stranger_doctor: Client  # a doctor of another unit
    users: World
    patient: Patient


def api_world(base: str) -> ApiWorld:
    users = make_world()
    return ApiWorld(
        gp=Client(base, users.gp),
        other_gp=Client(base, users.other_gp),
        doctor=Client(base, users.doctor),
        other_doctor=Client(base, users.other_doctor),
        stranger_gp=Client(base, users.stranger_gp),
        stranger_doctor=Client(base, users.stranger_doctor),
        users=users,
        patient=users.patient,
    )


def client_for(base: str, role: str) -> Client:
    """A user of a role that may use none of the referral endpoints."""
    return Client(base, factories.user(role))


@pytest.fixture
def world(live_server: Any) -> ApiWorld:
    return api_world(live_server.url)


def make_draft(world: ApiWorld, **fields: Any) -> dict[str, Any]:
    body = {"patient_id": world.patient.pk, "pathway": "kidney", "clinical_question": "Haematuria"}
    status, referral = world.gp.post("/referrals", body | fields)
    assert status == 201, referral
    return referral


def make_sent(world: ApiWorld, **fields: Any) -> dict[str, Any]:
    referral = make_draft(world, **({"informed_about_kraeft": True} | fields))
    status, referral = world.gp.post(f"/referrals/{referral['id']}/send")
    assert status == 200, referral
    return referral


def snapshot(referral_id: int) -> tuple[str, int]:
    row = Referral.objects.get(pk=referral_id)
    return row.state, ReferralEvent.objects.filter(referral=row).count()


def has_offset(moment: str) -> bool:
    return datetime.fromisoformat(moment).utcoffset() is not None and moment[-6] in "+-"


def test_draft_send_reject_acknowledge_then_a_new_referral_is_accepted(world: ApiWorld) -> None:
    draft = make_draft(world)
    assert draft["state"] == ReferralState.DRAFT
    assert {"item": "informed_about_kraeft"} in draft["missing"]
    assert draft["triage"]["decision"] is None
    rid = draft["id"]

    status, error = world.gp.post(f"/referrals/{rid}/send")
    assert status == 422
    assert error["code"] == "incomplete"
    assert error["missing"] == [{"item": "informed_about_kraeft"}]
    assert snapshot(rid) == (ReferralState.DRAFT, 1)

    status, sent = world.gp.post(f"/referrals/{rid}/send", {"incomplete_reason": "Urgent"})
    assert status == 200
    assert sent["state"] == ReferralState.SENT
    assert sent["missing"] == [{"item": "informed_about_kraeft"}]
    assert has_offset(sent["sent_at"]) and has_offset(sent["triage_due_at"])

    reject = {"reason_category": "investigations_first", "reason_text": "CT first"}
    status, error = world.doctor.post(f"/referrals/{rid}/reject", reject)
    assert (status, error["code"]) == (422, "missing_plan")
    assert snapshot(rid) == (ReferralState.SENT, 2)

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
    assert has_offset(acknowledged["triage"]["acknowledged_at"])
    status, error = world.gp.post(f"/referrals/{rid}/acknowledge-rejection")
    assert (status, error["code"]) == (409, "not_allowed")

    new = make_sent(world)
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


def test_advice_is_asked_answered_and_becomes_a_referral(world: ApiWorld) -> None:
    body = {"patient_id": world.patient.pk, "question": "Weight loss 6 kg: refer?"}
    status, advice = world.gp.post("/advice-requests", body)
    assert status == 201
    assert advice["state"] == AdviceState.SENT and has_offset(advice["answer_due_at"])
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


def test_return_with_advice_and_withdraw(world: ApiWorld) -> None:
    returned = make_sent(world)
    status, body = world.doctor.post(
        f"/referrals/{returned['id']}/return-with-advice", {"advice_text": "Repeat ALT"}
    )
    assert status == 200
    assert body["state"] == body["triage"]["decision"] == ReferralState.RETURNED_WITH_ADVICE

    withdrawn = make_sent(world)
    path = f"/referrals/{withdrawn['id']}/withdraw"
    status, body = world.gp.post(path, {"reason": "Symptoms resolved"})
    assert status == 200 and body["state"] == ReferralState.WITHDRAWN
    assert world.gp.post(path)[0] == 409


def test_create_and_send_with_the_same_key_happen_once(world: ApiWorld) -> None:
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


def test_values_the_database_would_refuse_are_422(world: ApiWorld) -> None:
    body = {"patient_id": world.patient.pk, "pathway": "kidney"}
    assert world.gp.post("/referrals", body | {"clinical_frailty_scale": 10})[0] == 422
    status, error = world.gp.post("/referrals", body | {"pathway": "nope"})
    assert (status, error["code"]) == (422, "invalid")
    assert Referral.objects.count() == 0


def test_another_practice_gets_404_and_changes_nothing(world: ApiWorld) -> None:
    draft = make_draft(world)
    rid = draft["id"]
    assert world.stranger_gp.get(f"/referrals/{rid}")[0] == 404
    assert world.stranger_gp.post(f"/referrals/{rid}/send", {"incomplete_reason": "x"})[0] == 404
    assert world.stranger_gp.post(f"/referrals/{rid}/withdraw")[0] == 404
    body = {"patient_id": world.patient.pk, "pathway": "kidney"}
    assert world.stranger_gp.post("/referrals", body)[0] == 404
    assert snapshot(rid) == (ReferralState.DRAFT, 1)
    assert Referral.objects.count() == 1


def test_a_doctor_of_another_unit_gets_404_and_changes_nothing(world: ApiWorld) -> None:
    rid = make_sent(world)["id"]
    before = snapshot(rid)
    assert world.stranger_doctor.get(f"/referrals/{rid}")[0] == 404
    assert world.stranger_doctor.post(f"/referrals/{rid}/accept")[0] == 404
    reject = {
        "reason_category": "other",
        "reason_text": "No",
        "alternative_plan": {"text": "Watchful waiting"},
    }
    assert world.stranger_doctor.post(f"/referrals/{rid}/reject", reject)[0] == 404
    assert snapshot(rid) == before


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ANALYST])
def test_patients_and_analysts_are_refused(world: ApiWorld, live_server: Any, role: str) -> None:
    rid = make_sent(world)["id"]
    before = snapshot(rid)
    client = Client(live_server.url, factories.user(role))
    assert client.get("/referrals")[0] == 403
    assert client.get(f"/referrals/{rid}")[0] == 403
    assert (
        client.post("/referrals", {"patient_id": world.patient.pk, "pathway": "kidney"})[0] == 403
    )
    assert client.post(f"/referrals/{rid}/accept")[0] == 403
    assert client.post("/advice-requests", {"patient_id": 1, "question": "?"})[0] == 403
    assert snapshot(rid) == before and Referral.objects.count() == 1


def test_the_list_holds_only_the_callers_referrals(world: ApiWorld, live_server: Any) -> None:
    own = make_sent(world)["id"]
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
    paths = openapi_schema(live_server.url)["paths"]
    expected = (
        {
            ("get", "/api/v1/advice-requests"),
            ("post", "/api/v1/advice-requests"),
            ("get", "/api/v1/advice-requests/{advice_id}"),
            ("get", "/api/v1/referrals"),
            ("post", "/api/v1/referrals"),
            ("get", "/api/v1/referrals/{referral_id}"),
            ("get", "/api/v1/referrals/{referral_id}/messages"),
            ("get", "/api/v1/advice-requests/{advice_id}/messages"),
            ("get", "/api/v1/notifications"),
            ("post", "/api/v1/notifications/mark-read"),
        }
        | {
            ("post", f"/api/v1/advice-requests/{{advice_id}}/{action}")
            for action in ("answer", "close", "convert", "messages")
        }
        | {
            ("post", f"/api/v1/referrals/{{referral_id}}/{action}")
            for action in (
                "send",
                "accept",
                "reject",
                "return-with-advice",
                "acknowledge-rejection",
                "withdraw",
                "book-appointment",
                "record-first-contact",
                "complete",
                "messages",
            )
        }
    )
    listed = {(method, path) for path, methods in paths.items() for method in methods}
    assert expected <= listed
    reject = paths["/api/v1/referrals/{referral_id}/reject"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(reject["responses"])

    # Every POST that creates or sends documents its Idempotency-Key header.
    for path, action in (
        ("/api/v1/referrals", "post"),
        ("/api/v1/referrals/{referral_id}/send", "post"),
        ("/api/v1/referrals/{referral_id}/messages", "post"),
        ("/api/v1/advice-requests", "post"),
        ("/api/v1/advice-requests/{advice_id}/convert", "post"),
        ("/api/v1/advice-requests/{advice_id}/messages", "post"),
    ):
        headers = {p["name"] for p in paths[path][action]["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path


# --- contacts, deadlines and reads -----------------------------------------------------


def test_every_referral_carries_the_contacts_of_both_sides(world: ApiWorld) -> None:
    practice = world.patient.practice
    practice.on_call_phone = "1813"
    practice.save()
    rid = make_sent(world)["id"]
    for client in (world.gp, world.doctor):
        status, referral = client.get(f"/referrals/{rid}")
        assert status == 200
        contacts = referral["contacts"]
        assert contacts["practice"] == {
            "name": practice.name,
            "phone": practice.phone,
            "direct_phone": practice.direct_phone,
            "on_call_phone": "1813",
        }
        assert contacts["unit"]["direct_phone"] == practice.diagnostic_unit.direct_phone
        assert contacts["origin"] == {"kind": "general_practice", "name": "", "phone": ""}
        status, listed = client.get("/referrals")
        assert listed[0]["contacts"] == contacts


def test_a_specialists_referral_still_gives_the_unit_the_patients_gp(world: ApiWorld) -> None:
    specialist = {
        "origin": "practising_specialist",
        "origin_name": "Speciallægeklinikken Øst",
        "origin_phone": "+45 01 23 45 67",
    }
    rid = make_sent(world, **specialist)["id"]
    status, referral = world.doctor.get(f"/referrals/{rid}")
    assert status == 200
    assert referral["contacts"]["origin"] == {
        "kind": "practising_specialist",
        "name": "Speciallægeklinikken Øst",
        "phone": "+45 01 23 45 67",
    }
    # The letter came from the specialist; the patient's own practice is still named.
    assert referral["contacts"]["practice"]["direct_phone"] == world.patient.practice.direct_phone

    # A specialist's referral without the clinic's phone is refused and nothing is made.
    body = {"patient_id": world.patient.pk, "pathway": "kidney"} | specialist
    status, error = world.gp.post("/referrals", body | {"origin_phone": ""})
    assert (status, error["code"]) == (422, "invalid")
    assert world.gp.post("/referrals", body | {"origin": "hospital"})[0] == 422
    assert world.gp.post("/referrals", body | {"origin_phone": "1" * 21})[0] == 422
    assert Referral.objects.count() == 1


def test_deadlines_and_overdue_are_shown_on_both_sides(world: ApiWorld) -> None:
    late, on_time = make_sent(world)["id"], make_sent(world)["id"]
    Referral.objects.filter(pk=late).update(triage_due_at=datetime(2020, 1, 6, 9, 0, tzinfo=UTC))
    for client in (world.gp, world.doctor):
        listed = {r["id"]: r for r in client.get("/referrals")[1]}
        assert listed[late]["overdue"] is True and listed[on_time]["overdue"] is False
        assert client.get(f"/referrals/{late}")[1]["overdue"] is True

    status, accepted = world.doctor.post(f"/referrals/{on_time}/accept")
    assert status == 200 and accepted["overdue"] is False
    assert has_offset(accepted["first_contact_due_at"]) and accepted["first_contact_at"] is None

    status, rejected = world.doctor.post(
        f"/referrals/{late}/reject",
        {
            "reason_category": "investigations_first",
            "reason_text": "CT first",
            "alternative_plan": {"code": "direct_ct_thorax_abdomen"},
        },
    )
    assert status == 200
    assert has_offset(rejected["escalation_due_at"]) and has_offset(
        rejected["patient_contact_due_at"]
    )
    gp_clinician = world.users.gp.clinician
    assert rejected["patient_contact_by"] == {"id": gp_clinician.pk, "name": gp_clinician.name}


def test_a_drafts_missing_items_are_worked_out_only_on_a_logged_read(world: ApiWorld) -> None:
    rid = make_draft(world)["id"]  # the answer to creating it reads the record: logged
    reads = AccessLogEntry.objects.filter(patient=world.patient, channel="api", what="referral")
    assert reads.count() == 1

    status, listed = world.gp.get("/referrals")
    # The list works out no missing items, so reads no record; it shows the patient, and
    # that is logged as a list's read.
    assert status == 200 and listed[0]["missing"] is None
    assert reads.count() == 1
    assert AccessLogEntry.objects.filter(patient=world.patient, what="referral list").count() == 1

    status, referral = world.gp.get(f"/referrals/{rid}")
    assert {"item": "informed_about_kraeft"} in referral["missing"]
    assert reads.count() == 2
    read = reads.first()
    assert read is not None and (read.user, read.what) == (world.users.gp, "referral")

    # Sending runs the check on the record: refused or not, the answer shows what it found.
    assert world.gp.post(f"/referrals/{rid}/send")[0] == 422
    assert reads.count() == 3
    assert world.gp.post(f"/referrals/{rid}/send", {"incomplete_reason": "Urgent"})[0] == 200
    assert reads.count() == 4

    # Once sent, the missing items are those stored at sending; reading the case is logged
    # as a read like any other, and the list still reads nothing.
    before = reads.count()
    assert world.gp.get("/referrals")[1][0]["missing"] == [{"item": "informed_about_kraeft"}]
    assert reads.count() == before
    assert world.doctor.get(f"/referrals/{rid}")[1]["missing"] == [
        {"item": "informed_about_kraeft"}
    ]
    assert reads.count() == before + 1
