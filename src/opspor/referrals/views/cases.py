"""The case pages of a referral and an advice request, for both sides."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from opspor.accounts.models import User
from opspor.casework.forms import new_token
from opspor.casework.notifications import (
    notifications_mark_read,
    unread_notification_ids,
)
from opspor.referrals import selectors, services
from opspor.referrals.findings import summary_view
from opspor.referrals.forms import (
    AnswerForm,
    BookForm,
    FirstContactForm,
    MessageForm,
    RejectForm,
    ReturnForm,
    SendForm,
)
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.views.common import (
    as_clinician,
)
from opspor.referrals.workflow import (
    FRAILTY_AGE,
    ReferralOrigin,
    ReferralState,
)


def _mark_seen(user: User, view: selectors.CaseView) -> None:
    """The reader has the case open: the other side's messages get their read receipt and
    the notifications about this case stop counting as unread."""
    row = view.row
    services.thread_mark_read(thread=row, by=user)
    ids = unread_notification_ids(user, about=row)
    if ids:
        notifications_mark_read(by=user, notification_ids=ids)


def referral_page(
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
            "missing": referral.stored_completeness if missing is None else missing,
            "findings": summary_view(referral.findings),
            "age": age,
            "frailty_shown": referral.marked_frail or age >= FRAILTY_AGE,
            "is_specialist": referral.origin == ReferralOrigin.PRACTISING_SPECIALIST,
        },
        status=status,
    )


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    return referral_page(request, as_clinician(request), referral_id)


def advice_page(
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
            "findings": summary_view(advice.patient_summary),
        },
        status=status,
    )


@login_required
def advice_request_detail(request: HttpRequest, advice_id: int) -> HttpResponse:
    return advice_page(request, as_clinician(request), advice_id)
