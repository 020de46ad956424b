"""The GP's forms: a new referral (from the record or an answered advice request) and a new
advice request, prefilled from the record and Opspor's findings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError, screen_text, status_of
from opspor.casework.forms import new_token
from opspor.casework.idempotency import recalled_id
from opspor.htmx import is_htmx
from opspor.records.models import Patient
from opspor.records.templatetags.overview import clinical_language
from opspor.referrals import selectors, services
from opspor.referrals.findings import (
    SummaryView,
    findings_summary,
    suggested_pathway,
    suggested_question,
    summary_view,
)
from opspor.referrals.forms import (
    AdviceRequestForm,
    ReferralForm,
)
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.views.common import (
    as_gp,
    ruleset_of,
)
from opspor.referrals.workflow import (
    FRAILTY_AGE,
    FRAILTY_FIELDS,
    FRAILTY_TEXT_FIELDS,
    AdviceState,
    ReferralOrigin,
    ReferralState,
)


def _missing_now(patient: Patient, data: dict[str, Any]) -> list[dict[str, Any]]:
    """What sending would report as missing for the form as filled in, saving nothing."""
    unsaved = Referral(
        patient=patient,
        pathway=data.get("pathway") or "dpf",
        informed_about_kraeft=bool(data.get("informed_about_kraeft")),
        marked_frail=bool(data.get("marked_frail")),
        **{name: data.get(name) for name in FRAILTY_FIELDS},
    )
    for name in FRAILTY_TEXT_FIELDS:
        setattr(unsaved, name, getattr(unsaved, name) or "")
    return services.referral_missing_items(unsaved, on=timezone.localdate())


def _referral_form(
    request: HttpRequest,
    user: User,
    *,
    patient: Patient,
    summary: SummaryView,
    advice: AdviceRequest | None,
) -> HttpResponse:
    age = patient.age_on(timezone.localdate())
    error = ""
    status = 200
    missing: list[dict[str, Any]] | None = None
    if request.method == "POST":
        form = ReferralForm(request.POST)
        action = request.POST.get("action", "check")
        if form.is_valid():
            missing = _missing_now(patient, form.cleaned_data)
            if action in {"draft", "send"}:
                data = form.cleaned_data
                try:
                    referral = services.referral_create_and_send(
                        by=user,
                        send=action == "send",
                        pathway=data["pathway"],
                        patient=None if advice is not None else patient,
                        from_advice=advice,
                        clinical_question=data["clinical_question"],
                        ruleset=ruleset_of(request),
                        incomplete_reason=data["incomplete_reason"],
                        idempotency_key=data["token"],
                        **form.draft_fields(),
                    )
                except WorkflowError as refusal:
                    done = recalled_id(user=user, key=data["token"], action="referral_create_draft")
                    if refusal.code == "conflict" and done is not None:
                        # The same form's first submission got there first.
                        return redirect("referrals:detail", done)
                    error, status = screen_text(refusal), status_of(refusal)
                    missing = refusal.missing or missing
                else:
                    if referral.state == ReferralState.SENT:
                        messages.success(request, gettext("The referral has been sent."))
                    else:
                        messages.success(request, gettext("The draft has been saved."))
                    return redirect("referrals:detail", referral.pk)
        elif action != "check":
            status = 422
        if is_htmx(request) and action == "check":
            return render(
                request,
                "referrals/_completeness.html",
                {"missing": missing, "form": form, "checked": missing is not None},
            )
    else:
        initial: dict[str, Any] = {
            "token": new_token(),
            "origin": ReferralOrigin.GENERAL_PRACTICE,
            "pathway": suggested_pathway(summary),
            "clinical_question": (
                advice.question
                if advice
                else suggested_question(summary, language=clinical_language())
            ),
        }
        form = ReferralForm(initial=initial)
        missing = _missing_now(patient, initial)
    frail_shown = age >= FRAILTY_AGE or (form.is_bound and form.data.get("marked_frail") == "on")
    return render(
        request,
        "referrals/referral_form.html",
        {
            "form": form,
            "patient": patient,
            "age": age,
            "advice": advice,
            "summary": summary,
            "missing": missing,
            "checked": missing is not None,
            "error": error,
            "frailty_age": FRAILTY_AGE,
            "frailty_required": age >= FRAILTY_AGE,
            "frail_shown": frail_shown,
            "unit": advice.unit if advice else patient.practice.diagnostic_unit,
            "ruleset": ruleset_of(request),
        },
        status=status,
    )


@login_required
def referral_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The GP's referral form, prefilled from the record and the engine's findings."""
    user = as_gp(request)
    found = selectors.patient_assessment(
        user=user, patient_id=patient_id, ruleset=ruleset_of(request), what="referral form"
    )
    summary = summary_view(findings_summary(found.assessment))
    return _referral_form(request, user, patient=found.patient, summary=summary, advice=None)


@login_required
def advice_request_convert(request: HttpRequest, advice_id: int) -> HttpResponse:
    """The referral form for an answered advice request: nothing is typed twice."""
    user = as_gp(request)
    advice = selectors.advice_request_get(user=user, advice_id=advice_id)
    if advice.state == AdviceState.SENT:
        messages.error(request, gettext("Only an answered advice request can become a referral."))
        return redirect("referrals:advice_detail", advice.pk)
    # The findings the referral will carry: computed afresh, as the service will at sending.
    found = selectors.patient_assessment(
        user=user, patient_id=advice.patient_id, ruleset=ruleset_of(request), what="referral form"
    )
    summary = summary_view(findings_summary(found.assessment))
    return _referral_form(request, user, patient=found.patient, summary=summary, advice=advice)


@login_required
def advice_request_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The GP's question to the practice's diagnostic unit, with the engine's findings."""
    user = as_gp(request)
    found = selectors.patient_assessment(
        user=user, patient_id=patient_id, ruleset=ruleset_of(request), what="advice request form"
    )
    summary = summary_view(findings_summary(found.assessment))
    patient = found.patient
    error, status = "", 200
    if request.method == "POST":
        form = AdviceRequestForm(request.POST)
        if form.is_valid():
            try:
                advice = services.advice_request_send(
                    patient=patient,
                    by=user,
                    question=form.cleaned_data["question"],
                    ruleset=ruleset_of(request),
                    idempotency_key=form.cleaned_data["token"],
                )
            except WorkflowError as refusal:
                error, status = screen_text(refusal), status_of(refusal)
            else:
                messages.success(request, gettext("The advice request has been sent."))
                return redirect("referrals:advice_detail", advice.pk)
        else:
            status = 422
    else:
        form = AdviceRequestForm(initial={"token": new_token()})
    return render(
        request,
        "referrals/advice_form.html",
        {
            "form": form,
            "patient": patient,
            "age": found.age,
            "summary": summary,
            "unit": patient.practice.diagnostic_unit,
            "error": error,
            "ruleset": ruleset_of(request),
        },
        status=status,
    )
