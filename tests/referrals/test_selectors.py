"""Who sees which referrals and advice requests."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from opspor.accounts.models import Role
from opspor.records.models import Practice
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.selectors import (
    advice_request_get,
    advice_requests_visible_to,
    referral_get,
    referrals_visible_to,
)
from opspor.referrals.workflow import ReferralState
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # `factories.cpr_for` makes numbers whose control digit means the 1800s once the shared
    # counter passes about 2,500, so these many tests must not advance it for the tests
    # that run after them. Inside one test, numbers from a separate range stay unique.
    monkeypatch.setattr(factories, "_counter", itertools.count(1_000_000))


def _referral_and_advice(practice: Practice) -> tuple[Referral, AdviceRequest]:
    gp = factories.gp(practice).user
    assert gp is not None
    patient = factories.patient(
        practice, birth_date=date(1960, 2, 3), cpr=f"030260{next(_serial) % 4000:04d}"
    )
    referral = Referral.objects.create(
        patient=patient,
        practice=practice,
        unit=practice.diagnostic_unit,
        requester=gp,
        pathway="dpf",
        state=ReferralState.SENT,
        sent_at=NOW,
        triage_due_at=NOW + timedelta(days=1),
    )
    advice = AdviceRequest.objects.create(
        patient=patient,
        practice=practice,
        unit=practice.diagnostic_unit,
        asked_by=gp,
        question="?",
        sent_at=NOW,
        answer_due_at=NOW + timedelta(days=1),
    )
    return referral, advice


def test_a_gp_sees_their_practices_and_a_doctor_their_units() -> None:
    unit = factories.unit()
    mine, neighbour = factories.practice(diagnostic_unit=unit), factories.practice()
    own_referral, own_advice = _referral_and_advice(mine)
    other_referral, other_advice = _referral_and_advice(neighbour)
    gp = factories.gp(mine).user
    doctor = factories.unit_doctor(unit).user
    other_doctor = factories.unit_doctor(neighbour.diagnostic_unit).user
    assert gp and doctor and other_doctor

    assert list(referrals_visible_to(gp)) == [own_referral]
    assert list(advice_requests_visible_to(gp)) == [own_advice]
    assert list(referrals_visible_to(doctor)) == [own_referral]
    assert list(advice_requests_visible_to(doctor)) == [own_advice]
    assert list(referrals_visible_to(other_doctor)) == [other_referral]
    assert list(advice_requests_visible_to(other_doctor)) == [other_advice]


def test_a_draft_is_the_practices_own_until_sent() -> None:
    unit = factories.unit()
    practice = factories.practice(diagnostic_unit=unit)
    referral, _advice = _referral_and_advice(practice)
    Referral.objects.filter(pk=referral.pk).update(
        state=ReferralState.DRAFT, sent_at=None, triage_due_at=None
    )
    gp, doctor = factories.gp(practice).user, factories.unit_doctor(unit).user
    assert gp and doctor
    assert list(referrals_visible_to(gp)) == [referral]
    assert not referrals_visible_to(doctor).exists()


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PATIENT, Role.ADMIN])
def test_other_roles_see_no_referrals(role: str) -> None:
    _referral_and_advice(factories.practice())
    user = factories.user(role)
    assert not referrals_visible_to(user).exists()
    assert not advice_requests_visible_to(user).exists()


def test_anonymous_inactive_and_unattached_users_see_none() -> None:
    practice = factories.practice()
    _referral_and_advice(practice)
    inactive = factories.gp(practice).user
    assert inactive is not None
    inactive.is_active = False
    unattached = factories.user(Role.GP)  # a GP account with no clinician row
    for user in (AnonymousUser(), inactive, unattached):
        assert not referrals_visible_to(user).exists()  # type: ignore[arg-type]
        assert not advice_requests_visible_to(user).exists()  # type: ignore[arg-type]


def test_a_referral_out_of_reach_is_404_like_a_missing_one() -> None:
    referral, advice = _referral_and_advice(factories.practice())
    stranger = factories.gp().user
    assert stranger is not None
    with pytest.raises(Http404):
        referral_get(user=stranger, referral_id=referral.pk)
    with pytest.raises(Http404):
        referral_get(user=stranger, referral_id=referral.pk + 1000)
    with pytest.raises(Http404):
        advice_request_get(user=stranger, advice_id=advice.pk)
    gp = factories.gp(referral.practice).user
    assert gp is not None
    assert referral_get(user=gp, referral_id=referral.pk) == referral
    assert advice_request_get(user=gp, advice_id=advice.pk) == advice
