"""The API's rate limit, with a low limit: per token, per address without a token, 429 with
`Retry-After` and the API's error body, a new window starting afresh, and the count shared
by concurrent requests (the counts live in the database, not in one process)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import time_machine
from django.db import connection
from django.test import Client
from pytest_django.fixtures import Settings

from opspor.accounts.models import ApiRateWindow, TokenScope
from opspor.accounts.tokens import api_token_issue
from opspor.referrals.models import AdviceRequest
from tests import factories
from tests.referrals.worlds import make_world

LIMIT = 3
WINDOW = 60
# 10 seconds into a window: 50 seconds are left of it.
T0 = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)


@pytest.fixture
def low_limit(settings: Settings) -> None:
    settings.OPSPOR_API_RATE_LIMIT = LIMIT
    settings.OPSPOR_API_RATE_WINDOW_SECONDS = WINDOW


def get(path: str, token: str | None = None, address: str = "192.0.2.1") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return Client(REMOTE_ADDR=address).get(f"/api/v1{path}", headers=headers)


def assert_too_many(response: Any, retry_after: int) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(retry_after)
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["code"] == "rate_limited"
    assert f"at most {LIMIT} every {WINDOW} seconds" in body["detail"]


@pytest.mark.django_db
@pytest.mark.usefixtures("low_limit")
def test_the_call_after_the_limit_is_429_another_token_is_not_and_the_window_resets() -> None:
    gp = factories.gp().user
    assert gp is not None
    token, other = api_token_issue(user=gp), api_token_issue(user=gp)
    with time_machine.travel(T0, tick=False):
        for _ in range(LIMIT):
            assert get("/me", token).status_code == 200
        assert_too_many(get("/me", token), retry_after=50)
        assert_too_many(get("/me", token), retry_after=50)  # still refused
        # Another token of the same user, from the same address, has its own count.
        assert get("/me", other).status_code == 200
    with time_machine.travel(T0 + timedelta(seconds=49.5), tick=False):
        assert_too_many(get("/me", token), retry_after=1)  # rounded up, never 0
    with time_machine.travel(T0 + timedelta(seconds=50), tick=False):
        # The next window: the count starts again, and the ended window's rows are gone.
        assert get("/me", token).status_code == 200
        assert set(ApiRateWindow.objects.values_list("client", "hits")) == {
            (f"token:{gp.api_tokens.order_by('pk').first().pk}", 1)  # type: ignore[union-attr]
        }


@pytest.mark.django_db
@pytest.mark.usefixtures("low_limit")
def test_a_refused_write_changes_nothing() -> None:
    world = make_world()
    token = api_token_issue(user=world.gp, scope=TokenScope.WRITE)
    body = json.dumps({"patient_id": world.patient.pk, "question": "Weight loss: refer?"})
    client = Client(headers={"Authorization": f"Bearer {token}"})
    with time_machine.travel(T0, tick=False):
        for _ in range(LIMIT):
            assert get("/me", token).status_code == 200
        response = client.post("/api/v1/advice-requests", body, content_type="application/json")
    assert_too_many(response, retry_after=50)
    assert AdviceRequest.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("low_limit")
def test_without_a_known_token_the_address_is_limited_so_guessing_tokens_is_too() -> None:
    with time_machine.travel(T0, tick=False):
        assert get("/me").status_code == 401
        assert get("/me", "guess-1").status_code == 401
        assert get("/me", "guess-2").status_code == 401
        assert_too_many(get("/me", "guess-3"), retry_after=50)
        assert_too_many(get("/openapi.json"), retry_after=50)
        # Another address is counted apart.
        assert get("/me", "guess-4", address="192.0.2.2").status_code == 401


@pytest.mark.django_db
@pytest.mark.usefixtures("low_limit")
def test_behind_a_trusted_proxy_the_client_is_counted_not_the_proxy(settings: Settings) -> None:
    settings.OPSPOR_TRUSTED_PROXIES = 1

    def through_proxy(client_address: str) -> Any:
        return Client().get(
            "/api/v1/me", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=client_address
        )

    with time_machine.travel(T0, tick=False):
        for _ in range(LIMIT):
            assert through_proxy("192.0.2.7").status_code == 401
        assert_too_many(through_proxy("192.0.2.7"), retry_after=50)
        # Another client behind the same proxy has a count of its own.
        assert through_proxy("192.0.2.8").status_code == 401
    # Without the setting the header is the client's own word and is ignored: every call
    # counts against the proxy's address, whatever it claims.
    settings.OPSPOR_TRUSTED_PROXIES = 0
    with time_machine.travel(T0, tick=False):
        for n in range(LIMIT):
            assert through_proxy(f"192.0.2.{20 + n}").status_code == 401
        assert_too_many(through_proxy("192.0.2.99"), retry_after=50)


@pytest.mark.django_db
@pytest.mark.usefixtures("low_limit")
def test_a_revoked_or_expired_token_is_still_counted_as_itself() -> None:
    gp = factories.gp().user
    assert gp is not None
    token = api_token_issue(user=gp, days=1)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2), tick=False):
        for _ in range(LIMIT):
            assert get("/me", token).status_code == 401
        assert get("/me", token).status_code == 429
        # ... and does not use up the address's count.
        assert get("/me").status_code == 401


@pytest.mark.django_db
@pytest.mark.usefixtures("low_limit")
def test_the_cds_service_shares_the_limit() -> None:
    with time_machine.travel(T0, tick=False):
        for _ in range(LIMIT):
            Client(REMOTE_ADDR="192.0.2.9").post("/cds-services/opspor-patient-view")
        response = Client(REMOTE_ADDR="192.0.2.9").post("/cds-services/opspor-patient-view")
    assert response.status_code == 429 and int(response["Retry-After"]) == 50


@pytest.mark.django_db
def test_limit_zero_turns_it_off(settings: Settings) -> None:
    settings.OPSPOR_API_RATE_LIMIT = 0
    for _ in range(5):
        assert get("/me").status_code == 401
    assert ApiRateWindow.objects.count() == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the live server's threads share one in-memory SQLite connection, which is not "
    "safe for requests at once; the gunicorn workers this is about share a server database",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_over_real_http_share_one_count(
    live_server: Any, settings: Settings
) -> None:
    settings.OPSPOR_API_RATE_LIMIT = 5
    settings.OPSPOR_API_RATE_WINDOW_SECONDS = 3600  # no window ends during the test
    gp = factories.gp().user
    assert gp is not None
    token = api_token_issue(user=gp)

    def me(_: int) -> requests.Response:
        return requests.get(
            f"{live_server.url}/api/v1/me",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(me, range(12)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 5 + [429] * 7
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.json()["code"] == "rate_limited"
    assert ApiRateWindow.objects.get().hits == 12
