"""The GP's actions on a patient's preparation, from the panel on the patient overview:
confirm one symptom or risk factor into the record, and send trusted links in answer to
what the patient read.

The patient's own pages live under /patients/me/ (`urls.py`); these are the GP's, under
the patient's id like the record's own pages, /patients/<id>/preparation/... (`urls_gp.py`,
included from the project's URLs with the namespace `gp_preparation`), so that neither side
ever reaches the other's views through its own prefix.

Each view is a plain form POST from the overview, answered with a redirect back to it
(where the form was, `#preparation`) and the outcome as a message, like the overview's
other small forms (a signal's dismissal). A GP only (403 before anything is read); a
patient of another practice is 404 with the refused read kept in the access log, and a
preparation or item that is not the patient's is 404; nothing is read or changed then, and
a service's refusal is a message, with nothing changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role, User
from opspor.casework.errors import WorkflowError, screen_text
from opspor.portal.models import Preparation, PreparedRiskFactor, PreparedSymptom
from opspor.portal.services import review
from opspor.records.models import Patient
from opspor.records.selectors import patients_visible_to
from opspor.records.services import record_read_refused
from opspor.records.templatetags.clinical import vocab_label

ANCHOR = "#preparation"


def _back(request: HttpRequest, patient: Patient) -> HttpResponse:
    target = request.POST.get("next", "")
    if not (
        target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        target = reverse("records:patient_overview", args=[patient.pk])
    return redirect(target.split("#")[0] + ANCHOR)


def _preparation(
    request: HttpRequest, patient_id: int, preparation_id: int
) -> tuple[User, Preparation]:
    user = require_role(request.user, Role.GP)
    patient = patients_visible_to(user).filter(pk=patient_id).first()
    if patient is None:
        # Another practice's patient: the same 404 as no patient, and the attempt kept.
        other = Patient.objects.filter(pk=patient_id).first()
        if other is not None:
            record_read_refused(user=user, patient=other, what="preparation")
        raise Http404("No such patient")
    preparation = get_object_or_404(
        Preparation.objects.select_related("patient"), pk=preparation_id, patient=patient
    )
    return user, preparation


def _refused(request: HttpRequest, refusal: WorkflowError) -> None:
    if refusal.code == "forbidden":
        raise PermissionDenied(refusal.message)
    messages.error(request, screen_text(refusal))


def _already(request: HttpRequest, confirmed: review.Confirmed) -> None:
    day = formats.date_format(timezone.localtime(confirmed.at), "SHORT_DATE_FORMAT")
    by = confirmed.by
    name = ""
    if by is not None:
        clinician = getattr(by, "clinician", None)
        name = clinician.name if clinician is not None else by.get_full_name() or by.username
    messages.info(
        request,
        gettext("This was already added to the record on %(day)s by %(who)s. Nothing was added.")
        % {"day": day, "who": name},
    )


@login_required
@require_POST
def symptom_confirm(
    request: HttpRequest, patient_id: int, preparation_id: int, item_id: int
) -> HttpResponse:
    user, preparation = _preparation(request, patient_id, preparation_id)
    item = get_object_or_404(PreparedSymptom, pk=item_id, preparation=preparation)
    try:
        confirmed = review.symptom_confirm(item=item, by=user)
    except WorkflowError as refusal:
        _refused(request, refusal)
        return _back(request, preparation.patient)
    if confirmed.new:
        messages.success(
            request,
            gettext("Added to the record: %(what)s.") % {"what": vocab_label(item.code)},
        )
    else:
        _already(request, confirmed)
    return _back(request, preparation.patient)


@login_required
@require_POST
def risk_factor_confirm(
    request: HttpRequest, patient_id: int, preparation_id: int, item_id: int
) -> HttpResponse:
    user, preparation = _preparation(request, patient_id, preparation_id)
    item = get_object_or_404(PreparedRiskFactor, pk=item_id, preparation=preparation)
    try:
        confirmed = review.risk_factor_confirm(item=item, by=user)
    except WorkflowError as refusal:
        _refused(request, refusal)
        return _back(request, preparation.patient)
    if confirmed.new:
        messages.success(request, gettext("The risk factor was added to the record."))
    else:
        _already(request, confirmed)
    return _back(request, preparation.patient)


@login_required
@require_POST
def trusted_links_send(request: HttpRequest, patient_id: int, preparation_id: int) -> HttpResponse:
    user, preparation = _preparation(request, patient_id, preparation_id)
    try:
        answered = review.trusted_links_answer(
            preparation=preparation, links=request.POST.getlist("link"), by=user
        )
    except WorkflowError as refusal:
        _refused(request, refusal)
        return _back(request, preparation.patient)
    if any(a.new for a in answered):
        messages.success(request, gettext("Sent. The patient sees the links on their own page."))
    else:
        messages.info(request, gettext("The patient already has these links. Nothing was sent."))
    return _back(request, preparation.patient)
