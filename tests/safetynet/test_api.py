"""Safety-net episodes over real HTTP, with bearer tokens from `opspor token`: the whole
path from opening to closing, every kind of bad input, who may do what, idempotent opening
and the logged read."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from opspor.accounts.models import Role
from opspor.records.models import AccessLogEntry, ClinicalFinding, LabResult, Patient, Symptom
from opspor.referrals.workflow import ReferralState
from opspor.safetynet.models import (
    EpisodeEvent,
    Investigation,
    InvestigationEvent,
    SafetyNetEpisode,
)
from opspor.safetynet.workflow import EpisodeState, InvestigationState
from tests import factories
from tests.referrals.test_api import Client, has_offset
from tests.referrals.worlds import World, make_world, patient_in, referral_in

pytestmark = pytest.mark.django_db(transaction=True)

READ = "safety-net episode"


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in tests/referrals/conftest.py: the shared CPR counter is left where it was.
    monkeypatch.setattr(factories, "_counter", itertools.count(3_000_000))


@dataclass
class Net:
    gp: Client
    other_gp: Client  # a GP of the same practice
    stranger_gp: Client  # a GP of another practice
    users: World
    patient: Patient
    today: date

    def day(self, days: int) -> str:
        return (self.today + timedelta(days=days)).isoformat()


@pytest.fixture
def net(live_server: Any) -> Net:
    users = make_world()
    today = timezone.localdate()
    Symptom.objects.create(
        patient=users.patient,
        code="cough",
        onset=today - timedelta(days=60),
        recorded_on=today - timedelta(days=10),
        persistent=True,
        patient_words="Hosten vil ikke gå væk",
    )
    return Net(
        gp=Client(live_server.url, users.gp),
        other_gp=Client(live_server.url, users.other_gp),
        stranger_gp=Client(live_server.url, users.stranger_gp),
        users=users,
        patient=users.patient,
        today=today,
    )


def open_body(net: Net, **fields: Any) -> dict[str, Any]:
    body = {
        "patient_id": net.patient.pk,
        "reason": "pending_investigations",
        "follow_up_on": net.day(14),
        "ends_on": net.day(42),
        "advice": "Kom igen, hvis du hoster blod.",
    }
    return body | fields


def opened(net: Net, **fields: Any) -> dict[str, Any]:
    status, episode = net.gp.post("/safety-nets", open_body(net, **fields))
    assert status == 201, episode
    return episode


def ordered(net: Net, episode: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"kind": "chest_xray", "description": "Røntgen af thorax", "expected_by": net.day(7)}
    status, investigation = net.gp.post(
        f"/safety-nets/{episode['id']}/investigations", body | fields
    )
    assert status == 201, investigation
    return investigation


def snapshot() -> tuple[Any, ...]:
    """Everything the safety-net endpoints write, and the access log's reads (a refused
    attempt is a row of its own, checked where it is expected)."""
    return (
        sorted(SafetyNetEpisode.objects.values_list("pk", "state", "outcome", "follow_up_on")),
        sorted(
            Investigation.objects.values_list(
                "pk", "state", "lab_result_id", "result_text", "told_how", "cancel_reason"
            )
        ),
        EpisodeEvent.objects.count(),
        InvestigationEvent.objects.count(),
        AccessLogEntry.objects.filter(refused=False).count(),
    )


# --- the whole path ---------------------------------------------------------------------


def test_open_order_close_refused_then_result_seen_told_and_closed(net: Net) -> None:
    episode = opened(net)
    eid = episode["id"]
    assert (episode["state"], episode["reason"]) == (EpisodeState.OPEN, "pending_investigations")
    assert episode["owner"] == {"id": net.users.gp.pk, "name": net.users.gp.clinician.name}
    assert episode["symptoms"] == [
        {
            "code": "cough",
            "onset": (net.today - timedelta(days=60)).isoformat(),
            "words": ["Hosten vil ikke gå væk"],
        }
    ]
    assert episode["findings"]["ruleset"] == "dk-pakkeforloeb"
    assert (episode["follow_up_on"], episode["ends_on"]) == (net.day(14), net.day(42))
    assert has_offset(episode["opened_at"]) and episode["pending"] == []

    xray = ordered(net, episode)
    test = ordered(net, episode, kind="lab", code="haemoglobin", description="")
    assert (xray["state"], xray["expected_by"]) == (InvestigationState.ORDERED, net.day(7))
    assert has_offset(xray["ordered_at"])
    referral = referral_in(net.users, ReferralState.SENT)

    # Closing as "no cancer found" waits for every result, told, and the referral.
    before = snapshot()
    status, error = net.gp.post(f"/safety-nets/{eid}/close", {"outcome": "no_cancer_found"})
    assert (status, error["code"]) == (409, "workup_incomplete")
    assert [(item["item"], item["id"], item["state"]) for item in error["missing"]] == [
        ("investigation", xray["id"], InvestigationState.ORDERED),
        ("investigation", test["id"], InvestigationState.ORDERED),
        ("referral", referral.pk, ReferralState.SENT),
    ]
    assert error["missing"][0]["kind"] == "chest_xray"
    assert error["missing"][2]["pathway"] == "kidney"
    # Nothing changed; the refused attempt is kept in the audit trail, once.
    after = snapshot()
    assert after[:2] == before[:2] and after[3:] == before[3:]
    assert after[2] == before[2] + 1
    status, shown = net.gp.get(f"/safety-nets/{eid}")
    [kept] = [event for event in shown["timeline"] if event["action"] == "close_refused"]
    assert kept["from_state"] == kept["to_state"] == EpisodeState.INVESTIGATING
    assert kept["actor"]["id"] == net.users.gp.pk

    # The blood test is not needed after all; the X-ray comes back, is seen and told.
    path = f"/safety-nets/{eid}/investigations"
    status, cancelled = net.gp.post(f"{path}/{test['id']}/cancel", {"reason": "Taget i går"})
    assert (status, cancelled["state"], cancelled["cancel_reason"]) == (
        200,
        InvestigationState.CANCELLED,
        "Taget i går",
    )
    finding = ClinicalFinding.objects.create(
        patient=net.patient, code="chest_xray_suspicious", found_on=net.today
    )
    status, resulted = net.gp.post(
        f"{path}/{xray['id']}/record-result",
        {"finding_id": finding.pk, "text": "Ingen tegn på tumor"},
    )
    assert status == 200, resulted
    assert (resulted["state"], resulted["finding_id"]) == (InvestigationState.RESULTED, finding.pk)
    assert has_offset(resulted["resulted_at"])
    status, seen = net.other_gp.post(f"{path}/{xray['id']}/mark-seen")
    assert (status, seen["state"], seen["seen_by_id"]) == (
        200,
        InvestigationState.SEEN,
        net.users.other_gp.pk,
    )
    status, told = net.gp.post(f"{path}/{xray['id']}/mark-told", {"how": "phone"})
    assert (status, told["state"], told["told_how"]) == (200, InvestigationState.TOLD, "phone")

    # Only the referral is left; once the unit is done, the episode closes.
    status, error = net.gp.post(f"/safety-nets/{eid}/close", {"outcome": "no_cancer_found"})
    assert (status, [item["item"] for item in error["missing"]]) == (409, ["referral"])
    referral.state = ReferralState.COMPLETED
    referral.save()
    status, closed = net.gp.post(
        f"/safety-nets/{eid}/close", {"outcome": "no_cancer_found", "reason": "Alt normalt"}
    )
    assert status == 200, closed
    assert (closed["state"], closed["outcome"]) == (EpisodeState.CLOSED, "no_cancer_found")
    assert has_offset(closed["closed_at"]) and closed["pending"] == []
    assert [i["state"] for i in closed["investigations"]] == [
        InvestigationState.TOLD,
        InvestigationState.CANCELLED,
    ]
    assert [(e["subject"], e["action"], e["to_state"]) for e in closed["timeline"]] == [
        ("episode", "open", EpisodeState.OPEN),
        ("episode", "order_investigation", EpisodeState.INVESTIGATING),
        ("investigation", "order", InvestigationState.ORDERED),
        ("episode", "order_investigation", EpisodeState.INVESTIGATING),
        ("investigation", "order", InvestigationState.ORDERED),
        ("episode", "close_refused", EpisodeState.INVESTIGATING),
        ("investigation", "cancel", InvestigationState.CANCELLED),
        ("investigation", "record_result", InvestigationState.RESULTED),
        ("investigation", "mark_seen", InvestigationState.SEEN),
        ("investigation", "mark_told", InvestigationState.TOLD),
        ("episode", "close_refused", EpisodeState.INVESTIGATING),
        ("episode", "close", EpisodeState.CLOSED),
    ]
    assert closed["timeline"][-1]["reason"] == "no_cancer_found: Alt normalt"
    assert closed["timeline"][8]["actor"]["id"] == net.users.other_gp.pk
    assert all(has_offset(e["at"]) for e in closed["timeline"])
    # A closed episode takes no more actions.
    status, error = net.gp.post(f"/safety-nets/{eid}/await-follow-up")
    assert (status, error["code"]) == (409, "not_allowed")


def test_await_follow_up_and_reschedule(net: Net) -> None:
    eid = opened(net)["id"]
    status, waiting = net.gp.post(f"/safety-nets/{eid}/await-follow-up")
    assert (status, waiting["state"]) == (200, EpisodeState.AWAITING_FOLLOW_UP)
    status, moved = net.gp.post(
        f"/safety-nets/{eid}/reschedule",
        {"follow_up_on": net.day(21), "reason": "Patienten er på ferie"},
    )
    assert status == 200, moved
    assert (moved["follow_up_on"], moved["ends_on"]) == (net.day(21), net.day(42))
    assert moved["timeline"][-1]["reason"] == f"follow-up {net.day(21)}: Patienten er på ferie"
    status, moved = net.gp.post(
        f"/safety-nets/{eid}/reschedule",
        {"follow_up_on": net.day(30), "ends_on": net.day(60), "reason": "Ny plan"},
    )
    assert (moved["follow_up_on"], moved["ends_on"]) == (net.day(30), net.day(60))
    # "Symptoms resolved" with nothing pending closes at once.
    status, closed = net.gp.post(f"/safety-nets/{eid}/close", {"outcome": "symptoms_resolved"})
    assert (status, closed["state"], closed["outcome"]) == (
        200,
        EpisodeState.CLOSED,
        "symptoms_resolved",
    )


def test_a_result_linked_to_the_patients_lab_row(net: Net) -> None:
    episode = opened(net)
    test = ordered(net, episode, kind="lab", code="haemoglobin", description="")
    # Taken the day before the order, so no loop fills the order with it: linked by hand.
    mine = LabResult.objects.create(
        patient=net.patient,
        code="haemoglobin",
        value=8.1,
        unit="mmol/L",
        taken_on=net.today - timedelta(days=1),
    )
    status, resulted = net.gp.post(
        f"/safety-nets/{episode['id']}/investigations/{test['id']}/record-result",
        {"lab_result_id": mine.pk},
    )
    assert (status, resulted["lab_result_id"], resulted["result_text"]) == (200, mine.pk, "")
    # Told without a separate "seen": telling means a GP has seen it.
    status, told = net.gp.post(
        f"/safety-nets/{episode['id']}/investigations/{test['id']}/mark-told",
        {"how": "consultation"},
    )
    assert (told["state"], told["seen_by_id"]) == (InvestigationState.TOLD, net.users.gp.pk)
    assert told["seen_at"] == told["told_at"]


# --- bad input --------------------------------------------------------------------------


def refused(client: Client, path: str, body: Any) -> tuple[int, Any]:
    status, error = client.post(path, body)
    assert status in (404, 409, 422), (path, body, status, error)
    return status, error


def schema_refusal(error: Any) -> str:
    """The type of the schema's one refusal (a 422 with Ninja's list of problems)."""
    [problem] = error["detail"]
    assert problem["msg"]
    return str(problem["type"])


def test_bad_input_to_open_is_refused_clearly_and_changes_nothing(net: Net) -> None:
    stranger = patient_in(factories.practice())
    before = snapshot()
    for fields, expected in (
        ({"follow_up_on": "2026-13-01"}, "date_from_datetime_parsing"),
        ({"follow_up_on": "11/03/2026"}, "value_error"),
        ({"follow_up_on": 0}, "value_error"),  # pydantic alone took it as 1 January 1970
        ({"ends_on": f"{net.day(42)}T00:00:00"}, "value_error"),
        ({"ends_on": None}, "value_error"),
        ({"reason": "maybe"}, "enum"),
        ({"ruleset": "who-2030"}, "value_error"),
        ({"advice": "x" * 10_001}, "string_too_long"),
        ({"patient_id": 0}, "greater_than_equal"),
        ({"symptom_codes": ["c" * 201]}, "string_too_long"),
    ):
        status, error = refused(net.gp, "/safety-nets", open_body(net, **fields))
        if expected == "date_from_datetime_parsing":
            assert status == 422 and schema_refusal(error).startswith("date_")
        else:
            assert (status, schema_refusal(error)) == (422, expected), fields
    for fields, words in (
        ({"follow_up_on": net.day(-1)}, "in the past"),
        ({"ends_on": net.day(13)}, "cannot end before its follow-up"),
        ({"ends_on": net.day(400)}, "at most a year"),
        ({"owner_id": net.users.stranger_gp.pk}, "GP of the patient's practice"),
        ({"owner_id": net.users.doctor.pk}, "GP of the patient's practice"),
        ({"owner_id": 10**9}, "GP of the patient's practice"),
        ({"symptom_codes": ["haemoptysis"]}, "Not among the patient's current symptoms"),
    ):
        status, error = refused(net.gp, "/safety-nets", open_body(net, **fields))
        assert (status, error["code"]) == (422, "invalid"), fields
        assert words in error["detail"]
    status, _ = refused(net.gp, "/safety-nets", open_body(net, patient_id=stranger.pk))
    assert status == 404
    status, error = refused(net.gp, "/safety-nets", "open")
    assert status == 422
    assert snapshot() == before


def test_bad_input_to_the_actions_is_refused_clearly_and_changes_nothing(net: Net) -> None:
    episode = opened(net)
    eid = episode["id"]
    xray = ordered(net, episode)
    path = f"/safety-nets/{eid}/investigations"
    there = f"{path}/{xray['id']}"
    other_patient = patient_in(net.patient.practice)
    theirs = LabResult.objects.create(
        patient=other_patient, code="haemoglobin", value=6.1, unit="mmol/L", taken_on=net.today
    )
    their_finding = ClinicalFinding.objects.create(
        patient=other_patient, code="chest_xray_suspicious", found_on=net.today
    )
    before = snapshot()

    for target, body, expected in (
        (path, {"kind": "mri", "expected_by": net.day(7)}, "enum"),
        (
            path,
            {"kind": "lab", "code": "hb a1c", "expected_by": net.day(7)},
            "string_pattern_mismatch",
        ),
        (path, {"kind": "fit", "expected_by": "next week"}, "value_error"),
        (
            path,
            {"kind": "fit", "expected_by": net.day(7), "description": "d" * 201},
            "string_too_long",
        ),
        (f"{there}/mark-told", {"how": "pigeon"}, "enum"),
        (f"{there}/mark-told", {}, "missing"),
        (f"{there}/cancel", {"reason": "r" * 10_001}, "string_too_long"),
        (f"{there}/cancel", {}, "missing"),
        (f"{there}/record-result", {"text": "t" * 10_001}, "string_too_long"),
        (f"{there}/record-result", {"lab_result_id": -1}, "greater_than_equal"),
        (f"/safety-nets/{eid}/close", {"outcome": "cured"}, "enum"),
        (
            f"/safety-nets/{eid}/reschedule",
            {"follow_up_on": "tomorrow", "reason": "x"},
            "value_error",
        ),
    ):
        status, error = refused(net.gp, target, body)
        assert status == 422, (target, body)
        assert schema_refusal(error) == expected, (target, body)

    for target, body, words in (
        (path, {"kind": "lab", "expected_by": net.day(7)}, "names the result it waits for"),
        (path, {"kind": "fit", "expected_by": net.day(-1)}, "in the past"),
        (f"{there}/record-result", {"lab_result_id": theirs.pk}, "not in this patient's record"),
        (f"{there}/record-result", {"finding_id": their_finding.pk}, "not in this patient's"),
        (f"{there}/record-result", {"finding_id": 10**9}, "not in this patient's record"),
        (f"{there}/record-result", {}, "needs the result in words"),
        (f"{there}/record-result", {"text": "\u200b"}, "needs the result in words"),
        (f"{there}/cancel", {"reason": ""}, "cannot be empty"),
        (f"{there}/cancel", {"reason": "  \u200b\u2060 "}, "cannot be empty"),
        (
            f"/safety-nets/{eid}/reschedule",
            {"follow_up_on": net.day(7), "reason": "\u200b"},
            "cannot be empty",
        ),
        (
            f"/safety-nets/{eid}/reschedule",
            {"follow_up_on": net.day(-3), "reason": "Ferie"},
            "in the past",
        ),
        (f"/safety-nets/{eid}/close", {"outcome": "died", "reason": "r" * 10_001}, ""),
    ):
        status, error = refused(net.gp, target, body)
        assert status == 422, (target, body, error)
        if words:
            assert error["code"] == "invalid" and words in error["detail"], (target, error)
        else:
            assert schema_refusal(error) == "string_too_long"

    # Not in this state: a result not yet in cannot be seen or told.
    for action, body in (("mark-seen", None), ("mark-told", {"how": "phone"})):
        status, error = refused(net.gp, f"{there}/{action}", body)
        assert (status, error["code"]) == (409, "not_allowed")
    assert snapshot() == before


# --- who may do what --------------------------------------------------------------------


def every_endpoint(net: Net, eid: int, iid: int) -> list[tuple[str, str, Any]]:
    """Each endpoint with a body that would succeed for a GP of the practice."""
    there = f"/safety-nets/{eid}/investigations/{iid}"
    return [
        ("GET", "/safety-nets", None),
        ("POST", "/safety-nets", open_body(net)),
        ("GET", f"/safety-nets/{eid}", None),
        ("POST", f"/safety-nets/{eid}/investigations", {"kind": "fit", "expected_by": net.day(7)}),
        ("POST", f"{there}/record-result", {"text": "Normal"}),
        ("POST", f"{there}/mark-seen", None),
        ("POST", f"{there}/mark-told", {"how": "phone"}),
        ("POST", f"{there}/cancel", {"reason": "Not needed"}),
        ("POST", f"/safety-nets/{eid}/await-follow-up", None),
        ("POST", f"/safety-nets/{eid}/reschedule", {"follow_up_on": net.day(9), "reason": "x"}),
        ("POST", f"/safety-nets/{eid}/close", {"outcome": "died"}),
    ]


@pytest.mark.parametrize("role", [Role.UNIT_DOCTOR, Role.PATIENT, Role.ANALYST])
def test_other_roles_are_refused_before_anything_is_read(
    net: Net, live_server: Any, role: str
) -> None:
    episode = opened(net)
    xray = ordered(net, episode)
    if role == Role.UNIT_DOCTOR:
        outsider = Client(live_server.url, net.users.doctor)
    else:
        outsider = Client(live_server.url, factories.user(role))
    before = snapshot()
    for method, path, body in every_endpoint(net, episode["id"], xray["id"]):
        status, error = outsider.call(method, path, body)
        assert (status, error["code"]) == (403, "forbidden"), (method, path)
    # Even for an episode that does not exist: the role is refused first.
    status, _ = outsider.get("/safety-nets/999999999")
    assert status == 403
    assert snapshot() == before


def test_another_practices_gp_finds_nothing_and_changes_nothing(net: Net) -> None:
    episode = opened(net)
    xray = ordered(net, episode)
    before = snapshot()
    new_rows = factories.access_log_since_now()
    # Opening names a patient, not this episode: the patient of another practice is 404.
    for method, path, body in every_endpoint(net, episode["id"], xray["id"])[1:]:
        status, _ = net.stranger_gp.call(method, path, body)
        assert status == 404, (method, path)
    assert net.stranger_gp.get("/safety-nets") == (200, [])
    assert net.stranger_gp.get(f"/safety-nets?patient_id={net.patient.pk}") == (200, [])
    assert snapshot() == before
    # Each attempt on the episode is kept as a refused read of its patient's record.
    assert factories.only_refused(new_rows(), net.users.stranger_gp, net.patient)


def test_an_investigation_is_reached_only_through_its_own_episode(net: Net) -> None:
    first, second = opened(net), opened(net, reason="patient_concern")
    xray = ordered(net, first)
    before = snapshot()
    status, _ = net.gp.post(
        f"/safety-nets/{second['id']}/investigations/{xray['id']}/cancel", {"reason": "Dublet"}
    )
    assert status == 404
    assert snapshot() == before


# --- lists, reads and repeats -----------------------------------------------------------


def test_the_list_filters_by_state_and_patient_and_logs_the_patients_shown(net: Net) -> None:
    first = opened(net)
    second_patient = patient_in(net.patient.practice)
    second = opened(net, patient_id=second_patient.pk, reason="wait_and_see")
    ordered(net, first)
    logged = AccessLogEntry.objects.count()

    status, rows = net.gp.get("/safety-nets")
    assert (status, [r["id"] for r in rows]) == (200, [first["id"], second["id"]])
    assert "timeline" not in rows[0]
    _, rows = net.other_gp.get("/safety-nets?state=investigating")
    assert [r["id"] for r in rows] == [first["id"]]
    _, rows = net.gp.get(f"/safety-nets?patient_id={second_patient.pk}&state=open")
    assert [r["id"] for r in rows] == [second["id"]]
    for query in ("state=bogus", "patient_id=0", "patient_id=x"):
        status, error = net.gp.get(f"/safety-nets?{query}")
        assert status == 422 and error["detail"][0]["loc"][0] == "query", query
    # The lists read no record, but name their patients: one row for each patient shown.
    shown = AccessLogEntry.objects.order_by("pk")[logged:]
    assert [(e.what, e.patient_id) for e in shown] == [
        ("safety-net list", net.patient.pk),
        ("safety-net list", second_patient.pk),
        ("safety-net list", net.patient.pk),
        ("safety-net list", second_patient.pk),
    ]


def test_opening_and_reading_an_episode_are_logged_reads_of_the_record(net: Net) -> None:
    episode = opened(net)
    [entry] = AccessLogEntry.objects.all()
    assert (entry.user, entry.patient, entry.what, entry.channel) == (
        net.users.gp,
        net.patient,
        READ,
        "api",
    )
    status, read = net.other_gp.get(f"/safety-nets/{episode['id']}")
    assert (status, read["id"]) == (200, episode["id"])
    newest = AccessLogEntry.objects.order_by("-pk").first()
    assert newest is not None
    assert (newest.user, newest.what, newest.channel) == (net.users.other_gp, READ, "api")
    # An action's answer shows what the episode holds already: no new read.
    net.gp.post(f"/safety-nets/{episode['id']}/await-follow-up")
    assert AccessLogEntry.objects.count() == 2


def test_opening_twice_with_one_key_opens_one_episode(net: Net) -> None:
    status, first = net.gp.call("POST", "/safety-nets", open_body(net), key="open-1")
    assert status == 201
    status, again = net.gp.call("POST", "/safety-nets", open_body(net), key="open-1")
    assert (status, again["id"]) == (201, first["id"])
    assert SafetyNetEpisode.objects.count() == 1
    before = snapshot()
    status, error = net.gp.call(
        "POST", "/safety-nets", open_body(net, advice="Something else"), key="open-1"
    )
    assert (status, error["code"]) == (422, "key_reused")
    assert snapshot() == before
    # Another GP's key is their own.
    status, theirs = net.other_gp.call("POST", "/safety-nets", open_body(net), key="open-1")
    assert status == 201 and theirs["id"] != first["id"]
