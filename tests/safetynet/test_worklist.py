"""The practice's worklist: each item from the state of a case, most urgent first, done only
by the action that changes that state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.casework.errors import WorkflowError
from opspor.referrals.services import (
    referral_acknowledge_rejection,
    referral_record_first_contact,
)
from opspor.referrals.workflow import ReferralState
from opspor.safetynet import services
from opspor.safetynet.models import SafetyNetEpisode
from opspor.safetynet.worklist import ItemKind, practice_worklist
from tests.referrals.worlds import referral_in
from tests.safetynet.test_services import NOW, TODAY, Net, net, opened, ordered

pytestmark = pytest.mark.django_db
_ = net


def kinds(net: Net, **kwargs: object) -> list[ItemKind]:
    return [item.kind for item in practice_worklist(user=net.gp, **kwargs)]  # type: ignore[arg-type]


def test_an_empty_practice_has_an_empty_worklist(net: Net) -> None:
    assert practice_worklist(user=net.gp, now=NOW) == []
    assert practice_worklist(user=net.world.doctor, now=NOW) == []


def test_each_item_comes_from_the_state_and_goes_only_by_an_action(net: Net) -> None:
    episode = opened(net)
    xray = ordered(net, episode, expected_by=TODAY + timedelta(days=2))
    assert kinds(net, now=NOW) == []

    later = NOW + timedelta(days=3)
    assert kinds(net, now=later) == [ItemKind.INVESTIGATION_OVERDUE]
    # Time alone changes nothing else: the item stays until the result is recorded.
    assert kinds(net, now=later + timedelta(days=10)) == [ItemKind.INVESTIGATION_OVERDUE]

    services.investigation_record_result(investigation=xray, by=net.gp, text="Normal", now=later)
    assert kinds(net, now=later) == [ItemKind.RESULT_UNSEEN]
    services.investigation_mark_seen(investigation=xray, by=net.gp, now=later)
    assert kinds(net, now=later) == [ItemKind.RESULT_NOT_TOLD]
    services.investigation_mark_told(investigation=xray, by=net.gp, how="phone", now=later)
    assert kinds(net, now=later) == []

    follow_up = NOW + timedelta(days=15)
    assert kinds(net, now=follow_up) == [ItemKind.FOLLOW_UP_DUE]
    services.episode_reschedule(
        episode=episode,
        by=net.other_gp,
        follow_up_on=TODAY + timedelta(days=20),
        reason="Patienten er bortrejst",
        now=follow_up,
    )
    assert kinds(net, now=follow_up) == []
    assert kinds(net, now=NOW + timedelta(days=43)) == [ItemKind.SAFETY_NET_ENDED]


def test_the_most_urgent_come_first_and_the_owner_filter_narrows(net: Net) -> None:
    rejected = referral_in(
        net.world,
        ReferralState.REJECTED,
        decided_at=NOW,
        alternative_plan_text="CT thorax",
    )
    mine = opened(net)
    theirs = opened(net, owner=net.other_gp)
    SafetyNetEpisode.objects.filter(pk__in=[mine.pk, theirs.pk]).update(
        follow_up_on=TODAY, ends_on=TODAY + timedelta(days=30)
    )
    items = practice_worklist(user=net.gp, now=NOW)
    assert [item.kind for item in items] == [
        ItemKind.REJECTION_UNACKNOWLEDGED,
        ItemKind.FOLLOW_UP_DUE,
        ItemKind.FOLLOW_UP_DUE,
    ]
    assert items[0].case_url == rejected.get_absolute_url()
    only_other = practice_worklist(user=net.gp, now=NOW, owner_id=net.other_gp.pk)
    assert [item.owner_id for item in only_other] == [net.other_gp.pk]
    # Another practice's GP sees none of it.
    assert practice_worklist(user=net.world.stranger_gp, now=NOW) == []


def test_the_worklist_costs_the_same_queries_however_long_it_is(net: Net) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            practice_worklist(user=net.gp, now=NOW + timedelta(days=60))
        return len(captured)

    opened(net)
    few = queries()
    for _ in range(5):
        episode = opened(net)
        ordered(net, episode, expected_by=TODAY + timedelta(days=1))
    assert len(practice_worklist(user=net.gp, now=NOW + timedelta(days=60))) == 11
    assert queries() == few


def test_the_list_of_safety_nets_costs_the_same_queries_however_long(net: Net) -> None:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(net.gp)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("safetynet:list")).status_code == 200
        return len(captured)

    ordered(net, opened(net))
    few = queries()
    for _ in range(6):
        ordered(net, opened(net))
    referral_in(net.world, ReferralState.SENT)  # pending for every episode of the patient
    assert queries() == few


def test_the_referral_items_go_only_when_the_rejection_is_read_or_the_patient_reached(
    net: Net,
) -> None:
    rejected = referral_in(
        net.world, ReferralState.REJECTED, decided_at=NOW, alternative_plan_text="CT thorax"
    )
    accepted = referral_in(
        net.world,
        ReferralState.ACCEPTED,
        decided_at=NOW,
        decided_by=net.world.doctor,
        first_contact_due_at=NOW + timedelta(days=2),
    )
    assert kinds(net, now=NOW) == [ItemKind.REJECTION_UNACKNOWLEDGED]
    # Time makes the unit late with the patient; it never takes the rejection away.
    later = NOW + timedelta(days=30)
    assert kinds(net, now=later) == [
        ItemKind.REJECTION_UNACKNOWLEDGED,
        ItemKind.PATIENT_NOT_CONTACTED,
    ]
    referral_acknowledge_rejection(referral=rejected, by=net.other_gp, now=later)
    assert kinds(net, now=later) == [ItemKind.PATIENT_NOT_CONTACTED]
    referral_record_first_contact(referral=accepted, by=net.world.doctor, now=later)
    assert kinds(net, now=later) == []


def test_an_overdue_investigation_goes_when_it_is_cancelled_with_a_reason(net: Net) -> None:
    episode = opened(net)
    xray = ordered(net, episode, expected_by=TODAY + timedelta(days=1))
    later = NOW + timedelta(days=5)
    assert kinds(net, now=later) == [ItemKind.INVESTIGATION_OVERDUE]
    with pytest.raises(WorkflowError):
        services.investigation_cancel(investigation=xray, by=net.gp, reason=" \u200b ", now=later)
    assert kinds(net, now=later) == [ItemKind.INVESTIGATION_OVERDUE]
    services.investigation_cancel(
        investigation=xray, by=net.gp, reason="Taget på sygehuset", now=later
    )
    assert kinds(net, now=later) == []


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(first=st.integers(min_value=0, max_value=120), wait=st.integers(min_value=0, max_value=400))
def test_no_item_ever_goes_as_time_passes(net: Net, first: int, wait: int) -> None:
    """Whatever waits on one day waits on every later day, until someone acts: an item may
    turn more urgent (a follow-up becomes a safety net at its end), never vanish."""
    if not SafetyNetEpisode.objects.exists():
        episode = opened(net)
        ordered(net, episode, expected_by=TODAY + timedelta(days=3))
        resulted = ordered(net, opened(net), expected_by=TODAY + timedelta(days=20))
        services.investigation_record_result(
            investigation=resulted, by=net.gp, text="Normal", now=NOW + timedelta(days=1)
        )
        referral_in(
            net.world,
            ReferralState.ACCEPTED,
            decided_at=NOW,
            first_contact_due_at=NOW + timedelta(days=10),
        )
        referral_in(net.world, ReferralState.REJECTED, decided_at=NOW)

    def cases(days: int) -> set[str]:
        return {item.case_url for item in practice_worklist(user=net.gp, now=NOW + timedelta(days))}

    assert cases(first) <= cases(first + wait)
