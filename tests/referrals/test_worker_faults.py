"""The worker's faults, with real `opspor worker` processes and a real SMTP server on this
machine: a worker killed while it sends an e-mail, and two workers at once. Every e-mail
is delivered, and once.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from opspor.casework.models import Notification
from opspor.casework.notifications import notify, schedule_delivery
from opspor.referrals.workflow import NotificationKind, ReferralState
from tests.processes import database_for_processes, opspor, opspor_env
from tests.referrals.test_background import PRACTICE_EMAIL, free_port
from tests.referrals.worlds import World, make_world, patient_in, referral_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

TASK = "opspor.casework.delivery.notification_deliver"
# How long a test waits for a worker to do something before it fails.
WAIT_S = 30


class MailServer:
    """aiosmtpd handler that can hold the next delivery at RCPT, before the message is
    sent: the worker is then in the middle of sending."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], str]] = []
        self.hold_next = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.pause_s = 0.0  # before each message is accepted

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.hold_next:
            self.hold_next = False
            self.holding.set()
            deadline = time.monotonic() + WAIT_S
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
        await asyncio.sleep(self.pause_s)
        self.received.append((list(envelope.rcpt_tos), text))
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[MailServer, int]]:
    handler = MailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        handler.release.set()
        controller.stop()


@pytest.fixture
def world(settings: Settings) -> World:
    # Each e-mail alone, so that each is counted (the workers get the same setting).
    settings.OPSPOR_NOTIFICATION_DIGEST_S = 0
    made = make_world()
    practice = made.patient.practice
    practice.email = PRACTICE_EMAIL
    practice.save()
    return made


def notifications(world: World, count: int) -> list[Notification]:
    """`count` notifications to the practice, each about a referral of its own, handed to
    the queue as a commit hands them."""
    practice = world.patient.practice
    made = []
    for _ in range(count):
        referral = referral_in(world, ReferralState.REJECTED, patient=patient_in(practice))
        with transaction.atomic():
            made.append(
                notify(
                    kind=NotificationKind.REJECTION,
                    at=timezone.now(),
                    about=referral,
                    practice=practice,
                )
            )
    return made


def worker_env(database_url: str, port: int) -> dict[str, str]:
    return opspor_env(
        database_url,
        OPSPOR_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        OPSPOR_EMAIL_HOST="127.0.0.1",
        OPSPOR_EMAIL_PORT=str(port),
        OPSPOR_EMAIL_TIMEOUT="5",
        OPSPOR_NOTIFICATION_DIGEST_S="0",
    )


def start_worker(url: str, port: int, log: Path, *, sweep: str) -> subprocess.Popen[bytes]:
    """`opspor worker` on the shared database, sending to the test's mail server."""
    options = ["--sweep-interval", sweep, "--poll-interval", "0.05"]
    return opspor("worker", *options, env=worker_env(url, port), log=log)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT_S} s for {what}")
        time.sleep(0.05)


def stop(worker: subprocess.Popen[bytes], log: Path) -> None:
    worker.terminate()
    try:
        worker.wait(WAIT_S)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(WAIT_S)
        raise AssertionError(f"the worker ignored SIGTERM:\n{log.read_text()}") from None
    assert worker.returncode == 0, log.read_text()


def links(server: MailServer) -> list[str]:
    """The links in the e-mails received, in order."""
    return [word for _to, text in server.received for word in text.split() if "/referrals/" in word]


def link(notification: Notification) -> str:
    return f"http://127.0.0.1:8000{notification.subject.get_absolute_url()}"  # type: ignore[union-attr]


def test_a_worker_killed_while_sending_leaves_the_mail_to_be_sent_once_after_a_restart(
    world: World, smtp_server: tuple[MailServer, int], tmp_path: Path
) -> None:
    server, port = smtp_server
    [notification] = notifications(world, 1)
    log = tmp_path / "worker.log"
    server.hold_next = True
    with database_for_processes(tmp_path) as url:
        worker = start_worker(url, port, log, sweep="3600")
        try:
            assert server.holding.wait(WAIT_S), log.read_text()
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(WAIT_S)
        server.release.set()
    assert worker.returncode == -signal.SIGKILL
    assert server.received == []
    # The attempt was counted before the server was talked to: the notification is
    # pending, due again after the back-off, as after a failed attempt.
    notification.refresh_from_db()
    assert (notification.delivery, notification.attempts) == (Notification.Delivery.PENDING, 1)
    assert notification.next_attempt_at is not None
    assert notification.next_attempt_at > timezone.now()

    # A minute later (the back-off) a new worker starts; its first sweep hands it over.
    Notification.objects.update(next_attempt_at=timezone.now())
    with database_for_processes(tmp_path) as url:
        worker = start_worker(url, port, log, sweep="0.2")
        try:
            wait_for(lambda: len(server.received) == 1, "the e-mail")
            time.sleep(1)  # five more sweeps: nothing more is sent
        finally:
            stop(worker, log)
    assert [to for to, _text in server.received] == [[PRACTICE_EMAIL]]
    assert links(server) == [link(notification)]
    notification.refresh_from_db()
    assert (notification.delivery, notification.attempts) == (Notification.Delivery.SENT, 2)


def test_two_workers_at_once_send_every_e_mail_once(
    world: World, smtp_server: tuple[MailServer, int], tmp_path: Path
) -> None:
    server, port = smtp_server
    made = notifications(world, 12)
    # Each handed over twice, as when the sweep hands over a notification whose first
    # task has not run yet: 24 tasks for 12 e-mails, and two workers to take them.
    for notification in made:
        schedule_delivery(notification.pk)
    # A slow mail server: the first worker is still sending when the second starts.
    server.pause_s = 0.3
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    with database_for_processes(tmp_path) as url:
        workers = [start_worker(url, port, log, sweep="3600") for log in logs]
        try:
            wait_for(lambda: len(server.received) >= len(made), "every e-mail")
            # Time for a second copy, had a task been run twice.
            time.sleep(1)
        finally:
            for worker, log in zip(workers, logs, strict=True):
                stop(worker, log)
    assert sorted(links(server)) == sorted(link(notification) for notification in made)
    rows = Notification.objects.values_list("delivery", "attempts")
    assert set(rows) == {(Notification.Delivery.SENT, 1)}
    # Both workers took tasks, every task once.
    tasks = DBTaskResult.objects.filter(task_path=TASK)
    assert tasks.count() == 2 * len(made)
    assert set(tasks.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert len({tuple(ids) for ids in tasks.values_list("worker_ids", flat=True)}) == 2
