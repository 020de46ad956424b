"""Who may call the service, and for which patient.

The only database reads of a call are here: the caller's token, the patient's identity
(to decide access and to link to Opspor's page for the patient) and, for a unit doctor,
whether a case of the patient was sent to their unit. The clinical record itself is never
read: the prefetch is the record.

- A GP may ask about a patient listed with their own practice.
- A diagnostic-unit doctor may ask about a patient with a referral or an advice request
  sent to their unit (what they see of the patient in Opspor too).
- The patient is found by the identifiers of the prefetched Patient: the CPR number
  (``urn:oid:1.2.208.176.1.2``) or another identifier Opspor keeps (`PatientIdentifier`);
  a Patient with no identifier at all is looked up by the FHIR id an import recorded
  (`ImportedResource`). An unknown patient and one outside the caller's reach are both
  answered 404, as the rest of the API does; the second is logged as a refused read.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse

from opspor.accounts.models import Role, User
from opspor.interop import codings as cs
from opspor.interop.models import ImportedResource
from opspor.interop.reading import PatientItem
from opspor.records.cpr import InvalidCPR, normalise
from opspor.records.models import Patient
from opspor.records.selectors import practice_of
from opspor.records.services import record_read_log, record_read_refused
from opspor.referrals.selectors import advice_requests_visible_to, referrals_visible_to

CHANNEL = "cds-hooks"
WHAT = "CDS Hooks patient-view"
CALLER_ROLES = (Role.GP, Role.UNIT_DOCTOR)


class AmbiguousPatient(Exception):
    """The Patient's identifiers name more than one patient in Opspor."""


def patient_by_identity(item: PatientItem, *, fhir_id: str) -> Patient | None:
    """The patient the prefetched Patient names, or None; one query (two without an
    identifier)."""
    match = Q()
    for system, value in item.identifiers:
        if system == cs.CPR:
            # A value that is no CPR number Opspor could hold: other identifiers may do.
            with contextlib.suppress(InvalidCPR):
                match |= Q(cpr=normalise(value))
        match |= Q(identifiers__system=system, identifiers__value=value)
    if item.identifiers:
        found = list(Patient.objects.filter(match).distinct()[:2])
    else:
        rows = ImportedResource.objects.filter(
            resource_type="Patient",
            fhir_id=fhir_id,
            row_type=ContentType.objects.get_for_model(Patient),
        ).values("row_id")
        found = list(Patient.objects.filter(pk__in=rows)[:2])
    if len(found) > 1:
        raise AmbiguousPatient
    return found[0] if found else None


@dataclass(frozen=True)
class Granted:
    patient: Patient
    app_path: str  # where the card's link leads in Opspor
    to_case: bool


def granted(user: User, patient: Patient) -> Granted | None:
    """What `user` may open of `patient` in Opspor, or None where they may not see them."""
    if user.role == Role.GP:
        practice = practice_of(user)
        if practice is None or patient.practice_id != practice.pk:
            return None
        return Granted(patient, reverse("records:patient_overview", args=[patient.pk]), False)
    if user.role == Role.UNIT_DOCTOR:
        case = (
            referrals_visible_to(user).filter(patient=patient).order_by("-pk").first()
            or advice_requests_visible_to(user).filter(patient=patient).order_by("-pk").first()
        )
        if case is None:
            return None
        return Granted(patient, case.get_absolute_url(), True)
    return None


def log_read(user: User, patient: Patient) -> None:
    record_read_log(user=user, patient=patient, what=WHAT, channel=CHANNEL)


def log_refused(user: User, patient: Patient) -> None:
    record_read_refused(user=user, patient=patient, what=WHAT, channel=CHANNEL)
