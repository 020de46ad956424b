"""`POST /api/v1/assess` over real HTTP with bearer tokens."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from opspor.accounts.models import Role
from opspor.records.models import AccessLogEntry
from tests import factories
from tests.api_schema import openapi_schema

pytestmark = pytest.mark.django_db(transaction=True)

CONTEXT = {
    "as_of": "2026-11-20",
    "patient": {"birth_date": "1970-02-01", "sex": "male"},
    "symptoms": [{"code": "haemoptysis", "onset": "2026-11-01"}],
}


def _post(url: str, body: object, token: str | None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
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


def test_a_gp_gets_the_assessment(live_server: Any) -> None:
    token = _token(factories.gp().user.username)
    status, body = _post(f"{live_server.url}/api/v1/assess?ruleset=nice-ng12", CONTEXT, token)
    assert status == 200
    assert body["ruleset"] == "nice-ng12"
    assert "ng12-1.1.1-haemoptysis" in {f.get("rule_id") for f in body["findings"]}
    assert AccessLogEntry.objects.count() == 0  # no record was opened


def test_the_answer_carries_the_guidelines_urgency_strength_age_group_and_tests(
    live_server: Any,
) -> None:
    token = _token(factories.gp().user.username)
    child = {
        "as_of": "2026-11-20",
        "patient": {"birth_date": "2020-06-01", "sex": "female"},
        "symptoms": [
            {"code": "petechiae", "onset": "2026-11-15"},
            {"code": "pallor", "onset": "2026-11-10"},
        ],
    }
    status, body = _post(f"{live_server.url}/api/v1/assess?ruleset=nice-ng12", child, token)
    assert status == 200
    criteria = {f["rule_id"]: f for f in body["findings"] if f["kind"] == "guideline_criterion"}
    immediate = criteria["ng12-1.10.2-leukaemia-immediate-referral"]
    assert (immediate["recommendation"], immediate["strength"], immediate["within_days"]) == (
        "immediate_referral",
        "offer",
        0,
    )
    assert immediate["applies_to"] == "children_and_young_people"
    blood_count = criteria["ng12-1.10.3-leukaemia-full-blood-count-children"]
    assert blood_count["investigations"] == ["full_blood_count"]
    assert blood_count["within_days"] == 2
    # The adults' blood count (1.10.1) is not offered to a six-year-old.
    assert "ng12-1.10.1-leukaemia-full-blood-count" not in criteria


def test_invalid_context_is_422_with_the_fields_named(live_server: Any) -> None:
    token = _token(factories.gp().user.username)
    bad = {**CONTEXT, "symptoms": [{"code": "sadness", "onset": "2026-11-01"}]}
    status, body = _post(f"{live_server.url}/api/v1/assess", bad, token)
    assert status == 422
    assert any("sadness" in json.dumps(e) for e in body["detail"])


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ANALYST])
def test_non_clinicians_are_refused(live_server: Any, role: str) -> None:
    token = _token(factories.user(role).username)
    status, _ = _post(f"{live_server.url}/api/v1/assess", CONTEXT, token)
    assert status == 403


def test_no_token_is_401_and_unknown_ruleset_is_422(live_server: Any) -> None:
    assert _post(f"{live_server.url}/api/v1/assess", CONTEXT, None)[0] == 401
    token = _token(factories.gp().user.username)
    assert _post(f"{live_server.url}/api/v1/assess?ruleset=x", CONTEXT, token)[0] == 422


def test_the_openapi_schema_describes_the_assess_endpoint(live_server: Any) -> None:
    schema = openapi_schema(live_server.url)
    operation = schema["paths"]["/api/v1/assess"]["post"]
    assert "requestBody" in operation
    assert "PatientContext" in json.dumps(schema["components"]["schemas"])
