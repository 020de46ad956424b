"""Referrals (*henvisninger*): the GP's order and the unit's triage of it.

Every state change goes through the casework runner (`run_transition`): the side is
checked, the row locked and its state re-checked, and the audit event written, in one
transaction. `seen_state` is the state the caller decided on, as their screen showed it:
when the row has moved on since, the refusal is a conflict (someone acted first), not a
plain "not allowed".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError
from opspor.casework.guards import require_gp_of
from opspor.casework.idempotency import fingerprint, recall, remember
from opspor.casework.notifications import notify
from opspor.casework.runner import (
    check_state,
    lock,
    record_event,
    refresh,
    retry_when_locked,
    run_transition,
)
from opspor.casework.text import MAX_LINE_LENGTH, check_length, has_words, require_text
from opspor.engine.alternatives import load_catalogue
from opspor.engine.filter_package import missing_filter_tests
from opspor.engine.rules.loader import DEFAULT_RULESET
from opspor.records.context import patient_context_for
from opspor.records.models import Clinician, DiagnosticUnit, Patient
from opspor.referrals.deadlines import (
    escalation_deadline,
    first_contact_deadline,
    patient_contact_deadline,
    triage_deadline,
)
from opspor.referrals.findings import findings_snapshot, gp_text
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.workflow import (
    FRAILTY_AGE,
    FRAILTY_FIELDS,
    FRAILTY_TEXT_FIELDS,
    PATHWAYS,
    REFERRAL_TRANSITIONS,
    AdviceState,
    NotificationKind,
    ReferralOrigin,
    ReferralState,
    RejectionReason,
)

# What a draft may carry besides the patient, the pathway and the question.
DRAFT_DETAILS = frozenset(
    {
        *FRAILTY_FIELDS,
        "marked_frail",
        "informed_about_kraeft",
        "origin",
        "origin_name",
        "origin_phone",
    }
)


def _transition(
    referral: Referral,
    action: str,
    *,
    by: User,
    reason: str = "",
    apply: Callable[[Referral, datetime], None] | None = None,
    now: datetime | None = None,
    seen_state: str = "",
) -> Referral:
    return run_transition(
        referral,
        transition=REFERRAL_TRANSITIONS[action],
        by=by,
        reason=reason,
        apply=apply,
        now=now,
        seen_state=seen_state if seen_state in ReferralState.values else "",
    )


def _draft_details(details: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(details) - DRAFT_DETAILS)
    if unknown:
        raise WorkflowError("invalid", f"Not fields of a referral draft: {', '.join(unknown)}.")
    origin = details.get("origin", ReferralOrigin.GENERAL_PRACTICE)
    if origin not in ReferralOrigin.values:
        raise WorkflowError("invalid", f"Unknown origin {origin!r}.")
    if origin == ReferralOrigin.PRACTISING_SPECIALIST and not (
        has_words(str(details.get("origin_name", "")))
        and has_words(str(details.get("origin_phone", "")))
    ):
        raise WorkflowError(
            "invalid", "A referral from a specialist names the clinic and its phone number."
        )
    for name in ("origin_name", "origin_phone"):
        check_length(str(details.get(name, "")), what=name, limit=MAX_LINE_LENGTH)
    for name in FRAILTY_TEXT_FIELDS:
        check_length(str(details.get(name) or ""), what=name)
    return details


@retry_when_locked
@transaction.atomic
def referral_create_draft(
    *,
    by: User,
    pathway: str,
    patient: Patient | None = None,
    from_advice: AdviceRequest | None = None,
    clinical_question: str = "",
    gp_findings: Any = None,
    unit: DiagnosticUnit | None = None,
    ruleset: str = DEFAULT_RULESET,
    idempotency_key: str = "",
    now: datetime | None = None,
    **details: Any,
) -> Referral:
    """A draft referral; from an answered advice request it takes over the patient, the
    unit and the question, so nothing is typed twice.

    Opspor's findings are computed here from the record (and again at sending); what the
    GP's system sends as findings (`gp_findings`) is kept as the GP's own text. `details`
    are further fields of the GP's order (the frailty section, the *kræft* tick).
    """
    if from_advice is not None:
        require_gp_of(by, from_advice.practice_id)
        patient = from_advice.patient
    if patient is None:
        raise WorkflowError("invalid", "A referral needs a patient or an advice request.")
    require_gp_of(by, patient.practice_id)
    digest = fingerprint(
        patient=patient.pk,
        from_advice=from_advice.pk if from_advice else None,
        pathway=pathway,
        clinical_question=clinical_question,
        gp_findings=gp_findings,
        unit=unit.pk if unit else None,
        details=details,
    )
    done = recall(
        Referral, by=by, key=idempotency_key, action="referral_create_draft", digest=digest
    )
    if done is not None:
        return done
    if pathway not in PATHWAYS:
        raise WorkflowError("invalid", f"Unknown pathway {pathway!r}.")
    details = _draft_details(details)
    clinical_question = check_length(clinical_question.strip(), what="The clinical question")
    now = now or timezone.now()
    if from_advice is not None:
        advice = lock(from_advice)
        if advice.state not in {AdviceState.ANSWERED, AdviceState.CLOSED}:
            raise WorkflowError(
                "not_allowed", "Only an answered advice request can become a referral."
            )
        unit = unit or advice.unit
        clinical_question = clinical_question or advice.question
        gp_findings = gp_findings if gp_findings is not None else advice.gp_findings
    referral = Referral.objects.create(
        patient=patient,
        practice_id=patient.practice_id,
        unit=unit or patient.practice.diagnostic_unit,
        requester=by,
        pathway=pathway,
        clinical_question=clinical_question,
        findings=findings_snapshot(patient, on=timezone.localdate(now), ruleset=ruleset),
        gp_findings=check_length(gp_text(gp_findings), what="The GP's own findings"),
        from_advice=from_advice,
        created_at=now,
        **details,
    )
    record_event(referral, by=by, at=now, action="create", from_state="")
    if from_advice is not None and advice.state == AdviceState.ANSWERED:
        from_state = advice.state
        advice.state, advice.closed_at = AdviceState.CLOSED, now
        advice.save(update_fields=["state", "closed_at"])
        record_event(
            advice,
            by=by,
            at=now,
            action="close",
            from_state=from_state,
            reason=f"Converted into referral #{referral.pk}",
        )
        refresh(from_advice, advice)
    remember(
        by=by, key=idempotency_key, action="referral_create_draft", digest=digest, obj=referral
    )
    return referral


def referral_missing_items(referral: Referral, *, on: date) -> list[dict[str, Any]]:
    """What the referral lacks to be complete, as data the unit's screen can show."""
    missing: list[dict[str, Any]] = []
    requirements = PATHWAYS.get(referral.pathway)
    if requirements is not None and requirements.filter_package is not None:
        context = patient_context_for(referral.patient, as_of=on)
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
            if value is None or (isinstance(value, str) and not has_words(value)):
                missing.append({"item": "frailty", "field": name})
    if not referral.informed_about_kraeft:
        missing.append({"item": "informed_about_kraeft"})
    return missing


@retry_when_locked
def referral_send(
    *,
    referral: Referral,
    by: User,
    incomplete_reason: str = "",
    ruleset: str = DEFAULT_RULESET,
    idempotency_key: str = "",
    now: datetime | None = None,
    seen_state: str = "",
) -> Referral:
    """Send the draft to the unit: the completeness check runs and the clock starts.

    An incomplete referral is sent only with a stated reason; what is missing is stored on
    the referral, so the unit sees it at triage. Opspor's findings are computed again
    from the record as it is now.
    """
    transition = REFERRAL_TRANSITIONS["send"]
    require_gp_of(by, referral.practice_id)
    digest = fingerprint(referral=referral.pk, incomplete_reason=incomplete_reason)
    with transaction.atomic():
        done = recall(Referral, by=by, key=idempotency_key, action="referral_send", digest=digest)
        if done is not None:
            refresh(referral, done)
            return referral
        check_length(incomplete_reason, what="The reason for sending it incomplete")
        locked = lock(referral)
        seen = seen_state if seen_state in ReferralState.values else referral.state
        check_state(transition, seen=seen, locked=locked.state)
        now = now or timezone.now()
        today = timezone.localdate(now)
        missing = referral_missing_items(locked, on=today)
        reason = incomplete_reason.strip() or locked.incomplete_reason.strip()
        if missing and not has_words(reason):
            raise WorkflowError(
                "incomplete",
                "The referral is incomplete; complete it or state why it is sent anyway.",
                missing=missing,
            )
        locked.completeness = missing
        locked.incomplete_reason = reason if missing else ""
        locked.findings = findings_snapshot(locked.patient, on=today, ruleset=ruleset)
        locked.state = transition.target or locked.state
        locked.sent_at = now
        locked.triage_due_at = triage_deadline(locked.unit, now)
        locked.save()
        record_event(
            locked,
            by=by,
            at=now,
            action="send",
            from_state=ReferralState.DRAFT,
            reason=locked.incomplete_reason,
        )
        remember(by=by, key=idempotency_key, action="referral_send", digest=digest, obj=locked)
    refresh(referral, locked)
    return referral


@transaction.atomic
def referral_create_and_send(
    *,
    by: User,
    send: bool,
    incomplete_reason: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
    **draft: Any,
) -> Referral:
    """Create the draft and, when asked, send it, as one unit of work (the GP's form).

    One transaction around both: a send that the completeness check refuses leaves no
    half-made draft behind. The one key makes both steps idempotent, so a double click
    creates and sends one referral.
    """
    referral = referral_create_draft(by=by, idempotency_key=idempotency_key, now=now, **draft)
    if send:
        referral_send(
            referral=referral,
            by=by,
            incomplete_reason=incomplete_reason,
            ruleset=draft.get("ruleset", DEFAULT_RULESET),
            idempotency_key=idempotency_key,
            now=now,
        )
    return referral


def referral_withdraw(
    *,
    referral: Referral,
    by: User,
    reason: str = "",
    now: datetime | None = None,
    seen_state: str = "",
) -> Referral:
    """The GP revokes the order (only the placer may), at any point before completion."""
    reason = check_length(reason.strip(), what="A reason")

    def apply(row: Referral, now: datetime) -> None:
        row.withdrawn_at = now

    return _transition(
        referral, "withdraw", by=by, reason=reason, apply=apply, now=now, seen_state=seen_state
    )


def referral_acknowledge_rejection(
    *, referral: Referral, by: User, now: datetime | None = None, seen_state: str = ""
) -> Referral:
    """A GP of the practice confirms the rejection and its plan were seen."""
    seen_acknowledged = referral.acknowledged_at is not None

    def apply(row: Referral, now: datetime) -> None:
        if row.acknowledged_at is not None:
            if seen_acknowledged:
                raise WorkflowError("not_allowed", "The rejection was already acknowledged.")
            raise WorkflowError("conflict", "Another GP of the practice acknowledged it first.")
        row.acknowledged_by, row.acknowledged_at = by, now

    return _transition(
        referral, "acknowledge_rejection", by=by, apply=apply, now=now, seen_state=seen_state
    )


def _patient_waits_for_practice(row: Referral, now: datetime) -> None:
    """After a rejection or a return, the practice contacts the patient, by a deadline."""
    row.patient_contact_by = Clinician.objects.filter(user_id=row.requester_id).first()
    row.patient_contact_due_at = patient_contact_deadline(now)


def referral_accept(
    *, referral: Referral, by: User, now: datetime | None = None, seen_state: str = ""
) -> Referral:
    """Accept; the clock for the first contact with the patient starts."""

    def apply(row: Referral, now: datetime) -> None:
        row.decided_by, row.decided_at = by, now
        row.first_contact_due_at = first_contact_deadline(now)

    return _transition(referral, "accept", by=by, apply=apply, now=now, seen_state=seen_state)


def referral_reject(
    *,
    referral: Referral,
    by: User,
    reason_category: str,
    reason_text: str,
    alternative_plan_code: str = "",
    alternative_plan_text: str = "",
    now: datetime | None = None,
    seen_state: str = "",
) -> Referral:
    """Reject with a reason and a concrete alternative plan (design row 10); no plan, no
    rejection."""
    if reason_category not in RejectionReason.values:
        raise WorkflowError("invalid", f"Unknown reason category {reason_category!r}.")
    reason_text = require_text(reason_text, what="A rejection's reason")
    code, text = alternative_plan_code.strip(), alternative_plan_text.strip()
    if not has_words(code) and not has_words(text):
        raise WorkflowError(
            "missing_plan",
            "A rejection needs an alternative plan: choose one from the catalogue or write one.",
        )
    check_length(text, what="The alternative plan")
    if code and code not in {entry.code for entry in load_catalogue().entries}:
        raise WorkflowError("invalid", f"{code!r} is not in the alternatives catalogue.")

    def apply(row: Referral, now: datetime) -> None:
        row.decided_by, row.decided_at = by, now
        row.reason_category, row.reason_text = reason_category, reason_text
        row.alternative_plan_code, row.alternative_plan_text = code, text
        # Never silent: the practice is told now, the rejection escalates if nobody
        # acknowledges it in time, and the patient sees who will call and by when.
        row.escalation_due_at = escalation_deadline(now, row.practice)
        _patient_waits_for_practice(row, now)
        notify(kind=NotificationKind.REJECTION, at=now, about=row, practice=row.practice)

    return _transition(
        referral,
        "reject",
        by=by,
        reason=f"{reason_category}: {reason_text}",
        apply=apply,
        now=now,
        seen_state=seen_state,
    )


def referral_return_with_advice(
    *,
    referral: Referral,
    by: User,
    advice_text: str,
    now: datetime | None = None,
    seen_state: str = "",
) -> Referral:
    advice_text = require_text(advice_text, what="Returning with advice needs the advice; it")

    def apply(row: Referral, now: datetime) -> None:
        row.decided_by, row.decided_at, row.advice_text = by, now, advice_text
        # The patient waits for word from the practice, as after a rejection.
        _patient_waits_for_practice(row, now)
        notify(kind=NotificationKind.RETURNED_WITH_ADVICE, at=now, about=row, practice=row.practice)

    return _transition(
        referral, "return_with_advice", by=by, apply=apply, now=now, seen_state=seen_state
    )


def referral_book_appointment(
    *,
    referral: Referral,
    by: User,
    appointment_at: datetime,
    now: datetime | None = None,
    seen_state: str = "",
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

    return _transition(
        referral, "book_appointment", by=by, apply=apply, now=now, seen_state=seen_state
    )


def referral_record_first_contact(
    *,
    referral: Referral,
    by: User,
    note: str = "",
    now: datetime | None = None,
    seen_state: str = "",
) -> Referral:
    """The unit has spoken to the patient after accepting the referral."""
    seen_contacted = referral.first_contact_at is not None
    note = check_length(note.strip(), what="A note")

    def apply(row: Referral, now: datetime) -> None:
        if row.first_contact_at is not None:
            code = "not_allowed" if seen_contacted else "conflict"
            raise WorkflowError(code, "The first contact is already recorded.")
        row.first_contact_at = now

    return _transition(
        referral,
        "record_first_contact",
        by=by,
        reason=note,
        apply=apply,
        now=now,
        seen_state=seen_state,
    )


def referral_complete(
    *,
    referral: Referral,
    by: User,
    reason: str = "",
    now: datetime | None = None,
    seen_state: str = "",
) -> Referral:
    reason = check_length(reason.strip(), what="A reason")

    def apply(row: Referral, now: datetime) -> None:
        row.completed_at = now

    return _transition(
        referral, "complete", by=by, reason=reason, apply=apply, now=now, seen_state=seen_state
    )
