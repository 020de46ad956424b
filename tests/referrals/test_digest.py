"""A burst of notifications to one address becomes one e-mail: a unit rejecting sixteen of
a practice's referrals within minutes sends the practice the first at once and the other
fifteen together when the window ends, each with its link and without patient data; once.

Delivered through the real database queue, as `opspor worker` runs it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from opspor.casework.models import Notification
from opspor.referrals.models import Referral
from opspor.referrals.services import referral_reject
from opspor.referrals.workflow import ReferralState
from tests.referrals.background import cph, run_queue, sweep_now
from tests.referrals.worlds import World, make_world, patient_in, referral_in

pytestmark = pytest.mark.django_db(transaction=True)

T1 = cph(3, 11, 13)
PRACTICE_EMAIL = "praksis@laegerne.example"
OTHER_PRACTICE_EMAIL = "anden@laegerne.example"
BURST = 16


@pytest.fixture
def world(settings: Settings) -> World:
    settings.OPSPOR_NOTIFICATION_DIGEST_S = 300
    settings.OPSPOR_BASE_URL = "https://opspor.regionh.example"
    made = make_world()
    practice = made.patient.practice
    practice.email = PRACTICE_EMAIL
    practice.save()
    return made


def sent_referrals(world: World, count: int) -> list[Referral]:
    practice = world.patient.practice
    return [
        referral_in(world, ReferralState.SENT, patient=patient_in(practice)) for _ in range(count)
    ]


def reject(world: World, referral: Referral) -> None:
    referral_reject(
        referral=referral,
        by=world.doctor,
        reason_category="investigations_first",
        reason_text="CT of the urinary tract first",
        alternative_plan_code="direct_ct_thorax_abdomen",
    )


def to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [address]]


def test_a_burst_of_sixteen_rejections_is_one_e_mail_and_one_digest(world: World) -> None:
    referrals = sent_referrals(world, BURST)
    # Sixteen rejections, fifteen seconds apart: within four minutes.
    for i, referral in enumerate(referrals):
        with time_machine.travel(T1 + timedelta(seconds=15 * i), tick=False):
            reject(world, referral)
            run_queue()
    # The first went at once; the rest wait for the window after the second.
    assert len(to(PRACTICE_EMAIL)) == 1
    window_end = T1 + timedelta(seconds=15) + timedelta(minutes=5)
    waiting = Notification.objects.filter(delivery=Notification.Delivery.PENDING)
    assert set(waiting.values_list("next_attempt_at", flat=True)) == {window_end}
    assert waiting.count() == BURST - 1

    # Before the window ends the sweep sends nothing.
    with time_machine.travel(window_end - timedelta(seconds=1), tick=False):
        sweep_now()
    assert len(to(PRACTICE_EMAIL)) == 1

    with time_machine.travel(window_end, tick=False):
        sweep_now()
    first, digest = to(PRACTICE_EMAIL)
    assert f"/referrals/{referrals[0].pk}/" in first.body
    assert digest.subject == "Opspor: 15 notifikationer"
    for referral in referrals[1:]:
        assert f"https://opspor.regionh.example/referrals/{referral.pk}/" in digest.body
    assert f"/referrals/{referrals[0].pk}/" not in digest.body
    assert digest.body.count("\n- ") == BURST - 1
    for referral in referrals:
        patient = referral.patient
        for secret in (patient.name, patient.cpr, patient.cpr.replace("-", "")):
            assert secret not in first.body + first.subject
            assert secret not in digest.body + digest.subject
    assert "CT of the urinary tract first" not in digest.body
    assert "ingen patientdata" in digest.body

    # Every notification is sent, once, with the moment its e-mail went.
    rows = Notification.objects.all()
    assert set(rows.values_list("delivery", "attempts")) == {(Notification.Delivery.SENT, 1)}
    assert set(rows.values_list("delivered_at", flat=True)) == {T1, window_end}
    # Each of the fifteen was handed over by the sweep; the first task sent them all and
    # the others found their row sent.
    with time_machine.travel(window_end + timedelta(hours=1), tick=False):
        sweep_now()
        sweep_now()
    assert len(to(PRACTICE_EMAIL)) == 2
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


def test_each_address_gets_its_own_digest(world: World) -> None:
    other_world = make_world()
    other_world.patient.practice.email = OTHER_PRACTICE_EMAIL
    other_world.patient.practice.save()
    mine, theirs = sent_referrals(world, 3), sent_referrals(other_world, 3)
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        with time_machine.travel(T1 + timedelta(seconds=10 * i), tick=False):
            reject(world, a)
            reject(other_world, b)
            run_queue()
    with time_machine.travel(T1 + timedelta(minutes=10), tick=False):
        sweep_now()
    for address, referrals, others in (
        (PRACTICE_EMAIL, mine, theirs),
        (OTHER_PRACTICE_EMAIL, theirs, mine),
    ):
        single, digest = to(address)
        assert f"/referrals/{referrals[0].pk}/" in single.body
        assert [f"/referrals/{r.pk}/" in digest.body for r in referrals[1:]] == [True, True]
        assert not any(f"/referrals/{r.pk}/" in single.body + digest.body for r in others)


def test_a_quiet_address_is_told_at_once_again_after_the_window(world: World) -> None:
    first, later = sent_referrals(world, 2)
    with time_machine.travel(T1, tick=False):
        reject(world, first)
        run_queue()
    with time_machine.travel(T1 + timedelta(minutes=5, seconds=1), tick=False):
        reject(world, later)
        run_queue()
    told_first, told_later = mail.outbox
    assert f"/referrals/{first.pk}/" in told_first.body
    assert f"/referrals/{later.pk}/" in told_later.body


def test_no_window_sends_every_notification_alone(world: World, settings: Settings) -> None:
    settings.OPSPOR_NOTIFICATION_DIGEST_S = 0
    referrals = sent_referrals(world, 3)
    for i, referral in enumerate(referrals):
        with time_machine.travel(T1 + timedelta(seconds=i), tick=False):
            reject(world, referral)
            run_queue()
    assert len(to(PRACTICE_EMAIL)) == 3


def test_a_digest_the_mail_server_refused_is_retried_whole(
    world: World, settings: Settings
) -> None:
    referrals = sent_referrals(world, 4)
    for i, referral in enumerate(referrals):
        with time_machine.travel(T1 + timedelta(seconds=10 * i), tick=False):
            reject(world, referral)
            run_queue()
    window_end = T1 + timedelta(seconds=10, minutes=5)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with time_machine.travel(window_end, tick=False):
        sweep_now()
    waiting = Notification.objects.filter(delivery=Notification.Delivery.PENDING)
    assert waiting.count() == 3
    assert set(waiting.values_list("attempts", "next_attempt_at")) == {
        (1, window_end + timedelta(minutes=1))
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(window_end + timedelta(minutes=1), tick=False):
        sweep_now()
    _single, digest = to(PRACTICE_EMAIL)
    assert digest.subject == "Opspor: 3 notifikationer"
    assert not Notification.objects.filter(delivery=Notification.Delivery.PENDING).exists()
