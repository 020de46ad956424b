"""Every business action on advice requests and referrals.

Each service takes keyword arguments only, runs in one transaction, locks the row it
changes (`select_for_update`), re-checks the state on the locked row, and writes the audit
event in the same transaction. A refused action raises `WorkflowError` and changes nothing.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.utils import timezone

from opspor.accounts.models import User
from opspor.engine.alternatives import load_catalogue
from opspor.engine.filter_package import missing_filter_tests
from opspor.records.models import Clinician, DiagnosticUnit, Patient, Practice
from opspor.records.selectors import practice_of, unit_of
from opspor.referrals.clock import DEFAULT_CALENDAR
from opspor.referrals.models import (
    DEFAULT_DEADLINE_DAYS,
    AdviceEvent,
    AdviceRequest,
    IdempotencyRecord,
    Message,
    Notification,
    Referral,
    ReferralEvent,
    UnitSettings,
)
from opspor.referrals.notifications import notify, schedule_delivery
from opspor.referrals.selectors import (
    acknowledgement_overdue,
    advice_overdue,
    first_contact_overdue,
    triage_overdue,
)
from opspor.referrals.workflow import (
    ADVICE_TRANSITIONS,
    FRAILTY_AGE,
    FRAILTY_FIELDS,
    PATHWAYS,
    REFERRAL_TRANSITIONS,
    AdviceState,
    NotificationKind,
    ReferralOrigin,
    ReferralState,
    RejectionReason,
    Transition,
)

# SQLite has one writer at a time. A file database waits for the lock (the busy timeout),
# but a shared-cache connection, and a busy timeout that runs out, report "locked" at
# once; the action then starts again from the top, re-reading the row it decides on.
LOCK_RETRIES = 100
LOCK_RETRY_PAUSE_S = 0.05


def _retry_when_locked[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(LOCK_RETRIES):
            try:
                return func(*args, **kwargs)
            except OperationalError as error:
                retry = (
                    connection.vendor == "sqlite"
                    and "locked" in str(error)
                    and not connection.in_atomic_block  # an outer transaction must fail whole
                    and attempt < LOCK_RETRIES - 1
                )
                if not retry:
                    raise
                time.sleep(LOCK_RETRY_PAUSE_S)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


@dataclass
class WorkflowError(Exception):
    """A refused action. `code` is stable for the API and the screens; nothing was changed.

    Codes: ``not_allowed`` (the action does not apply in the current state), ``forbidden``
    (the user may not act on this row), ``conflict`` (someone else changed the row first,
    or an idempotency key was reused for another row), ``incomplete`` (sending a referral
    that lacks something, without a stated reason; ``missing`` lists what), ``missing_plan``
    (a rejection without an alternative plan), ``invalid`` (a malformed argument).
    """

    code: str
    message: str
    missing: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


# --- deadlines -------------------------------------------------------------------------


def _add_working_days(start: datetime, days: Decimal) -> datetime:
    """The deadline `days` working days after `start`; every deadline goes through here."""
    return DEFAULT_CALENDAR.add_working_days(start, float(days))


# The unit's first contact with the patient after acceptance, in clock hours (the
# pathway's promise to the patient, brought forward off closed time by the clock).
FIRST_CONTACT_HOURS = 48.0
# A rejection that arrives while the practice is open escalates no later than this long
# before the practice closes that day, so the second contact still sees it the same day:
# a Friday-afternoon rejection must not wait silently until Monday.
ESCALATION_BEFORE_CLOSING = timedelta(minutes=30)
# By when the practice contacts the patient after a rejection. A service level of this
# software, not a guideline figure: no published standard was found.
PATIENT_CONTACT_WORKING_DAYS = Decimal("1.0")


def escalation_deadline(decided_at: datetime, practice: Practice) -> datetime:
    """When an unacknowledged rejection escalates to the practice's second contact."""
    due = DEFAULT_CALENDAR.add_working_hours(decided_at, float(practice.escalation_working_hours))
    closes = DEFAULT_CALENDAR.closes_today(decided_at)
    if closes is not None and DEFAULT_CALENDAR.is_working_time(decided_at):
        due = min(due, max(decided_at, closes - ESCALATION_BEFORE_CLOSING))
    return due


def first_contact_deadline(accepted_at: datetime) -> datetime:
    return DEFAULT_CALENDAR.add_calendar_hours(accepted_at, FIRST_CONTACT_HOURS)


def _unit_settings(unit: DiagnosticUnit) -> UnitSettings:
    try:
        return UnitSettings.objects.get(unit=unit)
    except UnitSettings.DoesNotExist:
        return UnitSettings(
            unit=unit,
            triage_working_days=DEFAULT_DEADLINE_DAYS,
            advice_working_days=DEFAULT_DEADLINE_DAYS,
        )


# --- shared checks ---------------------------------------------------------------------


def _require_gp_of(user: User, practice_id: int) -> None:
    practice = practice_of(user) if user.is_active else None
    if practice is None or practice.pk != practice_id:
        raise WorkflowError("forbidden", "Only a GP of the referring practice may do this.")


def _require_doctor_of(user: User, unit_id: int) -> None:
    unit = unit_of(user) if user.is_active else None
    if unit is None or unit.pk != unit_id:
        raise WorkflowError("forbidden", "Only a doctor of the receiving unit may do this.")


def _require_side(transition: Transition, user: User, *, practice_id: int, unit_id: int) -> None:
    if transition.side == "gp":
        _require_gp_of(user, practice_id)
    else:
        _require_doctor_of(user, unit_id)


def _lock[M: models.Model](model: type[M], instance: M) -> M:
    return model._default_manager.select_for_update().get(pk=instance.pk)


def _check_state(transition: Transition, *, seen: str, locked: str) -> None:
    """Refuse unless the locked row's state allows the action.

    When the row changed after the caller read it (`seen` != `locked`), the refusal is a
    conflict: another user acted first, and the caller decided on a stale screen.
    """
    if locked in transition.sources:
        return
    if seen != locked:
        raise WorkflowError(
            "conflict",
            f"The row was changed to {locked!r} by someone else; reload it and decide again.",
        )
    raise WorkflowError("not_allowed", f"Cannot {transition.action} in state {locked!r}.")


def _idempotent_hit(user: User, key: str, action: str) -> IdempotencyRecord | None:
    if not key:
        return None
    return IdempotencyRecord.objects.filter(user=user, key=key, action=action).first()


def _remember(user: User, key: str, action: str, obj: models.Model) -> None:
    if not key:
        return
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                user=user,
                key=key,
                action=action,
                object_type=obj._meta.model_name or "",
                object_id=obj.pk,
            )
    except IntegrityError:
        raise WorkflowError(
            "conflict", "The same idempotency key is being used by another request."
        ) from None


def _referral_event(
    referral: Referral, *, by: User, at: datetime, action: str, from_state: str, reason: str = ""
) -> None:
    ReferralEvent.objects.create(
        referral=referral,
        actor=by,
        at=at,
        action=action,
        from_state=from_state,
        to_state=referral.state,
        reason=reason,
    )


def _advice_event(
    advice: AdviceRequest,
    *,
    by: User,
    at: datetime,
    action: str,
    from_state: str,
    reason: str = "",
) -> None:
    AdviceEvent.objects.create(
        advice_request=advice,
        actor=by,
        at=at,
        action=action,
        from_state=from_state,
        to_state=advice.state,
        reason=reason,
    )


def _refresh(instance: models.Model, locked: models.Model) -> None:
    """Copy the saved row into the caller's instance, so it does not keep a stale state."""
    instance.__dict__.update(
        {f.attname: getattr(locked, f.attname) for f in locked._meta.concrete_fields}
    )


@_retry_when_locked
def _transition[Row: (AdviceRequest, Referral)](
    row: Row,
    *,
    transition: Transition,
    record_event: Callable[..., None],
    by: User,
    action: str,
    reason: str,
    apply: Callable[[Row, datetime], None] | None,
    now: datetime | None = None,
) -> Row:
    """One state change of an advice request or a referral: the same steps for both.

    Check the side, lock the row, re-check its state, apply the action's own changes, move
    the state, and write the audit event, all in one transaction.
    """
    _require_side(transition, by, practice_id=row.practice_id, unit_id=row.unit_id)
    with transaction.atomic():
        locked = _lock(type(row), row)
        _check_state(transition, seen=row.state, locked=locked.state)
        now = now or timezone.now()
        from_state = locked.state
        if apply is not None:
            apply(locked, now)
        locked.state = transition.target
        locked.save()
        record_event(locked, by=by, at=now, action=action, from_state=from_state, reason=reason)
    _refresh(row, locked)
    return row


# --- advice requests -------------------------------------------------------------------


@_retry_when_locked
@transaction.atomic
def advice_request_send(
    *,
    patient: Patient,
    by: User,
    question: str,
    patient_summary: dict[str, Any] | None = None,
    unit: DiagnosticUnit | None = None,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> AdviceRequest:
    """A GP asks the patient's diagnostic unit (or another) a written question."""
    _require_gp_of(by, patient.practice_id)
    hit = _idempotent_hit(by, idempotency_key, "advice_request_send")
    if hit is not None:
        return AdviceRequest.objects.get(pk=hit.object_id)
    if not question.strip():
        raise WorkflowError("invalid", "An advice request needs a question.")
    now = now or timezone.now()
    target = unit or patient.practice.diagnostic_unit
    advice = AdviceRequest.objects.create(
        patient=patient,
        practice_id=patient.practice_id,
        unit=target,
        asked_by=by,
        question=question,
        patient_summary=patient_summary or {},
        state=AdviceState.SENT,
        sent_at=now,
        answer_due_at=_add_working_days(now, _unit_settings(target).advice_working_days),
    )
    _advice_event(advice, by=by, at=now, action="send", from_state="")
    _remember(by, idempotency_key, "advice_request_send", advice)
    return advice


def _advice_transition(
    advice: AdviceRequest,
    *,
    by: User,
    action: str,
    reason: str = "",
    apply: Callable[[AdviceRequest, datetime], None] | None = None,
    now: datetime | None = None,
) -> AdviceRequest:
    return _transition(
        advice,
        transition=ADVICE_TRANSITIONS[action],
        record_event=_advice_event,
        by=by,
        action=action,
        reason=reason,
        apply=apply,
        now=now,
    )


def advice_request_answer(
    *, advice: AdviceRequest, by: User, answer: str, now: datetime | None = None
) -> AdviceRequest:
    """A doctor of the unit answers in writing."""
    if not answer.strip():
        raise WorkflowError("invalid", "An answer cannot be empty.")

    def apply(row: AdviceRequest, now: datetime) -> None:
        row.answer, row.answered_by, row.answered_at = answer, by, now
        notify(
            kind=NotificationKind.ADVICE_ANSWERED, at=now, practice=row.practice, advice_request=row
        )

    return _advice_transition(advice, by=by, action="answer", apply=apply, now=now)


def advice_request_close(
    *, advice: AdviceRequest, by: User, reason: str = "", now: datetime | None = None
) -> AdviceRequest:
    """The GP closes the request: the answer was read, or the question is no longer needed."""

    def apply(row: AdviceRequest, now: datetime) -> None:
        row.closed_at = now

    return _advice_transition(advice, by=by, action="close", reason=reason, apply=apply, now=now)


# --- referrals: the GP side ------------------------------------------------------------


@_retry_when_locked
@transaction.atomic
def referral_create_draft(
    *,
    by: User,
    pathway: str,
    patient: Patient | None = None,
    from_advice: AdviceRequest | None = None,
    clinical_question: str = "",
    findings: dict[str, Any] | None = None,
    unit: DiagnosticUnit | None = None,
    idempotency_key: str = "",
    now: datetime | None = None,
    **details: Any,
) -> Referral:
    """A draft referral; from an answered advice request it takes over the patient, the
    unit, the question and the summary, so nothing is typed twice.

    `details` are further fields of the GP's order (the frailty section, the *kræft* tick).
    """
    if from_advice is not None:
        _require_gp_of(by, from_advice.practice_id)
        patient = from_advice.patient
    if patient is None:
        raise WorkflowError("invalid", "A referral needs a patient or an advice request.")
    _require_gp_of(by, patient.practice_id)
    hit = _idempotent_hit(by, idempotency_key, "referral_create_draft")
    if hit is not None:
        return Referral.objects.get(pk=hit.object_id)
    if pathway not in PATHWAYS:
        raise WorkflowError("invalid", f"Unknown pathway {pathway!r}.")
    allowed = set(FRAILTY_FIELDS) | {
        "marked_frail",
        "informed_about_kraeft",
        "origin",
        "origin_name",
        "origin_phone",
    }
    unknown = sorted(set(details) - allowed)
    if unknown:
        raise WorkflowError("invalid", f"Not fields of a referral draft: {', '.join(unknown)}.")
    origin = details.get("origin", ReferralOrigin.GENERAL_PRACTICE)
    if origin not in ReferralOrigin.values:
        raise WorkflowError("invalid", f"Unknown origin {origin!r}.")
    if origin == ReferralOrigin.PRACTISING_SPECIALIST and not (
        str(details.get("origin_name", "")).strip() and str(details.get("origin_phone", "")).strip()
    ):
        raise WorkflowError(
            "invalid", "A referral from a specialist names the clinic and its phone number."
        )
    now = now or timezone.now()
    if from_advice is not None:
        advice = _lock(AdviceRequest, from_advice)
        if advice.state not in {AdviceState.ANSWERED, AdviceState.CLOSED}:
            raise WorkflowError(
                "not_allowed", "Only an answered advice request can become a referral."
            )
        unit = unit or advice.unit
        clinical_question = clinical_question or advice.question
        findings = findings if findings is not None else advice.patient_summary
    referral = Referral.objects.create(
        patient=patient,
        practice_id=patient.practice_id,
        unit=unit or patient.practice.diagnostic_unit,
        requester=by,
        pathway=pathway,
        clinical_question=clinical_question,
        findings=findings or {},
        from_advice=from_advice,
        created_at=now,
        **details,
    )
    _referral_event(referral, by=by, at=now, action="create", from_state="")
    if from_advice is not None and advice.state == AdviceState.ANSWERED:
        from_state = advice.state
        advice.state, advice.closed_at = AdviceState.CLOSED, now
        advice.save(update_fields=["state", "closed_at"])
        _advice_event(
            advice,
            by=by,
            at=now,
            action="close",
            from_state=from_state,
            reason=f"Converted into referral #{referral.pk}",
        )
        _refresh(from_advice, advice)
    _remember(by, idempotency_key, "referral_create_draft", referral)
    return referral


def referral_missing_items(referral: Referral, *, on: date) -> list[dict[str, Any]]:
    """What the referral lacks to be complete, as data the unit's screen can show."""
    missing: list[dict[str, Any]] = []
    requirements = PATHWAYS.get(referral.pathway)
    if requirements is not None and requirements.filter_package is not None:
        # Imported here: building a context reads the record, which only sending needs.
        from opspor.records.context import build_patient_context

        context = build_patient_context(referral.patient, as_of=on, current_clinician_id=None)
        for item in missing_filter_tests(context, requirements.filter_package):
            missing.append(
                {
                    "item": "filter_test",
                    "test_id": item.test_id,
                    "reason": item.reason,
                    "label": dict(item.label),
                }
            )
    if referral.marked_frail or referral.patient.age_on(on) >= FRAILTY_AGE:
        for name in FRAILTY_FIELDS:
            value = getattr(referral, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                missing.append({"item": "frailty", "field": name})
    if not referral.informed_about_kraeft:
        missing.append({"item": "informed_about_kraeft"})
    return missing


@_retry_when_locked
def referral_send(
    *,
    referral: Referral,
    by: User,
    incomplete_reason: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Referral:
    """Send the draft to the unit: the completeness check runs and the clock starts.

    An incomplete referral is sent only with a stated reason; what is missing is stored on
    the referral, so the unit sees it at triage.
    """
    transition = REFERRAL_TRANSITIONS["send"]
    _require_gp_of(by, referral.practice_id)
    with transaction.atomic():
        hit = _idempotent_hit(by, idempotency_key, "referral_send")
        if hit is not None:
            if hit.object_id != referral.pk:
                raise WorkflowError("conflict", "This key was used to send another referral.")
            referral.refresh_from_db()
            return referral
        locked = _lock(Referral, referral)
        _check_state(transition, seen=referral.state, locked=locked.state)
        now = now or timezone.now()
        missing = referral_missing_items(locked, on=timezone.localdate(now))
        reason = incomplete_reason.strip() or locked.incomplete_reason.strip()
        if missing and not reason:
            raise WorkflowError(
                "incomplete",
                "The referral is incomplete; complete it or state why it is sent anyway.",
                missing=missing,
            )
        locked.completeness = missing
        locked.incomplete_reason = reason if missing else ""
        locked.state = transition.target
        locked.sent_at = now
        locked.triage_due_at = _add_working_days(
            now, _unit_settings(locked.unit).triage_working_days
        )
        locked.save()
        _referral_event(
            locked,
            by=by,
            at=now,
            action="send",
            from_state=ReferralState.DRAFT,
            reason=locked.incomplete_reason,
        )
        _remember(by, idempotency_key, "referral_send", locked)
    _refresh(referral, locked)
    return referral


def _referral_transition(
    referral: Referral,
    *,
    by: User,
    action: str,
    reason: str = "",
    apply: Callable[[Referral, datetime], None] | None = None,
    now: datetime | None = None,
) -> Referral:
    return _transition(
        referral,
        transition=REFERRAL_TRANSITIONS[action],
        record_event=_referral_event,
        by=by,
        action=action,
        reason=reason,
        apply=apply,
        now=now,
    )


def referral_withdraw(
    *, referral: Referral, by: User, reason: str = "", now: datetime | None = None
) -> Referral:
    """The GP revokes the order (only the placer may), at any point before completion."""

    def apply(row: Referral, now: datetime) -> None:
        row.withdrawn_at = now

    return _referral_transition(
        referral, by=by, action="withdraw", reason=reason, apply=apply, now=now
    )


def referral_acknowledge_rejection(
    *, referral: Referral, by: User, now: datetime | None = None
) -> Referral:
    """A GP of the practice confirms the rejection and its plan were seen."""
    seen_acknowledged = referral.acknowledged_at is not None

    def apply(row: Referral, now: datetime) -> None:
        if row.acknowledged_at is not None:
            if seen_acknowledged:
                raise WorkflowError("not_allowed", "The rejection was already acknowledged.")
            raise WorkflowError("conflict", "Another GP of the practice acknowledged it first.")
        row.acknowledged_by, row.acknowledged_at = by, now

    return _referral_transition(
        referral, by=by, action="acknowledge_rejection", apply=apply, now=now
    )


# --- referrals: the unit's triage ------------------------------------------------------


def referral_accept(*, referral: Referral, by: User, now: datetime | None = None) -> Referral:
    """Accept; the clock for the first contact with the patient starts."""

    def apply(row: Referral, now: datetime) -> None:
        row.decided_by, row.decided_at = by, now
        row.first_contact_due_at = first_contact_deadline(now)

    return _referral_transition(referral, by=by, action="accept", apply=apply, now=now)


def referral_reject(
    *,
    referral: Referral,
    by: User,
    reason_category: str,
    reason_text: str,
    alternative_plan_code: str = "",
    alternative_plan_text: str = "",
    now: datetime | None = None,
) -> Referral:
    """Reject with a reason and a concrete alternative plan (design row 10); no plan, no
    rejection."""
    if reason_category not in RejectionReason.values:
        raise WorkflowError("invalid", f"Unknown reason category {reason_category!r}.")
    if not reason_text.strip():
        raise WorkflowError("invalid", "A rejection needs a reason in words.")
    code, text = alternative_plan_code.strip(), alternative_plan_text.strip()
    if not code and not text:
        raise WorkflowError(
            "missing_plan",
            "A rejection needs an alternative plan: choose one from the catalogue or write one.",
        )
    if code and code not in {entry.code for entry in load_catalogue().entries}:
        raise WorkflowError("invalid", f"{code!r} is not in the alternatives catalogue.")

    def apply(row: Referral, now: datetime) -> None:
        row.decided_by, row.decided_at = by, now
        row.reason_category, row.reason_text = reason_category, reason_text
        row.alternative_plan_code, row.alternative_plan_text = code, text
        # Never silent: the practice is told now, the rejection escalates if nobody
        # acknowledges it in time, and the patient sees who will call and by when.
        row.escalation_due_at = escalation_deadline(now, row.practice)
        row.patient_contact_by = Clinician.objects.filter(user_id=row.requester_id).first()
        row.patient_contact_due_at = _add_working_days(now, PATIENT_CONTACT_WORKING_DAYS)
        notify(kind=NotificationKind.REJECTION, at=now, practice=row.practice, referral=row)

    return _referral_transition(
        referral,
        by=by,
        action="reject",
        reason=f"{reason_category}: {reason_text}",
        apply=apply,
        now=now,
    )


def referral_return_with_advice(
    *, referral: Referral, by: User, advice_text: str, now: datetime | None = None
) -> Referral:
    if not advice_text.strip():
        raise WorkflowError("invalid", "Returning with advice needs the advice.")

    def apply(row: Referral, now: datetime) -> None:
        row.decided_by, row.decided_at, row.advice_text = by, now, advice_text
        # The patient waits for word from the practice, as after a rejection.
        row.patient_contact_by = Clinician.objects.filter(user_id=row.requester_id).first()
        row.patient_contact_due_at = _add_working_days(now, PATIENT_CONTACT_WORKING_DAYS)
        notify(
            kind=NotificationKind.RETURNED_WITH_ADVICE,
            at=now,
            practice=row.practice,
            referral=row,
        )

    return _referral_transition(referral, by=by, action="return_with_advice", apply=apply, now=now)


def referral_book_appointment(
    *, referral: Referral, by: User, appointment_at: datetime, now: datetime | None = None
) -> Referral:
    if timezone.is_naive(appointment_at):
        raise WorkflowError("invalid", "The appointment time needs a time zone.")

    def apply(row: Referral, now: datetime) -> None:
        if row.decided_at is not None and appointment_at < row.decided_at:
            raise WorkflowError(
                "invalid", "The appointment cannot be before the referral was accepted."
            )
        row.appointment_at = appointment_at
        # Booking means the unit has reached the patient.
        row.first_contact_at = row.first_contact_at or now

    return _referral_transition(referral, by=by, action="book_appointment", apply=apply, now=now)


def referral_record_first_contact(
    *, referral: Referral, by: User, note: str = "", now: datetime | None = None
) -> Referral:
    """The unit has spoken to the patient after accepting the referral."""
    seen_contacted = referral.first_contact_at is not None

    def apply(row: Referral, now: datetime) -> None:
        if row.first_contact_at is not None:
            code = "not_allowed" if seen_contacted else "conflict"
            raise WorkflowError(code, "The first contact is already recorded.")
        row.first_contact_at = now

    return _referral_transition(
        referral, by=by, action="record_first_contact", reason=note, apply=apply, now=now
    )


def referral_complete(
    *, referral: Referral, by: User, reason: str = "", now: datetime | None = None
) -> Referral:
    def apply(row: Referral, now: datetime) -> None:
        row.completed_at = now

    return _referral_transition(
        referral, by=by, action="complete", reason=reason, apply=apply, now=now
    )


# --- messages --------------------------------------------------------------------------


def _side_of(user: User, row: AdviceRequest | Referral) -> str:
    """Which side of the thread `user` writes from, or a refusal."""
    practice = practice_of(user) if user.is_active else None
    if practice is not None and practice.pk == row.practice_id:
        return "gp"
    unit = unit_of(user) if user.is_active else None
    if unit is not None and unit.pk == row.unit_id:
        if isinstance(row, Referral) and row.state == ReferralState.DRAFT:
            raise WorkflowError("forbidden", "The unit has not received this referral yet.")
        return "unit"
    raise WorkflowError("forbidden", "Only the practice and the unit of this case may write.")


MAX_MESSAGE_LENGTH = 10_000


@_retry_when_locked
@transaction.atomic
def message_post(
    *,
    thread: AdviceRequest | Referral,
    by: User,
    body: str,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Message:
    """Write a message in the thread of a referral or an advice request; the other side
    is notified."""
    side = _side_of(by, thread)
    hit = _idempotent_hit(by, idempotency_key, "message_post")
    if hit is not None:
        return Message.objects.get(pk=hit.object_id)
    text = body.strip()
    if not text:
        raise WorkflowError("invalid", "A message cannot be empty.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise WorkflowError("invalid", f"A message has at most {MAX_MESSAGE_LENGTH} characters.")
    if isinstance(thread, Referral) and thread.state == ReferralState.DRAFT:
        raise WorkflowError("not_allowed", "Send the referral before writing to the unit.")
    now = now or timezone.now()
    referral = thread if isinstance(thread, Referral) else None
    advice = thread if isinstance(thread, AdviceRequest) else None
    message = Message.objects.create(
        referral=referral,
        advice_request=advice,
        author=by,
        author_side=side,
        sent_at=now,
        body=text,
    )
    notify(
        kind=NotificationKind.MESSAGE,
        at=now,
        practice=thread.practice if side == "unit" else None,
        unit=thread.unit if side == "gp" else None,
        referral=referral,
        advice_request=advice,
    )
    _remember(by, idempotency_key, "message_post", message)
    return message


def thread_mark_read(
    *, thread: AdviceRequest | Referral, by: User, now: datetime | None = None
) -> int:
    """The reader has opened the thread: the other side's unread messages get a receipt.

    Returns how many messages were marked.
    """
    side = _side_of(by, thread)
    messages = thread.messages.filter(read_at__isnull=True).exclude(author_side=side)
    return messages.update(read_at=now or timezone.now(), read_by=by)


def notifications_mark_read(
    *, by: User, notification_ids: list[int], now: datetime | None = None
) -> int:
    """Mark notifications of the reader's own practice or unit as read."""
    practice, unit = practice_of(by), unit_of(by)
    if not by.is_active or (practice is None and unit is None):
        raise WorkflowError("forbidden", "Only clinicians have notifications.")
    mine = Notification.objects.filter(pk__in=notification_ids, read_at__isnull=True)
    mine = mine.filter(practice=practice) if practice is not None else mine.filter(unit=unit)
    return mine.update(read_at=now or timezone.now(), read_by=by)


__all__ = [
    "SweepResult",
    "WorkflowError",
    "advice_request_answer",
    "advice_request_close",
    "advice_request_send",
    "escalate_unacknowledged",
    "escalation_deadline",
    "first_contact_deadline",
    "message_post",
    "notifications_mark_read",
    "notify_overdue",
    "redeliver_pending",
    "referral_accept",
    "referral_acknowledge_rejection",
    "referral_book_appointment",
    "referral_complete",
    "referral_create_draft",
    "referral_missing_items",
    "referral_record_first_contact",
    "referral_reject",
    "referral_return_with_advice",
    "referral_send",
    "referral_withdraw",
    "sweep",
    "thread_mark_read",
]


# --- background: escalation and deadline checks
#
# The worker's periodic sweep (`tasks.sweep`, run by `opspor worker`): it hands pending
# e-mails to the queue again, escalates rejections nobody acknowledged in time, and tells
# the units what is overdue. Every step is safe to repeat and to run in two workers at
# once: it re-checks its condition on the locked row. `now` is explicit so that the tests
# and the worker decide on the same moment for every row of one sweep.

# Rows per step and sweep; the rest follow in the next sweep (a minute later by default),
# so one sweep's transactions stay short after the mail server was down for a day.
SWEEP_BATCH = 500


@dataclass(frozen=True)
class SweepResult:
    handed_over: int  # pending e-mails handed to the queue again
    escalated: int  # rejections escalated to the practice's second contact
    overdue_notified: int  # units told of an overdue triage, first contact or answer

    def as_dict(self) -> dict[str, int]:
        return {
            "handed_over": self.handed_over,
            "escalated": self.escalated,
            "overdue_notified": self.overdue_notified,
        }


def sweep(now: datetime | None = None) -> SweepResult:
    """One pass of the background checks at `now` (default: the current time)."""
    now = now or timezone.now()
    return SweepResult(
        handed_over=redeliver_pending(now),
        escalated=escalate_unacknowledged(now),
        overdue_notified=notify_overdue(now),
    )


def redeliver_pending(now: datetime) -> int:
    """Hand every pending e-mail whose attempt is due to the queue again.

    The commit hands each new notification over once; this catches a hand-over that was
    lost (the process stopped between commit and enqueue, a queue row was deleted) and
    every retry after a failed attempt. A notification that is queued twice is sent once:
    `delivery.deliver` skips a row that is no longer pending or not yet due.
    """
    due = (
        Notification.objects.filter(
            delivery=Notification.Delivery.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    ids = list(due)
    for notification_id in ids:
        schedule_delivery(notification_id)
    return len(ids)


def escalate_unacknowledged(now: datetime) -> int:
    """Escalate every rejection still unacknowledged after its escalation deadline."""
    due = (
        Referral.objects.filter(acknowledgement_overdue(now), escalated_at__isnull=True)
        .order_by("escalation_due_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return sum(_escalate(referral_id, now) for referral_id in list(due))


@_retry_when_locked
@transaction.atomic
def _escalate(referral_id: int, now: datetime) -> bool:
    """Escalate one rejection to the practice's second contact; False when, on the
    locked row, it was acknowledged or escalated meanwhile.

    The second contact becomes the one who contacts the patient (the patient's page says
    so); the deadline for that contact stays as promised at the rejection. A practice
    without a second contact still gets the escalation, addressed to the practice as a
    whole, and the patient's page then names the practice.
    """
    row = (
        Referral.objects.select_for_update()
        .filter(acknowledgement_overdue(now), escalated_at__isnull=True, pk=referral_id)
        .first()
    )
    if row is None:
        return False
    practice = Practice.objects.select_related("second_contact").get(pk=row.practice_id)
    second = practice.second_contact
    row.escalated_at, row.escalated_to, row.patient_contact_by = now, second, second
    row.save(update_fields=["escalated_at", "escalated_to", "patient_contact_by"])
    if second is not None:
        reason = f"Not acknowledged in time; escalated to the second contact, {second.name}."
    else:
        reason = (
            "Not acknowledged in time; the practice has no second contact, so it is "
            "escalated to the practice as a whole."
        )
    # No actor: Opspor escalated, not a person (see WorkflowEvent.actor).
    ReferralEvent.objects.create(
        referral=row,
        actor=None,
        at=now,
        action="escalate",
        from_state=row.state,
        to_state=row.state,
        reason=reason,
    )
    notify(
        kind=NotificationKind.ESCALATION,
        at=now,
        practice=practice,
        recipient=second,
        referral=row,
    )
    return True


def notify_overdue(now: datetime) -> int:
    """Tell the unit, once per item and kind, that a triage, a first contact with the
    patient or an advice answer is overdue (the same conditions the screens count)."""
    told = 0
    for kind, condition in (
        (NotificationKind.TRIAGE_OVERDUE, triage_overdue(now)),
        (NotificationKind.FIRST_CONTACT_OVERDUE, first_contact_overdue(now)),
    ):
        due = (
            Referral.objects.filter(condition)
            .exclude(notifications__kind=kind)
            .order_by("pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        told += sum(_tell_unit(Referral, row_id, kind, condition, now) for row_id in list(due))
    condition, kind = advice_overdue(now), NotificationKind.ADVICE_OVERDUE
    advice_due = (
        AdviceRequest.objects.filter(condition)
        .exclude(notifications__kind=kind)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    told += sum(
        _tell_unit(AdviceRequest, row_id, kind, condition, now) for row_id in list(advice_due)
    )
    return told


@_retry_when_locked
@transaction.atomic
def _tell_unit(
    model: type[Referral] | type[AdviceRequest],
    row_id: int,
    kind: NotificationKind,
    condition: models.Q,
    now: datetime,
) -> bool:
    """One overdue notification to the unit; False when, on the locked row, the item is
    no longer overdue or the unit was already told."""
    # The unit is read afterwards, not joined: FOR UPDATE would lock the unit's row too.
    row = (
        model._default_manager.select_for_update()
        .filter(condition, pk=row_id)
        .exclude(notifications__kind=kind)
        .first()
    )
    if row is None:
        return False
    notify(
        kind=kind,
        at=now,
        unit=row.unit,
        referral=row if isinstance(row, Referral) else None,
        advice_request=row if isinstance(row, AdviceRequest) else None,
    )
    return True
