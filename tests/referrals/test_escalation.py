"""Rejections are never silent: the practice is told at once, and a rejection nobody
acknowledges escalates to the practice's second contact before the practice closes.

The clock is real: `time-machine` moves what `timezone.now()` returns, the services run as
the screens call them, the e-mails go through the database queue and the worker's loop,
and the patient's page is read over HTTP as the patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from opspor.accounts.models import Role, User
from opspor.casework.clock import COPENHAGEN
from opspor.casework.models import Notification
from opspor.casework.sweep import sweep
from opspor.records.models import Clinician, Patient, Practice
from opspor.referrals.models import Referral, ReferralEvent
from opspor.referrals.services import (
    referral_acknowledge_rejection,
    referral_create_draft,
    referral_reject,
    referral_send,
)
from opspor.referrals.workflow import NotificationKind, ReferralState
from tests import factories
from tests.referrals.background import cph, run_queue, sweep_now
from tests.referrals.worlds import patient_in

# Committed transactions: the e-mail is handed to the queue only when the rejection has
# committed, exactly as in production.
pytestmark = pytest.mark.django_db(transaction=True)

PRACTICE_EMAIL = "praksis@laegerne.example"
SECOND_EMAIL = "anden.kontakt@laegerne.example"


@dataclass
class Case:
    practice: Practice
    requester: User
    requester_clinician: Clinician
    other_gp: User
    second: Clinician | None
    doctor: User
    patient: Patient
    patient_account: User


def make_case(*, second_contact: bool = True, hours: str = "2.0") -> Case:
    unit = factories.unit(email="enheden@hospital.example")
    practice = factories.practice(
        diagnostic_unit=unit, email=PRACTICE_EMAIL, escalation_working_hours=Decimal(hours)
    )
    requester = factories.gp(practice)
    other_gp = factories.gp(practice)
    second = None
    if second_contact:
        second = factories.gp(practice)
        assert second.user is not None
        second.user.email = SECOND_EMAIL
        second.user.save()
        practice.second_contact = second
        practice.save()
    doctor = factories.unit_doctor(unit)
    patient_account = factories.user(Role.PATIENT)
    patient = patient_in(practice)
    patient.user = patient_account
    patient.save()
    assert requester.user and other_gp.user and doctor.user
    return Case(
        practice=practice,
        requester=requester.user,
        requester_clinician=requester,
        other_gp=other_gp.user,
        second=second,
        doctor=doctor.user,
        patient=patient,
        patient_account=patient_account,
    )


def sent_referral(case: Case, at: datetime) -> Referral:
    with time_machine.travel(at, tick=False):
        referral = referral_create_draft(
            by=case.requester,
            patient=case.patient,
            pathway="kidney",
            clinical_question="Visible haematuria twice in a month",
            informed_about_kraeft=True,
        )
        return referral_send(referral=referral, by=case.requester)


def reject(case: Case, referral: Referral, at: datetime) -> Referral:
    with time_machine.travel(at, tick=False):
        referral_reject(
            referral=referral,
            by=case.doctor,
            reason_category="investigations_first",
            reason_text="CT of the urinary tract first",
            alternative_plan_code="direct_ct_thorax_abdomen",
        )
        run_queue()  # the worker picks up the e-mail within its poll interval
    referral.refresh_from_db()
    return referral


def sweep_at(at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        sweep_now()


def patient_page(case: Case, at: datetime, language: str | None = None) -> str:
    client = Client()
    if language:
        client.cookies["django_language"] = language
    with time_machine.travel(at, tick=False):
        client.force_login(case.patient_account)
        response = client.get(reverse("portal:my_record"))
    assert response.status_code == 200
    return response.content.decode()


def local(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment.astimezone(COPENHAGEN)


# -- the Friday afternoon ---------------------------------------------------------------


def test_a_friday_afternoon_rejection_escalates_that_afternoon_not_on_monday() -> None:
    case = make_case()
    assert case.second is not None
    friday = date(2026, 11, 27)
    assert friday.weekday() == 4
    referral = sent_referral(case, cph(11, 27, 9))
    referral = reject(case, referral, cph(11, 27, 14, 30))

    # At once, on Friday: the practice's notification in the app, and its e-mail.
    told = Notification.objects.about(referral).get()
    assert (told.kind, told.practice, told.recipient) == (
        NotificationKind.REJECTION,
        case.practice,
        None,
    )
    assert local(told.created_at) == cph(11, 27, 14, 30)
    assert told.delivery == Notification.Delivery.SENT
    assert local(told.delivered_at) == cph(11, 27, 14, 30)
    assert [m.to for m in mail.outbox] == [[PRACTICE_EMAIL]]
    # Half an hour before the practice closes at 16:00, not two working hours later
    # (which would be Monday 08:30).
    assert local(referral.escalation_due_at) == cph(11, 27, 15, 30)

    # Nobody acknowledges. Until the deadline, the sweep leaves it alone.
    sweep_at(cph(11, 27, 15, 29))
    referral.refresh_from_db()
    assert referral.escalated_at is None
    assert len(mail.outbox) == 1

    # 15:31 on Friday: escalated to the second contact, in the app and by e-mail.
    sweep_at(cph(11, 27, 15, 31))
    referral.refresh_from_db()
    assert local(referral.escalated_at) == cph(11, 27, 15, 31)
    assert referral.escalated_to == case.second
    assert referral.patient_contact_by == case.second
    assert referral.state == ReferralState.REJECTED
    assert referral.acknowledged_at is None
    escalation = Notification.objects.about(referral).get(kind=NotificationKind.ESCALATION)
    assert (escalation.practice, escalation.recipient) == (case.practice, case.second)
    assert escalation.email_to == SECOND_EMAIL
    assert local(escalation.delivered_at) == cph(11, 27, 15, 31)
    assert [m.to for m in mail.outbox] == [[PRACTICE_EMAIL], [SECOND_EMAIL]]
    for message in mail.outbox:
        assert case.patient.name not in message.body + message.subject
        assert case.patient.cpr not in message.body
    event = ReferralEvent.objects.get(referral=referral, action="escalate")
    assert event.actor is None
    assert event.actor_label == "Opspor (automatisk)"  # the site language, Danish
    assert (event.from_state, event.to_state) == (ReferralState.REJECTED, ReferralState.REJECTED)
    assert local(event.at) == cph(11, 27, 15, 31)
    assert case.second.name in event.reason

    # The patient's page, the same afternoon, in Danish: who will call, and by when
    # (one working day after the rejection, as promised at the rejection).
    html = patient_page(case, cph(11, 27, 15, 45))
    assert local(referral.patient_contact_due_at) == cph(11, 30, 14, 30)
    assert f"{case.second.name} fra {case.practice.name} kontakter dig" in html
    assert "senest mandag den 30. november 2026 kl. 14:30" in html
    assert case.requester_clinician.name not in html
    assert "ikke kræft" not in html.lower()

    # Nothing of it waited until Monday: every notification was written and e-mailed on
    # Friday; a sweep on Monday morning adds nothing.
    for notification in Notification.objects.about(referral):
        assert local(notification.created_at).date() == friday
        assert local(notification.delivered_at).date() == friday
    sweep_at(cph(11, 30, 8, 5))
    assert Notification.objects.about(referral).count() == 2
    assert ReferralEvent.objects.filter(referral=referral, action="escalate").count() == 1
    assert len(mail.outbox) == 2


def test_a_rejection_acknowledged_before_the_deadline_does_not_escalate() -> None:
    case = make_case()
    referral = reject(case, sent_referral(case, cph(11, 27, 9)), cph(11, 27, 14, 30))
    with time_machine.travel(cph(11, 27, 15), tick=False):
        referral_acknowledge_rejection(referral=referral, by=case.other_gp)
    sweep_at(cph(11, 27, 15, 31))
    sweep_at(cph(11, 30, 12))
    referral.refresh_from_db()
    assert referral.escalated_at is None
    assert referral.escalated_to is None
    assert referral.patient_contact_by == case.requester_clinician
    assert not Notification.objects.filter(kind=NotificationKind.ESCALATION).exists()
    assert not ReferralEvent.objects.filter(action="escalate").exists()
    assert [m.to for m in mail.outbox] == [[PRACTICE_EMAIL]]


def test_a_rejection_after_closing_on_friday_escalates_hours_after_mondays_opening() -> None:
    # After closing there is no working time left on Friday, so the practice's two working
    # hours count from Monday's opening at 08:00: due at 10:00 on Monday. The practice's
    # e-mail still goes out on Friday evening.
    case = make_case()
    referral = reject(case, sent_referral(case, cph(11, 27, 9)), cph(11, 27, 17))
    assert local(referral.escalation_due_at) == cph(11, 30, 10)
    assert [m.to for m in mail.outbox] == [[PRACTICE_EMAIL]]
    for moment in (cph(11, 27, 17, 30), cph(11, 28, 10), cph(11, 30, 9, 59)):
        sweep_at(moment)
        referral.refresh_from_db()
        assert referral.escalated_at is None, moment
    sweep_at(cph(11, 30, 10, 1))
    referral.refresh_from_db()
    assert local(referral.escalated_at) == cph(11, 30, 10, 1)
    assert referral.escalated_to == case.second
    assert [m.to for m in mail.outbox] == [[PRACTICE_EMAIL], [SECOND_EMAIL]]


def test_a_rejection_early_in_the_day_escalates_after_the_practices_working_hours() -> None:
    case = make_case(hours="3.0")
    referral = reject(case, sent_referral(case, cph(11, 23, 9)), cph(11, 24, 9))
    assert local(referral.escalation_due_at) == cph(11, 24, 12)
    sweep_at(cph(11, 24, 11, 59))
    referral.refresh_from_db()
    assert referral.escalated_at is None
    sweep_at(cph(11, 24, 12, 1))
    referral.refresh_from_db()
    assert local(referral.escalated_at) == cph(11, 24, 12, 1)
    assert referral.escalated_to == case.second


def test_a_practice_without_a_second_contact_is_escalated_to_as_a_whole() -> None:
    case = make_case(second_contact=False)
    referral = reject(case, sent_referral(case, cph(11, 27, 9)), cph(11, 27, 14, 30))
    sweep_at(cph(11, 27, 15, 31))
    referral.refresh_from_db()
    assert local(referral.escalated_at) == cph(11, 27, 15, 31)
    assert referral.escalated_to is None
    assert referral.patient_contact_by is None  # the practice as a whole, not one GP
    escalation = Notification.objects.get(kind=NotificationKind.ESCALATION)
    assert (escalation.practice, escalation.recipient) == (case.practice, None)
    assert escalation.email_to == PRACTICE_EMAIL
    assert [m.to for m in mail.outbox] == [[PRACTICE_EMAIL], [PRACTICE_EMAIL]]
    event = ReferralEvent.objects.get(action="escalate")
    assert "no second contact" in event.reason
    html = patient_page(case, cph(11, 27, 16))
    assert f"Din lægepraksis, {case.practice.name}, kontakter dig" in html
    assert "senest mandag den 30. november 2026 kl. 14:30" in html
    assert case.practice.phone in html


def test_the_sweep_escalates_once_however_often_it_runs() -> None:
    case = make_case()
    referral = reject(case, sent_referral(case, cph(11, 27, 9)), cph(11, 27, 14, 30))
    with time_machine.travel(cph(11, 27, 15, 31), tick=False):
        first = sweep(cph(11, 27, 15, 31))
        again = sweep(cph(11, 27, 15, 32))
    assert (first["escalated"], again["escalated"]) == (1, 0)
    referral.refresh_from_db()
    assert local(referral.escalated_at) == cph(11, 27, 15, 31)
    assert Notification.objects.filter(kind=NotificationKind.ESCALATION).count() == 1


def test_the_patient_page_names_the_requesting_gp_before_any_escalation_and_logs_it() -> None:
    case = make_case()
    referral = reject(case, sent_referral(case, cph(11, 27, 9)), cph(11, 27, 14, 30))
    new_rows = factories.access_log_since_now()
    html = patient_page(case, cph(11, 27, 14, 45), language="en")
    assert f"{case.requester_clinician.name} from {case.practice.name} will contact you" in html
    assert "by Monday 30 Nov 2026 at 14:30" in html
    assert "has not taken on the referral" in html
    whats = sorted(new_rows().values_list("what", flat=True))
    # The referral opened a safety net when it was sent; the page shows it too.
    assert whats == ["own record", "own referrals", "own safety nets"]
    entry = new_rows().get(what="own referrals")
    assert (entry.user, entry.patient) == (case.patient_account, case.patient)
    assert referral.reason_text not in html  # the clinical reason is for the GP to explain
