"""The actions on a referral, each from a dialog of its case page.

A service's refusal (`WorkflowError`) is shown in the dialog with its reason, and nothing
has changed; a success redirects, so a reload does not repeat it."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from opspor.accounts.models import User
from opspor.casework.dialogs import dialog_action
from opspor.referrals import selectors, services
from opspor.referrals.forms import (
    BookForm,
    FirstContactForm,
    MessageForm,
    RejectForm,
    ReturnForm,
    SendForm,
)
from opspor.referrals.models import Referral
from opspor.referrals.views.cases import referral_page
from opspor.referrals.views.common import (
    as_clinician,
    as_doctor,
    as_gp,
    ruleset_of,
)


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
    """Run one action from a dialog of the detail page (`casework.dialogs`)."""
    referral = selectors.referral_get(user=user, referral_id=referral_id)
    return dialog_action(
        request,
        dialog=dialog,
        form=form,
        act=lambda data: act(referral, data),
        page=functools.partial(referral_page, request, user, referral_id),
        done=done,
        then=reverse("referrals:detail", args=[referral_id]),
    )


@login_required
@require_POST
def referral_send(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = as_gp(request)
    form = SendForm(request.POST)

    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_send(
            referral=referral,
            by=user,
            incomplete_reason=data["incomplete_reason"],
            ruleset=ruleset_of(request),
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
    user = as_gp(request)
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
def referral_acknowledge_rejection(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = as_gp(request)
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
    user = as_doctor(request)
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
    user = as_doctor(request)
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
def referral_return_with_advice(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = as_doctor(request)
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
def referral_record_first_contact(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = as_doctor(request)
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
def referral_book_appointment(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = as_doctor(request)
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
    user = as_doctor(request)
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
def referral_message_post(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = as_clinician(request)
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
