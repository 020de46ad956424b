"""The episode page and the practice's list of open safety nets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django import forms as django_forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from opspor.accounts.models import User
from opspor.records.models import LabResult
from opspor.records.selectors import practice_of
from opspor.records.services import record_read_log, record_reads_log
from opspor.records.templatetags.clinical import vocab_label
from opspor.referrals.findings import summary_view
from opspor.safetynet import presenters, selectors
from opspor.safetynet.aarhus import episode_aarhus
from opspor.safetynet.forms import (
    EXPECTED_AFTER,
    CancelForm,
    CloseForm,
    ConcernAnswerForm,
    OrderForm,
    RescheduleForm,
    ResultForm,
    ToldForm,
    practice_gps,
)
from opspor.safetynet.models import Investigation, PatientConcern, SafetyNetEpisode
from opspor.safetynet.views.common import as_gp
from opspor.safetynet.workflow import (
    EPISODE_TRANSITIONS,
    INVESTIGATION_TRANSITIONS,
    EpisodeState,
)

PAGE_SIZE = 50
# The access log's name for the practice's list: one row for each patient a page shows.
READ_LIST = "safety-net list"
# The lab results offered to link as an investigation's result: the patient's recent ones.
LINKABLE_RESULTS = 50
LINKABLE_DAYS = 365


@dataclass
class InvestigationRow:
    investigation: Investigation
    name: str
    key: str  # the investigation's id as text, for its dialogs' names
    actions: frozenset[str]
    forms: dict[str, django_forms.Form] = field(default_factory=dict)


def _allowed(transitions: dict[str, Any], state: str) -> frozenset[str]:
    return frozenset(action for action, row in transitions.items() if state in row.sources)


def _investigation_rows(
    episode: SafetyNetEpisode, bound: dict[str, django_forms.Form]
) -> list[InvestigationRow]:
    since = timezone.localdate() - timedelta(days=LINKABLE_DAYS)
    results = list(
        LabResult.objects.filter(patient_id=episode.patient_id, taken_on__gte=since).order_by(
            "-taken_on", "code"
        )[:LINKABLE_RESULTS]
    )
    rows = []
    for investigation in episode.investigations.select_related("lab_result", "seen_by__clinician"):
        pk = investigation.pk
        auto_id = f"id_%s_{pk}"
        shown: dict[str, django_forms.Form] = {
            "result": ResultForm(lab_results=results, auto_id=auto_id),
            "told": ToldForm(auto_id=auto_id),
            "cancel": CancelForm(auto_id=auto_id),
        }
        for name in shown:
            if f"{name}-{pk}" in bound:
                shown[name] = bound[f"{name}-{pk}"]
        rows.append(
            InvestigationRow(
                investigation=investigation,
                name=presenters.name_of(investigation),
                key=str(pk),
                actions=_allowed(INVESTIGATION_TRANSITIONS, investigation.state),
                forms=shown,
            )
        )
    return rows


@dataclass
class ConcernRow:
    concern: PatientConcern
    key: str  # the concern's id as text, for its dialog's name
    form: django_forms.Form


def _concern_rows(
    episode: SafetyNetEpisode, bound: dict[str, django_forms.Form]
) -> list[ConcernRow]:
    """The patient's unanswered concerns, most urgent first, each with its answer form (the
    answered ones are in the audit trail)."""
    waiting = []
    for concern in episode.concerns.filter(answered_at__isnull=True):
        name = f"answer-{concern.pk}"
        form = bound.get(name) or ConcernAnswerForm(auto_id=f"id_%s_{concern.pk}")
        waiting.append(ConcernRow(concern=concern, key=str(concern.pk), form=form))
    # "It got worse" before "I have not heard anything", as on the worklist.
    waiting.sort(key=lambda row: (row.concern.kind != "got_worse", row.concern.raised_at))
    return waiting


def _symptoms(episode: SafetyNetEpisode) -> list[dict[str, Any]]:
    return [
        {"label": vocab_label(str(item.get("code", ""))), "words": item.get("words") or []}
        for item in episode.symptoms
        if isinstance(item, dict)
    ]


def episode_page(
    request: HttpRequest,
    user: User,
    episode_id: int,
    *,
    dialog: str = "",
    forms: dict[str, django_forms.Form] | None = None,
    error: str = "",
    status: int = 200,
    missing: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    """The episode as it is now; `forms` holds a dialog's bound form after a refusal."""
    episode = selectors.episode_get(user=user, episode_id=episode_id)
    record_read_log(user=user, patient=episode.patient, what="safety net")
    today = timezone.localdate()
    bound = forms or {}
    shown: dict[str, django_forms.Form] = {
        "order": OrderForm(initial={"expected_by": today + EXPECTED_AFTER}),
        "reschedule": RescheduleForm(initial={"follow_up_on": episode.follow_up_on}),
        "close": CloseForm(),
    }
    shown.update({name: form for name, form in bound.items() if name in shown})
    live = episode.state != EpisodeState.CLOSED
    return render(
        request,
        "safetynet/episode_detail.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "age": episode.patient.age_on(today),
            "today": today,
            "live": live,
            "actions": _allowed(EPISODE_TRANSITIONS, episode.state),
            "investigations": _investigation_rows(episode, bound),
            "concerns": _concern_rows(episode, bound),
            "pending": presenters.episode_pending(episode) if live else [],
            "refused": presenters.pending_items(missing or [], episode_id=episode.pk),
            "symptoms": _symptoms(episode),
            "findings": summary_view(episode.findings),
            "timeline": presenters.timeline(episode),
            "aarhus": presenters.aarhus_view(episode_aarhus(episode, today=today)),
            "forms": shown,
            "dialog": dialog or request.GET.get("dialog", ""),
            "error": error,
        },
        status=status,
    )


@login_required
def episode_detail(request: HttpRequest, episode_id: int) -> HttpResponse:
    return episode_page(request, as_gp(request), episode_id)


@login_required
def episode_list(request: HttpRequest) -> HttpResponse:
    """The practice's open safety nets, the nearest follow-up first; overdue ones stand out."""
    user = as_gp(request)
    today = timezone.localdate()
    practice = practice_of(user)
    gps = practice_gps(practice) if practice is not None else []
    owners = {str(gp.pk): gp for gp in gps}
    owner = owners.get(request.GET.get("owner", ""))
    episodes = (
        selectors.episodes_visible_to(user)
        .exclude(state=EpisodeState.CLOSED)
        .select_related("owner__clinician")
        .order_by("follow_up_on", "pk")
    )
    if owner is not None:
        episodes = episodes.filter(owner=owner)
    page = Paginator(episodes, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    record_reads_log(user=user, patient_ids=[e.patient_id for e in shown], what=READ_LIST)
    return render(
        request,
        "safetynet/episode_list.html",
        {
            "page": page,
            "rows": presenters.episode_rows(shown, today=today),
            "gps": gps,
            "owner": owner,
            "extra": f"&owner={owner.pk}" if owner is not None else "",
            "today": today,
        },
    )
