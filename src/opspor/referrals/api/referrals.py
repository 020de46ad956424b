"""Referrals over the JSON API: the GP's order and the unit's triage of it."""

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
from opspor.casework.errors import WorkflowError
from opspor.records.selectors import patients_visible_to
from opspor.referrals import services
from opspor.referrals.api.common import (
    CLINICIANS,
    GP_ONLY,
    READ_REFERRAL,
    READ_REFERRAL_LIST,
    REFERRAL,
    UNIT_ONLY,
    advice_of,
    log_list,
    log_read,
    referral_action,
    referral_detail_out,
    referral_rows,
    unit_or_none,
)
from opspor.referrals.api.presenters import referral_out
from opspor.referrals.api.schemas import (
    AlternativePlan,
    BookAppointmentIn,
    FirstContactIn,
    ReasonIn,
    ReferralIn,
    ReferralOut,
    RejectIn,
    ReturnWithAdviceIn,
    SendIn,
)
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState

router = Router(tags=["referrals"])


@router.get(
    "/referrals",
    response={200: list[ReferralOut], 401: UnauthorizedOut, 403: ErrorOut},
    summary="The referrals of the caller's practice or unit",
    description="A draft's `missing` is null here; reading the one referral works it out.",
)
def referral_list(request: HttpRequest) -> Status[Any]:
    user = caller(request, CLINICIANS)
    rows = list(referral_rows(user))
    log_list(user, rows, READ_REFERRAL_LIST)
    return Status(
        200,
        [
            referral_out(
                r,
                missing=None if r.state == ReferralState.DRAFT else r.stored_completeness,
            )
            for r in rows
        ],
    )


@router.get("/referrals/{referral_id}", response=REFERRAL, summary="One referral")
def referral_detail(request: HttpRequest, referral_id: int) -> Status[Any]:
    return act(request, CLINICIANS, lambda user: referral_detail_out(user, referral_id, read=True))


@router.post(
    "/referrals",
    response=responses(201, ReferralOut),
    summary="A GP creates a draft referral",
    description=(
        "For a patient, or from an answered advice request. A referral written by a "
        "practising specialist has `origin` `practising_specialist` and names the clinic "
        f"(`origin_name`) and its phone (`origin_phone`). {IDEMPOTENCY_HELP}"
    ),
)
def referral_create(
    request: HttpRequest, payload: ReferralIn, idempotency_key: str = IdempotencyKey
) -> Status[Any]:
    def action(user: User) -> ReferralOut:
        fields = payload.model_dump()
        patient_id, advice_id = fields.pop("patient_id"), fields.pop("from_advice_id")
        patient = (
            get_object_or_404(patients_visible_to(user), pk=patient_id) if patient_id else None
        )
        advice = advice_of(user, advice_id) if advice_id else None
        referral = services.referral_create_draft(
            by=user,
            patient=patient,
            from_advice=advice,
            unit=unit_or_none(fields.pop("unit_id")),
            idempotency_key=idempotency_key,
            **fields,
        )
        return referral_detail_out(user, referral.pk, read=False)

    return act(request, GP_ONLY, action, status=201)


@router.post(
    "/referrals/{referral_id}/send",
    response=REFERRAL,
    summary="The GP sends the draft; the triage clock starts",
    description=(
        "An incomplete referral is refused (422, `missing` lists what) unless "
        f"`incomplete_reason` says why it is sent anyway. {IDEMPOTENCY_HELP}"
    ),
)
def referral_send(
    request: HttpRequest,
    referral_id: int,
    payload: SendIn | None = None,
    idempotency_key: str = IdempotencyKey,
) -> Status[Any]:

    def send(referral: Referral, user: User) -> None:
        # The completeness check reads the patient's record, and both answers show what it
        # found (the stored snapshot, or the 422's `missing`): a logged read either way.
        try:
            services.referral_send(
                referral=referral,
                by=user,
                incomplete_reason=payload.incomplete_reason if payload else "",
                idempotency_key=idempotency_key,
            )
        except WorkflowError as error:
            if error.code == "incomplete":
                log_read(user, referral, READ_REFERRAL)
            raise
        log_read(user, referral, READ_REFERRAL)

    return referral_action(request, GP_ONLY, referral_id, send)


@router.post("/referrals/{referral_id}/accept", response=REFERRAL, summary="The unit accepts")
def referral_accept(request: HttpRequest, referral_id: int) -> Status[Any]:
    return referral_action(
        request,
        UNIT_ONLY,
        referral_id,
        lambda referral, user: services.referral_accept(referral=referral, by=user),
    )


@router.post(
    "/referrals/{referral_id}/reject",
    response=REFERRAL,
    summary="The unit rejects, with a reason and an alternative plan",
    description="`alternative_plan` is a catalogue `code`, a `text`, or both; without one, 422.",
)
def referral_reject(request: HttpRequest, referral_id: int, payload: RejectIn) -> Status[Any]:
    plan = payload.alternative_plan or AlternativePlan()
    return referral_action(
        request,
        UNIT_ONLY,
        referral_id,
        lambda referral, user: services.referral_reject(
            referral=referral,
            by=user,
            reason_category=payload.reason_category,
            reason_text=payload.reason_text,
            alternative_plan_code=plan.code,
            alternative_plan_text=plan.text,
        ),
    )


@router.post(
    "/referrals/{referral_id}/return-with-advice",
    response=REFERRAL,
    summary="The unit returns the referral with advice",
)
def referral_return_with_advice(
    request: HttpRequest, referral_id: int, payload: ReturnWithAdviceIn
) -> Status[Any]:
    return referral_action(
        request,
        UNIT_ONLY,
        referral_id,
        lambda referral, user: services.referral_return_with_advice(
            referral=referral, by=user, advice_text=payload.advice_text
        ),
    )


@router.post(
    "/referrals/{referral_id}/acknowledge-rejection",
    response=REFERRAL,
    summary="A GP of the practice confirms the rejection and its plan were seen",
)
def referral_acknowledge_rejection(request: HttpRequest, referral_id: int) -> Status[Any]:
    return referral_action(
        request,
        GP_ONLY,
        referral_id,
        lambda referral, user: services.referral_acknowledge_rejection(referral=referral, by=user),
    )


@router.post("/referrals/{referral_id}/withdraw", response=REFERRAL, summary="The GP withdraws")
def referral_withdraw(
    request: HttpRequest, referral_id: int, payload: ReasonIn | None = None
) -> Status[Any]:
    return referral_action(
        request,
        GP_ONLY,
        referral_id,
        lambda referral, user: services.referral_withdraw(
            referral=referral, by=user, reason=payload.reason if payload else ""
        ),
    )


@router.post(
    "/referrals/{referral_id}/book-appointment",
    response=REFERRAL,
    summary="The unit books the patient's appointment",
    description="Booking counts as the first contact with the patient if none was recorded.",
)
def referral_book_appointment(
    request: HttpRequest, referral_id: int, payload: BookAppointmentIn
) -> Status[Any]:
    return referral_action(
        request,
        UNIT_ONLY,
        referral_id,
        lambda referral, user: services.referral_book_appointment(
            referral=referral, by=user, appointment_at=payload.appointment_at
        ),
    )


@router.post(
    "/referrals/{referral_id}/record-first-contact",
    response=REFERRAL,
    summary="The unit has spoken to the patient after accepting",
    description="Due within 48 hours of acceptance (brought forward off closed time).",
)
def referral_first_contact(
    request: HttpRequest, referral_id: int, payload: FirstContactIn | None = None
) -> Status[Any]:
    return referral_action(
        request,
        UNIT_ONLY,
        referral_id,
        lambda referral, user: services.referral_record_first_contact(
            referral=referral, by=user, note=payload.note if payload else ""
        ),
    )


@router.post(
    "/referrals/{referral_id}/complete",
    response=REFERRAL,
    summary="The unit completes the investigation",
)
def referral_complete(
    request: HttpRequest, referral_id: int, payload: ReasonIn | None = None
) -> Status[Any]:
    return referral_action(
        request,
        UNIT_ONLY,
        referral_id,
        lambda referral, user: services.referral_complete(
            referral=referral, by=user, reason=payload.reason if payload else ""
        ),
    )
