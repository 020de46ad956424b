"""The API over real HTTP: bearer tokens from `opspor token`, and access to records."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from opspor.accounts.models import ApiToken, Role
from opspor.records.models import AccessLogEntry
from tests import factories
from tests.api_schema import openapi_schema

pytestmark = pytest.mark.django_db(transaction=True)


def _get(url: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _token(username: str) -> str:
    out = StringIO()
    call_command("token", username, stdout=out)
    return out.getvalue().strip()


def test_token_command_prints_a_working_token(live_server: Any) -> None:
    gp = factories.gp()
    token = _token(gp.user.username)
    assert len(token) >= 40
    status, body = _get(f"{live_server.url}/api/v1/me", token)
    assert status == 200
    assert body == {"username": gp.user.username, "role": "gp"}
    stored = ApiToken.objects.get()
    assert stored.digest != token and token not in stored.digest
    assert stored.last_used_at is not None


def test_token_for_unknown_user_fails_clearly_and_creates_nothing() -> None:
    with pytest.raises(CommandError, match="No active user named 'nobody'"):
        call_command("token", "nobody")
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_requests_without_a_valid_token_are_refused(live_server: Any, token: str | None) -> None:
    status, _ = _get(f"{live_server.url}/api/v1/me", token)
    assert status == 401


def test_revoked_token_is_refused(live_server: Any) -> None:
    gp = factories.gp()
    token = _token(gp.user.username)
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert _get(f"{live_server.url}/api/v1/me", token)[0] == 401


def test_gp_reads_own_patient_over_the_api_and_the_read_is_logged(live_server: Any) -> None:
    gp = factories.gp()
    patient = factories.patient(gp.practice)
    factories.contact(patient, on=patient.registered_from, clinician=gp)
    token = _token(gp.user.username)
    status, body = _get(f"{live_server.url}/api/v1/patients/{patient.pk}", token)
    assert status == 200
    assert body["id"] == patient.pk and body["practice_id"] == gp.practice_id
    status, contacts = _get(f"{live_server.url}/api/v1/patients/{patient.pk}/contacts", token)
    assert status == 200 and len(contacts) == 1
    logged = list(AccessLogEntry.objects.order_by("at").values_list("what", "channel"))
    assert logged == [("demographics", "api"), ("contacts", "api")]


def test_gp_of_another_practice_gets_404_over_the_api(live_server: Any) -> None:
    patient = factories.patient()
    stranger = factories.gp()
    token = _token(stranger.user.username)
    for path in (f"/api/v1/patients/{patient.pk}", f"/api/v1/patients/{patient.pk}/contacts"):
        assert _get(live_server.url + path, token)[0] == 404
    # Only the refused attempts, on the API channel, from the token.
    rows = AccessLogEntry.objects.all()
    assert factories.only_refused(rows, stranger.user, patient)
    assert set(rows.values_list("channel", "path")) == {
        ("api", f"/api/v1/patients/{patient.pk}"),
        ("api", f"/api/v1/patients/{patient.pk}/contacts"),
    }
    assert all(r.credential.startswith("token:") for r in rows)


@pytest.mark.parametrize("role", [Role.UNIT_DOCTOR, Role.ANALYST, Role.ADMIN])
def test_roles_that_never_read_records_get_403_over_the_api(live_server: Any, role: str) -> None:
    # Was 404, as for another practice's patient: the role was never asked, and the
    # selector found no patient for it. Now the role guard refuses first, as everywhere.
    patient = factories.patient()
    account = factories.user(role)
    token = _token(account.username)
    for path in (f"/api/v1/patients/{patient.pk}", f"/api/v1/patients/{patient.pk}/contacts"):
        status, body = _get(live_server.url + path, token)
        assert (status, body["code"]) == (403, "forbidden")
    assert AccessLogEntry.objects.count() == 0


def test_a_patient_reads_their_own_demographics_and_no_one_elses(live_server: Any) -> None:
    me = factories.patient(user=factories.user(Role.PATIENT))
    neighbour = factories.patient(me.practice)
    token = _token(me.user.username)
    status, body = _get(f"{live_server.url}/api/v1/patients/{me.pk}", token)
    assert (status, body["id"]) == (200, me.pk)
    assert _get(f"{live_server.url}/api/v1/patients/{neighbour.pk}", token)[0] == 404
    # The read of one's own record, and the refused try at the neighbour's.
    rows = AccessLogEntry.objects.order_by("pk").values_list("patient", "refused")
    assert list(rows) == [(me.pk, False), (neighbour.pk, True)]


def test_openapi_schema_is_published(live_server: Any) -> None:
    schema = openapi_schema(live_server.url)
    assert "/api/v1/patients/{patient_id}" in schema["paths"]
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
