"""PostgreSQL's connection lost in the middle of sending a referral over the API: the
referral is sent once or not at all, and the client's retry with the same Idempotency-Key
is safe (sent once, one audit event). The same for a message to the unit, which also
notifies it: one message, one notification, one e-mail.

The shared server cannot be restarted for a test, so its backend for the request is ended
with `pg_terminate_backend` from a second connection, at the moment the fault is about:
inside the send's transaction, or just after it committed (before the answer).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, models, transaction
from django.db.models.signals import post_save
from django_tasks_db.models import DBTaskResult

from opspor.casework.models import IdempotencyRecord, Notification
from opspor.referrals.models import Message, Referral
from opspor.referrals.services import referral_create_draft
from opspor.referrals.workflow import ReferralState
from tests.referrals.background import sweep_now
from tests.referrals.test_api import token_for
from tests.referrals.worlds import World, make_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="ends the server's backend with pg_terminate_backend: PostgreSQL only "
        "(SQLite has no connection to a server to lose)",
    ),
]

UNIT_EMAIL = "enheden@hospital.example"
KEY = "send-3f1c9a"


def terminate_this_backend() -> None:
    """End the calling thread's PostgreSQL backend from another connection, as a server
    restart or a dropped network would, and wait until it is gone."""
    pid = connection.connection.info.backend_pid
    options = connection.settings_dict
    with psycopg.connect(
        dbname=options["NAME"],
        user=options["USER"],
        password=options["PASSWORD"] or None,
        host=options["HOST"] or None,
        port=options["PORT"] or None,
        autocommit=True,
    ) as other:
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone() == (True,)


Fault = Callable[[], None]


@pytest.fixture
def when_written() -> Iterator[Callable[[type[models.Model], Fault], None]]:
    """`when_written(Model, fault)`: run `fault` once, in the transaction that writes the
    next row of `Model`, right after it was written."""
    faults: dict[type[models.Model], Fault] = {}

    def fire(sender: type[models.Model], **kwargs: Any) -> None:
        if kwargs.get("created") and sender in faults:
            faults.pop(sender)()

    post_save.connect(fire, dispatch_uid="database-fault")
    try:
        yield faults.__setitem__
    finally:
        post_save.disconnect(dispatch_uid="database-fault")


@pytest.fixture
def world() -> World:
    made = make_world()
    unit = made.patient.practice.diagnostic_unit
    unit.email = UNIT_EMAIL
    unit.save()
    return made


def post(base: str, token: str, path: str, body: bytes = b"{}") -> int:
    request = urllib.request.Request(f"{base}/api/v1{path}", data=body, method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    request.add_header("Idempotency-Key", KEY)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def send(base: str, token: str, referral: Referral) -> int:
    return post(base, token, f"/referrals/{referral.pk}/send")


def draft(world: World) -> Referral:
    return referral_create_draft(
        by=world.gp, patient=world.patient, pathway="kidney", informed_about_kraeft=True
    )


def sent_once(referral: Referral) -> None:
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT
    assert list(referral.events.values_list("action", flat=True)) == ["create", "send"]
    assert IdempotencyRecord.objects.filter(key=KEY).count() == 1
    # The unit finds it in its inbox; a sent referral is not e-mailed.
    assert not Notification.objects.exists()


def test_a_connection_lost_inside_the_send_sends_nothing_and_the_retry_sends_once(
    world: World, live_server: Any, when_written: Any
) -> None:
    referral, token = draft(world), token_for(world.gp)
    # The last row the send writes: the key's record, just before the commit.
    when_written(IdempotencyRecord, terminate_this_backend)
    assert send(live_server.url, token, referral) == 500

    # Not at all: the transaction went with the connection.
    referral.refresh_from_db()
    assert referral.state == ReferralState.DRAFT
    assert referral.sent_at is None
    assert not referral.events.filter(action="send").exists()
    assert not IdempotencyRecord.objects.exists()

    # The client retries with the same key: sent now, and once however often it retries.
    assert send(live_server.url, token, referral) == 200
    assert send(live_server.url, token, referral) == 200
    sent_once(referral)


def test_a_connection_lost_after_the_send_committed_keeps_it_and_the_retry_repeats_nothing(
    world: World, live_server: Any, when_written: Any
) -> None:
    referral, token = draft(world), token_for(world.gp)
    when_written(IdempotencyRecord, lambda: transaction.on_commit(terminate_this_backend))
    assert send(live_server.url, token, referral) == 500
    sent_once(referral)
    sent_at = Referral.objects.get().sent_at

    assert send(live_server.url, token, referral) == 200
    sent_once(referral)
    assert referral.sent_at == sent_at


def test_a_message_whose_connection_was_lost_is_posted_notified_and_e_mailed_once(
    world: World, live_server: Any, when_written: Any
) -> None:
    referral, token = draft(world), token_for(world.gp)
    assert send(live_server.url, token, referral) == 200
    body = json.dumps({"body": "Blood results attached; call me."}).encode()
    path = f"/referrals/{referral.pk}/messages"

    # Lost inside the transaction, as the notification is written: nothing at all.
    when_written(Notification, terminate_this_backend)
    assert post(live_server.url, token, path, body) == 500
    assert not Message.objects.exists()
    assert not Notification.objects.exists()

    # Lost after the commit, before the answer and before the e-mail was handed to the
    # queue (the notification's own hand-over runs after this one).
    when_written(Notification, lambda: transaction.on_commit(terminate_this_backend))
    assert post(live_server.url, token, path, body) == 500
    assert Message.objects.count() == 1
    assert not DBTaskResult.objects.exists()

    # The client retries with the same key: the first message, nothing new.
    assert post(live_server.url, token, path, body) == 201
    assert Message.objects.count() == 1
    notification = Notification.objects.get()
    assert notification.unit == referral.unit
    # The worker's sweep picks up the lost hand-over; the e-mail goes once.
    sweep_now()
    sweep_now()
    assert [message.to for message in mail.outbox] == [[UNIT_EMAIL]]
    notification.refresh_from_db()
    assert notification.delivery == Notification.Delivery.SENT
