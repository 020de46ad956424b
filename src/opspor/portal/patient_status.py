"""What a patient sees of their own referrals: what happens next, who acts, and by when.

A read for the patient's own page (portal: `my_record`). Design row 13 and study finding
10: after a rejection, the patient must not be left waiting without knowing who will call
them; after an acceptance, they see by when the unit will call. The page says nothing
about what a decision means clinically, only who contacts the patient and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.casework.clock import DEFAULT_CALENDAR
from opspor.records.models import Clinician, Patient
from opspor.records.services import record_read_log
from opspor.referrals.deadlines import PATIENT_CONTACT_WORKING_DAYS
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState

R = ReferralState

# A rejected or returned referral stays on the patient's page this long after the decision:
# long enough to cover the practice's contact, short enough that an old decision does not
# read like news. A display choice of this software, not a clinical figure.
DECIDED_SHOWN_FOR = timedelta(days=30)


class Step:
    """What happens next, one value per situation the page words differently."""

    UNIT_DECIDES = "unit_decides"  # sent, not yet triaged
    UNIT_CONTACTS = "unit_contacts"  # accepted; the unit will call
    UNIT_CONTACTED = "unit_contacted"  # accepted; the unit has spoken to the patient
    APPOINTMENT = "appointment"  # an appointment is booked
    PRACTICE_CONTACTS = "practice_contacts"  # rejected or returned; the practice will call


@dataclass(frozen=True)
class NextStep:
    referral: Referral
    step: str
    unit_name: str
    # The public numbers: the direct lines are for colleagues, not for patients.
    unit_phone: str
    practice_name: str
    practice_phone: str
    # Who contacts the patient (a clinician's name), or "" for the practice as a whole.
    contact_name: str
    due: datetime | None  # by when the contact is promised
    appointment_at: datetime | None = None

    @property
    def returned(self) -> bool:
        return self.referral.state == R.RETURNED_WITH_ADVICE


def _practice_contact(referral: Referral) -> tuple[str, datetime | None]:
    """Who from the practice contacts the patient after a rejection or return, and when.

    A rejection stores both (the requesting GP, or the second contact once escalated, or
    nobody named when the practice has no second contact). A return with advice stores
    neither, so the same rule is applied here: the requesting GP, one working day after
    the decision.
    """
    if referral.patient_contact_by is not None or referral.patient_contact_due_at is not None:
        contact = referral.patient_contact_by
        return (contact.name if contact is not None else "", referral.patient_contact_due_at)
    requester = Clinician.objects.filter(user_id=referral.requester_id).first()
    due = None
    if referral.decided_at is not None:
        due = DEFAULT_CALENDAR.add_working_days(
            referral.decided_at, float(PATIENT_CONTACT_WORKING_DAYS)
        )
    return (requester.name if requester is not None else "", due)


def _next_step(referral: Referral) -> NextStep:
    unit, practice = referral.unit, referral.practice

    def step(
        kind: str,
        *,
        contact_name: str = "",
        due: datetime | None = None,
        appointment_at: datetime | None = None,
    ) -> NextStep:
        return NextStep(
            referral=referral,
            step=kind,
            unit_name=unit.name,
            unit_phone=unit.phone,
            practice_name=practice.name,
            practice_phone=practice.phone,
            contact_name=contact_name,
            due=due,
            appointment_at=appointment_at,
        )

    if referral.state == R.SENT:
        return step(Step.UNIT_DECIDES)
    if referral.state == R.APPOINTMENT_BOOKED:
        return step(Step.APPOINTMENT, appointment_at=referral.appointment_at)
    if referral.state == R.ACCEPTED:
        if referral.first_contact_at is not None:
            return step(Step.UNIT_CONTACTED)
        return step(Step.UNIT_CONTACTS, due=referral.first_contact_due_at)
    name, due = _practice_contact(referral)
    return step(Step.PRACTICE_CONTACTS, contact_name=name, due=due)


def referral_steps(patient: Patient, now: datetime) -> list[NextStep]:
    """The next step of each of the patient's open or recently decided referrals. Not a
    read of its own: the caller checks who asks and logs what its page shows."""
    referrals = (
        Referral.objects.filter(patient=patient)
        .filter(
            Q(state__in=[R.SENT, R.ACCEPTED, R.APPOINTMENT_BOOKED])
            | Q(
                state__in=[R.REJECTED, R.RETURNED_WITH_ADVICE],
                decided_at__gte=now - DECIDED_SHOWN_FOR,
            )
        )
        .select_related("unit", "practice", "patient_contact_by")
        .order_by("-sent_at", "-pk")
    )
    return [_next_step(referral) for referral in referrals]


def my_referral_steps(
    *, user: User, patient: Patient, now: datetime | None = None
) -> list[NextStep]:
    """The next step of each of the patient's own open or recently decided referrals.

    Only the patient themself may read this (404 for anyone else, as for the record). The
    read is logged when there is something to show, like every read of a record.
    """
    if not (user.is_active and user.role == Role.PATIENT and patient.user_id == user.pk):
        raise Http404("No such patient")
    steps = referral_steps(patient, now or timezone.now())
    if steps:
        record_read_log(user=user, patient=patient, what="own referrals")
    return steps
