"""Reads of the clinical record shared by the views and the API.

Access is decided here, once: every function that returns a patient's record takes the
requesting user, narrows to the patients that user may see, and logs the read only after
access has been granted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max, QuerySet
from django.http import Http404

from opspor.accounts.models import Role, User
from opspor.accounts.services import record_read_log
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Condition,
    Contact,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    Practice,
    Symptom,
)


def practice_of(user: User) -> Practice | None:
    if user.role != Role.GP:
        return None
    clinician = getattr(user, "clinician", None)
    return clinician.practice if clinician is not None else None


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """The patients whose record `user` may open.

    A GP sees the patients listed with their own practice; a patient sees only themself.
    Diagnostic-unit doctors see no record here: they see what a referral carries.
    Analysts work on pseudonymised population data, never on a named record.
    """
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    if user.role == Role.GP:
        practice = practice_of(user)
        if practice is None:
            return Patient.objects.none()
        return Patient.objects.filter(practice=practice)
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    return Patient.objects.none()


def practice_patient_list(*, user: User, search: str = "") -> QuerySet[Patient]:
    """The GP's list of their practice's patients with contact counts, newest contact first."""
    patients = patients_visible_to(user).filter(registered_to__isnull=True)
    if search:
        patients = patients.filter(name__icontains=search)
    return patients.annotate(
        n_contacts=Count("contacts"), last_contact=Max("contacts__at")
    ).order_by("name")


@dataclass(frozen=True)
class PatientRecord:
    patient: Patient
    contacts: list[Contact]
    symptoms: list[Symptom]
    lab_results: list[LabResult]
    conditions: list[Condition]
    medications: list[Medication]
    findings: list[ClinicalFinding]
    cancer_diagnoses: list[CancerDiagnosis]
    exposures: list[OccupationalExposure]
    family_history: list[FamilyHistory]


def patient_get(*, user: User, patient_id: int, what: str, channel: str = "web") -> Patient:
    """One patient the user may see, with the read logged; 404 for every other id.

    A patient outside the user's reach gives the same answer as one that does not exist,
    so that the existence of a record is not revealed, and nothing is logged as read.
    """
    try:
        patient = patients_visible_to(user).select_related("practice", "own_gp").get(pk=patient_id)
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None
    record_read_log(user=user, patient=patient, what=what, channel=channel)
    return patient


def patient_record(
    *,
    user: User,
    patient_id: int,
    what: str = "record",
    channel: str = "web",
    contacts_since: date | None = None,
) -> PatientRecord:
    patient = patient_get(user=user, patient_id=patient_id, what=what, channel=channel)
    contacts = Contact.objects.filter(patient=patient).select_related("clinician")
    if contacts_since is not None:
        contacts = contacts.filter(at__date__gte=contacts_since)
    return PatientRecord(
        patient=patient,
        contacts=list(contacts.order_by("-at")),
        symptoms=list(Symptom.objects.filter(patient=patient).order_by("-recorded_on", "code")),
        lab_results=list(LabResult.objects.filter(patient=patient).order_by("-taken_on", "code")),
        conditions=list(Condition.objects.filter(patient=patient).order_by("-chronic", "code")),
        medications=list(Medication.objects.filter(patient=patient).order_by("-start")),
        findings=list(ClinicalFinding.objects.filter(patient=patient).order_by("-found_on")),
        cancer_diagnoses=list(CancerDiagnosis.objects.filter(patient=patient)),
        exposures=list(OccupationalExposure.objects.filter(patient=patient)),
        family_history=list(FamilyHistory.objects.filter(patient=patient)),
    )


__all__ = [
    "PatientRecord",
    "patient_get",
    "patient_record",
    "patients_visible_to",
    "practice_of",
    "practice_patient_list",
]
