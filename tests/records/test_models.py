from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from opspor.records.models import Clinician, LabResult, Medication, Patient, Symptom
from tests import factories

pytestmark = pytest.mark.django_db


def test_patient_with_a_malformed_cpr_is_refused_and_not_saved() -> None:
    practice = factories.practice()
    patient = Patient(
        cpr="12345",
        name="X",
        birth_date=date(1970, 1, 1),
        sex="female",
        practice=practice,
        registered_from=date(2000, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert "cpr" in error.value.message_dict
    assert Patient.objects.count() == 0


def test_birth_date_must_match_the_cpr_number() -> None:
    practice = factories.practice()
    patient = Patient(
        cpr="1705700003",
        name="X",
        birth_date=date(1970, 5, 18),
        sex="male",
        practice=practice,
        registered_from=date(2000, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert "birth_date" in error.value.message_dict


def test_cpr_written_with_hyphen_is_stored_as_ten_digits() -> None:
    practice = factories.practice()
    patient = Patient(
        cpr="170570-0003",
        name="X",
        birth_date=date(1970, 5, 17),
        sex="male",
        practice=practice,
        registered_from=date(2000, 1, 1),
    )
    patient.full_clean()
    patient.save()
    assert Patient.objects.get().cpr == "1705700003"


def test_the_same_cpr_cannot_be_registered_twice() -> None:
    first = factories.patient()
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            cpr=first.cpr,
            name="Y",
            birth_date=first.birth_date,
            sex=first.sex,
            practice=first.practice,
            registered_from=date(2000, 1, 1),
        )
    assert Patient.objects.count() == 1


def test_registration_cannot_end_before_it_starts() -> None:
    patient = factories.patient()
    patient.registered_to = patient.registered_from - timedelta(days=1)
    with pytest.raises(ValidationError):
        patient.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        patient.save()
    patient.refresh_from_db()
    assert patient.registered_to is None


def test_a_patient_never_prints_identifying_data() -> None:
    patient = factories.patient(name="Karen Jensen")
    for text in (str(patient), repr(patient)):
        assert "Karen" not in text
        assert patient.cpr not in text
    assert patient.masked_cpr.endswith("-xxxx")


def test_clinician_must_belong_to_a_practice_or_a_unit() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Clinician.objects.create(name="Nobody", role=Clinician.Role.GP)
    with pytest.raises(IntegrityError), transaction.atomic():
        Clinician.objects.create(
            name="Both",
            role=Clinician.Role.UNIT_DOCTOR,
            unit=factories.unit(),
            practice=factories.practice(),
        )
    assert Clinician.objects.count() == 0


def test_symptom_onset_cannot_follow_its_recording() -> None:
    patient = factories.patient()
    with pytest.raises(IntegrityError), transaction.atomic():
        Symptom.objects.create(
            patient=patient, code="cough", onset=date(2025, 3, 2), recorded_on=date(2025, 3, 1)
        )
    assert Symptom.objects.count() == 0


def test_reference_interval_must_be_ordered_and_flags_follow_it() -> None:
    patient = factories.patient()
    with pytest.raises(IntegrityError), transaction.atomic():
        LabResult.objects.create(
            patient=patient,
            code="haemoglobin",
            value=7.0,
            unit="mmol/L",
            reference_low=9.5,
            reference_high=7.3,
            taken_on=date(2025, 1, 1),
        )
    low = LabResult(value=6.1, reference_low=7.3, reference_high=9.5)
    high = LabResult(value=10.2, reference_low=7.3, reference_high=9.5)
    normal = LabResult(value=8.0, reference_low=7.3, reference_high=9.5)
    assert (low.flag, high.flag, normal.flag) == ("low", "high", "")


def test_medication_cannot_stop_before_it_starts() -> None:
    patient = factories.patient()
    with pytest.raises(IntegrityError), transaction.atomic():
        Medication.objects.create(
            patient=patient, atc="N02BE01", start=date(2025, 2, 1), stop=date(2025, 1, 1)
        )


def test_age_on_a_day() -> None:
    patient = factories.patient(birth_date=date(1980, 6, 15))
    assert patient.age_on(date(2025, 6, 14)) == 44
    assert patient.age_on(date(2025, 6, 15)) == 45


def test_a_birth_date_in_the_future_is_refused() -> None:
    future = timezone.localdate() + timedelta(days=400)
    # Seventh digit 4 puts a year up to 36 in the 2000s, so the number itself is well formed.
    patient = Patient(
        cpr=f"{future:%d%m%y}4002",
        name="X",
        birth_date=future,
        sex="female",
        practice=factories.practice(),
        registered_from=date(2000, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert "birth_date" in error.value.message_dict


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (
            Symptom,
            {"code": "not_a_symptom", "onset": date(2025, 1, 1), "recorded_on": date(2025, 1, 1)},
        ),
        (
            LabResult,
            {"code": "unobtainium", "value": 1.0, "unit": "mmol/L", "taken_on": date(2025, 1, 1)},
        ),
    ],
)
def test_codes_outside_the_vocabulary_are_refused(model: type, fields: dict) -> None:
    row = model(patient=factories.patient(), **fields)
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert error.value.error_dict["code"][0].code == "unknown_code"
    assert model.objects.count() == 0


def test_vocabulary_codes_are_accepted() -> None:
    Symptom(
        patient=factories.patient(),
        code="haemoptysis",
        onset=date(2025, 1, 1),
        recorded_on=date(2025, 1, 2),
    ).full_clean()


def test_a_units_full_name_names_its_hospital_once() -> None:
    from opspor.records.models import DiagnosticUnit

    named = DiagnosticUnit(
        name="Diagnostisk Enhed, Herlev og Gentofte Hospital",
        hospital="Herlev og Gentofte Hospital",
    )
    assert named.full_name == "Diagnostisk Enhed, Herlev og Gentofte Hospital"
    plain = DiagnosticUnit(name="Diagnostisk Enhed", hospital="Bispebjerg Hospital")
    assert plain.full_name == "Diagnostisk Enhed, Bispebjerg Hospital"
