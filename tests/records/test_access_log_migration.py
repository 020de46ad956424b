"""The access log moved from `accounts` to `records` keeping every row it held.

The database is seeded as it was before the move, through the historical models, and then
migrated forward; the test leaves it at the latest migrations for the tests that follow.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from opspor.records.models import AccessLogEntry

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BEFORE_THE_MOVE = [
    ("accounts", "0002_initial"),
    ("records", "0003_historicalpractice_escalation_working_hours_and_more"),
]
# Where the log lived before the move (only the historical models know it there).
OLD_LOG = "accounts.AccessLogEntry"
FIELDS = ("id", "user_id", "patient_id", "what", "channel", "at")


def _migrate(targets: list[tuple[str, str]] | None = None) -> Apps:
    """Migrate to `targets` (the latest when None); the models as they stand there."""
    executor = MigrationExecutor(connection)
    goal = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(goal)
    executor.loader.build_graph()
    return executor.loader.project_state(goal).apps


@pytest.fixture(autouse=True)
def _latest_migrations_afterwards(transactional_db: None) -> Iterator[None]:
    # Even a failing test must not leave the older schema behind for the tests after it.
    yield
    _migrate()


def _seed_before_the_move(apps: Apps) -> list[tuple[Any, ...]]:
    user_model = apps.get_model("accounts", "User")
    region = apps.get_model("records", "Region").objects.create(code="hovedstaden", name="H")
    unit = apps.get_model("records", "DiagnosticUnit").objects.create(
        code="unit", name="Enhed", hospital="Hospital", region=region, phone="1", direct_phone="2"
    )
    practice = apps.get_model("records", "Practice").objects.create(
        provider_number="000001",
        name="Lægerne",
        kind="partnership",
        region=region,
        municipality="København",
        phone="3",
        direct_phone="4",
        diagnostic_unit=unit,
    )
    patient_model = apps.get_model("records", "Patient")
    patients = [
        patient_model.objects.create(
            cpr=cpr,
            name=f"Patient {cpr}",
            birth_date=date(1970, 5, 17),
            sex="female",
            practice=practice,
            registered_from=date(2010, 1, 1),
        )
        for cpr in ("1705700002", "1705700004")
    ]
    gp = user_model.objects.create(username="gp", role="gp")
    own = user_model.objects.create(username="own", role="patient")
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


def _table_names() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def _index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name for name, info in constraints.items() if info["index"]}


def test_every_access_log_row_survives_the_move_to_records() -> None:
    before = _seed_before_the_move(_migrate(BEFORE_THE_MOVE))
    assert "accounts_accesslogentry" in _table_names()

    _migrate()

    assert list(AccessLogEntry.objects.order_by("id").values_list(*FIELDS)) == before
    tables = _table_names()
    assert "records_accesslogentry" in tables
    assert "accounts_accesslogentry" not in tables
    assert "access_log_patient_at_idx" in _index_names("records_accesslogentry")
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
    before = _seed_before_the_move(_migrate(BEFORE_THE_MOVE))
    _migrate()

    old_apps = _migrate(BEFORE_THE_MOVE)

    log = old_apps.get_model(OLD_LOG)
    assert list(log.objects.order_by("id").values_list(*FIELDS)) == before
    assert "records_accesslogentry" not in _table_names()
    _migrate()
    assert list(AccessLogEntry.objects.order_by("id").values_list(*FIELDS)) == before
