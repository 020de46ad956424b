"""The thread of a referral or an advice request, its read receipts, the notifications it
raises, and the unit's first contact with the patient (services, real database)."""

from __future__ import annotations

import pytest

from opspor.casework.models import Notification
from opspor.casework.notifications import notifications_mark_read
from opspor.referrals.models import Message, Referral, ReferralEvent
from opspor.referrals.selectors import first_contact_overdue
from opspor.referrals.services import (
    MAX_MESSAGE_LENGTH,
    WorkflowError,
    message_post,
    referral_record_first_contact,
    thread_mark_read,
)
from opspor.referrals.workflow import AdviceState, NotificationKind, ReferralState
from tests import factories
from tests.referrals.worlds import NOW, World, advice_in, referral_in

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int]:
    return Message.objects.count(), Notification.objects.count()


# --- writing -------------------------------------------------------------------------------


def test_each_side_writes_and_the_other_side_is_notified(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)

    from_gp = message_post(thread=referral, by=world.gp, body="  Patient is anxious  ")
    assert (from_gp.author_side, from_gp.body) == ("gp", "Patient is anxious")  # trimmed
    assert from_gp.read_at is None and from_gp.referral == referral
    to_unit = Notification.objects.get()
    assert (to_unit.kind, to_unit.unit, to_unit.practice) == (
        NotificationKind.MESSAGE,
        referral.unit,
        None,
    )

    from_unit = message_post(thread=referral, by=world.doctor, body="We call her today.")
    assert from_unit.author_side == "unit"
    to_practice = Notification.objects.exclude(pk=to_unit.pk).get()
    assert (to_practice.practice, to_practice.unit) == (referral.practice, None)
    assert to_practice.subject == referral


def test_an_advice_request_has_a_thread_of_its_own(world: World) -> None:
    advice = advice_in(world, AdviceState.SENT)
    message = message_post(thread=advice, by=world.doctor, body="Which blood tests are taken?")
    assert (message.advice_request, message.referral) == (advice, None)
    assert Notification.objects.get().subject == advice


def test_the_unit_cannot_write_on_a_draft_and_the_gp_must_send_it_first(world: World) -> None:
    draft = referral_in(world, ReferralState.DRAFT)
    with pytest.raises(WorkflowError) as refused:
        message_post(thread=draft, by=world.doctor, body="Hello")
    assert refused.value.code == "forbidden"
    with pytest.raises(WorkflowError) as refused:
        message_post(thread=draft, by=world.gp, body="Hello")
    assert refused.value.code == "not_allowed"
    assert _counts() == (0, 0)


@pytest.mark.parametrize(
    ("body", "why"),
    [("", "empty"), ("   \n\t ", "only white space"), ("x" * (MAX_MESSAGE_LENGTH + 1), "too long")],
)
def test_an_empty_or_too_long_message_is_refused(world: World, body: str, why: str) -> None:
    referral = referral_in(world, ReferralState.SENT)
    with pytest.raises(WorkflowError) as refused:
        message_post(thread=referral, by=world.gp, body=body)
    assert refused.value.code == "invalid", why
    assert _counts() == (0, 0)


def test_a_message_of_the_longest_length_is_kept_whole(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    body = "æ" * MAX_MESSAGE_LENGTH
    assert message_post(thread=referral, by=world.gp, body=body).body == body


def test_strangers_cannot_write(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    patient_user = factories.user("patient")
    for outsider in (world.stranger_gp, world.stranger_doctor, patient_user):
        with pytest.raises(WorkflowError) as refused:
            message_post(thread=referral, by=outsider, body="Hello")
        assert refused.value.code == "forbidden"
    world.gp.is_active = False
    world.gp.save()
    with pytest.raises(WorkflowError):
        message_post(thread=referral, by=world.gp, body="Hello")
    assert _counts() == (0, 0)


def test_a_repeat_with_the_same_key_writes_once(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    first = message_post(thread=referral, by=world.gp, body="Hello", idempotency_key="m-1")
    again = message_post(thread=referral, by=world.gp, body="Hello", idempotency_key="m-1")
    assert again.pk == first.pk
    assert _counts() == (1, 1)
    # Another key is another message; the key belongs to its user.
    message_post(thread=referral, by=world.gp, body="Hello", idempotency_key="m-2")
    message_post(thread=referral, by=world.other_gp, body="Hello", idempotency_key="m-1")
    assert _counts() == (3, 3)


# --- reading -------------------------------------------------------------------------------


def test_a_receipt_is_set_only_by_the_other_side(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    from_gp = message_post(thread=referral, by=world.gp, body="Question")
    from_unit = message_post(thread=referral, by=world.doctor, body="Answer")

    # The author's own side opening the thread is not a receipt, for any of its members.
    assert thread_mark_read(thread=referral, by=world.gp) == 1  # the unit's answer
    assert thread_mark_read(thread=referral, by=world.other_gp) == 0
    from_gp.refresh_from_db()
    from_unit.refresh_from_db()
    assert from_gp.read_at is None
    assert from_unit.read_by == world.gp and from_unit.read_at is not None

    # Any doctor of the unit gives the receipt for the unit; the first reading counts.
    assert thread_mark_read(thread=referral, by=world.other_doctor) == 1
    first_read = Message.objects.get(pk=from_gp.pk)
    assert first_read.read_by == world.other_doctor
    assert thread_mark_read(thread=referral, by=world.doctor) == 0
    assert Message.objects.get(pk=from_gp.pk).read_at == first_read.read_at


def test_strangers_cannot_mark_a_thread_read(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    message = message_post(thread=referral, by=world.gp, body="Question")
    for outsider in (world.stranger_gp, world.stranger_doctor):
        with pytest.raises(WorkflowError) as refused:
            thread_mark_read(thread=referral, by=outsider)
        assert refused.value.code == "forbidden"
    message.refresh_from_db()
    assert message.read_at is None


# --- notifications ---------------------------------------------------------------------


def test_notifications_are_marked_read_only_within_the_readers_practice(world: World) -> None:
    own = referral_in(world, ReferralState.SENT)
    message_post(thread=own, by=world.doctor, body="For the practice")
    for_practice = Notification.objects.get(practice=own.practice)
    message_post(thread=own, by=world.gp, body="For the unit")
    for_unit = Notification.objects.get(unit=own.unit)

    ids = [for_practice.pk, for_unit.pk]
    assert notifications_mark_read(by=world.stranger_gp, notification_ids=ids) == 0
    assert notifications_mark_read(by=world.stranger_doctor, notification_ids=ids) == 0
    assert not Notification.objects.filter(read_at__isnull=False).exists()

    assert notifications_mark_read(by=world.other_gp, notification_ids=ids) == 1
    for_practice.refresh_from_db()
    assert for_practice.read_by == world.other_gp
    # Already read: a second reader changes nothing.
    assert notifications_mark_read(by=world.gp, notification_ids=ids) == 0
    assert Notification.objects.get(pk=for_practice.pk).read_by == world.other_gp

    assert notifications_mark_read(by=world.doctor, notification_ids=ids) == 1
    with pytest.raises(WorkflowError) as refused:
        notifications_mark_read(by=factories.user("patient"), notification_ids=ids)
    assert refused.value.code == "forbidden"


# --- the first contact -----------------------------------------------------------------


def _accepted(world: World) -> Referral:
    return referral_in(
        world,
        ReferralState.ACCEPTED,
        decided_by=world.doctor,
        decided_at=NOW,
        first_contact_due_at=NOW,  # already past by the time the test runs
    )


def test_the_first_contact_is_recorded_once_and_clears_the_overdue(world: World) -> None:
    referral = _accepted(world)
    later = NOW.replace(year=NOW.year + 1)
    assert list(Referral.objects.filter(first_contact_overdue(later))) == [referral]

    referral_record_first_contact(referral=referral, by=world.doctor, note="Spoke to patient")
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACCEPTED and referral.first_contact_at is not None
    assert not Referral.objects.filter(first_contact_overdue(later)).exists()
    event = ReferralEvent.objects.get(referral=referral)
    assert (event.action, event.from_state, event.to_state, event.reason, event.actor) == (
        "record_first_contact",
        ReferralState.ACCEPTED,
        ReferralState.ACCEPTED,
        "Spoke to patient",
        world.doctor,
    )

    # A repeat is refused and changes nothing.
    first = referral.first_contact_at
    with pytest.raises(WorkflowError) as refused:
        referral_record_first_contact(referral=referral, by=world.other_doctor)
    assert refused.value.code == "not_allowed"
    referral.refresh_from_db()
    assert referral.first_contact_at == first
    assert ReferralEvent.objects.filter(referral=referral).count() == 1


def test_a_colleague_who_recorded_it_first_gives_a_conflict(world: World) -> None:
    referral = _accepted(world)
    stale = Referral.objects.get(pk=referral.pk)  # the other doctor's screen, read before
    referral_record_first_contact(referral=referral, by=world.doctor)
    with pytest.raises(WorkflowError) as refused:
        referral_record_first_contact(referral=stale, by=world.other_doctor)
    assert refused.value.code == "conflict"
    assert ReferralEvent.objects.filter(referral=referral).count() == 1


def test_only_the_unit_records_a_first_contact_and_only_after_acceptance(world: World) -> None:
    accepted = _accepted(world)
    for outsider in (world.gp, world.stranger_doctor):
        with pytest.raises(WorkflowError) as refused:
            referral_record_first_contact(referral=accepted, by=outsider)
        assert refused.value.code == "forbidden"
    for state in (ReferralState.SENT, ReferralState.REJECTED, ReferralState.COMPLETED):
        row = referral_in(world, state)
        with pytest.raises(WorkflowError) as refused:
            referral_record_first_contact(referral=row, by=world.doctor)
        assert refused.value.code == "not_allowed"
    assert not Referral.objects.filter(first_contact_at__isnull=False).exists()
    assert not ReferralEvent.objects.exists()
