"""Requests the CDS Hooks service refuses, each with the status CDS Hooks 2.0 names or
the API's own, a clear `detail`, and nothing logged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from opspor.accounts.tokens import api_token_issue
from opspor.records.models import AccessLogEntry
from tests import factories
from tests.interop.cds_prefetch import practitioner
from tests.interop.test_cds_hooks import URL, hook_request, post, returning_man

pytestmark = pytest.mark.django_db


@pytest.fixture
def call() -> tuple[str, dict[str, Any]]:
    gp = factories.gp()
    assert gp.user is not None and gp.practice is not None
    patient = returning_man(gp.practice)
    return api_token_issue(user=gp.user), hook_request(patient, practitioner(gp.pk) or "")


def _refused(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.content
    assert words in response.json()["detail"]
    assert not AccessLogEntry.objects.exists()


def test_a_body_that_is_not_json_is_400(call: tuple[str, dict[str, Any]]) -> None:
    token, _ = call
    _refused(post(None, token, raw=b"{not json"), 400, "not JSON")
    _refused(post(None, token, raw=b"[1, 2]"), 400, "JSON object")


@pytest.mark.parametrize("field", ["hook", "hookInstance", "context"])
def test_a_missing_required_field_is_400(field: str, call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    del body[field]
    _refused(post(body, token), 400, field)


def test_another_hook_is_400(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["hook"] = "order-sign"
    _refused(post(body, token), 400, "patient-view")


@pytest.mark.parametrize("field", ["patientId", "userId"])
def test_a_context_without_its_ids_is_400(field: str, call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    del body["context"][field]
    _refused(post(body, token), 400, f"context.{field}")


def test_a_user_who_is_not_a_clinician_is_400(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["context"]["userId"] = "Patient/123"
    _refused(post(body, token), 400, "Practitioner")


def test_fhir_authorization_without_a_server_is_400(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["fhirAuthorization"] = {"access_token": "x", "token_type": "Bearer"}
    _refused(post(body, token), 400, "fhirServer")


def test_a_bundle_where_a_patient_belongs_is_400(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["prefetch"]["patient"] = body["prefetch"]["conditions"]
    _refused(post(body, token), 400, "prefetch.patient must be a Patient resource, not Bundle")


def test_observations_in_the_conditions_bundle_are_400(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["prefetch"]["conditions"]["entry"] = body["prefetch"]["observations"]["entry"]
    _refused(post(body, token), 400, "prefetch.conditions.entry[0].resource is of type Observation")


def test_a_patient_instead_of_a_search_bundle_is_400(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["prefetch"]["encounters"] = body["prefetch"]["patient"]
    _refused(post(body, token), 400, "searchset Bundle of Encounter")


def test_invalid_fhir_is_400_naming_the_field(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["prefetch"]["patient"]["birthDate"] = "1960-13-45"
    _refused(post(body, token), 400, "prefetch.patient.birthDate")


def test_a_resource_about_another_patient_is_400(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["prefetch"]["observations"]["entry"][0]["resource"]["subject"] = {
        "reference": "Patient/someone-else"
    }
    _refused(post(body, token), 400, "another patient")


def test_a_patient_other_than_the_context_is_400(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["prefetch"]["patient"]["id"] = "someone-else"
    _refused(post(body, token), 400, "prefetch.patient.id is not context.patientId")


def test_a_patient_without_gender_is_400(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    del body["prefetch"]["patient"]["gender"]
    _refused(post(body, token), 400, "Patient.gender")


@pytest.mark.parametrize("key", ["patient", "conditions", "observations", "encounters"])
def test_a_missing_prefetch_key_without_a_fhir_server_is_412(
    key: str, call: tuple[str, dict[str, Any]]
) -> None:
    token, body = call
    del body["prefetch"][key]
    _refused(post(body, token), 412, key)


def test_no_prefetch_at_all_is_412_even_with_a_fhir_server(
    call: tuple[str, dict[str, Any]],
) -> None:
    # Opspor never queries the client's FHIR server: the prefetch is all it reads.
    token, body = call
    del body["prefetch"]
    body["fhirServer"] = "https://ehr.example/fhir"
    _refused(post(body, token), 412, "patient, conditions, observations, encounters")


def test_an_operation_outcome_for_a_needed_key_is_412(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["prefetch"]["observations"] = {"resourceType": "OperationOutcome", "issue": []}
    _refused(post(body, token), 412, "observations")


def test_null_for_a_search_means_none_found(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    body["prefetch"]["familyHistory"] = None
    body["prefetch"]["conditions"] = None
    response = post(body, token)
    assert response.status_code == 200
    assert response.json()["cards"]


def test_optional_keys_may_be_left_out(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    for key in ("medicationStatements", "familyHistory"):
        del body["prefetch"][key]
    assert post(body, token).status_code == 200


def test_an_unknown_service_is_404(call: tuple[str, dict[str, Any]]) -> None:
    token, body = call
    response = Client().post(
        "/cds-services/no-such-service",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    _refused(response, 404, "no-such-service")


def test_get_on_the_service_is_405(call: tuple[str, dict[str, Any]]) -> None:
    token, _ = call
    response = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
