"""The patient's own page says what happens next with each of their referrals: who will
contact them and by when, in plain words, in the patient's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.http import Http404
from django.test import Client
from django.urls import reverse

from opspor.accounts.models import Role, User
from opspor.casework.clock import COPENHAGEN
from opspor.portal.patient_status import Step, my_referral_steps
from opspor.records.models import AccessLogEntry, Clinician, Patient
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState
from tests import factories

pytestmark = pytest.mark.django_db

R = ReferralState
# Tuesday 24 November 2026, 10:00 in Copenhagen.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=COPENHAGEN)


class Setting:
    def __init__(self) -> None:
        self.unit = factories.unit(name="Diagnostisk Enhed Herlev", phone="38 68 00 00")
        self.practice = factories.practice(
            diagnostic_unit=self.unit, name="Lægerne i Valby", phone="36 30 00 00"
        )
        self.gp = factories.gp(self.practice)
        self.gp.name = "Anne Holm"
        self.gp.save()
        assert self.gp.user is not None
        self.account = factories.user(Role.PATIENT)
        self.patient = factories.patient(self.practice, name="Jens Dam", user=self.account)

    def referral(self, state: str, patient: Patient | None = None, **fields: Any) -> Referral:
        values: dict[str, Any] = {
            "patient": patient or self.patient,
            "practice": self.practice,
            "unit": self.unit,
            "requester": self.gp.user,
            "pathway": "dpf",
            "clinical_question": "Unexplained weight loss and fatigue",
            "state": state,
        }
        if state != R.DRAFT:
            values |= {"sent_at": NOW - timedelta(days=2), "triage_due_at": NOW}
        if state in {R.REJECTED, R.RETURNED_WITH_ADVICE, R.ACCEPTED, R.APPOINTMENT_BOOKED}:
            values |= {"decided_at": NOW - timedelta(hours=1)}
        if state == R.REJECTED:
            values |= {
                "reason_category": "criteria_not_met",
                "reason_text": "Weight loss below the pathway's threshold",
                "alternative_plan_code": "repeat_blood_tests",
            }
        values.update(fields)
        return Referral.objects.create(**values)


@pytest.fixture
def setting() -> Setting:
    return Setting()


def page(account: User, language: str | None = None) -> str:
    client = Client()
    if language:
        client.cookies["django_language"] = language
    with time_machine.travel(NOW, tick=False):
        client.force_login(account)
        response = client.get(reverse("portal:my_record"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "ikke kræft" not in html.lower() and "not cancer" not in html.lower()
    return html


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=COPENHAGEN)


def test_an_accepted_referral_says_the_unit_calls_by_the_first_contact_deadline(
    setting: Setting,
) -> None:
    setting.referral(R.ACCEPTED, first_contact_due_at=at(26, 9))
    html = page(setting.account)
    assert "Dine henvisninger" in html
    assert (
        "Diagnostisk Enhed Herlev har taget imod henvisningen og kontakter dig senest "
        "torsdag den 26. november 2026 kl. 09:00."
    ) in html
    assert 'så ring på <a href="tel:+4538680000" dir="ltr">38 68 00 00</a>.' in html


def test_a_rejected_referral_names_who_calls_and_when(setting: Setting) -> None:
    setting.referral(
        R.REJECTED, patient_contact_by=setting.gp, patient_contact_due_at=at(25, 9, 30)
    )
    html = page(setting.account)
    assert "har ikke taget imod henvisningen, men har foreslået din læge en anden plan" in html
    assert (
        "Anne Holm fra Lægerne i Valby kontakter dig senest onsdag den 25. november 2026 "
        "kl. 09:30 og fortæller, hvad der skal ske nu."
    ) in html
    assert 'så ring på <a href="tel:+4536300000" dir="ltr">36 30 00 00</a>.' in html
    # The clinical reason and plan are the GP's to explain, not the page's.
    assert "threshold" not in html
    assert "repeat_blood_tests" not in html


def test_a_returned_referral_falls_back_to_the_requesting_gp_one_working_day_later(
    setting: Setting,
) -> None:
    setting.referral(R.RETURNED_WITH_ADVICE, advice_text="Repeat blood tests in 3 weeks")
    html = page(setting.account)
    assert "har sendt henvisningen tilbage til din læge" in html
    # Decided Tuesday 09:00; one working day later is Wednesday 09:00.
    assert "Anne Holm fra Lægerne i Valby kontakter dig senest onsdag den 25. november" in html
    assert "Repeat blood tests" not in html


def test_sent_and_booked_referrals_say_what_the_unit_does(setting: Setting) -> None:
    setting.referral(R.SENT)
    setting.referral(R.APPOINTMENT_BOOKED, appointment_at=at(30, 13, 15))
    setting.referral(R.ACCEPTED, first_contact_due_at=at(26, 9), first_contact_at=NOW)
    html = page(setting.account)
    assert "har modtaget henvisningen fra din læge og beslutter, hvad der skal ske nu" in html
    assert "Du har en tid hos Diagnostisk Enhed Herlev mandag den 30. november 2026 kl. 13:15" in (
        html
    )
    assert "har taget imod henvisningen og har været i kontakt med dig" in html


def test_drafts_closed_old_and_other_patients_referrals_are_not_shown(setting: Setting) -> None:
    other = factories.patient(setting.practice, name="Else Berg")
    setting.referral(R.ACCEPTED, patient=other, first_contact_due_at=at(26, 9))
    setting.referral(R.DRAFT)
    setting.referral(R.WITHDRAWN, withdrawn_at=NOW)
    setting.referral(R.COMPLETED, completed_at=NOW)
    setting.referral(R.REJECTED, decided_at=NOW - timedelta(days=31))
    html = page(setting.account)
    assert 'data-testid="my-referrals"' not in html
    assert "Dine henvisninger" not in html
    # Nothing of the referrals was shown, so only the record read is logged.
    assert list(AccessLogEntry.objects.values_list("what", flat=True)) == ["own record"]


def test_the_read_is_logged_when_referrals_are_shown(setting: Setting) -> None:
    setting.referral(R.SENT)
    page(setting.account)
    whats = sorted(AccessLogEntry.objects.values_list("what", "patient", "user"))
    assert whats == [
        ("own record", setting.patient.pk, setting.account.pk),
        ("own referrals", setting.patient.pk, setting.account.pk),
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Anne Holm from Lægerne i Valby will contact you by Wednesday 25 Nov 2026 at 09:30"),
        ("ar", "سيتصل بك Anne Holm من Lægerne i Valby في موعد أقصاه"),
        ("tr", "Lægerne i Valby muayenehanesinden Anne Holm"),
    ],
)
def test_the_next_step_is_in_the_patients_language(
    setting: Setting, language: str, expected: str
) -> None:
    setting.referral(
        R.REJECTED, patient_contact_by=setting.gp, patient_contact_due_at=at(25, 9, 30)
    )
    assert expected in page(setting.account, language)


def test_an_escalated_rejection_without_a_second_contact_names_the_practice(
    setting: Setting,
) -> None:
    setting.referral(
        R.REJECTED,
        escalated_at=NOW,
        patient_contact_by=None,
        patient_contact_due_at=at(25, 9, 30),
    )
    html = page(setting.account)
    assert "Din lægepraksis, Lægerne i Valby, kontakter dig senest onsdag" in html


def test_only_the_patient_themself_may_read_their_referral_steps(setting: Setting) -> None:
    setting.referral(R.SENT)
    steps = my_referral_steps(user=setting.account, patient=setting.patient, now=NOW)
    assert [step.step for step in steps] == [Step.UNIT_DECIDES]
    other_account = factories.user(Role.PATIENT)
    gp_account = setting.gp.user
    assert gp_account is not None
    new_rows = factories.access_log_since_now()
    for user in (other_account, gp_account):
        with pytest.raises(Http404):
            my_referral_steps(user=user, patient=setting.patient, now=NOW)
    assert not new_rows().exists()


def test_a_clinician_without_an_account_is_still_named(setting: Setting) -> None:
    locum = Clinician.objects.create(
        name="Vikar Lund", role=Clinician.Role.GP, practice=setting.practice
    )
    setting.referral(R.REJECTED, patient_contact_by=locum, patient_contact_due_at=at(25, 9))
    assert "Vikar Lund fra Lægerne i Valby kontakter dig" in page(setting.account)
