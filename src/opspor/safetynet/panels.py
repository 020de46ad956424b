"""The safety-net panel of the GP's patient overview (registered in `apps.py`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from opspor.accounts.models import User
from opspor.engine.assessment import Assessment
from opspor.engine.context import PatientContext
from opspor.records.models import Patient
from opspor.safetynet import presenters, selectors
from opspor.safetynet.workflow import EpisodeReason, EpisodeState


def overview_panel(
    request: HttpRequest, patient: Patient, context: PatientContext, assessment: Assessment
) -> tuple[str, dict[str, Any]] | None:
    """The patient's open safety nets, what each still waits for, and the button to open
    one; when a pathway ended without cancer and the symptoms persist, the proposal to
    open one for that (`selectors.pathway_negative_proposal`). The overview has read and
    logged the record already."""
    user = request.user
    assert isinstance(user, User)
    episodes = (
        selectors.episodes_visible_to(user)
        .filter(patient=patient)
        .exclude(state=EpisodeState.CLOSED)
        .select_related("owner__clinician")
        .order_by("follow_up_on", "pk")
    )
    return (
        "safetynet/_overview_panel.html",
        {
            "episodes": [(episode, presenters.episode_pending(episode)) for episode in episodes],
            "today": context.as_of,
            "proposal": selectors.pathway_negative_proposal(patient, today=context.as_of),
            "proposed_reason": EpisodeReason.PATHWAY_NEGATIVE_SYMPTOMS_PERSIST,
        },
    )
