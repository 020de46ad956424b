from __future__ import annotations

from datetime import date

import pytest

from opspor.records.models import Symptom
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_change_to_a_clinical_row_keeps_who_when_and_what() -> None:
    gp = factories.gp()
    patient = factories.patient(gp.practice)
    symptom = Symptom(
        patient=patient, code="cough", onset=date(2025, 1, 1), recorded_on=date(2025, 2, 1)
    )
    symptom._history_user = gp.user  # type: ignore[attr-defined]
    symptom.save()
    symptom.persistent = True
    symptom.patient_words = "Hosten går ikke væk"
    symptom._history_user = gp.user  # type: ignore[attr-defined]
    symptom.save()

    versions = list(symptom.history.order_by("history_date"))  # type: ignore[attr-defined]
    assert [v.history_type for v in versions] == ["+", "~"]
    assert all(v.history_user == gp.user for v in versions)
    assert versions[0].persistent is False and versions[1].persistent is True
    delta = versions[1].diff_against(versions[0])
    assert {change.field for change in delta.changes} == {"persistent", "patient_words"}


def test_deleting_a_clinical_row_is_recorded() -> None:
    patient = factories.patient()
    symptom = Symptom.objects.create(
        patient=patient, code="fatigue", onset=date(2025, 1, 1), recorded_on=date(2025, 1, 2)
    )
    pk = symptom.pk
    symptom.delete()
    history = Symptom.history.filter(id=pk).order_by("history_date")  # type: ignore[attr-defined]
    assert [v.history_type for v in history] == ["+", "-"]


def test_patient_demographics_keep_their_history() -> None:
    patient = factories.patient(lives_alone=False)
    patient.lives_alone = True
    patient.save()
    assert [v.lives_alone for v in patient.history.order_by("history_date")] == [False, True]  # type: ignore[attr-defined]
