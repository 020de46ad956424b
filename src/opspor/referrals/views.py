"""The referral and advice screens of the GP and of the diagnostic unit.

Each view first checks that the page is meant for the user's role (403 otherwise, before
anything is read), then reads through a selector (404 for a case outside the user's
practice or unit) and acts through a service. A service's refusal (`WorkflowError`) is
shown on the page with its reason, and nothing has changed; a success redirects, so a
reload does not repeat it. Forms that create something carry a per-form key, which the
services use to make a second submission of the same form return the first result.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role, User
from opspor.casework.errors import WorkflowError, screen_text, status_of
from opspor.casework.idempotency import recalled_id
from opspor.casework.notifications import (
    notifications_mark_read,
    unread_notification_ids,
)
from opspor.engine.rules.loader import DEFAULT_RULESET, RULESETS
from opspor.records.models import Patient
from opspor.records.selectors import patient_get, unit_of
from opspor.referrals import selectors, services
from opspor.referrals.findings import findings_summary
from opspor.referrals.forms import (
    AdviceRequestForm,
    AnswerForm,
    BookForm,
    FirstContactForm,
    MessageForm,
    ReferralForm,
    RejectForm,
    ReturnForm,
    SendForm,
    new_token,
)
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.workflow import (
    FRAILTY_AGE,
    FRAILTY_FIELDS,
    FRAILTY_TEXT_FIELDS,
    PATHWAY_OF_SITE,
    AdviceState,
    ReferralOrigin,
    ReferralState,
)

PAGE_SIZE = selectors.SCREEN_PAGE_SIZE


def _gp(request: HttpRequest) -> User:
    return require_role(request.user, Role.GP)


def _doctor(request: HttpRequest) -> User:
    return require_role(request.user, Role.UNIT_DOCTOR)


def _clinician(request: HttpRequest) -> User:
    return require_role(request.user, Role.GP, Role.UNIT_DOCTOR)


def _is_htmx(request: HttpRequest) -> bool:
    from opspor.htmx import is_htmx

    return is_htmx(request)


def _page(rows: Any, number: str | None) -> Page[Any]:
    return Paginator(rows, PAGE_SIZE).get_page(number)


def _ruleset(request: HttpRequest) -> str:
    asked = request.POST.get("ruleset") or request.GET.get("ruleset", "")
    return asked if asked in RULESETS else DEFAULT_RULESET


# --- lists -----------------------------------------------------------------------------


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    """The GP's list: unacknowledged rejections first, then the practice's referrals and
    advice requests with their state and clock."""
    user = _gp(request)
    now = timezone.now()
    context = {
        "now": now,
        "counts": selectors.practice_counts(user=user, now=now),
        "rejections": list(selectors.unacknowledged_rejections(user=user)[:PAGE_SIZE]),
        "referrals": _page(
            selectors.practice_referrals(user=user, now=now), request.GET.get("page")
        ),
        "advice": _page(
            selectors.practice_advice_requests(user=user, now=now), request.GET.get("apage")
        ),
    }
    return render(request, "referrals/gp_list.html", context)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The unit's inbox, one tab at a time, sorted by the deadline each row waits on.

    A page is 50 rows; the counts are aggregates. The number of queries is the same for
    ten open referrals and for ten thousand.
    """
    user = _doctor(request)
    now = timezone.now()
    tab = request.GET.get("tab", "triage")
    if tab not in selectors.INBOX_TABS:
        tab = "triage"
    rows = _page(selectors.unit_inbox(user=user, tab=tab, now=now), request.GET.get("page"))
    context = {
        "now": now,
        "tab": tab,
        "rows": rows,
        "counts": selectors.unit_inbox_counts(user=user, now=now),
        "unit": unit_of(user),
    }
    return render(request, "referrals/inbox.html", context)


# --- the GP's forms --------------------------------------------------------------------


def _suggested_pathway(summary: dict[str, Any]) -> str:
    """The pathway of the most pressing criterion met, or the diagnostic pathway."""
    for item in summary.get("findings", []):
        if item.get("kind") == "guideline_criterion" and item.get("cancer_site") in PATHWAY_OF_SITE:
            return PATHWAY_OF_SITE[item["cancer_site"]]
    return "dpf"


def _suggested_question(summary: dict[str, Any]) -> str:
    """The engine's findings as a first draft of the clinical question, one per line."""
    from opspor.records.templatetags.overview import clinical_language

    lang = clinical_language()
    lines = [
        f"- {item['text'].get(lang) or item['text'].get('en', '')}"
        for item in summary.get("findings", [])
        if item.get("kind") in {"guideline_criterion", "new_symptom", "pattern_break"}
    ]
    return "\n".join(lines)


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
    summary: dict[str, Any],
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
                        ruleset=_ruleset(request),
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
        if _is_htmx(request) and action == "check":
            return render(
                request,
                "referrals/_completeness.html",
                {"missing": missing, "form": form, "checked": missing is not None},
            )
    else:
        initial: dict[str, Any] = {
            "token": new_token(),
            "origin": ReferralOrigin.GENERAL_PRACTICE,
            "pathway": _suggested_pathway(summary),
            "clinical_question": advice.question if advice else _suggested_question(summary),
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
            "ruleset": _ruleset(request),
        },
        status=status,
    )


@login_required
def referral_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The GP's referral form, prefilled from the record and the engine's findings."""
    user = _gp(request)
    found = selectors.patient_assessment(
        user=user, patient_id=patient_id, ruleset=_ruleset(request), what="referral form"
    )
    summary = findings_summary(found.assessment)
    return _referral_form(request, user, patient=found.patient, summary=summary, advice=None)


@login_required
def referral_from_advice(request: HttpRequest, advice_id: int) -> HttpResponse:
    """The referral form for an answered advice request: nothing is typed twice."""
    user = _gp(request)
    advice = selectors.advice_request_get(user=user, advice_id=advice_id)
    if advice.state == AdviceState.SENT:
        messages.error(request, gettext("Only an answered advice request can become a referral."))
        return redirect("referrals:advice_detail", advice.pk)
    patient = patient_get(user=user, patient_id=advice.patient_id, what="referral form")
    return _referral_form(
        request, user, patient=patient, summary=advice.patient_summary, advice=advice
    )


@login_required
def advice_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The GP's question to the practice's diagnostic unit, with the engine's findings."""
    user = _gp(request)
    found = selectors.patient_assessment(
        user=user, patient_id=patient_id, ruleset=_ruleset(request), what="advice request form"
    )
    summary = findings_summary(found.assessment)
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
                    ruleset=_ruleset(request),
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
            "ruleset": _ruleset(request),
        },
        status=status,
    )


# --- the detail pages ------------------------------------------------------------------


def _mark_seen(user: User, view: selectors.CaseView) -> None:
    """The reader has the case open: the other side's messages get their read receipt and
    the notifications about this case stop counting as unread."""
    row = view.row
    services.thread_mark_read(thread=row, by=user)
    ids = unread_notification_ids(user, about=row)
    if ids:
        notifications_mark_read(by=user, notification_ids=ids)


def _referral_page(
    request: HttpRequest,
    user: User,
    referral_id: int,
    *,
    dialog: str = "",
    forms: dict[str, Any] | None = None,
    error: str = "",
    status: int = 200,
    missing: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    now = timezone.now()
    view = selectors.referral_case(user=user, referral_id=referral_id, now=now)
    _mark_seen(user, view)
    referral = view.row
    assert isinstance(referral, Referral)
    shown = {
        "reject": RejectForm(),
        "return": ReturnForm(),
        "first_contact": FirstContactForm(),
        "book": BookForm(),
        "send": SendForm(initial={"token": new_token()}),
        "message": MessageForm(initial={"token": new_token()}),
    }
    shown.update(forms or {})
    if referral.state == ReferralState.DRAFT and missing is None:
        # Not sent yet: what sending would report now, so the GP sees it before sending.
        missing = services.referral_missing_items(referral, on=timezone.localdate())
    age = referral.patient.age_on(timezone.localdate())
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "view": view,
            "referral": referral,
            "now": now,
            "forms": shown,
            "dialog": dialog or request.GET.get("dialog", ""),
            "error": error,
            "missing": referral.completeness if missing is None else missing,
            "age": age,
            "frailty_shown": referral.marked_frail or age >= FRAILTY_AGE,
            "is_specialist": referral.origin == ReferralOrigin.PRACTISING_SPECIALIST,
        },
        status=status,
    )


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _referral_page(request, _clinician(request), referral_id)


def _advice_page(
    request: HttpRequest,
    user: User,
    advice_id: int,
    *,
    forms: dict[str, Any] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    view = selectors.advice_case(user=user, advice_id=advice_id, now=now)
    _mark_seen(user, view)
    advice = view.row
    assert isinstance(advice, AdviceRequest)
    shown = {"answer": AnswerForm(), "message": MessageForm(initial={"token": new_token()})}
    shown.update(forms or {})
    return render(
        request,
        "referrals/advice_detail.html",
        {
            "view": view,
            "advice": advice,
            "now": now,
            "forms": shown,
            "error": error,
            "referrals": selectors.referrals_from_advice(advice),
        },
        status=status,
    )


@login_required
def advice_detail(request: HttpRequest, advice_id: int) -> HttpResponse:
    return _advice_page(request, _clinician(request), advice_id)


# --- actions on a referral -------------------------------------------------------------


def _referral_action(
    request: HttpRequest,
    referral_id: int,
    *,
    user: User,
    form: Any,
    dialog: str,
    act: Any,
    done: str,
) -> HttpResponse:
    """Run one action from a dialog of the detail page; show a refusal in the dialog."""
    referral = selectors.referral_get(user=user, referral_id=referral_id)
    if form is not None and not form.is_valid():
        return _referral_page(
            request, user, referral_id, dialog=dialog, forms={dialog: form}, status=422
        )
    # The state the user decided on, as the page showed it: when it has changed since, the
    # service reports a conflict (someone acted first), not a plain refusal.
    data = {
        **(form.cleaned_data if form is not None else {}),
        "seen_state": request.POST.get("seen", ""),
    }
    try:
        act(referral, data)
    except WorkflowError as refusal:
        if refusal.code == "forbidden":
            raise PermissionDenied(refusal.message) from None
        # Someone acted first: the dialog may no longer apply, so the page says why.
        stale = refusal.code in {"not_allowed", "conflict"}
        return _referral_page(
            request,
            user,
            referral_id,
            dialog="" if stale else dialog,
            forms={dialog: form} if form is not None else None,
            error=screen_text(refusal),
            status=status_of(refusal),
            missing=refusal.missing or None,
        )
    messages.success(request, done)
    return redirect("referrals:detail", referral_id)


@login_required
@require_POST
def referral_send(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _gp(request)
    form = SendForm(request.POST)

    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_send(
            referral=referral,
            by=user,
            incomplete_reason=data["incomplete_reason"],
            ruleset=_ruleset(request),
            idempotency_key=data["token"],
            seen_state=data["seen_state"],
        )

    return _referral_action(
        request,
        referral_id,
        user=user,
        form=form,
        dialog="send",
        act=act,
        done=gettext("The referral has been sent."),
    )


@login_required
@require_POST
def referral_withdraw(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _gp(request)
    return _referral_action(
        request,
        referral_id,
        user=user,
        form=None,
        dialog="",
        act=lambda referral, data: services.referral_withdraw(
            referral=referral, by=user, seen_state=data["seen_state"]
        ),
        done=gettext("The referral has been withdrawn."),
    )


@login_required
@require_POST
def referral_acknowledge(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _gp(request)
    response = _referral_action(
        request,
        referral_id,
        user=user,
        form=None,
        dialog="",
        act=lambda referral, data: services.referral_acknowledge_rejection(
            referral=referral, by=user, seen_state=data["seen_state"]
        ),
        done=gettext("The rejection is acknowledged."),
    )
    # Acknowledged from the list: back to the list, where the next rejection waits.
    if response.status_code == 302 and request.POST.get("next") == "list":
        return redirect("referrals:list")
    return response


@login_required
@require_POST
def referral_accept(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _doctor(request)
    return _referral_action(
        request,
        referral_id,
        user=user,
        form=None,
        dialog="accept",
        act=lambda referral, data: services.referral_accept(
            referral=referral, by=user, seen_state=data["seen_state"]
        ),
        done=gettext("The referral is accepted. Contact the patient within 48 hours."),
    )


@login_required
@require_POST
def referral_reject(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _doctor(request)
    form = RejectForm(request.POST)

    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_reject(referral=referral, by=user, **data)

    return _referral_action(
        request,
        referral_id,
        user=user,
        form=form,
        dialog="reject",
        act=act,
        done=gettext("The referral is rejected with a plan; the practice has been notified."),
    )


@login_required
@require_POST
def referral_return(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _doctor(request)
    form = ReturnForm(request.POST)

    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_return_with_advice(
            referral=referral,
            by=user,
            advice_text=data["advice_text"],
            seen_state=data["seen_state"],
        )

    return _referral_action(
        request,
        referral_id,
        user=user,
        form=form,
        dialog="return",
        act=act,
        done=gettext("The referral is returned with advice; the practice has been notified."),
    )


@login_required
@require_POST
def referral_first_contact(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _doctor(request)
    form = FirstContactForm(request.POST)

    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_record_first_contact(
            referral=referral, by=user, note=data["note"], seen_state=data["seen_state"]
        )

    return _referral_action(
        request,
        referral_id,
        user=user,
        form=form,
        dialog="first_contact",
        act=act,
        done=gettext("The first contact with the patient is recorded."),
    )


@login_required
@require_POST
def referral_book(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _doctor(request)
    form = BookForm(request.POST)

    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_book_appointment(
            referral=referral,
            by=user,
            appointment_at=data["appointment_at"],
            seen_state=data["seen_state"],
        )

    return _referral_action(
        request,
        referral_id,
        user=user,
        form=form,
        dialog="book",
        act=act,
        done=gettext("The appointment is booked."),
    )


@login_required
@require_POST
def referral_complete(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _doctor(request)
    return _referral_action(
        request,
        referral_id,
        user=user,
        form=None,
        dialog="",
        act=lambda referral, data: services.referral_complete(
            referral=referral, by=user, seen_state=data["seen_state"]
        ),
        done=gettext("The referral is completed."),
    )


@login_required
@require_POST
def referral_message(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _clinician(request)
    form = MessageForm(request.POST)

    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.message_post(
            thread=referral, by=user, body=data["body"], idempotency_key=data["token"]
        )

    response = _referral_action(
        request,
        referral_id,
        user=user,
        form=form,
        dialog="message",
        act=act,
        done=gettext("The message has been sent."),
    )
    if response.status_code == 302:
        return redirect(reverse("referrals:detail", args=[referral_id]) + "#thread")
    return response


# --- actions on an advice request ------------------------------------------------------


def _advice_action(
    request: HttpRequest,
    advice_id: int,
    *,
    user: User,
    form: Any,
    name: str,
    act: Any,
    done: str,
    anchor: str = "",
) -> HttpResponse:
    advice = selectors.advice_request_get(user=user, advice_id=advice_id)
    if form is not None and not form.is_valid():
        return _advice_page(request, user, advice_id, forms={name: form}, status=422)
    try:
        act(advice, form.cleaned_data if form is not None else {})
    except WorkflowError as refusal:
        if refusal.code == "forbidden":
            raise PermissionDenied(refusal.message) from None
        return _advice_page(
            request,
            user,
            advice_id,
            forms={name: form} if form is not None else None,
            error=screen_text(refusal),
            status=status_of(refusal),
        )
    messages.success(request, done)
    return redirect(reverse("referrals:advice_detail", args=[advice_id]) + anchor)


@login_required
@require_POST
def advice_answer(request: HttpRequest, advice_id: int) -> HttpResponse:
    user = _doctor(request)
    form = AnswerForm(request.POST)

    def act(advice: AdviceRequest, data: dict[str, Any]) -> None:
        services.advice_request_answer(advice=advice, by=user, answer=data["answer"])

    return _advice_action(
        request,
        advice_id,
        user=user,
        form=form,
        name="answer",
        act=act,
        done=gettext("The answer has been sent; the practice has been notified."),
    )


@login_required
@require_POST
def advice_close(request: HttpRequest, advice_id: int) -> HttpResponse:
    user = _gp(request)
    return _advice_action(
        request,
        advice_id,
        user=user,
        form=None,
        name="",
        act=lambda advice, _data: services.advice_request_close(advice=advice, by=user),
        done=gettext("The advice request is closed."),
    )


@login_required
@require_POST
def advice_message(request: HttpRequest, advice_id: int) -> HttpResponse:
    user = _clinician(request)
    form = MessageForm(request.POST)

    def act(advice: AdviceRequest, data: dict[str, Any]) -> None:
        services.message_post(
            thread=advice, by=user, body=data["body"], idempotency_key=data["token"]
        )

    return _advice_action(
        request,
        advice_id,
        user=user,
        form=form,
        name="message",
        act=act,
        done=gettext("The message has been sent."),
        anchor="#thread",
    )


# --- notifications ---------------------------------------------------------------------
