"""Reads of the clinical record shared by the views and the API.

Access is decided here, once: every function that returns a patient's record takes the
requesting user, narrows to the patients that user may see, and logs the read only after
access has been granted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.engine.context import PatientContext
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Condition,
    Contact,
    DiagnosticUnit,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    Practice,
    Symptom,
)
from opspor.records.services import record_read_log, record_read_refused_of


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


def patient_get(*, user: User, patient_id: int, what: str, channel: str | None = None) -> Patient:
    """One patient the user may see, with the read logged; 404 for every other id.

    A patient outside the user's reach gives the same answer as one that does not exist,
    so that the existence of a record is not revealed; the attempt is logged as refused.
    """
    try:
        patient = patients_visible_to(user).select_related("practice", "own_gp").get(pk=patient_id)
    except Patient.DoesNotExist:
        if Patient.objects.filter(pk=patient_id).exists():
            record_read_refused_of(user=user, patient_id=patient_id, what=what, channel=channel)
        raise Http404("No such patient") from None
    record_read_log(user=user, patient=patient, what=what, channel=channel)
    return patient


def patient_record(
    *,
    user: User,
    patient_id: int,
    what: str = "record",
    channel: str | None = None,
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


# Reads behind the role start pages and the record page. They add no access rule of their
# own to the record: every named read goes through `patient_get` above.


def practice_patient_search(
    *, user: User, search: str = "", stories_only: bool = False
) -> QuerySet[Patient]:
    """The GP's patient list, optionally narrowed to the fictional story patients."""
    patients = practice_patient_list(user=user, search=search)
    if stories_only:
        patients = patients.exclude(story="")
    return patients


RECENT_CONTACT_YEARS = 2


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class LabSeries:
    """The newest result of one lab test, with the one before it for comparison."""

    latest: LabResult
    previous: LabResult | None
    count: int


@dataclass(frozen=True)
class RecordPage:
    record: PatientRecord
    age: int
    contacts_since: date | None
    older_contacts: int
    latest_labs: list[LabSeries]
    current_medications: list[Medication]
    past_medications: list[Medication]


def _lab_series(results: list[LabResult]) -> list[LabSeries]:
    by_code: dict[str, list[LabResult]] = {}
    for result in results:  # newest first, as `patient_record` orders them
        by_code.setdefault(result.code, []).append(result)
    series = [
        LabSeries(latest=rows[0], previous=rows[1] if len(rows) > 1 else None, count=len(rows))
        for rows in by_code.values()
    ]
    # Results outside the reference interval first, so they are seen without scrolling.
    return sorted(series, key=lambda s: (not s.latest.flag, -s.latest.taken_on.toordinal()))


def record_page(
    *,
    user: User,
    patient_id: int,
    what: str = "record",
    all_contacts: bool = False,
    today: date | None = None,
) -> RecordPage:
    """Everything the record page shows; contacts of the last two years unless asked for all.

    The full contact history runs to hundreds of rows for a frequent attender, so the page
    opens on the recent part and says how many older contacts there are.
    """
    today = today or timezone.localdate()
    since = None if all_contacts else _years_before(today, RECENT_CONTACT_YEARS)
    record = patient_record(user=user, patient_id=patient_id, what=what, contacts_since=since)
    older = 0
    if since is not None:
        older = Contact.objects.filter(patient=record.patient, at__date__lt=since).count()
    current = [m for m in record.medications if m.stop is None or m.stop >= today]
    past = [m for m in record.medications if m.stop is not None and m.stop < today]
    return RecordPage(
        record=record,
        age=record.patient.age_on(today),
        contacts_since=since,
        older_contacts=older,
        latest_labs=_lab_series(record.lab_results),
        current_medications=current,
        past_medications=past,
    )


def patient_contacts(*, user: User, patient_id: int) -> tuple[Patient, list[Contact]]:
    """The whole contact history of one patient, newest first (the read is logged)."""
    patient = patient_get(user=user, patient_id=patient_id, what="contacts")
    contacts = Contact.objects.filter(patient=patient).select_related("clinician").order_by("-at")
    return patient, list(contacts)


def unit_of(user: User) -> DiagnosticUnit | None:
    if user.role != Role.UNIT_DOCTOR:
        return None
    clinician = getattr(user, "clinician", None)
    return clinician.unit if clinician is not None else None


@dataclass(frozen=True)
class UnitOverview:
    unit: DiagnosticUnit
    practices: list[Practice]


def unit_overview(*, user: User) -> UnitOverview | None:
    """The unit doctor's own diagnostic unit and the directory of its catchment practices."""
    unit = unit_of(user)
    if unit is None:
        return None
    practices = Practice.objects.filter(diagnostic_unit=unit).order_by("name")
    return UnitOverview(unit=unit, practices=list(practices))


def patient_context(
    *, user: User, patient_id: int, as_of: date | None = None
) -> tuple[Patient, PatientContext]:
    """The patient and their record as the engine's input, with the read logged."""
    from opspor.records.context import patient_context_for

    patient = patient_get(user=user, patient_id=patient_id, what="overview")
    return patient, patient_context_for(patient, as_of=as_of or timezone.localdate(), viewer=user)


@dataclass(frozen=True)
class PatientOverview:
    """The engine's input and, beside it, what the record says in words.

    The context carries codes only; the patient's own words and the years and notes of an
    exposure are what the study found dismissed, so the overview shows them next to the
    codes. The symptom window is the context's own, so the page shows what the engine used.
    """

    patient: Patient
    context: PatientContext
    symptoms: list[Symptom]
    exposures: list[OccupationalExposure]
    family_history: list[FamilyHistory]


def patient_overview(*, user: User, patient_id: int, as_of: date | None = None) -> PatientOverview:
    from opspor.records.context import SYMPTOM_DAYS

    patient, context = patient_context(user=user, patient_id=patient_id, as_of=as_of)
    day = context.as_of
    symptoms = Symptom.objects.filter(
        patient=patient, recorded_on__gte=day - timedelta(days=SYMPTOM_DAYS), onset__lte=day
    ).order_by("-recorded_on", "code")
    return PatientOverview(
        patient=patient,
        context=context,
        symptoms=list(symptoms),
        exposures=list(OccupationalExposure.objects.filter(patient=patient).order_by("code")),
        family_history=list(FamilyHistory.objects.filter(patient=patient).order_by("relation")),
    )
