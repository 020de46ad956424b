"""Advice requests over real HTTP: the list, one request, closing, and converting one
into a draft referral."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from opspor.accounts.models import Role
from opspor.records.models import AccessLogEntry
from opspor.referrals.models import AdviceEvent, AdviceRequest, Referral
from opspor.referrals.workflow import AdviceState, ReferralState
from tests.referrals.test_api import ApiWorld, api_world, client_for, has_offset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server: Any) -> ApiWorld:
    return api_world(live_server.url)


def _asked(world: ApiWorld, question: str = "Weight loss 6 kg: refer?") -> dict[str, Any]:
    status, advice = world.gp.post(
        "/advice-requests",
        {"patient_id": world.patient.pk, "question": question, "gp_findings": {"a": 1}},
    )
    assert status == 201
    return advice


def _answered(world: ApiWorld) -> dict[str, Any]:
    aid = _asked(world)["id"]
    status, advice = world.doctor.post(f"/advice-requests/{aid}/answer", {"answer": "Refer."})
    assert status == 200
    return advice


def _snapshot(advice_id: int) -> tuple[str, int, int]:
    row = AdviceRequest.objects.get(pk=advice_id)
    return (
        row.state,
        AdviceEvent.objects.filter(advice_request=row).count(),
        Referral.objects.count(),
    )


def test_the_list_and_one_request_with_contacts_and_overdue(world: ApiWorld) -> None:
    on_time, late = _asked(world)["id"], _asked(world, "Anaemia: refer?")["id"]
    AdviceRequest.objects.filter(pk=late).update(answer_due_at=datetime(2020, 1, 6, tzinfo=UTC))
    practice = world.patient.practice

    for client in (world.gp, world.other_gp, world.doctor):
        status, listed = client.get("/advice-requests")
        assert status == 200
        by_id = {a["id"]: a for a in listed}
        assert set(by_id) == {on_time, late}
        assert by_id[late]["overdue"] is True and by_id[on_time]["overdue"] is False
        contacts = by_id[late]["contacts"]
        assert contacts["practice"]["direct_phone"] == practice.direct_phone
        assert contacts["unit"]["name"] == practice.diagnostic_unit.name
        assert contacts["origin"]["kind"] == "general_practice"
    for stranger in (world.stranger_gp, world.stranger_doctor):
        assert stranger.get("/advice-requests") == (200, [])

    reads = AccessLogEntry.objects.filter(channel="api", what="advice request")
    status, one = world.doctor.get(f"/advice-requests/{late}")
    assert status == 200 and one["overdue"] is True and one["question"] == "Anaemia: refer?"
    assert has_offset(one["answer_due_at"])
    assert [(r.user, r.patient) for r in reads] == [(world.users.doctor, world.patient)]
    for stranger in (world.stranger_gp, world.stranger_doctor):
        assert stranger.get(f"/advice-requests/{late}")[0] == 404
    assert reads.count() == 1


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ANALYST])
def test_other_roles_are_refused(world: ApiWorld, live_server: Any, role: str) -> None:
    aid = _answered(world)["id"]
    before = _snapshot(aid)
    client = client_for(live_server.url, role)
    assert client.get("/advice-requests")[0] == 403
    assert client.get(f"/advice-requests/{aid}")[0] == 403
    assert client.post(f"/advice-requests/{aid}/close")[0] == 403
    assert client.post(f"/advice-requests/{aid}/convert", {"pathway": "dpf"})[0] == 403
    assert _snapshot(aid) == before


def test_the_gp_closes_an_advice_request(world: ApiWorld) -> None:
    aid = _answered(world)["id"]
    path = f"/advice-requests/{aid}/close"
    before = _snapshot(aid)

    assert world.doctor.post(path)[0] == 403  # only the asking side closes
    assert world.stranger_gp.post(path)[0] == 404
    assert world.gp.post(path, {"reason": ["not", "text"]})[0] == 422
    assert _snapshot(aid) == before

    status, closed = world.other_gp.post(path, {"reason": "Answer read"})
    assert status == 200
    assert closed["state"] == AdviceState.CLOSED and has_offset(closed["closed_at"])
    event = AdviceEvent.objects.filter(advice_request_id=aid).last()
    assert event is not None
    assert (event.action, event.from_state, event.reason) == ("close", "answered", "Answer read")

    status, error = world.gp.post(path)
    assert (status, error["code"]) == (409, "not_allowed")
    assert _snapshot(aid) == (AdviceState.CLOSED, 3, 0)

    # An unanswered question that is no longer needed can be closed too (without a body).
    other = _asked(world)["id"]
    assert world.gp.post(f"/advice-requests/{other}/close")[1]["state"] == AdviceState.CLOSED


def test_an_answered_request_becomes_a_draft_referral_once(world: ApiWorld) -> None:
    aid = _answered(world)["id"]
    path = f"/advice-requests/{aid}/convert"

    first = world.gp.post(path, {"pathway": "dpf", "informed_about_kraeft": True}, key="c-1")
    status, draft = first
    assert status == 201
    assert draft["state"] == ReferralState.DRAFT and draft["from_advice_id"] == aid
    assert draft["patient_id"] == world.patient.pk
    assert draft["clinical_question"] == "Weight loss 6 kg: refer?"
    assert draft["unit_id"] == world.patient.practice.diagnostic_unit_id
    assert draft["contacts"]["unit"]["name"] == world.patient.practice.diagnostic_unit.name
    assert isinstance(draft["missing"], list)  # worked out from the record, and logged
    made = Referral.objects.get(pk=draft["id"])
    # Opspor's findings are its own, from the record; what the GP's system sent is the GP's.
    assert set(made.findings) == {"ruleset", "as_of", "findings"}
    assert json.loads(made.gp_findings) == {"a": 1}
    assert AdviceRequest.objects.get(pk=aid).state == AdviceState.CLOSED

    # The same key gives the same draft; nothing new is made.
    assert world.gp.post(path, {"pathway": "dpf", "informed_about_kraeft": True}, key="c-1") == (
        first
    )
    assert Referral.objects.count() == 1


def test_converting_is_refused_without_changing_anything(world: ApiWorld) -> None:
    asked = _asked(world)["id"]
    answered = _answered(world)["id"]
    before = (_snapshot(asked), _snapshot(answered))

    status, error = world.gp.post(f"/advice-requests/{asked}/convert", {"pathway": "dpf"})
    assert (status, error["code"]) == (409, "not_allowed")  # not answered yet
    path = f"/advice-requests/{answered}/convert"
    assert world.doctor.post(path, {"pathway": "dpf"})[0] == 403
    assert world.stranger_gp.post(path, {"pathway": "dpf"})[0] == 404
    assert world.gp.post(path, {})[0] == 422  # no pathway
    assert world.gp.post(path, {"pathway": "dpf", "clinical_frailty_scale": 0})[0] == 422
    status, error = world.gp.post(path, {"pathway": "nope"})
    assert (status, error["code"]) == (422, "invalid")
    assert world.gp.post(path, {"pathway": "dpf"}, key="k" * 201)[0] == 422
    assert world.gp.post("/advice-requests/999999/convert", {"pathway": "dpf"})[0] == 404

    assert (_snapshot(asked), _snapshot(answered)) == before
    assert Referral.objects.count() == 0
