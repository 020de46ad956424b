"""Row invariants of the referral models, and the workflow table's own consistency."""

from __future__ import annotations

import itertools
from collections import deque
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from opspor.casework.models import IdempotencyRecord
from opspor.referrals.models import Referral
from opspor.referrals.workflow import (
    ADVICE_TRANSITIONS,
    PATHWAYS,
    REFERRAL_TRANSITIONS,
    AdviceState,
    ReferralState,
)
from tests import factories

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # `factories.cpr_for` makes numbers whose control digit means the 1800s once the shared
    # counter passes about 2,500, so these many tests must not advance it for the tests
    # that run after them. Inside one test, numbers from a separate range stay unique.
    monkeypatch.setattr(factories, "_counter", itertools.count(1_000_000))


def _reachable(transitions: dict[str, Any], start: str) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        state = queue.popleft()
        for t in transitions.values():
            if state in t.sources and t.target not in seen:
                seen.add(t.target)
                queue.append(t.target)
    return seen


def test_every_referral_state_is_reachable_from_draft() -> None:
    assert _reachable(REFERRAL_TRANSITIONS, ReferralState.DRAFT) == set(ReferralState.values)


def test_every_advice_state_is_reachable_from_sent() -> None:
    assert _reachable(ADVICE_TRANSITIONS, AdviceState.SENT) == set(AdviceState.values)


def test_transitions_name_only_known_states() -> None:
    for t in REFERRAL_TRANSITIONS.values():
        assert t.sources <= set(ReferralState.values) and t.target in ReferralState.values
    for t in ADVICE_TRANSITIONS.values():
        assert t.sources <= set(AdviceState.values) and t.target in AdviceState.values


def test_only_the_gp_withdraws_and_never_after_completion() -> None:
    withdraw = REFERRAL_TRANSITIONS["withdraw"]
    assert withdraw.side == "gp"
    assert ReferralState.COMPLETED not in withdraw.sources


def test_triage_decisions_are_the_units() -> None:
    for action in ("accept", "reject", "return_with_advice", "book_appointment", "complete"):
        assert REFERRAL_TRANSITIONS[action].side == "unit"


def test_the_diagnostic_pathway_requires_its_filter_package() -> None:
    assert PATHWAYS["dpf"].filter_package is not None


def _referral(**fields: Any) -> Referral:
    practice = factories.practice()
    gp = factories.gp(practice).user
    assert gp is not None
    values: dict[str, Any] = {
        "patient": factories.patient(
            practice, cpr=f"010158{next(_serial) % 4000:04d}", birth_date=date(1958, 1, 1)
        ),
        "practice": practice,
        "unit": practice.diagnostic_unit,
        "requester": gp,
        "pathway": "dpf",
    }
    values.update(fields)
    return Referral.objects.create(**values)


@pytest.mark.django_db
def test_the_database_refuses_a_rejection_without_a_plan() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _referral(
            state=ReferralState.REJECTED,
            sent_at=NOW,
            triage_due_at=NOW + timedelta(days=1),
            reason_category="criteria_not_met",
            reason_text="No",
        )


@pytest.mark.django_db
def test_the_database_refuses_a_sent_referral_without_a_clock() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _referral(state=ReferralState.SENT)


@pytest.mark.django_db
def test_the_frailty_scale_runs_from_1_to_9() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _referral(clinical_frailty_scale=10)


@pytest.mark.django_db
def test_an_idempotency_key_is_stored_once_per_user_and_action() -> None:
    user = factories.user()
    IdempotencyRecord.objects.create(
        user=user, key="k", action="referral_send", object_type="referral", object_id=1
    )
    IdempotencyRecord.objects.create(
        user=user, key="k", action="referral_create_draft", object_type="referral", object_id=1
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyRecord.objects.create(
            user=user, key="k", action="referral_send", object_type="referral", object_id=2
        )


@pytest.mark.django_db
def test_str_shows_no_clinical_text() -> None:
    referral = _referral(clinical_question="Haemoptysis in a smoker")
    assert "Haemoptysis" not in str(referral)
    assert str(referral) == f"Referral #{referral.pk} (draft)"
