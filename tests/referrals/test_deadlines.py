"""Deadlines the triage decisions start: escalation of a rejection, the patient's contact,
and the first contact after acceptance."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from opspor.casework.clock import COPENHAGEN, DEFAULT_CALENDAR
from opspor.casework.models import Notification
from opspor.referrals.deadlines import escalation_deadline, first_contact_deadline
from opspor.referrals.models import Referral
from opspor.referrals.services import (
    WorkflowError,
    referral_accept,
    referral_book_appointment,
    referral_create_draft,
    referral_reject,
    referral_return_with_advice,
)
from opspor.referrals.workflow import NotificationKind, ReferralState
from tests import factories
from tests.referrals.worlds import World, referral_in

pytestmark = pytest.mark.django_db


def cph(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=COPENHAGEN)


# -- the working day's end --------------------------------------------------------------


def test_closes_today_is_the_days_last_closing_while_time_is_left() -> None:
    assert DEFAULT_CALENDAR.closes_today(cph(11, 27, 14, 30)) == cph(11, 27, 16)
    assert DEFAULT_CALENDAR.closes_today(cph(11, 27, 7)) == cph(11, 27, 16)  # before opening
    assert DEFAULT_CALENDAR.closes_today(cph(11, 27, 16)) is None  # at closing
    assert DEFAULT_CALENDAR.closes_today(cph(11, 28, 10)) is None  # Saturday
    assert DEFAULT_CALENDAR.closes_today(cph(12, 25, 10)) is None  # Christmas Day


# -- escalation of an unacknowledged rejection ------------------------------------------


@pytest.mark.parametrize(
    ("decided", "hours", "due"),
    [
        # Plenty of the day left: the practice's configured working hours.
        (cph(11, 25, 9), "2.0", cph(11, 25, 11)),
        # Friday afternoon: not Monday, but half an hour before Friday's closing.
        (cph(11, 27, 14, 30), "2.0", cph(11, 27, 15, 30)),
        # Within the last half hour: at once.
        (cph(11, 27, 15, 45), "2.0", cph(11, 27, 15, 45)),
        # After closing on Friday nobody is there: the hours count from Monday's opening.
        (cph(11, 27, 17), "2.0", cph(11, 30, 10)),
        # Before Christmas: 23 December afternoon escalates the same day.
        (cph(12, 23, 14), "4.0", cph(12, 23, 15, 30)),
    ],
)
def test_escalation_deadline(decided: datetime, hours: str, due: datetime) -> None:
    practice = factories.practice(escalation_working_hours=Decimal(hours))
    assert escalation_deadline(decided, practice) == due


def test_a_rejection_sets_who_contacts_the_patient_and_notifies_the_practice(
    world: World,
) -> None:
    referral = referral_in(world, ReferralState.SENT)
    referral_reject(
        referral=referral,
        by=world.doctor,
        reason_category="investigations_first",
        reason_text="CT first",
        alternative_plan_code="direct_ct_thorax_abdomen",
    )
    referral.refresh_from_db()
    assert referral.decided_at is not None
    assert referral.escalation_due_at == escalation_deadline(referral.decided_at, referral.practice)
    assert referral.patient_contact_by is not None
    assert referral.patient_contact_by.user == world.gp
    assert referral.patient_contact_due_at == DEFAULT_CALENDAR.add_working_days(
        referral.decided_at, 1
    )
    notification = Notification.objects.about(referral).get()
    assert notification.kind == NotificationKind.REJECTION
    assert notification.practice == referral.practice
    assert notification.unit is None


def test_a_refused_rejection_writes_no_notification(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    with pytest.raises(WorkflowError):
        referral_reject(
            referral=referral,
            by=world.doctor,
            reason_category="investigations_first",
            reason_text="CT first",
        )
    assert not Notification.objects.exists()
    referral.refresh_from_db()
    assert referral.escalation_due_at is None and referral.state == ReferralState.SENT


# -- first contact after acceptance -----------------------------------------------------


def test_first_contact_is_due_48_hours_after_acceptance_brought_forward_off_closed_time() -> None:
    # Wednesday 10:00 + 48 h = Friday 10:00, working time.
    assert first_contact_deadline(cph(11, 25, 10)) == cph(11, 27, 10)
    # Thursday 10:00 + 48 h = Saturday: brought forward to Friday's closing.
    assert first_contact_deadline(cph(11, 26, 10)) == cph(11, 27, 16)


def test_acceptance_starts_the_first_contact_clock_and_booking_stops_it(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    referral_accept(referral=referral, by=world.doctor)
    referral.refresh_from_db()
    assert referral.decided_at is not None
    assert referral.first_contact_due_at == first_contact_deadline(referral.decided_at)
    assert referral.first_contact_at is None
    referral_book_appointment(
        referral=referral, by=world.doctor, appointment_at=referral.decided_at + timedelta(days=3)
    )
    referral.refresh_from_db()
    assert referral.first_contact_at is not None


def test_a_naive_appointment_time_is_refused(world: World) -> None:
    referral = referral_in(world, ReferralState.ACCEPTED)
    with pytest.raises(WorkflowError) as refused:
        referral_book_appointment(
            referral=referral, by=world.doctor, appointment_at=datetime(2026, 12, 1, 10)
        )
    assert refused.value.code == "invalid"
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACCEPTED and referral.appointment_at is None


# -- a referral from a practising specialist --------------------------------------------


def test_a_specialist_referral_names_the_clinic_and_keeps_the_patients_practice(
    world: World,
) -> None:
    with pytest.raises(WorkflowError) as refused:
        referral_create_draft(
            by=world.gp, pathway="dpf", patient=world.patient, origin="practising_specialist"
        )
    assert refused.value.code == "invalid"
    assert not Referral.objects.exists()
    referral = referral_create_draft(
        by=world.gp,
        pathway="dpf",
        patient=world.patient,
        origin="practising_specialist",
        origin_name="Gastroenterologisk speciallægepraksis",
        origin_phone="+45 0000 1234",
    )
    assert referral.practice == world.patient.practice
    assert referral.origin == "practising_specialist"


def test_a_return_with_advice_names_who_tells_the_patient(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    referral_return_with_advice(
        referral=referral, by=world.doctor, advice_text="Repeat liver enzymes in 3 weeks"
    )
    referral.refresh_from_db()
    assert referral.decided_at is not None and referral.patient_contact_by is not None
    assert referral.patient_contact_by.user == world.gp
    assert referral.patient_contact_due_at == DEFAULT_CALENDAR.add_working_days(
        referral.decided_at, 1
    )
    notification = Notification.objects.about(referral).get()
    assert notification.kind == NotificationKind.RETURNED_WITH_ADVICE


def test_an_appointment_before_the_acceptance_is_refused(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    referral_accept(referral=referral, by=world.doctor)
    referral.refresh_from_db()
    assert referral.decided_at is not None
    with pytest.raises(WorkflowError) as refused:
        referral_book_appointment(
            referral=referral,
            by=world.doctor,
            appointment_at=referral.decided_at - timedelta(days=1),
        )
    assert refused.value.code == "invalid"
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACCEPTED and referral.appointment_at is None
    assert referral.first_contact_at is None
