"""The prefetch read into the engine's context: medicines by reference, the size limit, and
no prefetch, however malformed, making the service fail."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from opspor.accounts.tokens import api_token_issue
from opspor.interop import codings as cs
from opspor.interop.cds_hooks.prefetch import patient_context_from, read_prefetch
from opspor.records.models import AccessLogEntry
from tests import factories
from tests.interop.cds_prefetch import practitioner
from tests.interop.test_cds_hooks import hook_request, post, returning_man

pytestmark = pytest.mark.django_db


def _request_bundle(start: date, stop: date | None) -> dict[str, Any]:
    period = {"start": start.isoformat()} | ({"end": stop.isoformat()} if stop else {})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "status": "active",
                    "intent": "order",
                    "subject": {"reference": "Patient/p1"},
                    "medicationReference": {"reference": "Medication/m1"},
                    "authoredOn": start.isoformat(),
                    "dispenseRequest": {"validityPeriod": period},
                }
            },
            {
                "search": {"mode": "include"},
                "resource": {
                    "resourceType": "Medication",
                    "id": "m1",
                    "code": {"coding": [{"system": cs.ATC, "code": "C09AA05"}]},
                },
            },
        ],
    }


def _empty() -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset"}


def test_a_medicine_named_by_reference_is_read_from_the_included_medication() -> None:
    today = timezone.localdate()
    prefetch = {
        "patient": {
            "resourceType": "Patient",
            "id": "p1",
            "gender": "female",
            "birthDate": "1950-02-03",
        },
        "conditions": _empty(),
        "observations": _empty(),
        "encounters": _empty(),
        "medicationRequests": _request_bundle(today - timedelta(days=30), None),
    }
    context = patient_context_from(
        read_prefetch(prefetch, patient_id="p1"), as_of=today, current_clinician=None
    )
    (medicine,) = context.medications
    assert (medicine.atc, medicine.start, medicine.stop) == (
        "C09AA05",
        today - timedelta(days=30),
        None,
    )


def test_a_body_over_the_limit_is_413_and_nothing_logged(settings: Settings) -> None:
    gp = factories.gp()
    assert gp.user is not None and gp.practice is not None
    patient = returning_man(gp.practice)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = post(hook_request(patient, practitioner(gp.pk) or ""), api_token_issue(user=gp.user))
    assert response.status_code == 413
    assert "larger" in response.json()["detail"]
    assert not AccessLogEntry.objects.exists()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
# A resource of the right type with odd fields: what a valid-looking Bundle may still hold.
_resource = st.fixed_dictionaries(
    {"resourceType": st.sampled_from(["Condition", "Observation", "Encounter"])},
    optional={
        "subject": st.just({"reference": "Patient/patient-1"}) | _json,
        "code": _json,
        "status": st.sampled_from(["final", "finished", "x"]),
        "class": _json,
        "period": _json,
        "effectiveDateTime": st.sampled_from(["2020-01-01", "2020", "x"]),
    },
)
_keys = st.sampled_from(["patient", "conditions", "observations", "encounters", "familyHistory"])


@hypothesis_settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=_keys,
    value=_json
    | st.fixed_dictionaries(
        {
            "resourceType": st.sampled_from(["Bundle", "Patient", "Condition"]),
            "entry": _json,
            "type": st.just("searchset"),
        }
    )
    | st.fixed_dictionaries(
        {
            "resourceType": st.just("Bundle"),
            "type": st.just("searchset"),
            "entry": st.lists(st.fixed_dictionaries({"resource": _resource}), max_size=3),
        }
    ),
)
@example(key="conditions", value={"resourceType": "Bundle", "entry": True, "type": "searchset"})
@example(key="encounters", value={"resourceType": "Bundle", "entry": [True], "type": "searchset"})
@example(key="patient", value={"resourceType": "Patient", "gender": 3})
def test_no_malformed_prefetch_value_makes_the_service_fail(key: str, value: Any) -> None:
    gp = factories.gp()
    assert gp.user is not None and gp.practice is not None
    patient = factories.patient(gp.practice)
    body = hook_request(patient, practitioner(gp.pk) or "")
    body["prefetch"][key] = value
    response = post(body, api_token_issue(user=gp.user))
    assert response.status_code in (200, 400, 412), response.content
    if response.status_code != 200:
        assert response.json()["detail"]
