"""Advice requests and referrals over the JSON API.

The views parse, call one selector or service, and shape the answer. Access is the
selectors' (an object outside the caller's reach is 404 and nothing changes) and the
services' (`WorkflowError`, mapped to a status below); a role that can never use an
endpoint is refused with 403 before anything is read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Header, Router, Schema, Status

from opspor.accounts.models import Role, User
from opspor.records.models import DiagnosticUnit
from opspor.records.selectors import patients_visible_to
from opspor.referrals import selectors, services
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.services import WorkflowError
from opspor.referrals.workflow import ReferralState

router = Router(tags=["referrals"])

GP_ONLY = frozenset({Role.GP})
UNIT_ONLY = frozenset({Role.UNIT_DOCTOR})
CLINICIANS = GP_ONLY | UNIT_ONLY

# A refusal's code decides its status: who may act (403), whether the state allows it now
# (409), or what the request lacks (422, with `missing` naming it).
ERROR_STATUS = {
    "forbidden": 403,
    "not_allowed": 409,
    "conflict": 409,
    "incomplete": 422,
    "missing_plan": 422,
    "invalid": 422,
}

IDEMPOTENCY_HELP = "A repeat with the same key returns the first result and creates nothing."


# --- schemas ---------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str
    detail: str
    missing: list[dict[str, Any]] = []


class NotFoundOut(Schema):
    detail: str  # the same for a missing row and one outside the caller's reach


class AlternativePlan(Schema):
    code: str = ""  # a code of the alternatives catalogue
    text: str = ""  # or a plan in words


class TriageOut(Schema):
    decision: str | None  # accepted, rejected, returned_with_advice, or None while open
    decided_by_id: int | None
    decided_at: datetime | None
    reason_category: str
    reason_text: str
    alternative_plan: AlternativePlan
    advice_text: str
    acknowledged_by_id: int | None
    acknowledged_at: datetime | None


class ReferralOut(Schema):
    id: int
    state: str
    patient_id: int
    practice_id: int
    unit_id: int
    requester_id: int
    pathway: str
    clinical_question: str
    from_advice_id: int | None
    created_at: datetime
    sent_at: datetime | None
    triage_due_at: datetime | None
    missing: list[dict[str, Any]]
    incomplete_reason: str
    informed_about_kraeft: bool
    marked_frail: bool
    triage: TriageOut
    appointment_at: datetime | None
    completed_at: datetime | None
    withdrawn_at: datetime | None


class AdviceRequestOut(Schema):
    id: int
    state: str
    patient_id: int
    practice_id: int
    unit_id: int
    asked_by_id: int
    question: str
    patient_summary: dict[str, Any]
    sent_at: datetime
    answer_due_at: datetime
    answer: str
    answered_by_id: int | None
    answered_at: datetime | None
    closed_at: datetime | None


class AdviceRequestIn(Schema):
    patient_id: int
    question: str
    patient_summary: dict[str, Any] | None = None
    unit_id: int | None = None  # the practice's own diagnostic unit when left out


class AdviceAnswerIn(Schema):
    answer: str


class ReferralIn(Schema):
    pathway: str
    patient_id: int | None = None
    from_advice_id: int | None = None  # an answered advice request; gives the patient
    clinical_question: str = ""
    findings: dict[str, Any] | None = None
    unit_id: int | None = None
    informed_about_kraeft: bool = False
    marked_frail: bool = False
    clinical_frailty_scale: int | None = Field(None, ge=1, le=9)
    dementia: bool | None = None
    patient_wish: str = ""
    relatives_role: str = ""
    tolerates_surgery: bool | None = None
    tolerates_chemotherapy: bool | None = None


class SendIn(Schema):
    incomplete_reason: str = ""  # required when the referral is incomplete


class RejectIn(Schema):
    reason_category: str
    reason_text: str
    alternative_plan: AlternativePlan | None = None


class ReturnWithAdviceIn(Schema):
    advice_text: str


class WithdrawIn(Schema):
    reason: str = ""


# --- shaping answers -------------------------------------------------------------------


def _local(moment: datetime | None) -> datetime | None:
    # Deadlines are Danish working days; the offset shows which local time they mean.
    return timezone.localtime(moment) if moment is not None else None


def _referral_out(referral: Referral) -> ReferralOut:
    if referral.state == ReferralState.DRAFT:
        # Not sent yet: what sending would report now, so the GP can complete it first.
        missing = services.referral_missing_items(referral, on=timezone.localdate())
    else:
        missing = list(referral.completeness)
    decided = referral.decided_at is not None
    return ReferralOut(
        id=referral.pk,
        state=referral.state,
        patient_id=referral.patient_id,
        practice_id=referral.practice_id,
        unit_id=referral.unit_id,
        requester_id=referral.requester_id,
        pathway=referral.pathway,
        clinical_question=referral.clinical_question,
        from_advice_id=referral.from_advice_id,
        created_at=timezone.localtime(referral.created_at),
        sent_at=_local(referral.sent_at),
        triage_due_at=_local(referral.triage_due_at),
        missing=missing,
        incomplete_reason=referral.incomplete_reason,
        informed_about_kraeft=referral.informed_about_kraeft,
        marked_frail=referral.marked_frail,
        triage=TriageOut(
            decision=_triage_decision(referral) if decided else None,
            decided_by_id=referral.decided_by_id,
            decided_at=_local(referral.decided_at),
            reason_category=referral.reason_category,
            reason_text=referral.reason_text,
            alternative_plan=AlternativePlan(
                code=referral.alternative_plan_code, text=referral.alternative_plan_text
            ),
            advice_text=referral.advice_text,
            acknowledged_by_id=referral.acknowledged_by_id,
            acknowledged_at=_local(referral.acknowledged_at),
        ),
        appointment_at=_local(referral.appointment_at),
        completed_at=_local(referral.completed_at),
        withdrawn_at=_local(referral.withdrawn_at),
    )


def _triage_decision(referral: Referral) -> str:
    # A booked, completed or withdrawn referral was accepted first; the others keep the
    # decision as their state.
    if referral.reason_category:
        return ReferralState.REJECTED
    if referral.advice_text:
        return ReferralState.RETURNED_WITH_ADVICE
    return ReferralState.ACCEPTED


def _advice_out(advice: AdviceRequest) -> AdviceRequestOut:
    return AdviceRequestOut(
        id=advice.pk,
        state=advice.state,
        patient_id=advice.patient_id,
        practice_id=advice.practice_id,
        unit_id=advice.unit_id,
        asked_by_id=advice.asked_by_id,
        question=advice.question,
        patient_summary=advice.patient_summary,
        sent_at=timezone.localtime(advice.sent_at),
        answer_due_at=timezone.localtime(advice.answer_due_at),
        answer=advice.answer,
        answered_by_id=advice.answered_by_id,
        answered_at=_local(advice.answered_at),
        closed_at=_local(advice.closed_at),
    )


def _act[T](
    request: HttpRequest,
    roles: Collection[str],
    action: Callable[[User], T],
    shape: Callable[[T], Schema],
    *,
    status: int = 200,
) -> Status[Schema]:
    """Run one action for the caller; a refusal becomes its status and an `ErrorOut`.

    `Http404` from a selector passes through to the API's 404 answer.
    """
    user = request.user
    assert isinstance(user, User)  # the bearer authenticator set it
    if user.role not in roles:
        return Status(
            403, ErrorOut(code="forbidden", detail="This role may not use this endpoint.")
        )
    try:
        result = action(user)
    except WorkflowError as error:
        return Status(
            ERROR_STATUS[error.code],
            ErrorOut(code=error.code, detail=error.message, missing=error.missing),
        )
    return Status(status, shape(result))


def _referral(user: User, referral_id: int) -> Referral:
    return selectors.referral_get(user=user, referral_id=referral_id)


def _unit(unit_id: int | None) -> DiagnosticUnit | None:
    return get_object_or_404(DiagnosticUnit, pk=unit_id) if unit_id is not None else None


def _responses(ok: int, out: type[Schema]) -> dict[int, type[Schema]]:
    return {ok: out, 403: ErrorOut, 404: NotFoundOut, 409: ErrorOut, 422: ErrorOut}


REFERRAL = _responses(200, ReferralOut)


# --- advice requests -------------------------------------------------------------------


@router.post(
    "/advice-requests",
    response=_responses(201, AdviceRequestOut),
    summary="A GP asks a diagnostic unit a question",
    description=IDEMPOTENCY_HELP,
)
def advice_request_create(
    request: HttpRequest,
    payload: AdviceRequestIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=200),
) -> Status[Schema]:
    def action(user: User) -> AdviceRequest:
        patient = get_object_or_404(patients_visible_to(user), pk=payload.patient_id)
        return services.advice_request_send(
            patient=patient,
            by=user,
            question=payload.question,
            patient_summary=payload.patient_summary,
            unit=_unit(payload.unit_id),
            idempotency_key=idempotency_key,
        )

    return _act(request, GP_ONLY, action, _advice_out, status=201)


@router.post(
    "/advice-requests/{advice_id}/answer",
    response=_responses(200, AdviceRequestOut),
    summary="A doctor of the unit answers an advice request",
)
def advice_request_answer(
    request: HttpRequest, advice_id: int, payload: AdviceAnswerIn
) -> Status[Schema]:
    def action(user: User) -> AdviceRequest:
        advice = selectors.advice_request_get(user=user, advice_id=advice_id)
        return services.advice_request_answer(advice=advice, by=user, answer=payload.answer)

    return _act(request, UNIT_ONLY, action, _advice_out)


# --- referrals -------------------------------------------------------------------------


@router.get(
    "/referrals",
    response={200: list[ReferralOut], 403: ErrorOut},
    summary="The referrals of the caller's practice or unit",
)
def referral_list(request: HttpRequest) -> Status[Any]:
    user = request.user
    assert isinstance(user, User)
    if user.role not in CLINICIANS:
        return Status(
            403, ErrorOut(code="forbidden", detail="This role may not use this endpoint.")
        )
    return Status(200, [_referral_out(r) for r in selectors.referrals_visible_to(user)])


@router.get("/referrals/{referral_id}", response=REFERRAL, summary="One referral")
def referral_detail(request: HttpRequest, referral_id: int) -> Status[Schema]:
    return _act(request, CLINICIANS, lambda user: _referral(user, referral_id), _referral_out)


@router.post(
    "/referrals",
    response=_responses(201, ReferralOut),
    summary="A GP creates a draft referral",
    description=f"For a patient, or from an answered advice request. {IDEMPOTENCY_HELP}",
)
def referral_create(
    request: HttpRequest,
    payload: ReferralIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=200),
) -> Status[Schema]:
    def action(user: User) -> Referral:
        fields = payload.dict()
        patient_id, advice_id = fields.pop("patient_id"), fields.pop("from_advice_id")
        patient = (
            get_object_or_404(patients_visible_to(user), pk=patient_id) if patient_id else None
        )
        advice = selectors.advice_request_get(user=user, advice_id=advice_id) if advice_id else None
        return services.referral_create_draft(
            by=user,
            patient=patient,
            from_advice=advice,
            unit=_unit(fields.pop("unit_id")),
            idempotency_key=idempotency_key,
            **fields,
        )

    return _act(request, GP_ONLY, action, _referral_out, status=201)


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
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=200),
) -> Status[Schema]:
    def action(user: User) -> Referral:
        return services.referral_send(
            referral=_referral(user, referral_id),
            by=user,
            incomplete_reason=payload.incomplete_reason if payload else "",
            idempotency_key=idempotency_key,
        )

    return _act(request, GP_ONLY, action, _referral_out)


@router.post("/referrals/{referral_id}/accept", response=REFERRAL, summary="The unit accepts")
def referral_accept(request: HttpRequest, referral_id: int) -> Status[Schema]:
    def action(user: User) -> Referral:
        return services.referral_accept(referral=_referral(user, referral_id), by=user)

    return _act(request, UNIT_ONLY, action, _referral_out)


@router.post(
    "/referrals/{referral_id}/reject",
    response=REFERRAL,
    summary="The unit rejects, with a reason and an alternative plan",
    description="`alternative_plan` is a catalogue `code`, a `text`, or both; without one, 422.",
)
def referral_reject(request: HttpRequest, referral_id: int, payload: RejectIn) -> Status[Schema]:
    plan = payload.alternative_plan or AlternativePlan()

    def action(user: User) -> Referral:
        return services.referral_reject(
            referral=_referral(user, referral_id),
            by=user,
            reason_category=payload.reason_category,
            reason_text=payload.reason_text,
            alternative_plan_code=plan.code,
            alternative_plan_text=plan.text,
        )

    return _act(request, UNIT_ONLY, action, _referral_out)


@router.post(
    "/referrals/{referral_id}/return-with-advice",
    response=REFERRAL,
    summary="The unit returns the referral with advice",
)
def referral_return_with_advice(
    request: HttpRequest, referral_id: int, payload: ReturnWithAdviceIn
) -> Status[Schema]:
    def action(user: User) -> Referral:
        return services.referral_return_with_advice(
            referral=_referral(user, referral_id), by=user, advice_text=payload.advice_text
        )

    return _act(request, UNIT_ONLY, action, _referral_out)


@router.post(
    "/referrals/{referral_id}/acknowledge-rejection",
    response=REFERRAL,
    summary="A GP of the practice confirms the rejection and its plan were seen",
)
def referral_acknowledge_rejection(request: HttpRequest, referral_id: int) -> Status[Schema]:
    def action(user: User) -> Referral:
        return services.referral_acknowledge_rejection(
            referral=_referral(user, referral_id), by=user
        )

    return _act(request, GP_ONLY, action, _referral_out)


@router.post("/referrals/{referral_id}/withdraw", response=REFERRAL, summary="The GP withdraws")
def referral_withdraw(
    request: HttpRequest, referral_id: int, payload: WithdrawIn | None = None
) -> Status[Schema]:
    def action(user: User) -> Referral:
        return services.referral_withdraw(
            referral=_referral(user, referral_id), by=user, reason=payload.reason if payload else ""
        )

    return _act(request, GP_ONLY, action, _referral_out)
