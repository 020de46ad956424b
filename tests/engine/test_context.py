"""Bad input to the engine: a clear error naming every offending field, and quickly."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from opspor.engine.assess import assess
from opspor.engine.context import MAX_CONTACTS, PatientContext


def _base(**extra: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "as_of": "2026-06-15",
        "patient": {"birth_date": "1970-01-01", "sex": "female"},
    }
    ctx.update(extra)
    return ctx


def _errors(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as error:
        PatientContext.model_validate(data)
    return {".".join(map(str, e["loc"])): e["msg"] for e in error.value.errors()}


def test_a_minimal_context_is_accepted() -> None:
    assert PatientContext.model_validate(_base()).age() == 56


def test_missing_fields_are_named() -> None:
    errors = _errors({"patient": {"sex": "female"}})
    assert {"as_of", "patient.birth_date"} <= set(errors)


def test_wrong_types_and_unknown_fields_are_named() -> None:
    errors = _errors(
        _base(
            contacts=[{"date": "yesterday"}],
            labs=[{"code": "crp", "value": "high", "unit": "mg/L", "date": "2026-01-01"}],
            colour="blue",
        )
    )
    assert set(errors) == {"contacts.0.date", "labs.0.value", "colour"}


def test_unknown_codes_are_named() -> None:
    errors = _errors(
        _base(
            symptoms=[
                {"code": "cough", "onset": "2026-01-01"},
                {"code": "sadness", "onset": "2026-01-01"},
            ],
            findings=[{"code": "xray_bad", "date": "2026-01-01"}],
            labs=[{"code": "unobtainium", "value": 1, "unit": "x", "date": "2026-01-01"}],
        )
    )
    assert set(errors) == {"symptoms.1.code", "findings.0.code", "labs.0.code"}
    assert "sadness" in errors["symptoms.1.code"]


def test_dates_after_as_of_are_refused_with_their_paths() -> None:
    errors = _errors(_base(symptoms=[{"code": "cough", "onset": "2026-07-01"}]))
    (message,) = errors.values()
    assert "symptoms.0.onset" in message


@pytest.mark.parametrize("as_of", ["0001-01-05", "1899-12-31"])
def test_an_as_of_before_1900_is_refused(as_of: str) -> None:
    # Was an OverflowError (a server error over the API): the signals' baselines start years
    # before `as_of`, before the first day a date can hold.
    errors = _errors(_base(as_of=as_of, patient={"birth_date": "0001-01-01", "sex": "male"}))
    assert errors == {"as_of": "Value error, as_of must be on or after 1900-01-01"}


def test_the_earliest_as_of_is_assessed() -> None:
    context = PatientContext.model_validate(
        _base(as_of="1900-01-01", patient={"birth_date": "1850-01-01", "sex": "male"})
    )
    assert assess(context).as_of == date(1900, 1, 1)


def test_atc_codes_have_the_atc_shape() -> None:
    errors = _errors(_base(medications=[{"atc": "aspirin", "start": "2026-01-01"}]))
    assert set(errors) == {"medications.0.atc"}


def test_a_context_of_100000_contacts_is_refused_quickly_with_the_limit() -> None:
    contacts = [{"date": "2026-01-01", "clinician": "A"}] * 100_000
    started = time.perf_counter()
    errors = _errors(_base(contacts=contacts))
    elapsed = time.perf_counter() - started
    assert set(errors) == {"contacts"}
    assert str(MAX_CONTACTS) in errors["contacts"]
    assert elapsed < 5  # refused, not processed: a hang would be minutes


def test_the_limit_itself_is_accepted() -> None:
    contacts = [{"date": "2026-01-01", "clinician": "A"}] * MAX_CONTACTS
    assert len(PatientContext.model_validate(_base(contacts=contacts)).contacts) == MAX_CONTACTS
