"""The request and answer bodies of the referral API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from opspor.casework.schemas import BodyIn
from opspor.casework.text import MAX_LINE_LENGTH, MAX_TEXT_LENGTH
from opspor.referrals.workflow import ReferralOrigin

# What a GP's system sends as the GP's own findings: text, or any JSON it keeps them in
# (stored as the GP's text). As long as the longest free text when written out.
GpFindings = str | dict[str, Any] | list[Any] | None


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
    reason_category: str = Field(max_length=MAX_LINE_LENGTH)
    reason_text: str = Field(max_length=MAX_TEXT_LENGTH)
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
    findings: dict[str, Any]  # Opspor's findings, computed from the record when sent
    gp_findings: str  # the GP's own, as sent
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
    patient_summary: dict[str, Any]  # Opspor's findings, computed from the record at sending
    gp_findings: str  # the GP's own, as sent
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
    # The GP's own findings; Opspor's are computed from the record (see ReferralFields).
    gp_findings: GpFindings = None
    unit_id: int | None = None  # the practice's own diagnostic unit when left out


class AdviceAnswerIn(BodyIn):
    answer: str = Field(max_length=MAX_TEXT_LENGTH)


class ReasonIn(BodyIn):
    reason: str = Field("", max_length=MAX_TEXT_LENGTH)


class ReferralFields(BodyIn):
    """The GP's order: what a draft carries, typed or taken over from an advice request.

    Opspor's own findings are computed from the record when the referral is created and
    sent; `gp_findings` is the GP's own account (text, or whatever the GP's system sends),
    stored and shown as the GP's, never as Opspor's.
    """

    pathway: str = Field(max_length=MAX_LINE_LENGTH)
    clinical_question: str = Field("", max_length=MAX_TEXT_LENGTH)
    gp_findings: GpFindings = None
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
