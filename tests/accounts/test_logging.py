"""No patient identifiers in application logs."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from opspor.accounts.logging import REDACTED, RedactPatientData, redact
from tests import factories


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("t", logging.ERROR, __file__, 1, message, args, exc_info)


def test_cpr_in_message_and_arguments_is_redacted() -> None:
    record = _record("looked up %s and 170570-0003", "1705700004")
    RedactPatientData().filter(record)
    assert record.getMessage() == f"looked up {REDACTED} and {REDACTED}"


def test_cpr_in_an_exception_traceback_is_redacted() -> None:
    try:
        raise ValueError("bad patient 1705700003")
    except ValueError as error:
        record = _record("failed", exc=error)
    RedactPatientData().filter(record)
    assert record.exc_text is not None
    assert "1705700003" not in record.exc_text and REDACTED in record.exc_text


def test_longer_numbers_are_left_alone() -> None:
    assert redact("order 123456789012") == "order 123456789012"


@given(
    st.from_regex(r"\A[0-3]\d[01]\d\d\d-?\d{4}\Z"),
    st.text(alphabet="abc .:"),
    st.text(alphabet="xyz ,"),
)
def test_any_cpr_shaped_number_is_redacted(cpr: str, before: str, after: str) -> None:
    cleaned = redact(before + cpr + after)
    assert cpr not in cleaned
    assert REDACTED in cleaned


@pytest.mark.django_db
def test_reading_a_record_writes_no_patient_data_to_the_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gp = factories.gp()
    patient = factories.patient(gp.practice, name="Birthe Sørensen")
    client = Client()
    client.force_login(gp.user)
    with caplog.at_level(logging.DEBUG):
        client.get(f"/patients/{patient.pk}/")
        client.get(f"/patients/{patient.pk + 1000}/")  # a 404 is logged as a warning
    text = caplog.text
    assert patient.cpr not in text
    assert "Birthe" not in text
