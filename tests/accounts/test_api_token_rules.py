"""What the API does with a token that has expired, been revoked, or has the scope `read`,
through the whole stack (Django's test client: every middleware and Ninja's
authentication), and what `opspor token` issues."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from opspor.accounts.models import ApiToken, TokenScope, User
from opspor.accounts.tokens import api_token_issue, api_token_revoke
from opspor.referrals.models import AdviceRequest
from tests import factories
from tests.api_schema import schema_headers
from tests.referrals.worlds import World, make_world

pytestmark = pytest.mark.django_db


def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    client = Client()
    response = client.generic(
        method,
        f"/api/v1{path}",
        json.dumps(body).encode() if body is not None else b"",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    content = response.content
    return response.status_code, json.loads(content) if content else None


@pytest.fixture
def world() -> World:
    return make_world()


def ask(world: World, token: str) -> tuple[int, Any]:
    body = {"patient_id": world.patient.pk, "question": "Weight loss 6 kg: refer?"}
    return call("POST", "/advice-requests", token, body)


def test_a_token_works_until_it_expires_then_is_refused_with_401(world: World) -> None:
    token = api_token_issue(user=world.gp, days=30)
    stored = ApiToken.objects.get()
    assert stored.expires_at - stored.created_at == pytest.approx(
        timedelta(days=30), abs=timedelta(seconds=5)
    )
    with time_machine.travel(stored.expires_at - timedelta(seconds=1), tick=False):
        assert call("GET", "/me", token)[0] == 200
    with time_machine.travel(stored.expires_at, tick=False):
        status, body = call("GET", "/me", token)
    assert status == 401
    assert body["code"] == "token_expired"
    assert "expired" in body["detail"] and "new one" in body["detail"]
    # An expired write token writes nothing either.
    with time_machine.travel(stored.expires_at + timedelta(days=1), tick=False):
        assert ask(world, token)[0] == 401
    assert AdviceRequest.objects.count() == 0


def test_a_revoked_token_is_refused_with_401_and_writes_nothing(world: World) -> None:
    token = api_token_issue(user=world.gp)
    assert call("GET", "/me", token)[0] == 200
    assert api_token_revoke(user=world.gp, token_id=ApiToken.objects.get().pk) is True
    status, body = call("GET", "/me", token)
    assert (status, body["code"]) == (401, "token_revoked")
    assert ask(world, token)[0] == 401
    assert AdviceRequest.objects.count() == 0


def test_an_unknown_token_gets_the_plain_401() -> None:
    status, body = call("GET", "/me", "no-such-token")
    assert status == 401 and body == {"detail": "Unauthorized"}


def test_a_token_of_a_deactivated_user_is_refused(world: World) -> None:
    token = api_token_issue(user=world.gp)
    User.objects.filter(pk=world.gp.pk).update(is_active=False)
    assert call("GET", "/me", token)[0] == 401


def test_a_read_token_reads_but_every_other_method_is_403_and_changes_nothing(
    world: World,
) -> None:
    read = api_token_issue(user=world.gp, scope=TokenScope.READ)
    assert call("GET", "/me", read)[0] == 200
    assert call("GET", "/advice-requests", read)[0] == 200
    status, body = ask(world, read)
    assert status == 403
    assert body["code"] == "token_scope" and "read" in body["detail"]
    assert AdviceRequest.objects.count() == 0
    # Every operation of the API that is not a GET, from its own schema: refused before the
    # endpoint runs (its validation of the body and the ids is not even reached).
    schema = Client(headers=schema_headers()).get("/api/v1/openapi.json").json()
    writing = [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path.removeprefix("/api/v1")))
        for path, operations in schema["paths"].items()
        for method in operations
        if method != "get"
    ]
    assert len(writing) >= 10
    for method, path in writing:
        status, body = call(method, path, read, {"not": "checked"})
        assert (status, body.get("code")) == (403, "token_scope"), (method, path, body)
    assert AdviceRequest.objects.count() == 0
    # The same user's write token does write.
    write = api_token_issue(user=world.gp, scope=TokenScope.WRITE)
    assert ask(world, write)[0] == 201
    assert AdviceRequest.objects.count() == 1


def test_openapi_documents_the_token_rules_and_the_rate_limit() -> None:
    schema = Client(headers=schema_headers()).get("/api/v1/openapi.json").json()
    description = schema["info"]["description"]
    assert "token_expired" in description and "token_scope" in description
    assert "429" in description and "Retry-After" in description
    post = schema["paths"]["/api/v1/advice-requests"]["post"]["responses"]
    get = schema["paths"]["/api/v1/advice-requests"]["get"]["responses"]
    for responses in (post, get):
        too_many = responses["429"]
        assert too_many["headers"]["Retry-After"]["required"] is True
        assert too_many["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    assert "403" in post


def test_token_command_issues_a_scope_and_an_expiry(settings: Settings) -> None:
    settings.OPSPOR_API_TOKEN_DAYS = 60
    gp = factories.gp().user
    assert gp is not None
    out = StringIO()
    call_command("token", gp.username, "--scope", "read", "--days", "7", stdout=out)
    token = ApiToken.objects.get()
    assert token.scope == TokenScope.READ
    assert token.expires_at - timezone.now() == pytest.approx(
        timedelta(days=7), abs=timedelta(seconds=5)
    )
    call_command("token", gp.username, stdout=StringIO())
    default = ApiToken.objects.latest("pk")
    assert default.scope == TokenScope.WRITE
    assert default.expires_at - timezone.now() == pytest.approx(
        timedelta(days=60), abs=timedelta(seconds=5)
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--days", "61"], "--days is from 1 to 60"),
        (["--days", "0"], "--days is from 1 to 60"),
        (["--scope", "admin"], "invalid choice"),
    ],
)
def test_token_command_refuses_a_lifetime_or_scope_out_of_bounds(
    settings: Settings, arguments: list[str], message: str
) -> None:
    settings.OPSPOR_API_TOKEN_DAYS = 60
    gp = factories.gp().user
    assert gp is not None
    with pytest.raises(CommandError, match=message):
        call_command("token", gp.username, *arguments, stdout=StringIO(), stderr=StringIO())
    assert ApiToken.objects.count() == 0


def test_issuing_refuses_a_lifetime_or_scope_out_of_bounds(settings: Settings) -> None:
    settings.OPSPOR_API_TOKEN_DAYS = 90
    gp = factories.gp().user
    assert gp is not None
    with pytest.raises(ValueError, match="from 1 to 90 days"):
        api_token_issue(user=gp, days=91)
    with pytest.raises(ValueError, match="scope"):
        api_token_issue(user=gp, scope="admin")
    assert ApiToken.objects.count() == 0


def test_the_cds_service_only_reads_so_a_read_token_may_call_it(world: World) -> None:
    read = api_token_issue(user=world.gp, scope=TokenScope.READ)
    response = Client().post(
        "/cds-services/opspor-patient-view",
        b"{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {read}"},
    )
    # Past the token (neither 401 nor 403), to the check of the hook request itself.
    assert response.status_code == 400, response.content
    ApiToken.objects.update(expires_at=timezone.now())
    expired = Client().post(
        "/cds-services/opspor-patient-view",
        b"{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {read}"},
    )
    assert expired.status_code == 401
