"""What the JSON API answers to bodies built to break it, over real HTTP.

Every refusal is JSON with a `detail`, in development (DEBUG on) and with production
settings (DEBUG off), and nothing in the database changes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from pytest_django.fixtures import Settings

from opspor.accounts.tokens import api_token_issue
from opspor.casework.models import Notification
from opspor.records.models import AccessLogEntry
from opspor.referrals.models import AdviceRequest, Message, Referral
from opspor.referrals.workflow import ReferralState
from tests.referrals.worlds import World, make_world, referral_in

pytestmark = pytest.mark.django_db(transaction=True)

DEEP = 500  # nested arrays: a RecursionError, once


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def counts() -> tuple[int, ...]:
    return (
        AdviceRequest.objects.count(),
        Referral.objects.count(),
        Message.objects.count(),
        Notification.objects.count(),
        AccessLogEntry.objects.count(),
    )


@pytest.fixture(params=["development", "production"])
def environment(request: pytest.FixtureRequest, settings: Settings) -> str:
    # The one difference between the two for error handling: production runs with DEBUG
    # off, so Django and Ninja would otherwise answer with an HTML page or re-raise.
    settings.DEBUG = request.param == "development"
    return str(request.param)


class Caller:
    def __init__(self, base: str, world: World) -> None:
        self.base = f"{base}/api/v1"
        self.headers = {
            "Authorization": f"Bearer {api_token_issue(user=world.gp)}",
            "Content-Type": "application/json",
        }

    def post(self, path: str, body: bytes) -> requests.Response:
        return requests.post(f"{self.base}{path}", data=body, headers=self.headers, timeout=30)


def assert_json_refusal(response: requests.Response, *statuses: int) -> Any:
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:500]
    body = response.json()
    assert body["detail"], body
    return body


def bad_bodies(world: World, referral_id: int) -> list[tuple[str, bytes]]:
    patient = world.patient.pk
    question = {"patient_id": patient, "question": "Weight loss: refer?"}
    return [
        # JSON nested 500 deep, at the top and inside a field.
        ("/advice-requests", nested(DEEP).encode()),
        (
            "/advice-requests",
            json.dumps(question)[:-1].encode()
            + b', "patient_summary": {"a": '
            + nested(DEEP).encode()
            + b"}}",
        ),
        (f"/referrals/{referral_id}/messages", b'{"body": ' + nested(DEEP).encode() + b"}"),
        ("/assess", b'{"patient": ' + nested(DEEP).encode() + b"}"),
        ("/assess", nested(100_000).encode()),  # deeper than the JSON parser itself goes
        # A lone surrogate: valid JSON syntax, but no character any database can store.
        ("/advice-requests", b'{"patient_id": %d, "question": "\\ud800"}' % patient),
        (f"/referrals/{referral_id}/messages", b'{"body": "CT? \\udfff"}'),
        ("/notifications/mark-read", b'{"ids": [1], "\\ud800": 1}'),
    ]


def test_deep_nesting_and_lone_surrogates_are_refused_as_json(
    live_server: Any, environment: str
) -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.SENT)
    caller = Caller(live_server.url, world)
    before = counts()
    for path, body in bad_bodies(world, referral.pk):
        response = caller.post(path, body)
        assert_json_refusal(response, 400, 422)
    assert counts() == before
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT


def test_a_body_over_the_limit_is_refused_with_413(
    live_server: Any, environment: str, settings: Settings
) -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.SENT)
    caller = Caller(live_server.url, world)
    before = counts()
    limit = settings.OPSPOR_API_MAX_BODY_BYTES
    assert limit == 1024 * 1024  # the documented default
    question = b'{"patient_id": %d, "question": "' % world.patient.pk
    for path, body in (
        ("/advice-requests", question + b"x" * 10 * 1024 * 1024 + b'"}'),
        (f"/referrals/{referral.pk}/messages", b'{"body": "' + b"x" * limit + b'"}'),
        ("/assess", b" " * (limit + 1)),
    ):
        response = caller.post(path, body)
        detail = assert_json_refusal(response, 413)["detail"]
        assert str(limit) in detail
    assert counts() == before


def test_the_limit_is_a_setting_and_applies_to_every_endpoint(
    live_server: Any, settings: Settings
) -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.SENT)
    caller = Caller(live_server.url, world)
    settings.OPSPOR_API_MAX_BODY_BYTES = 100
    message = json.dumps({"body": "x" * 60}).encode()
    assert len(message) <= 100
    assert caller.post(f"/referrals/{referral.pk}/messages", message).status_code == 201
    longer = json.dumps({"body": "x" * 100}).encode()
    assert_json_refusal(caller.post(f"/referrals/{referral.pk}/messages", longer), 413)
    assert Message.objects.count() == 1
    # Also where Django's own limit on form data would not look: a GET with a body.
    response = requests.get(
        f"{caller.base}/notifications", data=b"x" * 101, headers=caller.headers, timeout=10
    )
    assert_json_refusal(response, 413)


def test_an_unexpected_error_under_the_api_is_answered_as_json(
    live_server: Any, environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opspor.casework import api as notifications_api

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug, not the caller's fault")

    monkeypatch.setattr(notifications_api, "notifications_for", broken)
    world = make_world()
    caller = Caller(live_server.url, world)
    response = requests.get(f"{caller.base}/notifications", headers=caller.headers, timeout=10)
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/json")
    # No traceback or exception text, in development either: the log has them.
    assert response.json() == {"detail": "Internal server error"}
    # An address under /api/ that does not exist is JSON too.
    response = requests.get(f"{caller.base}/no-such-thing", headers=caller.headers, timeout=10)
    assert_json_refusal(response, 404)


def test_a_content_length_that_is_not_a_number_is_refused_as_json() -> None:
    from django.test import Client

    world = make_world()
    token = api_token_issue(user=world.gp)
    response = Client().generic(
        "POST",
        "/api/v1/notifications/mark-read",
        b'{"ids": [1]}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
        CONTENT_LENGTH="twelve",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The Content-Length header is not a number."}
