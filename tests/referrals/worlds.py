"""A practice, its unit and their people, for the referral tests; rows put straight into
a state as the services would have left them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from opspor.accounts.models import User
from opspor.records.models import Patient, Practice
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.workflow import AdviceState, ReferralState
from tests import factories

# A Wednesday morning in Copenhagen (09:00 UTC = 10:00 local), far from any holiday.
NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)


@dataclass
class World:
    gp: User
    other_gp: User  # a GP of the same practice
    doctor: User
    other_doctor: User  # a doctor of the same unit
    stranger_gp: User  # a GP of another practice
    stranger_doctor: User  # a doctor of another unit
    patient: Patient


def make_world() -> World:
    unit = factories.unit()
    practice = factories.practice(diagnostic_unit=unit)
    gp = factories.gp(practice)
    other_gp = factories.gp(practice)
    doctor = factories.unit_doctor(unit)
    other_doctor = factories.unit_doctor(unit)
    assert gp.user and other_gp.user and doctor.user and other_doctor.user
    stranger_gp = factories.gp().user
    stranger_doctor = factories.unit_doctor().user
    assert stranger_gp and stranger_doctor
    return World(
        gp=gp.user,
        other_gp=other_gp.user,
        doctor=doctor.user,
        other_doctor=other_doctor.user,
        stranger_gp=stranger_gp,
        stranger_doctor=stranger_doctor,
        patient=patient_in(practice),
    )


_serial = itertools.count(1)


def patient_in(practice: Practice, *, born: date = date(1958, 4, 2)) -> Patient:
    # A control digit of 0-3 means a 20th-century birth for every year, so the number
    # matches the birth date however many patients the session has made.
    cpr = f"{born:%d%m%y}{next(_serial) % 4000:04d}"
    return factories.patient(practice, birth_date=born, cpr=cpr)


def referral_in(world: World, state: str, **fields: Any) -> Referral:
    """A referral put straight into `state`, as the services would have left it."""
    values: dict[str, Any] = {
        "patient": world.patient,
        "practice": world.patient.practice,
        "unit": world.patient.practice.diagnostic_unit,
        "requester": world.gp,
        "pathway": "kidney",
        "clinical_question": "Macroscopic haematuria, 68 years",
        "state": state,
    }
    if state != ReferralState.DRAFT:
        values |= {"sent_at": NOW, "triage_due_at": NOW + timedelta(days=1)}
    if state == ReferralState.REJECTED:
        values |= {
            "reason_category": "criteria_not_met",
            "reason_text": "No visible haematuria in the letter",
            "alternative_plan_code": "repeat_blood_tests",
        }
    values.update(fields)
    return Referral.objects.create(**values)


def advice_in(world: World, state: str) -> AdviceRequest:
    answered = state != AdviceState.SENT
    return AdviceRequest.objects.create(
        patient=world.patient,
        practice=world.patient.practice,
        unit=world.patient.practice.diagnostic_unit,
        asked_by=world.gp,
        question="Weight loss 6 kg, normal blood tests: refer?",
        state=state,
        sent_at=NOW,
        answer_due_at=NOW + timedelta(days=1),
        answer="Yes, refer to the diagnostic pathway." if answered else "",
        answered_by=world.doctor if answered else None,
        answered_at=NOW if answered else None,
    )
