"""The API's lists cost the same number of queries for one row as for many."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opspor.accounts.models import User
from opspor.referrals.services import message_post
from opspor.referrals.workflow import AdviceState, ReferralState
from tests.referrals.test_api import token_for
from tests.referrals.worlds import World, advice_in, referral_in

pytestmark = pytest.mark.django_db

LISTS = (
    "/api/v1/referrals",
    "/api/v1/advice-requests",
    "/api/v1/notifications",
)


def _queries(user: User, path: str) -> int:
    client = Client(headers={"authorization": f"Bearer {token_for(user)}"})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def _add_cases(world: World) -> tuple[int, int]:
    """One more case of every kind; returns the ids of a referral and an advice thread."""
    referral = referral_in(world, ReferralState.SENT)
    referral_in(world, ReferralState.DRAFT)
    referral_in(
        world, ReferralState.REJECTED, patient_contact_by=world.gp.clinician, decided_at=None
    )
    referral_in(world, ReferralState.ACCEPTED, origin="practising_specialist", origin_name="X")
    advice = advice_in(world, AdviceState.ANSWERED)
    for thread in (referral, advice):
        message_post(thread=thread, by=world.gp, body="From the practice")
        message_post(thread=thread, by=world.doctor, body="From the unit")
    return referral.pk, advice.pk


def test_lists_and_threads_do_not_query_per_row(world: World) -> None:
    referral_id, advice_id = _add_cases(world)
    threads = (
        f"/api/v1/referrals/{referral_id}/messages",
        f"/api/v1/advice-requests/{advice_id}/messages",
        f"/api/v1/referrals/{referral_id}/messages?format=fhir",
    )
    paths = LISTS + threads
    readers = (world.gp, world.doctor)
    first = {(u.pk, p): _queries(u, p) for u in readers for p in paths}

    for _ in range(4):
        _add_cases(world)
    referral = world.patient.referrals.get(pk=referral_id)
    advice = world.patient.advice_requests.get(pk=advice_id)
    for _ in range(4):
        for thread in (referral, advice):
            message_post(thread=thread, by=world.gp, body="More")
            message_post(thread=thread, by=world.doctor, body="More")

    assert {(u.pk, p): _queries(u, p) for u in readers for p in paths} == first
