from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from opspor.accounts.models import Role, User
from opspor.records import selectors


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def practice_patients(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.role != Role.GP:
        raise PermissionDenied
    patients = selectors.practice_patient_list(user=user, search=request.GET.get("q", "").strip())
    return render(
        request,
        "records/practice_patients.html",
        {"patients": patients[:200], "practice": selectors.practice_of(user)},
    )


@login_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    record = selectors.patient_record(user=_user(request), patient_id=patient_id)
    return render(request, "records/patient_detail.html", {"record": record})


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    patient = getattr(user, "patient", None)
    if user.role != Role.PATIENT or patient is None:
        raise Http404
    record = selectors.patient_record(user=user, patient_id=patient.pk, what="own record")
    return render(request, "records/patient_detail.html", {"record": record, "own": True})
