"""Background work: e-mail delivery that is retried and never lost, the deadline checks,
and `opspor worker` itself.

The queue is the real database queue (django-tasks-db), worked off in this process by
the worker's own loop; the failing mail server is a real SMTP server on this machine that
refuses, or a closed port.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import CommandError, call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from opspor.casework import sweep as sweep_module
from opspor.casework.management.commands.worker import BackgroundWorker
from opspor.casework.models import Notification
from opspor.casework.notifications import notify, schedule_delivery
from opspor.casework.sweep import sweep
from opspor.casework.tasks import sweep_run as sweep_task
from opspor.records.models import Practice
from opspor.referrals.models import Referral
from opspor.referrals.services import (
    advice_request_answer,
    advice_request_send,
    referral_accept,
    referral_create_draft,
    referral_record_first_contact,
    referral_reject,
    referral_send,
)
from opspor.referrals.workflow import NotificationKind
from tests import factories
from tests.referrals.background import cph, run_queue, sweep_now
from tests.referrals.worlds import World, make_world

pytestmark = pytest.mark.django_db(transaction=True)

# A Wednesday morning, far from any holiday.
T0 = cph(3, 11, 10)
PRACTICE_EMAIL = "praksis@laegerne.example"
UNIT_EMAIL = "enheden@hospital.example"


@pytest.fixture
def world() -> World:
    made = make_world()
    practice = made.patient.practice
    practice.email = PRACTICE_EMAIL
    practice.save()
    unit = practice.diagnostic_unit
    unit.email = UNIT_EMAIL
    unit.save()
    return made


def sent_referral(world: World) -> Referral:
    referral = referral_create_draft(
        by=world.gp, patient=world.patient, pathway="kidney", informed_about_kraeft=True
    )
    return referral_send(referral=referral, by=world.gp)


def rejected_referral(world: World) -> Referral:
    return referral_reject(
        referral=sent_referral(world),
        by=world.doctor,
        reason_category="investigations_first",
        reason_text="CT of the urinary tract first",
        alternative_plan_code="direct_ct_thorax_abdomen",
    )


def free_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- a real mail server that refuses, then works ----------------------------------------


class MailServer:
    """aiosmtpd handler: refuses every recipient with a temporary error while `refuse`."""

    def __init__(self) -> None:
        self.refuse = True
        self.received: list[tuple[list[str], str]] = []
        self.refused = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse:
            self.refused += 1
            return "451 4.3.0 Temporarily unable to accept mail"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
        self.received.append((list(envelope.rcpt_tos), text))
        return "250 Message accepted"


@pytest.fixture
def smtp_server(settings: Settings) -> Iterator[MailServer]:
    handler = MailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


def test_a_refusing_mail_server_causes_a_retry_and_the_mail_is_sent_exactly_once_later(
    world: World, smtp_server: MailServer
) -> None:
    with time_machine.travel(T0, tick=False):
        referral = rejected_referral(world)
        run_queue()
    # The attempt is recorded; the notification stays pending with a later attempt, and
    # the practice sees it in the app all along.
    notification = Notification.objects.about(referral).get()
    assert notification.kind == NotificationKind.REJECTION
    assert notification.practice == world.patient.practice
    assert notification.delivery == Notification.Delivery.PENDING
    assert notification.attempts == 1
    assert notification.next_attempt_at == T0 + timedelta(minutes=1)
    assert notification.last_error == "SMTPRecipientsRefused"
    assert smtp_server.refused == 1
    assert smtp_server.received == []

    # Before the retry is due, the sweep leaves it alone.
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        sweep_now()
    notification.refresh_from_db()
    assert (notification.attempts, smtp_server.refused) == (1, 1)

    # The mail server works again; the next sweep after the retry time sends it.
    smtp_server.refuse = False
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        sweep_now()
    notification.refresh_from_db()
    assert notification.delivery == Notification.Delivery.SENT
    assert notification.attempts == 2
    assert notification.delivered_at == T0 + timedelta(seconds=61)
    assert notification.next_attempt_at is None
    assert notification.last_error == ""
    assert len(smtp_server.received) == 1

    # Exactly once: later sweeps and workers send nothing more.
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        sweep_now()
        sweep_now()
    assert len(smtp_server.received) == 1

    recipients, text = smtp_server.received[0]
    assert recipients == [PRACTICE_EMAIL]
    patient = world.patient
    for secret in (patient.name, patient.cpr, patient.cpr.replace("-", ""), "haematuria"):
        assert secret not in text
    assert referral.reason_text not in text
    assert f"/referrals/{referral.pk}/" in text
    assert "ingen patientdata" in text


def test_a_closed_mail_port_backs_off_and_nothing_is_lost(world: World, settings: Settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 5
    with time_machine.travel(T0, tick=False):
        referral = rejected_referral(world)
        run_queue()
    notification = Notification.objects.about(referral).get()
    assert (notification.delivery, notification.attempts) == (Notification.Delivery.PENDING, 1)
    assert notification.last_error == "ConnectionRefusedError"
    with time_machine.travel(T0 + timedelta(minutes=1, seconds=1), tick=False):
        sweep_now()
    notification.refresh_from_db()
    # The second failure waits twice as long.
    assert notification.attempts == 2
    assert notification.next_attempt_at == T0 + timedelta(minutes=1, seconds=1 + 120)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(T0 + timedelta(minutes=4), tick=False):
        sweep_now()
        sweep_now()
    notification.refresh_from_db()
    assert (notification.delivery, notification.attempts) == (Notification.Delivery.SENT, 3)
    assert [m.to for m in mail.outbox] == [[PRACTICE_EMAIL]]


def test_a_lost_hand_over_is_picked_up_by_the_sweep(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        referral = rejected_referral(world)
    # The process stopped between the commit and the queue: no task row for the e-mail.
    DBTaskResult.objects.all().delete()
    run_queue()
    assert mail.outbox == []
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        sweep_now()
    notification = Notification.objects.about(referral).get()
    assert notification.delivery == Notification.Delivery.SENT
    assert [m.to for m in mail.outbox] == [[PRACTICE_EMAIL]]


def test_a_worker_that_died_holding_the_task_does_not_lose_the_mail(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        referral = rejected_referral(world)
    # A worker claimed the task and was killed: the queue shows it running for ever.
    task_row = DBTaskResult.objects.get()
    task_row.claim("a-worker-that-died")
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        sweep_now()
    assert Notification.objects.about(referral).get().delivery == Notification.Delivery.SENT
    assert len(mail.outbox) == 1


def test_a_notification_queued_twice_is_sent_once(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        referral = rejected_referral(world)
        schedule_delivery(Notification.objects.about(referral).get().pk)
        assert DBTaskResult.objects.count() == 2
        run_queue()
    assert len(mail.outbox) == 1
    returns = sorted(str(r.return_value) for r in DBTaskResult.objects.all())
    assert returns == ["sent", "sent"]  # the second found the row sent and did nothing


def test_a_notification_without_an_address_is_in_the_app_and_never_queued() -> None:
    practice = factories.practice(email="")
    with transaction.atomic():
        notification = notify(
            kind=NotificationKind.MESSAGE, at=T0, about=practice, practice=practice
        )
    assert notification.delivery == Notification.Delivery.NO_ADDRESS
    assert not DBTaskResult.objects.exists()
    assert sweep(T0 + timedelta(hours=1))["handed_over"] == 0


# -- deadline checks ----------------------------------------------------------------------


def overdue_notifications(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind))


def test_an_untriaged_referral_notifies_the_unit_once_when_overdue(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        referral = sent_referral(world)
    assert referral.triage_due_at is not None
    due = referral.triage_due_at
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        sweep_now()
    assert overdue_notifications(NotificationKind.TRIAGE_OVERDUE) == []
    for later in (timedelta(minutes=1), timedelta(minutes=2), timedelta(days=3)):
        with time_machine.travel(due + later, tick=False):
            sweep_now()
    [told] = overdue_notifications(NotificationKind.TRIAGE_OVERDUE)
    assert (told.unit, told.practice, told.subject) == (
        world.patient.practice.diagnostic_unit,
        None,
        referral,
    )
    assert told.created_at == due + timedelta(minutes=1)
    assert told.delivery == Notification.Delivery.SENT
    assert [m.to for m in mail.outbox] == [[UNIT_EMAIL]]


def test_a_first_contact_overdue_notifies_the_unit_once(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        referral = referral_accept(referral=sent_referral(world), by=world.doctor)
    assert referral.first_contact_due_at is not None
    due = referral.first_contact_due_at
    assert sweep(due - timedelta(minutes=1))["overdue_notified"] == 0
    assert sweep(due + timedelta(minutes=1))["overdue_notified"] == 1
    assert sweep(due + timedelta(hours=5))["overdue_notified"] == 0
    [told] = overdue_notifications(NotificationKind.FIRST_CONTACT_OVERDUE)
    assert (told.unit, told.subject) == (world.patient.practice.diagnostic_unit, referral)
    # A triage that was on time is not reported as overdue afterwards.
    assert overdue_notifications(NotificationKind.TRIAGE_OVERDUE) == []


def test_a_first_contact_made_in_time_is_never_reported(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        referral = referral_accept(referral=sent_referral(world), by=world.doctor)
        referral_record_first_contact(referral=referral, by=world.doctor)
    assert referral.first_contact_due_at is not None
    assert sweep(referral.first_contact_due_at + timedelta(days=2))["overdue_notified"] == 0
    assert not Notification.objects.exists()


def test_an_unanswered_advice_request_notifies_the_unit_once(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        advice = advice_request_send(
            patient=world.patient, by=world.gp, question="Weight loss 6 kg: refer?"
        )
        answered = advice_request_send(
            patient=world.patient, by=world.gp, question="Night sweats: which pathway?"
        )
        advice_request_answer(advice=answered, by=world.doctor, answer="The DPF pathway.")
    Notification.objects.all().delete()  # the answer's own notification to the practice
    late = advice.answer_due_at + timedelta(minutes=1)
    assert sweep(advice.answer_due_at - timedelta(minutes=1))["overdue_notified"] == 0
    assert sweep(late)["overdue_notified"] == 1
    assert sweep(late + timedelta(days=1))["overdue_notified"] == 0
    [told] = overdue_notifications(NotificationKind.ADVICE_OVERDUE)
    assert (told.unit, told.subject) == (world.patient.practice.diagnostic_unit, advice)


def test_the_sweep_counts_what_it_did(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        sent_referral(world)
        advice_request_send(patient=world.patient, by=world.gp, question="Refer?")
    result = sweep(T0 + timedelta(days=7))
    # The nightly steps: the first sweep of the day asks for the region's scan and figures.
    assert result == {
        "handed_over": 0,
        "escalated": 0,
        "overdue_notified": 2,
        "scan_enqueued": 1,
        "patients_reminded": 0,
        "quality_enqueued": 1,
    }


# -- opspor worker ------------------------------------------------------------------------


def test_worker_once_runs_a_sweep_through_the_queue(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        sent_referral(world)
    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        call_command("worker", "--once")
    sweep_row = DBTaskResult.objects.get(task_path="opspor.casework.tasks.sweep_run")
    assert sweep_row.status == "SUCCESSFUL"
    assert sweep_row.return_value == {
        "handed_over": 0,
        "escalated": 0,
        "overdue_notified": 1,
        "scan_enqueued": 1,
        "patients_reminded": 0,
        "quality_enqueued": 1,
    }
    assert [m.to for m in mail.outbox] == [[UNIT_EMAIL]]


def test_worker_refuses_a_backend_that_is_not_the_database_queue(
    settings: Settings,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match=r"database queue.*ImmediateBackend"):
        call_command("worker", "--once")
    with pytest.raises(CommandError, match="No task backend 'other'"):
        call_command("worker", "--once", "--backend", "other")


@pytest.mark.parametrize("value", ["0", "-1", "soon", "100000"])
def test_worker_refuses_an_unusable_interval(value: str) -> None:
    with pytest.raises(CommandError, match="seconds"):
        call_command("worker", "--once", "--sweep-interval", value)
    assert not DBTaskResult.objects.exists()


class StopDuringSendBackend(LocmemBackend):
    """Sends the process a SIGTERM in the middle of sending, then finishes sending."""

    def send_messages(self, messages: Any) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # the handler has run; the worker must still finish this task
        return super().send_messages(messages)


def _watchdog(seconds: float) -> threading.Timer:
    # If the worker ignored the stop, SIGTERM (which it always handles, and a second one
    # ends it) stops it and fails the test instead of hanging the test run; SIGINT would
    # not do, as a suite run in the background ignores it.
    def stop() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    return timer


@pytest.mark.timeout(60)  # the watchdog's backstop: never waits on a signal nobody sends
def test_sigterm_stops_the_worker_after_the_task_in_hand(world: World, settings: Settings) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.StopDuringSendBackend"
    with time_machine.travel(T0, tick=False):
        referral = rejected_referral(world)
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    watchdog = _watchdog(20)
    started = time.monotonic()
    try:
        call_command("worker", "--sweep-interval", "3600", "--poll-interval", "0.05")
    finally:
        watchdog.cancel()
    assert time.monotonic() - started < 10
    # The e-mail in hand was finished and recorded, not cut off.
    notification = Notification.objects.about(referral).get()
    assert notification.delivery == Notification.Delivery.SENT
    assert len(mail.outbox) == 1
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


@pytest.mark.timeout(60)
def test_sigint_stops_an_idle_worker_promptly() -> None:
    # Ctrl+C in a terminal: SIGINT as Python handles it by default, also when the suite
    # itself runs in the background (where SIGINT is ignored, and so by the worker too).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    watchdog = _watchdog(20)
    started = time.monotonic()
    try:
        call_command("worker", "--sweep-interval", "0.2", "--poll-interval", "0.1")
    finally:
        watchdog.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 5
    # It swept while it ran: at start, and every 0.2 s.
    sweeps = DBTaskResult.objects.filter(task_path="opspor.casework.tasks.sweep_run")
    assert sweeps.count() >= 2
    assert set(sweeps.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_no_practice_address_means_no_mail_but_the_escalation_still_happens(
    world: World,
) -> None:
    Practice.objects.filter(pk=world.patient.practice_id).update(email="")
    with time_machine.travel(cph(3, 11, 10), tick=False):
        referral = rejected_referral(world)
    assert referral.escalation_due_at is not None
    with time_machine.travel(referral.escalation_due_at + timedelta(minutes=1), tick=False):
        sweep_now()
    referral.refresh_from_db()
    assert referral.escalated_at is not None
    # The practice's notifications (the safety net the referral opened reminds the patient).
    to_practice = Notification.objects.filter(practice__isnull=False)
    kinds = sorted(to_practice.values_list("kind", "delivery"))
    assert kinds == [
        (NotificationKind.ESCALATION, Notification.Delivery.NO_ADDRESS),
        (NotificationKind.REJECTION, Notification.Delivery.NO_ADDRESS),
    ]
    assert mail.outbox == []


def test_finished_task_rows_are_pruned_after_two_weeks_and_waiting_ones_never(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the sweep's own rows here: the nightly scan and figures would add their own.
    monkeypatch.delitem(sweep_module.STEPS, "scan_enqueued")
    monkeypatch.delitem(sweep_module.STEPS, "quality_enqueued")
    with time_machine.travel(T0, tick=False):
        sweep_now()  # finished on T0
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        sweep_now()  # finished ten days later
        sweep_task.enqueue()  # waiting, never run
    with time_machine.travel(T0 + timedelta(days=14, minutes=1), tick=False):
        assert BackgroundWorker().prune() == 1
    left = sorted(
        (row.status, row.enqueued_at - T0) for row in DBTaskResult.objects.order_by("enqueued_at")
    )
    assert left == [("READY", timedelta(days=10)), ("SUCCESSFUL", timedelta(days=10))]
