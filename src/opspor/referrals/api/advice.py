"""Advice requests over the JSON API: the GP's question, the unit's answer, the conversion into a
referral."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from opspor.accounts.models import User
from opspor.api_errors import ErrorOut, UnauthorizedOut
from opspor.casework.endpoints import (
    IDEMPOTENCY_HELP,
    IdempotencyKey,
    act,
    caller,
    responses,
)
from opspor.records.selectors import patients_visible_to
from opspor.referrals import services
from opspor.referrals.api.common import (
    ADVICE,
    CLINICIANS,
    GP_ONLY,
    READ_ADVICE_LIST,
    UNIT_ONLY,
    advice_action,
    advice_detail_out,
    advice_of,
    advice_rows,
    log_list,
    referral_detail_out,
    unit_or_none,
)
from opspor.referrals.api.presenters import advice_out
from opspor.referrals.api.schemas import (
    AdviceAnswerIn,
    AdviceRequestIn,
    AdviceRequestOut,
    ReasonIn,
    ReferralFields,
    ReferralOut,
)

router = Router(tags=["advice requests"])


@router.get(
    "/advice-requests",
    response={200: list[AdviceRequestOut], 401: UnauthorizedOut, 403: ErrorOut},
    summary="The advice requests of the caller's practice or unit",
)
def advice_request_list(request: HttpRequest) -> Status[Any]:
    user = caller(request, CLINICIANS)
    rows = list(advice_rows(user))
    log_list(user, rows, READ_ADVICE_LIST)
    return Status(200, [advice_out(a) for a in rows])


@router.get("/advice-requests/{advice_id}", response=ADVICE, summary="One advice request")
def advice_request_detail(request: HttpRequest, advice_id: int) -> Status[Any]:
    return act(request, CLINICIANS, lambda user: advice_detail_out(user, advice_id, read=True))


@router.post(
    "/advice-requests",
    response=responses(201, AdviceRequestOut),
    summary="A GP asks a diagnostic unit a question",
    description=IDEMPOTENCY_HELP,
)
def advice_request_create(
    request: HttpRequest, payload: AdviceRequestIn, idempotency_key: str = IdempotencyKey
) -> Status[Any]:
    def action(user: User) -> AdviceRequestOut:
        patient = get_object_or_404(patients_visible_to(user), pk=payload.patient_id)
        advice = services.advice_request_send(
            patient=patient,
            by=user,
            question=payload.question,
            gp_findings=payload.gp_findings,
            unit=unit_or_none(payload.unit_id),
            idempotency_key=idempotency_key,
        )
        return advice_detail_out(user, advice.pk, read=False)

    return act(request, GP_ONLY, action, status=201)


@router.post(
    "/advice-requests/{advice_id}/answer",
    response=ADVICE,
    summary="A doctor of the unit answers an advice request",
)
def advice_request_answer(
    request: HttpRequest, advice_id: int, payload: AdviceAnswerIn
) -> Status[Any]:
    return advice_action(
        request,
        UNIT_ONLY,
        advice_id,
        lambda advice, user: services.advice_request_answer(
            advice=advice, by=user, answer=payload.answer
        ),
    )


@router.post(
    "/advice-requests/{advice_id}/close",
    response=ADVICE,
    summary="The GP closes the advice request",
    description="Once the answer is read, or when the question is no longer needed.",
)
def advice_request_close(
    request: HttpRequest, advice_id: int, payload: ReasonIn | None = None
) -> Status[Any]:
    return advice_action(
        request,
        GP_ONLY,
        advice_id,
        lambda advice, user: services.advice_request_close(
            advice=advice, by=user, reason=payload.reason if payload else ""
        ),
    )


@router.post(
    "/advice-requests/{advice_id}/convert",
    response=responses(201, ReferralOut),
    summary="The GP turns an answered advice request into a draft referral",
    description=(
        "The draft takes over the patient, the unit, the question and the summary; the "
        f"advice request is closed. {IDEMPOTENCY_HELP}"
    ),
)
def advice_request_convert(
    request: HttpRequest,
    advice_id: int,
    payload: ReferralFields,
    idempotency_key: str = IdempotencyKey,
) -> Status[Any]:
    def action(user: User) -> ReferralOut:
        fields = payload.model_dump()
        referral = services.referral_create_draft(
            by=user,
            from_advice=advice_of(user, advice_id),
            unit=unit_or_none(fields.pop("unit_id")),
            idempotency_key=idempotency_key,
            **fields,
        )
        return referral_detail_out(user, referral.pk, read=False)

    return act(request, GP_ONLY, action, status=201)
