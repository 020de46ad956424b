"""Patients without a CPR number: records from other countries, replacement numbers."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from opspor.records.models import Patient, PatientIdentifier
from tests import factories

pytestmark = pytest.mark.django_db


def _without_cpr(**fields: object) -> Patient:
    defaults: dict[str, object] = {
        "cpr": "",
        "name": "X",
        "birth_date": date(1970, 1, 1),
        "sex": "female",
        "practice": factories.practice(),
        "registered_from": date(2000, 1, 1),
    }
    return Patient(**{**defaults, **fields})


def test_a_patient_without_a_cpr_number_is_valid_and_stored_as_none() -> None:
    patient = _without_cpr()
    patient.full_clean()
    patient.save()
    assert Patient.objects.get().cpr is None
    with translation.override("en"):
        assert patient.masked_cpr == "no CPR number"
    with translation.override("da"):
        assert patient.masked_cpr == "intet CPR-nummer"


def test_two_patients_without_a_cpr_number_do_not_collide() -> None:
    practice = factories.practice()
    for _ in range(2):
        patient = _without_cpr(practice=practice)
        patient.full_clean()
        patient.save()
    assert Patient.objects.filter(cpr__isnull=True).count() == 2


def test_a_given_cpr_number_is_still_checked_against_the_birth_date() -> None:
    patient = _without_cpr(cpr="1705700003", birth_date=date(1970, 5, 18))
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert "birth_date" in error.value.message_dict


def test_an_identifier_belongs_to_one_patient_only() -> None:
    first, second = factories.patient(), factories.patient()
    PatientIdentifier.objects.create(
        patient=first, system="urn:oid:2.16.578.1.12.4.1.4.1", value="1"
    )
    with transaction.atomic(), pytest.raises(IntegrityError):
        PatientIdentifier.objects.create(
            patient=second, system="urn:oid:2.16.578.1.12.4.1.4.1", value="1"
        )
    assert PatientIdentifier.objects.count() == 1
