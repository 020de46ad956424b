"""Threads, read receipts, the FHIR shape and notifications over real HTTP."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from opspor.accounts.models import Role
from opspor.casework.models import Notification
from opspor.referrals.models import Message
from tests.referrals.test_api import (
    ApiWorld,
    api_world,
    client_for,
    make_draft,
    make_sent,
    snapshot,
)

pytestmark = pytest.mark.django_db(transaction=True)

CATEGORY_SYSTEM = (
    "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes"
)


@pytest.fixture
def world(live_server: Any) -> ApiWorld:
    return api_world(live_server.url)


def _advice(world: ApiWorld) -> int:
    status, advice = world.gp.post(
        "/advice-requests", {"patient_id": world.patient.pk, "question": "Refer?"}
    )
    assert status == 201
    return int(advice["id"])


@pytest.mark.parametrize("kind", ["referral", "advice"])
def test_both_sides_write_and_reading_gives_the_receipt(world: ApiWorld, kind: str) -> None:
    if kind == "referral":
        path = f"/referrals/{make_sent(world)['id']}/messages"
    else:
        path = f"/advice-requests/{_advice(world)}/messages"

    status, question = world.gp.post(path, {"body": "Is CT enough?"}, key="q-1")
    assert status == 201
    assert (question["author_side"], question["body"], question["read_at"]) == (
        "gp",
        "Is CT enough?",
        None,
    )
    assert question["author_name"] == world.users.gp.clinician.name
    status, answer = world.doctor.post(path, {"body": "Yes, for now."})
    assert status == 201 and answer["author_side"] == "unit"

    # The author's own side reading the thread gives no receipt for its own message.
    status, thread = world.other_gp.get(path)
    assert status == 200
    assert [m["id"] for m in thread] == [question["id"], answer["id"]]
    assert thread[0]["read_at"] is None
    assert thread[1]["read_at"] is not None  # the GP side has now read the unit's answer
    assert thread[1]["read_by_id"] == world.users.other_gp.pk

    status, thread = world.doctor.get(path)
    assert thread[0]["read_by_id"] == world.users.doctor.pk
    assert Message.objects.filter(read_at__isnull=True).count() == 0


def test_a_repeat_with_the_same_key_writes_one_message(world: ApiWorld) -> None:
    path = f"/referrals/{make_sent(world)['id']}/messages"
    first = world.gp.post(path, {"body": "Hello"}, key="m-1")
    assert first[0] == 201
    assert world.gp.post(path, {"body": "Hello"}, key="m-1") == first
    assert Message.objects.count() == 1 and Notification.objects.count() == 1


def test_refusals_change_nothing(world: ApiWorld, live_server: Any) -> None:
    rid = make_sent(world)["id"]
    path = f"/referrals/{rid}/messages"
    aid = _advice(world)
    advice_path = f"/advice-requests/{aid}/messages"
    before = snapshot(rid)

    # Roles without a thread.
    for role in (Role.PATIENT, Role.ANALYST):
        client = client_for(live_server.url, role)
        for p in (path, advice_path):
            assert client.post(p, {"body": "Hello"})[0] == 403
            assert client.get(p)[0] == 403
    # Another practice and another unit see neither thread.
    for stranger in (world.stranger_gp, world.stranger_doctor):
        for p in (path, advice_path):
            assert stranger.post(p, {"body": "Hello"})[0] == 404
            assert stranger.get(p)[0] == 404
    # A draft has no thread yet: the GP is told to send it first, the unit does not see it.
    draft_path = f"/referrals/{make_draft(world)['id']}/messages"
    status, error = world.gp.post(draft_path, {"body": "Hello"})
    assert (status, error["code"]) == (409, "not_allowed")
    assert world.doctor.post(draft_path, {"body": "Hello"})[0] == 404
    # Malformed bodies.
    for body in ({}, {"body": None}, {"body": 5}, {"text": "Hello"}):
        assert world.gp.post(path, body)[0] == 422
    for body in ("", "   "):
        status, error = world.gp.post(path, {"body": body})
        assert (status, error["code"]) == (422, "invalid")
    # Too long: refused by the schema, which states the limit.
    status, error = world.gp.post(path, {"body": "x" * 10_001})
    assert (status, error["detail"][0]["type"]) == (422, "string_too_long")
    assert world.gp.call("POST", path, raw=b"{not json")[0] in (400, 422)
    assert world.gp.get(f"{path}?format=xml")[0] == 422

    assert Message.objects.count() == 0 and Notification.objects.count() == 0
    assert snapshot(rid) == before


def test_the_thread_as_fhir_is_a_bundle_of_care_communications(
    world: ApiWorld, caplog: pytest.LogCaptureFixture
) -> None:
    rid = make_sent(world)["id"]
    world.gp.post(f"/referrals/{rid}/messages", {"body": "Question"})
    world.doctor.post(f"/referrals/{rid}/messages", {"body": "Answer"})

    with caplog.at_level(logging.DEBUG):
        status, bundle = world.gp.get(f"/referrals/{rid}/messages?format=fhir")
    assert status == 200
    assert world.gp.content_type.startswith("application/fhir+json")
    assert (bundle["resourceType"], bundle["type"], bundle["total"]) == ("Bundle", "searchset", 2)
    question, answer = (e["resource"] for e in bundle["entry"])
    for resource in (question, answer):
        assert resource["resourceType"] == "Communication"
        coding = resource["category"][0]["coding"][0]
        assert (coding["system"], coding["code"]) == (CATEGORY_SYSTEM, "regarding-referral")
        assert resource["subject"] == {"reference": f"Patient/{world.patient.pk}"}
        assert resource["about"] == [{"reference": f"ServiceRequest/{rid}"}]
        assert resource["sent"] and resource["sender"]["display"]
    assert [q["payload"][0]["contentString"] for q in (question, answer)] == [
        "Question",
        "Answer",
    ]
    assert "received" in answer  # reading it as FHIR gave the receipt as well
    # Neither the answer nor any log line carries the patient's CPR number.
    assert world.patient.cpr not in str(bundle)
    assert all(world.patient.cpr not in record.getMessage() for record in caplog.records)

    aid = _advice(world)
    world.doctor.post(f"/advice-requests/{aid}/messages", {"body": "Which tests?"})
    status, bundle = world.gp.get(f"/advice-requests/{aid}/messages?format=fhir")
    assert status == 200 and bundle["total"] == 1
    assert bundle["entry"][0]["resource"]["about"] == [
        {"reference": f"CommunicationRequest/advice-{aid}"}
    ]


# --- notifications ---------------------------------------------------------------------


def test_notifications_are_listed_and_marked_read_per_practice_and_unit(
    world: ApiWorld, live_server: Any
) -> None:
    rid = make_sent(world)["id"]
    world.gp.post(f"/referrals/{rid}/messages", {"body": "For the unit"})
    world.doctor.post(f"/referrals/{rid}/messages", {"body": "For the practice"})

    status, mine = world.other_gp.get("/notifications")
    assert status == 200 and len(mine) == 1
    [notification] = mine
    assert notification["kind"] == "message"
    assert (notification["subject_kind"], notification["subject_id"]) == ("referral", rid)
    assert notification["read_at"] is None and notification["label"]
    status, unit_side = world.other_doctor.get("/notifications")
    assert len(unit_side) == 1 and unit_side[0]["id"] != notification["id"]
    assert world.stranger_gp.get("/notifications") == (200, [])
    assert world.stranger_doctor.get("/notifications") == (200, [])

    # Another practice's or unit's reader marks nothing.
    ids = [notification["id"], unit_side[0]["id"]]
    assert world.stranger_gp.post("/notifications/mark-read", {"ids": ids}) == (200, {"marked": 0})
    assert world.stranger_doctor.post("/notifications/mark-read", {"ids": ids}) == (
        200,
        {"marked": 0},
    )
    assert not Notification.objects.filter(read_at__isnull=False).exists()

    assert world.gp.post("/notifications/mark-read", {"ids": ids}) == (200, {"marked": 1})
    assert world.gp.post("/notifications/mark-read", {"ids": ids}) == (200, {"marked": 0})
    assert world.other_gp.get("/notifications?unread=true") == (200, [])
    assert world.other_gp.get("/notifications")[1][0]["read_at"] is not None
    assert len(world.doctor.get("/notifications?unread=true")[1]) == 1

    for body in ({}, {"ids": []}, {"ids": "1"}, {"ids": ["x"]}):
        assert world.gp.post("/notifications/mark-read", body)[0] == 422
    assert world.gp.get("/notifications?limit=0")[0] == 422
    assert world.gp.get("/notifications?limit=501")[0] == 422
    for role in (Role.PATIENT, Role.ANALYST):
        client = client_for(live_server.url, role)
        assert client.get("/notifications")[0] == 403
        assert client.post("/notifications/mark-read", {"ids": ids})[0] == 403
    assert Notification.objects.filter(read_at__isnull=False).count() == 1
