"""The record as the engine's input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import Http404

from opspor.engine.assess import assess
from opspor.records import selectors
from opspor.records.context import SYMPTOM_DAYS, build_patient_context
from opspor.records.models import (
    AccessLogEntry,
    Condition,
    LabResult,
    OccupationalExposure,
    Symptom,
)
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)


def test_context_carries_the_record_and_the_current_clinician() -> None:
    gp = factories.gp()
    patient = factories.patient(
        gp.practice, birth_date=date(1968, 3, 1), sex="male", lives_alone=True
    )
    # 23:30 UTC on 19 November is 00:30 on 20 November in Copenhagen: the local date counts.
    factories.contact(
        patient, on=TODAY, clinician=gp, at=datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
    )
    factories.contact(patient, on=TODAY - timedelta(days=2000), clinician=None)
    Symptom.objects.create(
        patient=patient, code="haemoptysis", onset=TODAY - timedelta(days=9), recorded_on=TODAY
    )
    Symptom.objects.create(
        patient=patient,
        code="cough",
        onset=TODAY - timedelta(days=SYMPTOM_DAYS + 40),
        recorded_on=TODAY - timedelta(days=SYMPTOM_DAYS + 30),
    )
    LabResult.objects.create(
        patient=patient, code="platelets", value=480, unit="10^9/L", taken_on=TODAY
    )
    Condition.objects.create(patient=patient, code="J44", system="icd10", chronic=True)
    OccupationalExposure.objects.create(patient=patient, code="asbestos")

    context = build_patient_context(patient, as_of=TODAY, current_clinician_id=gp.pk)

    assert context.current_clinician == f"clinician-{gp.pk}"
    assert sorted(c.date for c in context.contacts) == [TODAY - timedelta(days=2000), TODAY]
    assert [s.code for s in context.symptoms] == ["haemoptysis"]  # the old cough is left out
    assert context.patient.occupational_exposures == ("asbestos",)
    assert context.labs[0].value == 480
    assert context.conditions[0].chronic
    result = assess(context, ruleset="nice-ng12")
    assert "ng12-1.1.1-haemoptysis" in {f.rule_id for f in result.of_kind("guideline_criterion")}
    assert result.of_kind("long_absence")


def test_the_selector_logs_the_overview_read() -> None:
    gp = factories.gp()
    patient = factories.patient(gp.practice)
    got, context = selectors.patient_context(user=gp.user, patient_id=patient.pk, as_of=TODAY)
    assert got == patient and context.as_of == TODAY
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.patient, entry.what) == (gp.user, patient, "overview")


def test_another_practice_gets_404_and_only_the_refusal_is_logged() -> None:
    patient = factories.patient()
    stranger = factories.gp().user
    with pytest.raises(Http404):
        selectors.patient_context(user=stranger, patient_id=patient.pk, as_of=TODAY)
    assert factories.only_refused(AccessLogEntry.objects.all(), stranger, patient)
