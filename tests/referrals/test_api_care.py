"""The unit's steps after accepting, over real HTTP: the first contact with the patient,
booking the appointment and completing the investigation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from opspor.accounts.models import Role
from opspor.referrals.models import Referral, ReferralEvent
from opspor.referrals.workflow import ReferralState
from tests.referrals.test_api import (
    ApiWorld,
    api_world,
    client_for,
    has_offset,
    make_sent,
    snapshot,
)

pytestmark = pytest.mark.django_db(transaction=True)

APPOINTMENT = {"appointment_at": "2030-03-12T10:30:00+01:00"}


@pytest.fixture
def world(live_server: Any) -> ApiWorld:
    return api_world(live_server.url)


def _accepted(world: ApiWorld) -> int:
    rid = int(make_sent(world)["id"])
    assert world.doctor.post(f"/referrals/{rid}/accept")[0] == 200
    return rid


def test_first_contact_then_appointment_then_completion(world: ApiWorld) -> None:
    rid = _accepted(world)
    Referral.objects.filter(pk=rid).update(
        first_contact_due_at=datetime(2020, 1, 6, 9, 0, tzinfo=UTC)
    )
    assert world.gp.get(f"/referrals/{rid}")[1]["overdue"] is True

    status, contacted = world.other_doctor.post(
        f"/referrals/{rid}/record-first-contact", {"note": "Spoke to the patient"}
    )
    assert status == 200
    assert contacted["state"] == ReferralState.ACCEPTED
    assert has_offset(contacted["first_contact_at"]) and contacted["overdue"] is False
    status, error = world.doctor.post(f"/referrals/{rid}/record-first-contact")
    assert (status, error["code"]) == (409, "not_allowed")

    status, booked = world.doctor.post(f"/referrals/{rid}/book-appointment", APPOINTMENT)
    assert status == 200 and booked["state"] == ReferralState.APPOINTMENT_BOOKED
    assert datetime.fromisoformat(booked["appointment_at"]) == datetime.fromisoformat(
        APPOINTMENT["appointment_at"]
    )
    assert booked["first_contact_at"] == contacted["first_contact_at"]  # kept, not moved

    status, completed = world.doctor.post(f"/referrals/{rid}/complete", {"reason": "Done"})
    assert status == 200 and completed["state"] == ReferralState.COMPLETED
    assert has_offset(completed["completed_at"])
    actions = list(
        ReferralEvent.objects.filter(referral_id=rid).values_list("action", "actor", "reason")
    )
    assert actions[-3:] == [
        ("record_first_contact", world.users.other_doctor.pk, "Spoke to the patient"),
        ("book_appointment", world.users.doctor.pk, ""),
        ("complete", world.users.doctor.pk, "Done"),
    ]


def test_booking_counts_as_the_first_contact(world: ApiWorld) -> None:
    rid = _accepted(world)
    status, booked = world.doctor.post(f"/referrals/{rid}/book-appointment", APPOINTMENT)
    assert status == 200 and has_offset(booked["first_contact_at"])
    # Completing needs no body.
    assert world.doctor.post(f"/referrals/{rid}/complete")[0] == 200


def test_steps_in_the_wrong_state_are_409_and_change_nothing(world: ApiWorld) -> None:
    sent = int(make_sent(world)["id"])
    accepted = _accepted(world)
    before = snapshot(sent), snapshot(accepted)
    for path, body in (
        (f"/referrals/{sent}/record-first-contact", None),
        (f"/referrals/{sent}/book-appointment", APPOINTMENT),
        (f"/referrals/{sent}/complete", None),
        (f"/referrals/{accepted}/complete", None),  # nothing is booked yet
    ):
        status, error = world.doctor.post(path, body)
        assert (status, error["code"]) == (409, "not_allowed"), path
    assert (snapshot(sent), snapshot(accepted)) == before


def test_the_gp_and_strangers_are_refused_and_nothing_changes(
    world: ApiWorld, live_server: Any
) -> None:
    rid = _accepted(world)
    before = snapshot(rid)
    steps = (("record-first-contact", None), ("book-appointment", APPOINTMENT), ("complete", None))
    others = [client_for(live_server.url, role) for role in (Role.PATIENT, Role.ANALYST)]
    for step, body in steps:
        path = f"/referrals/{rid}/{step}"
        assert world.gp.post(path, body)[0] == 403  # the practice does not act for the unit
        for client in others:
            assert client.post(path, body)[0] == 403
        assert world.stranger_doctor.post(path, body)[0] == 404
    assert snapshot(rid) == before
    assert Referral.objects.get(pk=rid).first_contact_at is None


def test_malformed_bodies_are_422_and_change_nothing(world: ApiWorld) -> None:
    rid = _accepted(world)
    before = snapshot(rid)
    book = f"/referrals/{rid}/book-appointment"
    assert world.doctor.post(book)[0] == 422  # no time
    assert world.doctor.post(book, {"appointment_at": "next Tuesday"})[0] == 422
    status, error = world.doctor.post(book, {"appointment_at": "2030-03-12T10:30:00"})
    assert (status, error["code"]) == (422, "invalid")  # a time without a time zone
    assert world.doctor.post(f"/referrals/{rid}/record-first-contact", {"note": 5})[0] == 422
    assert world.doctor.post(f"/referrals/{rid}/complete", {"reason": {"x": 1}})[0] == 422
    assert snapshot(rid) == before
