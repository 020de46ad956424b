"""Safety-net episodes over the JSON API: open, list, read, wait for the follow-up,
reschedule and close."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from opspor.accounts.models import User
from opspor.api_errors import ErrorOut, UnauthorizedOut, ValidationErrorOut
from opspor.casework.endpoints import IDEMPOTENCY_HELP, IdempotencyKey, act, caller, responses
from opspor.casework.errors import WorkflowError
from opspor.casework.schemas import MAX_ID
from opspor.records.selectors import patients_visible_to
from opspor.records.services import record_read_log, record_reads_log
from opspor.safetynet import services
from opspor.safetynet.api.common import (
    EPISODE,
    GP_ONLY,
    READ_EPISODE,
    READ_LIST,
    episode_action,
    episode_detail_out,
    episode_rows,
)
from opspor.safetynet.api.presenters import episode_out
from opspor.safetynet.api.schemas import (
    CloseIn,
    EpisodeDetailOut,
    EpisodeIn,
    EpisodeOut,
    RescheduleIn,
)
from opspor.safetynet.workflow import EpisodeState

router = Router(tags=["safety nets"])

OWNER_REFUSED = "The owner must be a GP of the patient's practice."


@router.get(
    "/safety-nets",
    response={
        200: list[EpisodeOut],
        401: UnauthorizedOut,
        403: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="The safety-net episodes of the caller's practice, next follow-up first",
    description=(
        "Every GP of the practice sees every episode of it. `state` and `patient_id` narrow "
        "the list; a patient of another practice has none here."
    ),
)
def episode_list(
    request: HttpRequest,
    state: EpisodeState | None = None,
    patient_id: int | None = Query(None, ge=1, le=MAX_ID),
) -> Status[Any]:
    user = caller(request, GP_ONLY)
    rows = episode_rows(user)
    if state is not None:
        rows = rows.filter(state=state)
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    episodes = list(rows)
    record_reads_log(user=user, patient_ids=[e.patient_id for e in episodes], what=READ_LIST)
    return Status(200, [episode_out(episode) for episode in episodes])


@router.get(
    "/safety-nets/{episode_id}",
    response=EPISODE,
    summary="One episode: its investigations, what is pending, its timeline",
    description="A read of the patient's record, logged in the access log.",
)
def episode_detail(request: HttpRequest, episode_id: int) -> Status[Any]:
    return act(request, GP_ONLY, lambda user: episode_detail_out(user, episode_id, read=True))


@router.post(
    "/safety-nets",
    response=responses(201, EpisodeDetailOut),
    summary="A GP opens a safety net: an owner, a plan and a follow-up date",
    description=(
        "The episode takes the patient's current symptoms (codes and their own words; "
        "`symptom_codes` picks some of them) and Opspor's findings from the record as they "
        "stand now: a read of the record, logged. The follow-up is today or later, the end "
        "on or after the follow-up and at most a year away; the owner is a GP of the "
        f"patient's practice (the caller when left out). {IDEMPOTENCY_HELP}"
    ),
)
def episode_open(
    request: HttpRequest, payload: EpisodeIn, idempotency_key: str = IdempotencyKey
) -> Status[Any]:
    def action(user: User) -> EpisodeDetailOut:
        patient = get_object_or_404(patients_visible_to(user), pk=payload.patient_id)
        owner = None
        if payload.owner_id is not None:
            owner = User.objects.filter(pk=payload.owner_id).first()
            if owner is None:
                # The same words as for a user who is not such a GP: no ids are revealed.
                raise WorkflowError("invalid", OWNER_REFUSED)
        episode = services.episode_open(
            patient=patient,
            by=user,
            reason=payload.reason,
            follow_up_on=payload.follow_up_on,
            ends_on=payload.ends_on,
            owner=owner,
            advice=payload.advice,
            symptom_codes=payload.symptom_codes,
            ruleset=payload.ruleset,
            idempotency_key=idempotency_key,
        )
        record_read_log(user=user, patient=patient, what=READ_EPISODE)
        return episode_detail_out(user, episode.pk, read=False)

    return act(request, GP_ONLY, action, status=201)


@router.post(
    "/safety-nets/{episode_id}/await-follow-up",
    response=EPISODE,
    summary="Nothing more is under way; the episode waits for its follow-up",
)
def episode_await_follow_up(request: HttpRequest, episode_id: int) -> Status[Any]:
    return episode_action(
        request,
        episode_id,
        lambda episode, user: services.episode_await_follow_up(episode=episode, by=user),
    )


@router.post(
    "/safety-nets/{episode_id}/reschedule",
    response=EPISODE,
    summary="A new follow-up date (and end date), with the reason",
    description="The reason is required; the dates follow the same rules as when opening.",
)
def episode_reschedule(request: HttpRequest, episode_id: int, payload: RescheduleIn) -> Status[Any]:
    return episode_action(
        request,
        episode_id,
        lambda episode, user: services.episode_reschedule(
            episode=episode,
            by=user,
            follow_up_on=payload.follow_up_on,
            ends_on=payload.ends_on,
            reason=payload.reason,
        ),
    )


@router.post(
    "/safety-nets/{episode_id}/close",
    response=EPISODE,
    summary="Close the episode with its outcome",
    description=(
        "`no_cancer_found` and `symptoms_resolved` wait for the whole workup: while an "
        "investigation is not resulted and told to the patient, or the patient has an open "
        "referral, they are refused with 409 (`workup_incomplete`), `missing` naming each "
        "item. There is no override."
    ),
)
def episode_close(request: HttpRequest, episode_id: int, payload: CloseIn) -> Status[Any]:
    return episode_action(
        request,
        episode_id,
        lambda episode, user: services.episode_close(
            episode=episode, by=user, outcome=payload.outcome, reason=payload.reason
        ),
    )
