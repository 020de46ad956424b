"""The actions on an episode and its investigations, each from a dialog of the episode page.

A service's refusal (`WorkflowError`) is shown in the dialog with its reason, and nothing
has changed; a success redirects, so a reload does not repeat it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from opspor.accounts.models import User
from opspor.casework.dialogs import dialog_action
from opspor.records.models import LabResult
from opspor.safetynet import concerns, selectors, services
from opspor.safetynet.forms import (
    CancelForm,
    CloseForm,
    ConcernAnswerForm,
    OrderForm,
    RescheduleForm,
    ResultForm,
    ToldForm,
)
from opspor.safetynet.views.common import as_gp
from opspor.safetynet.views.episodes import episode_page


def _act(
    request: HttpRequest,
    user: User,
    episode_id: int,
    *,
    dialog: str,
    form: django_forms.Form | None,
    act: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Run one action from a dialog of the episode page (`casework.dialogs`)."""
    return dialog_action(
        request,
        dialog=dialog,
        form=form,
        act=act,
        page=functools.partial(episode_page, request, user, episode_id),
        done=done,
        then=reverse("safetynet:detail", args=[episode_id]),
    )


# --- the episode ------------------------------------------------------------------------


@login_required
@require_POST
def investigation_order(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = as_gp(request)
    episode = selectors.episode_get(user=user, episode_id=episode_id)
    return _act(
        request,
        user,
        episode_id,
        dialog="order",
        form=OrderForm(request.POST),
        act=lambda data: services.investigation_order(
            episode=episode,
            by=user,
            kind=data["kind"],
            code=data["code"] if data["kind"] == "lab" else "",
            description=data["description"],
            expected_by=data["expected_by"],
        ),
        done=gettext("The investigation is ordered; the safety net waits for its result."),
    )


@login_required
@require_POST
def episode_await_follow_up(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = as_gp(request)
    episode = selectors.episode_get(user=user, episode_id=episode_id)
    return _act(
        request,
        user,
        episode_id,
        dialog="",
        form=None,
        act=lambda data: services.episode_await_follow_up(episode=episode, by=user),
        done=gettext("The safety net now awaits its follow-up."),
    )


@login_required
@require_POST
def episode_reschedule(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = as_gp(request)
    episode = selectors.episode_get(user=user, episode_id=episode_id)
    return _act(
        request,
        user,
        episode_id,
        dialog="reschedule",
        form=RescheduleForm(request.POST),
        act=lambda data: services.episode_reschedule(
            episode=episode,
            by=user,
            follow_up_on=data["follow_up_on"],
            ends_on=data["ends_on"],
            reason=data["reason"],
        ),
        done=gettext("The follow-up date is moved."),
    )


@login_required
@require_POST
def episode_close(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = as_gp(request)
    episode = selectors.episode_get(user=user, episode_id=episode_id)
    return _act(
        request,
        user,
        episode_id,
        dialog="close",
        form=CloseForm(request.POST),
        act=lambda data: services.episode_close(
            episode=episode, by=user, outcome=data["outcome"], reason=data["reason"]
        ),
        done=gettext("The safety net is closed."),
    )


# --- an investigation -------------------------------------------------------------------


@login_required
@require_POST
def investigation_record_result(request: HttpRequest, investigation_id: int) -> HttpResponse:
    user = as_gp(request)
    investigation = selectors.investigation_get(user=user, investigation_id=investigation_id)
    patient_results = list(LabResult.objects.filter(patient_id=investigation.episode.patient_id))
    form = ResultForm(
        request.POST, lab_results=patient_results, auto_id=f"id_%s_{investigation_id}"
    )
    return _act(
        request,
        user,
        investigation.episode_id,
        dialog=f"result-{investigation_id}",
        form=form,
        act=lambda data: services.investigation_record_result(
            investigation=investigation, by=user, lab_result=form.linked(), text=data["text"]
        ),
        done=gettext("The result is recorded."),
    )


@login_required
@require_POST
def investigation_mark_seen(request: HttpRequest, investigation_id: int) -> HttpResponse:
    user = as_gp(request)
    investigation = selectors.investigation_get(user=user, investigation_id=investigation_id)
    return _act(
        request,
        user,
        investigation.episode_id,
        dialog="",
        form=None,
        act=lambda data: services.investigation_mark_seen(investigation=investigation, by=user),
        done=gettext("The result is marked as seen."),
    )


@login_required
@require_POST
def investigation_mark_told(request: HttpRequest, investigation_id: int) -> HttpResponse:
    user = as_gp(request)
    investigation = selectors.investigation_get(user=user, investigation_id=investigation_id)
    return _act(
        request,
        user,
        investigation.episode_id,
        dialog=f"told-{investigation_id}",
        form=ToldForm(request.POST, auto_id=f"id_%s_{investigation_id}"),
        act=lambda data: services.investigation_mark_told(
            investigation=investigation, by=user, how=data["how"]
        ),
        done=gettext("The patient has been told the result."),
    )


@login_required
@require_POST
def investigation_cancel(request: HttpRequest, investigation_id: int) -> HttpResponse:
    user = as_gp(request)
    investigation = selectors.investigation_get(user=user, investigation_id=investigation_id)
    return _act(
        request,
        user,
        investigation.episode_id,
        dialog=f"cancel-{investigation_id}",
        form=CancelForm(request.POST, auto_id=f"id_%s_{investigation_id}"),
        act=lambda data: services.investigation_cancel(
            investigation=investigation, by=user, reason=data["reason"]
        ),
        done=gettext("The investigation is cancelled."),
    )


# --- the patient's concern --------------------------------------------------------------


@login_required
@require_POST
def concern_answer(request: HttpRequest, concern_id: int) -> HttpResponse:
    """A GP answers "I have not heard anything" or "It got worse": the only way the item
    leaves the practice's worklist."""
    user = as_gp(request)
    concern = selectors.concern_get(user=user, concern_id=concern_id)
    return _act(
        request,
        user,
        concern.episode_id,
        dialog=f"answer-{concern_id}",
        form=ConcernAnswerForm(request.POST, auto_id=f"id_%s_{concern_id}"),
        act=lambda data: concerns.concern_answer(concern=concern, by=user, note=data["note"]),
        done=gettext("The patient's concern is answered."),
    )
