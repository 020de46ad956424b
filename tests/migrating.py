"""Migrating a test database back and forth, and seeding it as it was before a change.

For the tests that prove a migration keeps every row: they migrate back, write rows with
the historical models, migrate forward and compare; the `latest_migrations_afterwards`
fixture (conftest) always leaves the database at the latest migrations for the tests after.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

Target = tuple[str, str | None]


def migrate(targets: list[Target] | None = None) -> Apps:
    """Migrate to `targets` (the latest when None); the models as they stand there."""
    executor = MigrationExecutor(connection)
    goal = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(goal)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in goal if t[1] is not None]).apps


def table_names() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def table_checksums() -> dict[str, tuple[int, str]]:
    """Every table of the database: its row count and a SHA-256 of its rows, in a fixed
    order (so that the order the database returns them in does not count)."""
    found = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = sorted(repr(row) for row in cursor.fetchall())
            found[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return found


def index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name for name, info in constraints.items() if info["index"]}


@dataclass
class OldRegion:
    """A practice with its unit, two patients, a GP and a unit doctor, as historical rows."""

    unit: Any
    practice: Any
    patients: list[Any]
    gp: Any
    doctor: Any
    patient_user: Any


def seed_old_region(apps: Apps) -> OldRegion:
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
    return OldRegion(
        unit=unit,
        practice=practice,
        patients=patients,
        gp=user_model.objects.create(username="gp", role="gp"),
        doctor=user_model.objects.create(username="doctor", role="unit_doctor"),
        patient_user=user_model.objects.create(username="own", role="patient"),
    )
