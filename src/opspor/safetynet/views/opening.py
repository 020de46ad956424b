"""Opening a safety net from the patient's overview: one form, prefilled from the record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from opspor.casework.errors import WorkflowError, screen_text, status_of
from opspor.casework.forms import new_token
from opspor.casework.idempotency import recalled_id
from opspor.records.context import SYMPTOM_DAYS
from opspor.records.models import Patient, Symptom
from opspor.records.presenters import SymptomGroup, symptom_groups
from opspor.records.selectors import patient_get
from opspor.records.templatetags.clinical import vocab_label
from opspor.safetynet import services
from opspor.safetynet.forms import EpisodeOpenForm, practice_gps
from opspor.safetynet.views.common import as_gp
from opspor.safetynet.workflow import EpisodeReason


def current_symptoms(patient: Patient) -> list[SymptomGroup]:
    """The symptoms the overview shows now: the window the engine and the service use."""
    today = timezone.localdate()
    rows = Symptom.objects.filter(
        patient=patient, recorded_on__gte=today - timedelta(days=SYMPTOM_DAYS), onset__lte=today
    ).order_by("-recorded_on", "code")
    return symptom_groups(list(rows))


def _symptom_choice(group: SymptomGroup) -> tuple[str, str]:
    words = " · ".join(f"“{words}”" for words in group.words)
    return group.code, f"{vocab_label(group.code)}: {words}" if words else vocab_label(group.code)


@login_required
def episode_open(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The GP opens a safety net: the patient's current symptoms (all ticked), a reason,
    an owner, the dates and what the patient was told to come back for."""
    user = as_gp(request)
    patient = patient_get(user=user, patient_id=patient_id, what="safety net form")
    groups = current_symptoms(patient)
    symptoms = [_symptom_choice(group) for group in groups]
    gps = practice_gps(patient.practice)
    error, status = "", 200
    if request.method == "POST":
        form = EpisodeOpenForm(request.POST, symptoms=symptoms, gps=gps)
        if form.is_valid():
            data = form.cleaned_data
            try:
                episode = services.episode_open(
                    patient=patient,
                    by=user,
                    reason=data["reason"],
                    follow_up_on=data["follow_up_on"],
                    ends_on=data["ends_on"],
                    owner=form.owner_user(),
                    advice=data["advice"],
                    symptom_codes=data["symptoms"],
                    idempotency_key=data["token"],
                )
            except WorkflowError as refusal:
                done = recalled_id(user=user, key=data["token"], action="episode_open")
                if refusal.code == "conflict" and done is not None:
                    # The same form's first submission got there first.
                    return redirect("safetynet:detail", done)
                error, status = screen_text(refusal), status_of(refusal)
            else:
                messages.success(request, gettext("The safety net is open."))
                return redirect("safetynet:detail", episode.pk)
        else:
            status = 422
    else:
        initial: dict[str, Any] = EpisodeOpenForm.initial_for(
            timezone.localdate(), symptom_codes=[group.code for group in groups], owner=user
        )
        # A proposal on the overview links here with its reason (the GP may change it).
        if request.GET.get("reason", "") in EpisodeReason.values:
            initial["reason"] = request.GET["reason"]
        form = EpisodeOpenForm(
            initial={**initial, "token": new_token()}, symptoms=symptoms, gps=gps
        )
    return render(
        request,
        "safetynet/episode_form.html",
        {
            "form": form,
            "patient": patient,
            "age": patient.age_on(timezone.localdate()),
            "error": error,
        },
        status=status,
    )
