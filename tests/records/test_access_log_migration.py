"""The access log moved from `accounts` to `records` keeping every row it held.

The database is seeded as it was before the move, through the historical models, and then
migrated forward; the test leaves it at the latest migrations for the tests that follow.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps.registry import Apps

from opspor.records.models import AccessLogEntry
from tests.migrating import (
    index_names,
    migrate,
    seed_old_region,
    table_names,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BEFORE_THE_MOVE: list[tuple[str, str | None]] = [
    ("accounts", "0002_initial"),
    ("records", "0003_historicalpractice_escalation_working_hours_and_more"),
]
# Where the log lived before the move (only the historical models know it there).
OLD_LOG = "accounts.AccessLogEntry"
FIELDS = ("id", "user_id", "patient_id", "what", "channel", "at")


@pytest.fixture(autouse=True)
def _latest(latest_migrations_afterwards: None) -> None:
    pass


def _seed_before_the_move(apps: Apps) -> list[tuple[Any, ...]]:
    old = seed_old_region(apps)
    patients, gp, own = old.patients, old.gp, old.patient_user
    log = apps.get_model(OLD_LOG)
    reads = [
        (gp, patients[0], "record", "web", datetime(2025, 3, 3, 9, 15, tzinfo=UTC)),
        (gp, patients[0], "overview", "api", datetime(2025, 3, 4, 10, 0, tzinfo=UTC)),
        (own, patients[1], "own record", "web", datetime(2025, 3, 5, 11, 30, tzinfo=UTC)),
    ]
    for user, patient, what, channel, at in reads:
        entry = log.objects.create(user=user, patient=patient, what=what, channel=channel)
        # `at` is set on insert; the rows get moments of their own to compare afterwards.
        log.objects.filter(pk=entry.pk).update(at=at)
    return list(log.objects.order_by("id").values_list(*FIELDS))


def test_every_access_log_row_survives_the_move_to_records() -> None:
    before = _seed_before_the_move(migrate(BEFORE_THE_MOVE))
    assert "accounts_accesslogentry" in table_names()

    migrate()

    assert list(AccessLogEntry.objects.order_by("id").values_list(*FIELDS)) == before
    tables = table_names()
    assert "records_accesslogentry" in tables
    assert "accounts_accesslogentry" not in tables
    assert "access_log_patient_at_idx" in index_names("records_accesslogentry")
    # The model reads as before: newest first, through its relations.
    newest = AccessLogEntry.objects.first()
    assert newest is not None
    assert (newest.what, newest.user.username, newest.patient.cpr) == (
        "own record",
        "own",
        "1705700004",
    )
    # New reads go on being numbered after the old ones (the id sequence moved too).
    added = AccessLogEntry.objects.create(user=newest.user, patient=newest.patient, what="x")
    assert added.pk > max(row[0] for row in before)


def test_the_move_can_be_undone_without_losing_a_row() -> None:
    before = _seed_before_the_move(migrate(BEFORE_THE_MOVE))
    migrate()

    old_apps = migrate(BEFORE_THE_MOVE)

    log = old_apps.get_model(OLD_LOG)
    assert list(log.objects.order_by("id").values_list(*FIELDS)) == before
    assert "records_accesslogentry" not in table_names()
    migrate()
    assert list(AccessLogEntry.objects.order_by("id").values_list(*FIELDS)) == before
