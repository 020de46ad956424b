"""The overdue conditions the screens, the counts and the worker share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.selectors import with_overdue
from opspor.referrals.workflow import AdviceState, ReferralState
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _referral(**fields: object) -> Referral:
    practice = factories.practice()
    gp = factories.gp(practice).user
    patient = factories.patient(practice)
    base: dict[str, object] = {
        "patient": patient,
        "practice": practice,
        "unit": practice.diagnostic_unit,
        "requester": gp,
        "pathway": "dpf",
        "sent_at": NOW - 10 * HOUR,
        "triage_due_at": NOW + HOUR,
    }
    base.update(fields)
    return Referral.objects.create(**base)


@pytest.mark.parametrize(
    ("fields", "overdue"),
    [
        ({"state": ReferralState.SENT, "triage_due_at": NOW - HOUR}, True),
        ({"state": ReferralState.SENT, "triage_due_at": NOW + HOUR}, False),
        ({"state": ReferralState.ACCEPTED, "first_contact_due_at": NOW - HOUR}, True),
        (
            {
                "state": ReferralState.ACCEPTED,
                "first_contact_due_at": NOW - HOUR,
                "first_contact_at": NOW - 2 * HOUR,
            },
            False,
        ),
        ({"state": ReferralState.APPOINTMENT_BOOKED, "first_contact_due_at": NOW - HOUR}, True),
        ({"state": ReferralState.ACCEPTED, "first_contact_due_at": NOW + HOUR}, False),
        ({"state": ReferralState.COMPLETED, "first_contact_due_at": NOW - HOUR}, False),
    ],
)
def test_referral_deadlines(fields: dict[str, object], overdue: bool) -> None:
    referral = _referral(**fields)
    row = with_overdue(Referral.objects.filter(pk=referral.pk), NOW).get()
    assert row.is_overdue is overdue


def test_an_unacknowledged_rejection_past_its_escalation_is_overdue_until_acknowledged() -> None:
    referral = _referral(
        state=ReferralState.REJECTED,
        reason_category="other",
        reason_text="x",
        alternative_plan_text="Repeat in 3 weeks",
        escalation_due_at=NOW - HOUR,
    )
    assert with_overdue(Referral.objects.all(), NOW).get().is_overdue is True
    Referral.objects.filter(pk=referral.pk).update(acknowledged_at=NOW)
    assert with_overdue(Referral.objects.all(), NOW).get().is_overdue is False


def test_an_unanswered_advice_request_past_its_deadline_is_overdue() -> None:
    practice = factories.practice()
    gp = factories.gp(practice).user
    advice = AdviceRequest.objects.create(
        patient=factories.patient(practice),
        practice=practice,
        unit=practice.diagnostic_unit,
        asked_by=gp,
        question="?",
        sent_at=NOW - 10 * HOUR,
        answer_due_at=NOW - HOUR,
    )
    assert with_overdue(AdviceRequest.objects.all(), NOW).get().is_overdue is True
    AdviceRequest.objects.filter(pk=advice.pk).update(
        state=AdviceState.ANSWERED, answer="Refer.", answered_at=NOW
    )
    assert with_overdue(AdviceRequest.objects.all(), NOW).get().is_overdue is False
