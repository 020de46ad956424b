"""Advice requests and referrals over the JSON API.

The views parse, call one selector or service, and shape the answer. Access is the
selectors' (an object outside the caller's reach is 404 and nothing changes) and the
services' (`WorkflowError`, mapped to a status below); a role that can never use an
endpoint is refused with 403 before anything is read.

Every referral and advice request carries its contacts (the practice's and the unit's
numbers, and who wrote the letter), its deadlines and whether it is overdue. Lists are
one query however long they are: the contacts come joined with the row, and `overdue` is
computed by the database with the conditions the screens and the counts use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import BaseModel, field_validator, model_validator

from opspor.accounts.models import Role, User
from opspor.accounts.services import record_read_log
from opspor.api_errors import BadRequestOut, NotFoundOut, UnauthorizedOut, ValidationErrorOut
from opspor.casework.text import MAX_LINE_LENGTH, MAX_TEXT_LENGTH
from opspor.records.models import DiagnosticUnit, Practice
from opspor.records.selectors import patients_visible_to
from opspor.referrals import fhir, selectors, services
from opspor.referrals.models import AdviceRequest, Message, Notification, Referral
from opspor.referrals.services import WorkflowError
from opspor.referrals.workflow import ReferralOrigin, ReferralState

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
IdempotencyKey = Header("", alias="Idempotency-Key", max_length=200)

# The access log's name for a read of one case through the API (the screens log the same
# reads as "referral" and "advice request" on the web channel).
READ_REFERRAL = "referral"
READ_ADVICE = "advice request"


# --- schemas ---------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str
    detail: str
    missing: list[dict[str, Any]] = []


# A 422 is either the schema's refusal (`ValidationErrorOut`) or the service's (`ErrorOut`,
# with a `code`).
Unprocessable = ErrorOut | ValidationErrorOut


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class BodyIn(BaseModel):
    """A request body: a JSON object, and nothing else.

    A plain pydantic model, not Ninja's `Schema`: that one reads fields as attributes of
    whatever it is given (so that it can shape model rows), and so takes a string, a number
    or a list as an object without fields; a body of `"x"` would withdraw a referral as if
    no body had been sent. Here anything but an object is refused with 422, before any
    action.
    """

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL stores no NUL character in text or JSON: refused here with 422 rather
        # than failing as a server error at the database (SQLite would have stored it).
        if _has_nul(value):
            raise ValueError("Text may not contain the NUL character (U+0000).")
        return value


class AlternativePlan(BodyIn):
    code: str = Field("", max_length=MAX_LINE_LENGTH)  # a code of the alternatives catalogue
    text: str = Field("", max_length=MAX_TEXT_LENGTH)  # or a plan in words


class PhoneBookOut(Schema):
    name: str
    phone: str  # the switchboard
    direct_phone: str  # for colleagues
    on_call_phone: str  # out of hours


class OriginOut(Schema):
    kind: str  # general_practice or practising_specialist
    name: str  # the specialist's clinic; empty when the patient's own practice referred
    phone: str


class ContactsOut(Schema):
    practice: PhoneBookOut  # the patient's own practice, whoever wrote the letter
    unit: PhoneBookOut
    origin: OriginOut


class ClinicianRef(Schema):
    id: int
    name: str


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
    # What the referral lacks. Sent: what the check found at sending. A draft: what the
    # record lacks now, worked out only when one referral is read (the read is logged);
    # None in lists, which do not read the record.
    missing: list[dict[str, Any]] | None
    incomplete_reason: str
    informed_about_kraeft: bool
    marked_frail: bool
    triage: TriageOut
    first_contact_due_at: datetime | None
    first_contact_at: datetime | None
    escalation_due_at: datetime | None
    escalated_at: datetime | None
    patient_contact_due_at: datetime | None
    patient_contact_by: ClinicianRef | None  # who contacts the patient after a rejection
    appointment_at: datetime | None
    completed_at: datetime | None
    withdrawn_at: datetime | None
    overdue: bool
    contacts: ContactsOut


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
    overdue: bool
    contacts: ContactsOut


class AdviceRequestIn(BodyIn):
    patient_id: int
    question: str = Field(max_length=MAX_TEXT_LENGTH)
    patient_summary: dict[str, Any] | None = None
    unit_id: int | None = None  # the practice's own diagnostic unit when left out


class AdviceAnswerIn(BodyIn):
    answer: str = Field(max_length=MAX_TEXT_LENGTH)


class ReasonIn(BodyIn):
    reason: str = Field("", max_length=MAX_TEXT_LENGTH)


class ReferralFields(BodyIn):
    """The GP's order: what a draft carries, typed or taken over from an advice request."""

    pathway: str = Field(max_length=MAX_LINE_LENGTH)
    clinical_question: str = Field("", max_length=MAX_TEXT_LENGTH)
    findings: dict[str, Any] | None = None
    unit_id: int | None = None
    informed_about_kraeft: bool = False
    marked_frail: bool = False
    clinical_frailty_scale: int | None = Field(None, ge=1, le=9)
    dementia: bool | None = None
    patient_wish: str = Field("", max_length=MAX_TEXT_LENGTH)
    relatives_role: str = Field("", max_length=MAX_TEXT_LENGTH)
    tolerates_surgery: bool | None = None
    tolerates_chemotherapy: bool | None = None


class ReferralIn(ReferralFields):
    patient_id: int | None = None
    from_advice_id: int | None = None  # an answered advice request; gives the patient
    # Who wrote the letter: a practising specialist names the clinic and its phone.
    origin: str = Field(ReferralOrigin.GENERAL_PRACTICE, max_length=MAX_LINE_LENGTH)
    origin_name: str = Field("", max_length=150)
    origin_phone: str = Field("", max_length=20)


class SendIn(BodyIn):
    # Required when the referral is incomplete.
    incomplete_reason: str = Field("", max_length=MAX_TEXT_LENGTH)


class RejectIn(BodyIn):
    reason_category: str = Field(max_length=MAX_LINE_LENGTH)
    reason_text: str = Field(max_length=MAX_TEXT_LENGTH)
    alternative_plan: AlternativePlan | None = None


class ReturnWithAdviceIn(BodyIn):
    advice_text: str = Field(max_length=MAX_TEXT_LENGTH)


# Bounds that only catch a mistyped year and times the answer could not write back (before
# 1894 Danish local time had no whole-minute offset; a time late in the year 9999 is past
# the last year in Danish time). This API's plausibility bounds, not a rule from a source.
EARLIEST_APPOINTMENT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_APPOINTMENT = datetime(2100, 1, 1, tzinfo=UTC)


class BookAppointmentIn(BodyIn):
    appointment_at: datetime  # with a time zone offset

    @field_validator("appointment_at")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        # A time without an offset is left to the service, which says that it needs one.
        if value.tzinfo is not None and not EARLIEST_APPOINTMENT <= value < LATEST_APPOINTMENT:
            raise ValueError("An appointment in the years 2000 to 2099 is expected.")
        return value


class FirstContactIn(BodyIn):
    note: str = Field("", max_length=MAX_TEXT_LENGTH)


class MessageIn(BodyIn):
    body: str = Field(max_length=MAX_TEXT_LENGTH)


class MessageOut(Schema):
    id: int
    author_id: int
    author_name: str
    author_side: str  # gp or unit
    sent_at: datetime
    body: str
    read_at: datetime | None  # the read receipt: when the other side first opened it
    read_by_id: int | None


class NotificationOut(Schema):
    id: int
    kind: str
    label: str
    created_at: datetime
    read_at: datetime | None
    referral_id: int | None
    advice_request_id: int | None


# The largest id a database row can have (a signed 64-bit integer); a larger one cannot
# even be compared with the ids in the database.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class NotificationsReadIn(BodyIn):
    ids: list[RowId] = Field(..., min_length=1, max_length=1000)


class MarkedOut(Schema):
    marked: int


# --- shaping answers -------------------------------------------------------------------


def _local(moment: datetime | None) -> datetime | None:
    # Deadlines are Danish working days; the offset shows which local time they mean.
    return timezone.localtime(moment) if moment is not None else None


def _phone_book(organization: Practice | DiagnosticUnit) -> PhoneBookOut:
    return PhoneBookOut(
        name=organization.name,
        phone=organization.phone,
        direct_phone=organization.direct_phone,
        on_call_phone=organization.on_call_phone,
    )


def _contacts(row: Referral | AdviceRequest) -> ContactsOut:
    if isinstance(row, Referral) and row.origin == ReferralOrigin.PRACTISING_SPECIALIST:
        origin = OriginOut(kind=row.origin, name=row.origin_name, phone=row.origin_phone)
    else:
        origin = OriginOut(kind=ReferralOrigin.GENERAL_PRACTICE, name="", phone="")
    return ContactsOut(
        practice=_phone_book(row.practice), unit=_phone_book(row.unit), origin=origin
    )


def _referral_out(referral: Referral, *, missing: list[dict[str, Any]] | None) -> ReferralOut:
    decided = referral.decided_at is not None
    contact_by = referral.patient_contact_by
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
        first_contact_due_at=_local(referral.first_contact_due_at),
        first_contact_at=_local(referral.first_contact_at),
        escalation_due_at=_local(referral.escalation_due_at),
        escalated_at=_local(referral.escalated_at),
        patient_contact_due_at=_local(referral.patient_contact_due_at),
        patient_contact_by=(
            ClinicianRef(id=contact_by.pk, name=contact_by.name) if contact_by else None
        ),
        appointment_at=_local(referral.appointment_at),
        completed_at=_local(referral.completed_at),
        withdrawn_at=_local(referral.withdrawn_at),
        overdue=referral.is_overdue,  # type: ignore[attr-defined]  # annotated by with_overdue
        contacts=_contacts(referral),
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
        overdue=advice.is_overdue,  # type: ignore[attr-defined]  # annotated by with_overdue
        contacts=_contacts(advice),
    )


def _message_out(message: Message) -> MessageOut:
    author = message.author
    clinician = getattr(author, "clinician", None)
    return MessageOut(
        id=message.pk,
        author_id=message.author_id,
        # An author no longer linked to a clinician is still named, by their login.
        author_name=(
            clinician.name
            if clinician is not None
            else author.get_full_name() or author.get_username()
        ),
        author_side=message.author_side,
        sent_at=timezone.localtime(message.sent_at),
        body=message.body,
        read_at=_local(message.read_at),
        read_by_id=message.read_by_id,
    )


def _notification_out(notification: Notification) -> NotificationOut:
    return NotificationOut(
        id=notification.pk,
        kind=notification.kind,
        label=str(notification.get_kind_display()),
        created_at=timezone.localtime(notification.created_at),
        read_at=_local(notification.read_at),
        referral_id=notification.referral_id,
        advice_request_id=notification.advice_request_id,
    )


# --- reading rows back -----------------------------------------------------------------


def _referral_rows(user: User) -> QuerySet[Referral]:
    rows = selectors.with_overdue(selectors.referrals_visible_to(user), timezone.now())
    return rows.select_related("patient_contact_by")


def _advice_rows(user: User) -> QuerySet[AdviceRequest]:
    return selectors.with_overdue(selectors.advice_requests_visible_to(user), timezone.now())


def _log_read(user: User, row: Referral | AdviceRequest, what: str) -> None:
    record_read_log(user=user, patient=row.patient, what=what, channel="api")


def _referral_detail(user: User, referral_id: int, *, read: bool) -> ReferralOut:
    """One referral as the caller may see it, read back after any change.

    `read` is a read of the case (GET), logged like the screens log it. A draft's missing
    items are worked out from the patient's record now, which is a read of the record as
    well: it is logged whenever it happens, also in the answer to creating the draft.
    """
    try:
        referral = _referral_rows(user).get(pk=referral_id)
    except Referral.DoesNotExist:
        raise Http404("No such referral") from None
    if referral.state == ReferralState.DRAFT:
        missing = services.referral_missing_items(referral, on=timezone.localdate())
    else:
        missing = list(referral.completeness)
    if read or referral.state == ReferralState.DRAFT:
        _log_read(user, referral, READ_REFERRAL)
    return _referral_out(referral, missing=missing)


def _advice_detail(user: User, advice_id: int, *, read: bool) -> AdviceRequestOut:
    try:
        advice = _advice_rows(user).get(pk=advice_id)
    except AdviceRequest.DoesNotExist:
        raise Http404("No such advice request") from None
    if read:
        _log_read(user, advice, READ_ADVICE)
    return _advice_out(advice)


def _thread_messages(thread: Referral | AdviceRequest) -> list[Message]:
    # The authors and readers come joined, so a long thread is one query.
    return list(
        thread.messages.select_related("author__clinician", "read_by").order_by("sent_at", "pk")
    )


# --- running an action -----------------------------------------------------------------


def _forbidden_role() -> Status[Schema]:
    return Status(403, ErrorOut(code="forbidden", detail="This role may not use this endpoint."))


def _refused(error: WorkflowError) -> Status[Schema]:
    return Status(
        ERROR_STATUS[error.code],
        ErrorOut(code=error.code, detail=error.message, missing=error.missing),
    )


def _caller(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the bearer authenticator set it
    return user


def _act[T](
    request: HttpRequest,
    roles: Collection[str],
    action: Callable[[User], T],
    *,
    shape: Callable[[T], Any] = lambda out: out,
    status: int = 200,
) -> Status[Any]:
    """Run one action for the caller; a refusal becomes its status and an `ErrorOut`.

    `Http404` from a selector passes through to the API's 404 answer.
    """
    user = _caller(request)
    if user.role not in roles:
        return _forbidden_role()
    try:
        result = action(user)
    except WorkflowError as error:
        return _refused(error)
    return Status(status, shape(result))


def _referral(user: User, referral_id: int) -> Referral:
    return selectors.referral_get(user=user, referral_id=referral_id)


def _advice(user: User, advice_id: int) -> AdviceRequest:
    return selectors.advice_request_get(user=user, advice_id=advice_id)


def _unit(unit_id: int | None) -> DiagnosticUnit | None:
    return get_object_or_404(DiagnosticUnit, pk=unit_id) if unit_id is not None else None


def _responses(ok: int, out: Any) -> dict[int, Any]:
    return {
        ok: out,
        400: BadRequestOut,
        401: UnauthorizedOut,
        403: ErrorOut,
        404: NotFoundOut,
        409: ErrorOut,
        422: Unprocessable,
    }


REFERRAL = _responses(200, ReferralOut)
ADVICE = _responses(200, AdviceRequestOut)


def _referral_action(
    request: HttpRequest,
    roles: Collection[str],
    referral_id: int,
    change: Callable[[Referral, User], object],
) -> Status[Any]:
    """Change one referral with a service and answer with it as it is now."""

    def action(user: User) -> ReferralOut:
        change(_referral(user, referral_id), user)
        return _referral_detail(user, referral_id, read=False)

    return _act(request, roles, action)


def _advice_action(
    request: HttpRequest,
    roles: Collection[str],
    advice_id: int,
    change: Callable[[AdviceRequest, User], object],
) -> Status[Any]:
    def action(user: User) -> AdviceRequestOut:
        change(_advice(user, advice_id), user)
        return _advice_detail(user, advice_id, read=False)

    return _act(request, roles, action)


# --- advice requests -------------------------------------------------------------------


@router.get(
    "/advice-requests",
    response={200: list[AdviceRequestOut], 401: UnauthorizedOut, 403: ErrorOut},
    summary="The advice requests of the caller's practice or unit",
)
def advice_request_list(request: HttpRequest) -> Status[Any]:
    if _caller(request).role not in CLINICIANS:
        return _forbidden_role()
    return Status(200, [_advice_out(a) for a in _advice_rows(_caller(request))])


@router.get("/advice-requests/{advice_id}", response=ADVICE, summary="One advice request")
def advice_request_detail(request: HttpRequest, advice_id: int) -> Status[Any]:
    return _act(request, CLINICIANS, lambda user: _advice_detail(user, advice_id, read=True))


@router.post(
    "/advice-requests",
    response=_responses(201, AdviceRequestOut),
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
            patient_summary=payload.patient_summary,
            unit=_unit(payload.unit_id),
            idempotency_key=idempotency_key,
        )
        return _advice_detail(user, advice.pk, read=False)

    return _act(request, GP_ONLY, action, status=201)


@router.post(
    "/advice-requests/{advice_id}/answer",
    response=ADVICE,
    summary="A doctor of the unit answers an advice request",
)
def advice_request_answer(
    request: HttpRequest, advice_id: int, payload: AdviceAnswerIn
) -> Status[Any]:
    return _advice_action(
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
    return _advice_action(
        request,
        GP_ONLY,
        advice_id,
        lambda advice, user: services.advice_request_close(
            advice=advice, by=user, reason=payload.reason if payload else ""
        ),
    )


@router.post(
    "/advice-requests/{advice_id}/convert",
    response=_responses(201, ReferralOut),
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
            from_advice=_advice(user, advice_id),
            unit=_unit(fields.pop("unit_id")),
            idempotency_key=idempotency_key,
            **fields,
        )
        return _referral_detail(user, referral.pk, read=False)

    return _act(request, GP_ONLY, action, status=201)


# --- referrals -------------------------------------------------------------------------


@router.get(
    "/referrals",
    response={200: list[ReferralOut], 401: UnauthorizedOut, 403: ErrorOut},
    summary="The referrals of the caller's practice or unit",
    description="A draft's `missing` is null here; reading the one referral works it out.",
)
def referral_list(request: HttpRequest) -> Status[Any]:
    user = _caller(request)
    if user.role not in CLINICIANS:
        return _forbidden_role()
    return Status(
        200,
        [
            _referral_out(
                r,
                missing=None if r.state == ReferralState.DRAFT else list(r.completeness),
            )
            for r in _referral_rows(user)
        ],
    )


@router.get("/referrals/{referral_id}", response=REFERRAL, summary="One referral")
def referral_detail(request: HttpRequest, referral_id: int) -> Status[Any]:
    return _act(request, CLINICIANS, lambda user: _referral_detail(user, referral_id, read=True))


@router.post(
    "/referrals",
    response=_responses(201, ReferralOut),
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
        advice = _advice(user, advice_id) if advice_id else None
        referral = services.referral_create_draft(
            by=user,
            patient=patient,
            from_advice=advice,
            unit=_unit(fields.pop("unit_id")),
            idempotency_key=idempotency_key,
            **fields,
        )
        return _referral_detail(user, referral.pk, read=False)

    return _act(request, GP_ONLY, action, status=201)


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
                _log_read(user, referral, READ_REFERRAL)
            raise
        _log_read(user, referral, READ_REFERRAL)

    return _referral_action(request, GP_ONLY, referral_id, send)


@router.post("/referrals/{referral_id}/accept", response=REFERRAL, summary="The unit accepts")
def referral_accept(request: HttpRequest, referral_id: int) -> Status[Any]:
    return _referral_action(
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
    return _referral_action(
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
    return _referral_action(
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
    return _referral_action(
        request,
        GP_ONLY,
        referral_id,
        lambda referral, user: services.referral_acknowledge_rejection(referral=referral, by=user),
    )


@router.post("/referrals/{referral_id}/withdraw", response=REFERRAL, summary="The GP withdraws")
def referral_withdraw(
    request: HttpRequest, referral_id: int, payload: ReasonIn | None = None
) -> Status[Any]:
    return _referral_action(
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
    return _referral_action(
        request,
        UNIT_ONLY,
        referral_id,
        lambda referral, user: services.referral_book_appointment(
            referral=referral, by=user, appointment_at=payload.appointment_at
        ),
    )


@router.post(
    "/referrals/{referral_id}/first-contact",
    response=REFERRAL,
    summary="The unit has spoken to the patient after accepting",
    description="Due within 48 hours of acceptance (brought forward off closed time).",
)
def referral_first_contact(
    request: HttpRequest, referral_id: int, payload: FirstContactIn | None = None
) -> Status[Any]:
    return _referral_action(
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
    return _referral_action(
        request,
        UNIT_ONLY,
        referral_id,
        lambda referral, user: services.referral_complete(
            referral=referral, by=user, reason=payload.reason if payload else ""
        ),
    )


# --- messages --------------------------------------------------------------------------

MESSAGES_HELP = (
    "The thread, oldest first. Reading it marks the other side's messages as read (the "
    "read receipt). With `format=fhir` the answer is a FHIR R4 Bundle of Communication "
    "resources in the shape of MedCom's care communication (category regarding-referral), "
    "as `application/fhir+json`."
)
POST_MESSAGE_HELP = f"The other side is notified. {IDEMPOTENCY_HELP}"
ResponseFormat = Literal["json", "fhir"]
FormatQuery = Query("json", alias="format")
THREAD = {
    200: list[MessageOut],
    401: UnauthorizedOut,
    403: ErrorOut,
    404: NotFoundOut,
    422: ValidationErrorOut,  # an unknown `format`
}
# The other answer of a thread read, with `format=fhir`: documented beside the JSON list
# so that a client (and a schema-driven test) knows both shapes.
THREAD_FHIR = {
    "responses": {
        200: {
            "content": {
                "application/fhir+json": {
                    "schema": {
                        "type": "object",
                        "description": "A FHIR R4 Bundle (searchset) of Communication resources",
                        "properties": {
                            "resourceType": {"const": "Bundle"},
                            "type": {"const": "searchset"},
                            "timestamp": {"type": "string"},
                            "total": {"type": "integer", "minimum": 0},
                            "entry": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "resource": {
                                            "type": "object",
                                            "properties": {
                                                "resourceType": {"const": "Communication"}
                                            },
                                            "required": ["resourceType"],
                                        }
                                    },
                                    "required": ["resource"],
                                },
                            },
                        },
                        "required": ["resourceType", "type", "timestamp", "total"],
                    }
                }
            }
        }
    }
}


def _thread_read(
    request: HttpRequest,
    load: Callable[[User], Referral | AdviceRequest],
    response_format: ResponseFormat,
) -> Status[Any] | HttpResponse:
    user = _caller(request)
    if user.role not in CLINICIANS:
        return _forbidden_role()
    thread = load(user)  # Http404 outside the caller's reach
    try:
        services.thread_mark_read(thread=thread, by=user)
    except WorkflowError as error:
        return _refused(error)
    messages = _thread_messages(thread)
    if response_format == "fhir":
        bundle = fhir.communication_bundle(thread, messages)
        return HttpResponse(json.dumps(bundle, ensure_ascii=False), content_type=fhir.CONTENT_TYPE)
    return Status(200, [_message_out(m) for m in messages])


def _message_post(
    request: HttpRequest,
    load: Callable[[User], Referral | AdviceRequest],
    payload: MessageIn,
    idempotency_key: str,
) -> Status[Any]:
    def action(user: User) -> MessageOut:
        message = services.message_post(
            thread=load(user), by=user, body=payload.body, idempotency_key=idempotency_key
        )
        return _message_out(message)

    return _act(request, CLINICIANS, action, status=201)


@router.get(
    "/referrals/{referral_id}/messages",
    response=THREAD,
    summary="The thread of a referral",
    description=MESSAGES_HELP,
    openapi_extra=THREAD_FHIR,
)
def referral_messages(
    request: HttpRequest,
    referral_id: int,
    response_format: ResponseFormat = FormatQuery,
) -> Status[Any] | HttpResponse:
    return _thread_read(request, lambda user: _referral(user, referral_id), response_format)


@router.post(
    "/referrals/{referral_id}/messages",
    response=_responses(201, MessageOut),
    summary="Write in the thread of a referral",
    description=POST_MESSAGE_HELP,
)
def referral_message_post(
    request: HttpRequest,
    referral_id: int,
    payload: MessageIn,
    idempotency_key: str = IdempotencyKey,
) -> Status[Any]:
    return _message_post(
        request, lambda user: _referral(user, referral_id), payload, idempotency_key
    )


@router.get(
    "/advice-requests/{advice_id}/messages",
    response=THREAD,
    summary="The thread of an advice request",
    description=MESSAGES_HELP,
    openapi_extra=THREAD_FHIR,
)
def advice_request_messages(
    request: HttpRequest,
    advice_id: int,
    response_format: ResponseFormat = FormatQuery,
) -> Status[Any] | HttpResponse:
    return _thread_read(request, lambda user: _advice(user, advice_id), response_format)


@router.post(
    "/advice-requests/{advice_id}/messages",
    response=_responses(201, MessageOut),
    summary="Write in the thread of an advice request",
    description=POST_MESSAGE_HELP,
)
def advice_request_message_post(
    request: HttpRequest,
    advice_id: int,
    payload: MessageIn,
    idempotency_key: str = IdempotencyKey,
) -> Status[Any]:
    return _message_post(request, lambda user: _advice(user, advice_id), payload, idempotency_key)


# --- notifications ---------------------------------------------------------------------

LimitQuery = Query(100, ge=1, le=500)


@router.get(
    "/notifications",
    response={
        200: list[NotificationOut],
        401: UnauthorizedOut,
        403: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="The notifications of the caller's practice or unit, newest first",
)
def notification_list(
    request: HttpRequest,
    unread: bool = False,
    limit: int = LimitQuery,
) -> Status[Any]:
    user = _caller(request)
    if user.role not in CLINICIANS:
        return _forbidden_role()
    rows = selectors.notifications_for(user)
    if unread:
        rows = rows.filter(read_at=None)
    return Status(200, [_notification_out(n) for n in rows[:limit]])


@router.post(
    "/notifications/read",
    response={
        200: MarkedOut,
        400: BadRequestOut,
        401: UnauthorizedOut,
        403: ErrorOut,
        422: Unprocessable,
    },
    summary="Mark notifications as read",
    description=(
        "Only unread notifications of the caller's own practice or unit are marked; "
        "`marked` says how many. Other ids are left as they are."
    ),
)
def notifications_read(request: HttpRequest, payload: NotificationsReadIn) -> Status[Any]:
    def action(user: User) -> MarkedOut:
        marked = services.notifications_mark_read(by=user, notification_ids=payload.ids)
        return MarkedOut(marked=marked)

    return _act(request, CLINICIANS, action)
