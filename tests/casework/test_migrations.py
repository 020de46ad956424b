"""Notifications and idempotency records moved from `referrals` to `casework`, keeping
every row: a notification's referral or advice request becomes its case (subject), an
idempotency record keeps its key and result and gains an empty fingerprint (it keeps
answering as before).

The database is seeded as it was before the move, through the historical models, and then
migrated forward; the test leaves it at the latest migrations for the tests that follow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.apps.registry import Apps

from opspor.casework.models import IdempotencyRecord, Notification
from opspor.referrals.models import AdviceRequest, Referral
from tests.migrating import migrate, seed_old_region, table_names

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),  # migrating back and forth: 10-20 s each on a busy machine
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("latest_migrations_afterwards"),
]

BEFORE_THE_MOVE: list[tuple[str, str | None]] = [
    ("referrals", "0004_referral_created_at_is_the_services_moment"),
    ("casework", None),
]
T0 = datetime(2025, 3, 3, 9, 15, tzinfo=UTC)
NOTIFICATION_FIELDS = ("id", "kind", "practice_id", "unit_id", "created_at", "read_at", "delivery")


def _seed_before_the_move(apps: Apps) -> dict[str, Any]:
    old = seed_old_region(apps)
    referral = apps.get_model("referrals", "Referral").objects.create(
        patient=old.patients[0],
        practice=old.practice,
        unit=old.unit,
        requester=old.gp,
        pathway="dpf",
        state="rejected",
        created_at=T0,
        sent_at=T0,
        triage_due_at=T0 + timedelta(days=1),
        reason_category="criteria_not_met",
        reason_text="Criteria not met",
        alternative_plan_text="Repeat the blood tests in four weeks",
    )
    advice = apps.get_model("referrals", "AdviceRequest").objects.create(
        patient=old.patients[1],
        practice=old.practice,
        unit=old.unit,
        asked_by=old.gp,
        question="Refer?",
        state="sent",
        sent_at=T0,
        answer_due_at=T0 + timedelta(days=1),
    )
    notification = apps.get_model("referrals", "Notification")
    notification.objects.create(
        kind="rejection", practice=old.practice, referral=referral, created_at=T0
    )
    notification.objects.create(
        kind="message",
        unit=old.unit,
        advice_request=advice,
        created_at=T0 + timedelta(hours=1),
        read_at=T0 + timedelta(hours=2),
        delivery="sent",
    )
    record = apps.get_model("referrals", "IdempotencyRecord")
    record.objects.create(
        user=old.gp,
        key="k-1",
        action="referral_send",
        object_type="referral",
        object_id=referral.pk,
    )
    return {
        "referral": referral.pk,
        "advice": advice.pk,
        "notifications": list(
            notification.objects.order_by("id").values_list(*NOTIFICATION_FIELDS)
        ),
        "subjects": list(
            notification.objects.order_by("id").values_list("referral_id", "advice_request_id")
        ),
        "records": list(record.objects.values_list("id", "user_id", "key", "action", "object_id")),
    }


def test_every_notification_and_idempotency_record_survives_the_move() -> None:
    before = _seed_before_the_move(migrate(BEFORE_THE_MOVE))
    assert {"referrals_notification", "referrals_idempotencyrecord"} <= table_names()

    migrate()

    tables = table_names()
    assert {"casework_notification", "casework_idempotencyrecord"} <= tables
    assert not {"referrals_notification", "referrals_idempotencyrecord"} & tables
    rows = Notification.objects.order_by("id")
    assert list(rows.values_list(*NOTIFICATION_FIELDS)) == before["notifications"]
    referral = Referral.objects.get(pk=before["referral"])
    advice = AdviceRequest.objects.get(pk=before["advice"])
    assert [n.subject for n in rows] == [referral, advice]
    assert list(referral.notifications.values_list("kind", flat=True)) == ["rejection"]
    assert list(advice.notifications.values_list("kind", flat=True)) == ["message"]
    records = IdempotencyRecord.objects.values_list("id", "user_id", "key", "action", "object_id")
    assert list(records) == before["records"]
    assert IdempotencyRecord.objects.get().fingerprint == ""


def test_the_move_can_be_undone_without_losing_a_row() -> None:
    before = _seed_before_the_move(migrate(BEFORE_THE_MOVE))
    migrate()

    old_apps = migrate(BEFORE_THE_MOVE)

    notification = old_apps.get_model("referrals", "Notification")
    rows = notification.objects.order_by("id")
    assert list(rows.values_list(*NOTIFICATION_FIELDS)) == before["notifications"]
    assert list(rows.values_list("referral_id", "advice_request_id")) == before["subjects"]
    assert "casework_notification" not in table_names()
