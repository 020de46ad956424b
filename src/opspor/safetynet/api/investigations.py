"""The investigations a safety-net episode waits for, over the JSON API: order, record the
result, mark it seen, mark it told to the patient, or cancel."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from opspor.accounts.models import User
from opspor.casework.endpoints import act, responses
from opspor.casework.errors import WorkflowError
from opspor.records.models import ClinicalFinding, LabResult
from opspor.safetynet import services
from opspor.safetynet.api.common import (
    GP_ONLY,
    INVESTIGATION,
    episode_of,
    investigation_action,
)
from opspor.safetynet.api.presenters import investigation_out
from opspor.safetynet.api.schemas import (
    CancelIn,
    InvestigationIn,
    InvestigationOut,
    ResultIn,
    ToldIn,
)
from opspor.safetynet.models import Investigation

router = Router(tags=["safety nets"])

PATH = "/safety-nets/{episode_id}/investigations/{investigation_id}"


@router.post(
    "/safety-nets/{episode_id}/investigations",
    response=responses(201, InvestigationOut),
    summary="Order an investigation the episode then waits for",
    description=(
        "A lab test names the result it waits for (`code`, e.g. `haemoglobin`). The "
        "expected date is today or later. The episode is then `investigating`."
    ),
)
def investigation_order(
    request: HttpRequest, episode_id: int, payload: InvestigationIn
) -> Status[Any]:
    def action(user: User) -> InvestigationOut:
        investigation = services.investigation_order(
            episode=episode_of(user, episode_id),
            by=user,
            kind=payload.kind,
            expected_by=payload.expected_by,
            code=payload.code,
            description=payload.description,
        )
        return investigation_out(investigation)

    return act(request, GP_ONLY, action, status=201)


def _of_the_patient[Row: (LabResult, ClinicalFinding)](
    model: type[Row], row_id: int | None, investigation: Investigation
) -> Row | None:
    if row_id is None:
        return None
    row = model.objects.filter(pk=row_id, patient_id=investigation.episode.patient_id).first()
    if row is None:
        # Another patient's row and no row at all read alike: no ids are revealed.
        what = "lab result" if model is LabResult else "finding"
        raise WorkflowError("invalid", f"The {what} is not in this patient's record.")
    return row


@router.post(
    f"{PATH}/record-result",
    response=INVESTIGATION,
    summary="The result is in",
    description=(
        "Linked to its row in the patient's record (`lab_result_id` or `finding_id`), or "
        "written in words (`text`); a result without a linked row needs the words."
    ),
)
def investigation_record_result(
    request: HttpRequest, episode_id: int, investigation_id: int, payload: ResultIn
) -> Status[Any]:
    def record(investigation: Investigation, user: User) -> Investigation:
        return services.investigation_record_result(
            investigation=investigation,
            by=user,
            lab_result=_of_the_patient(LabResult, payload.lab_result_id, investigation),
            finding=_of_the_patient(ClinicalFinding, payload.finding_id, investigation),
            text=payload.text,
        )

    return investigation_action(request, episode_id, investigation_id, record)


@router.post(
    f"{PATH}/mark-seen",
    response=INVESTIGATION,
    summary="A GP of the practice has seen the result",
)
def investigation_mark_seen(
    request: HttpRequest, episode_id: int, investigation_id: int
) -> Status[Any]:
    return investigation_action(
        request,
        episode_id,
        investigation_id,
        lambda investigation, user: services.investigation_mark_seen(
            investigation=investigation, by=user
        ),
    )


@router.post(
    f"{PATH}/mark-told",
    response=INVESTIGATION,
    summary="The patient has been told the result, and how",
    description="Telling the patient means a GP has seen the result: it is marked seen too.",
)
def investigation_mark_told(
    request: HttpRequest, episode_id: int, investigation_id: int, payload: ToldIn
) -> Status[Any]:
    return investigation_action(
        request,
        episode_id,
        investigation_id,
        lambda investigation, user: services.investigation_mark_told(
            investigation=investigation, by=user, how=payload.how
        ),
    )


@router.post(
    f"{PATH}/cancel",
    response=INVESTIGATION,
    summary="Cancel an investigation not yet resulted, with the reason",
)
def investigation_cancel(
    request: HttpRequest, episode_id: int, investigation_id: int, payload: CancelIn
) -> Status[Any]:
    return investigation_action(
        request,
        episode_id,
        investigation_id,
        lambda investigation, user: services.investigation_cancel(
            investigation=investigation, by=user, reason=payload.reason
        ),
    )
