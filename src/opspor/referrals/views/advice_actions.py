"""The actions on an advice request: the unit's answer, the GP's closing, the thread."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError, screen_text, status_of
from opspor.referrals import selectors, services
from opspor.referrals.forms import (
    AnswerForm,
    MessageForm,
)
from opspor.referrals.models import AdviceRequest
from opspor.referrals.views.cases import advice_page
from opspor.referrals.views.common import (
    as_clinician,
    as_doctor,
    as_gp,
)


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
        return advice_page(request, user, advice_id, forms={name: form}, status=422)
    try:
        act(advice, form.cleaned_data if form is not None else {})
    except WorkflowError as refusal:
        if refusal.code == "forbidden":
            raise PermissionDenied(refusal.message) from None
        return advice_page(
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
def advice_request_answer(request: HttpRequest, advice_id: int) -> HttpResponse:
    user = as_doctor(request)
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
def advice_request_close(request: HttpRequest, advice_id: int) -> HttpResponse:
    user = as_gp(request)
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
def advice_request_message_post(request: HttpRequest, advice_id: int) -> HttpResponse:
    user = as_clinician(request)
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
