"""The patient's own pages: their record with what happens next with each referral, and
their whole contact history.

Each view first checks that the user is a patient (403 otherwise, before any record is
read, so nothing is logged); a patient's user without a record is told so (404). The reads
go through the record's selectors, which log them.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role, User
from opspor.portal.patient_status import my_referral_steps
from opspor.records import selectors
from opspor.records.models import Patient


def _patient_user(request: HttpRequest) -> User:
    return require_role(request.user, Role.PATIENT)


def _own_patient(user: User) -> Patient | None:
    return getattr(user, "patient", None)


def _no_record(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/no_record.html", status=404)


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    user = _patient_user(request)
    patient = _own_patient(user)
    if patient is None:
        return _no_record(request)
    page = selectors.record_page(
        user=user,
        patient_id=patient.pk,
        what="own record",
        all_contacts=request.GET.get("contacts") == "all",
    )
    # What happens next with each referral: who will contact the patient, and by when.
    steps = my_referral_steps(user=user, patient=page.record.patient)
    return render(
        request,
        "portal/my_record.html",
        {
            "page": page,
            "own": True,
            "referral_steps": steps,
            "record_url": reverse("portal:my_record"),
            "all_contacts_url": reverse("portal:my_contacts"),
        },
    )


@login_required
def my_contacts(request: HttpRequest) -> HttpResponse:
    """The whole contact history, loaded into the record page on request."""
    user = _patient_user(request)
    patient = _own_patient(user)
    if patient is None:
        return _no_record(request)
    own, contacts = selectors.patient_contacts(user=user, patient_id=patient.pk)
    return render(
        request,
        "records/_contacts.html",
        {"patient": own, "contacts": contacts, "older_contacts": 0},
    )
