"""Rows shaped as the API's answers: the case, its triage, its contacts, its thread."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from opspor.casework.endpoints import local
from opspor.records.models import DiagnosticUnit, Practice
from opspor.referrals.api.schemas import (
    AdviceRequestOut,
    AlternativePlan,
    ClinicianRef,
    ContactsOut,
    MessageOut,
    OriginOut,
    PhoneBookOut,
    ReferralOut,
    TriageOut,
)
from opspor.referrals.models import AdviceRequest, Message, Referral
from opspor.referrals.workflow import ReferralOrigin, ReferralState


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


def referral_out(referral: Referral, *, missing: list[dict[str, Any]] | None) -> ReferralOut:
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
        findings=referral.findings if isinstance(referral.findings, dict) else {},
        gp_findings=referral.gp_findings,
        from_advice_id=referral.from_advice_id,
        created_at=timezone.localtime(referral.created_at),
        sent_at=local(referral.sent_at),
        triage_due_at=local(referral.triage_due_at),
        missing=missing,
        incomplete_reason=referral.incomplete_reason,
        informed_about_kraeft=referral.informed_about_kraeft,
        marked_frail=referral.marked_frail,
        triage=TriageOut(
            decision=_triage_decision(referral) if decided else None,
            decided_by_id=referral.decided_by_id,
            decided_at=local(referral.decided_at),
            reason_category=referral.reason_category,
            reason_text=referral.reason_text,
            alternative_plan=AlternativePlan(
                code=referral.alternative_plan_code, text=referral.alternative_plan_text
            ),
            advice_text=referral.advice_text,
            acknowledged_by_id=referral.acknowledged_by_id,
            acknowledged_at=local(referral.acknowledged_at),
        ),
        first_contact_due_at=local(referral.first_contact_due_at),
        first_contact_at=local(referral.first_contact_at),
        escalation_due_at=local(referral.escalation_due_at),
        escalated_at=local(referral.escalated_at),
        patient_contact_due_at=local(referral.patient_contact_due_at),
        patient_contact_by=(
            ClinicianRef(id=contact_by.pk, name=contact_by.name) if contact_by else None
        ),
        appointment_at=local(referral.appointment_at),
        completed_at=local(referral.completed_at),
        withdrawn_at=local(referral.withdrawn_at),
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


def advice_out(advice: AdviceRequest) -> AdviceRequestOut:
    return AdviceRequestOut(
        id=advice.pk,
        state=advice.state,
        patient_id=advice.patient_id,
        practice_id=advice.practice_id,
        unit_id=advice.unit_id,
        asked_by_id=advice.asked_by_id,
        question=advice.question,
        patient_summary=advice.patient_summary if isinstance(advice.patient_summary, dict) else {},
        gp_findings=advice.gp_findings,
        sent_at=timezone.localtime(advice.sent_at),
        answer_due_at=timezone.localtime(advice.answer_due_at),
        answer=advice.answer,
        answered_by_id=advice.answered_by_id,
        answered_at=local(advice.answered_at),
        closed_at=local(advice.closed_at),
        overdue=advice.is_overdue,  # type: ignore[attr-defined]  # annotated by with_overdue
        contacts=_contacts(advice),
    )


def message_out(message: Message) -> MessageOut:
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
        read_at=local(message.read_at),
        read_by_id=message.read_by_id,
    )
