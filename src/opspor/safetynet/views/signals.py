"""Dismissing a signal from the worklist, with the reason (a small form on each item).

A GP only (403 before anything is read); a patient of another practice is 404 and nothing
is logged. The answer is always a redirect, to the page the form was on when that is a page
of this site, else to the patient's overview, with the outcome or the refusal as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from opspor.casework.errors import WorkflowError, screen_text
from opspor.casework.text import MAX_LINE_LENGTH
from opspor.records.selectors import patients_visible_to
from opspor.safetynet.signal_dismissal import signal_dismiss as dismiss
from opspor.safetynet.views.common import as_gp


def _back(request: HttpRequest, patient_id: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("records:patient_overview", patient_id)


@login_required
@require_POST
def signal_dismiss(request: HttpRequest, patient_id: int, kind: str) -> HttpResponse:
    user = as_gp(request)
    patient = get_object_or_404(patients_visible_to(user), pk=patient_id)
    try:
        dismiss(
            by=user,
            patient_id=patient.pk,
            kind=kind,
            reason=request.POST.get("reason", ""),
            idempotency_key=request.POST.get("key", "")[:MAX_LINE_LENGTH],
        )
    except WorkflowError as refusal:
        if refusal.code == "forbidden":
            raise PermissionDenied(refusal.message) from None
        if refusal.code == "invalid":
            messages.error(request, gettext("Write why the signal needs nothing now."))
        else:
            messages.error(request, screen_text(refusal))
        return _back(request, patient.pk)
    messages.success(
        request, gettext("Dismissed. The signal returns if it still holds after the next contact.")
    )
    return _back(request, patient.pk)
