"""Two practices and a patient whose record has a row of every kind, for the tests of the
record's pages and of the patient's own pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from opspor.accounts.models import User
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Clinician,
    Condition,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    Practice,
    Symptom,
)
from tests import factories


@dataclass
class Practices:
    gp: Clinician
    user: User
    own: Practice
    other: Practice
    mine: Patient
    theirs: Patient


def make_practices() -> Practices:
    gp = factories.gp()
    assert gp.practice is not None
    assert gp.user is not None
    other = factories.practice()
    mine = factories.patient(gp.practice, name="Karen Holm")
    theirs = factories.patient(other, name="Svend Ibsen")
    return Practices(gp=gp, user=gp.user, own=gp.practice, other=other, mine=mine, theirs=theirs)


def firefighter(practice: Practice, own_gp: Clinician) -> Patient:
    """A patient whose record has a row of every kind, some of it older than two years."""
    today = timezone.localdate()
    patient = factories.patient(
        practice,
        name="Michael Frandsen",
        birth_date=date(1980, 3, 4),
        sex="male",
        own_gp=own_gp,
        occupation="former_firefighter",
        smoking="former",
        preferred_language="tr",
        interpreter_needed=True,
        lives_alone=True,
        story="firefighter-cough",
    )
    recent = factories.contact(
        patient, on=today - timedelta(days=10), clinician=own_gp, reason_codes=["R05"]
    )
    factories.contact(patient, on=today - timedelta(days=40), kind="phone", reason_codes=["A04"])
    factories.contact(patient, on=today - timedelta(days=365 * 3), note="Rygsmerter efter løft")
    Symptom.objects.create(
        patient=patient,
        contact=recent,
        code="cough",
        onset=today - timedelta(days=60),
        recorded_on=today - timedelta(days=10),
        persistent=True,
        patient_words="Jeg hoster og tænker på røgen",
    )
    LabResult.objects.create(
        patient=patient,
        code="crp",
        value=34.0,
        unit="mg/L",
        reference_high=8.0,
        taken_on=today - timedelta(days=9),
    )
    Condition.objects.create(patient=patient, code="K86", system="icpc2", label="Hypertension")
    Condition.objects.create(
        patient=patient, code="J45", system="icd10", label="Astma", chronic=True
    )
    Medication.objects.create(
        patient=patient, atc="R03AK06", name="Seretide", start=date(2015, 1, 1)
    )
    ClinicalFinding.objects.create(
        patient=patient, code="chest_xray_suggests_lung_cancer", found_on=today
    )
    CancerDiagnosis.objects.create(patient=patient, diagnosed_on=today, site="kidney", icd10="C64")
    OccupationalExposure.objects.create(patient=patient, code="firefighting_smoke", years=18)
    FamilyHistory.objects.create(patient=patient, relation="father", cancer_site="lung")
    return patient
