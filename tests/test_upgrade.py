"""An upgrade: the migrations run forward on a database holding the demo region.

The demo region is seeded, the database is taken back to an earlier point of every app's
migrations (the schema before the access log's `refused`, the records' identifiers and
original codings, the practice's SOR code, notifications to a patient, the preparation's
events and the signal run's source), and then migrated to the latest again, as an upgrade
from that version would. Every row of every table the earlier schema had is still there
afterwards, the rows of the tables no migration in between touched are unchanged to the
byte, the new columns hold their defaults, and the current code reads the record. And the
way back: a backup made before an upgrade, restored over the upgraded database, leaves
the earlier schema only, and migrates forward again.
"""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from opspor.records.context import patient_context_for
from opspor.records.models import AccessLogEntry, Patient, Symptom
from tests import factories
from tests.migrating import Target, migrate, table_checksums

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("latest_migrations_afterwards"),
]

EARLIER: list[Target] = [
    ("records", "0005_access_log_table_named_after_records"),
    ("casework", "0002_tables_named_after_casework"),
    ("portal", "0001_initial"),
    ("safetynet", "0004_loops"),
]


def columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def test_the_demo_region_survives_an_upgrade() -> None:
    call_command(
        "seed",
        patients=50,
        seed=5,
        as_of=date(2026, 3, 2).isoformat(),
        progress=False,
        stdout=StringIO(),
    )
    patient = Patient.objects.get(story="firefighter_cough")
    AccessLogEntry.objects.create(
        user=patient.practice.clinicians.exclude(user=None).first().user,  # type: ignore[union-attr]
        patient=patient,
        what="overview",
    )
    seeded_patients = Patient.objects.count()
    seeded_symptoms = Symptom.objects.count()

    migrate(EARLIER)
    assert "refused" not in columns(AccessLogEntry._meta.db_table)
    before = table_checksums()
    assert before[Patient._meta.db_table][0] == seeded_patients

    migrate()
    after = table_checksums()
    assert "refused" in columns(AccessLogEntry._meta.db_table)
    # Every row of every table the earlier schema had is still there.
    lost = {
        table: (count, after.get(table, (0, ""))[0])
        for table, (count, _) in before.items()
        if after.get(table, (0, ""))[0] != count and table != "django_migrations"
    }
    assert lost == {}
    # Only the tables of the apps whose migrations ran changed; the others are unchanged,
    # row for row (the users, the referrals, the sessions, the task queue, ...).
    migrated = ("records_", "casework_", "portal_", "safetynet_", "django_migrations")
    changed = {table for table in before if before[table] != after[table]}
    assert {table for table in changed if not table.startswith(migrated)} == set()
    assert "referrals_referral" in before and "django_tasks_database_dbtaskresult" in before

    # The new columns hold their defaults, and the current code reads the record.
    assert list(AccessLogEntry.objects.values_list("refused", flat=True)) == [False]
    codings = Symptom.objects.values_list("original_coding", flat=True)
    assert all(coding == [] for coding in codings)
    assert Patient.objects.count() == seeded_patients
    assert Symptom.objects.count() == seeded_symptoms
    context = patient_context_for(Patient.objects.get(pk=patient.pk), as_of=date(2026, 3, 2))
    assert context.symptoms


def test_a_backup_from_before_an_upgrade_comes_back_and_migrates_again(tmp_path: Path) -> None:
    """The way back from a failed upgrade: the backup made before it is restored over the
    upgraded database, which then holds the earlier schema only (no table or column of the
    later one left behind), and `migrate` upgrades it again."""
    patient = factories.patient()
    migrate(EARLIER)
    call_command("backup", output=str(tmp_path / "before.tar"), stdout=StringIO())
    migrate()
    factories.patient(practice_=Patient.objects.get(pk=patient.pk).practice)
    assert "refused" in columns(AccessLogEntry._meta.db_table)

    out = StringIO()
    call_command("restore", str(tmp_path / "before.tar"), force=True, stdout=out)
    assert "opspor migrate" in out.getvalue()
    assert "refused" not in columns(AccessLogEntry._meta.db_table)
    with connection.cursor() as cursor:
        assert "portal_preparationevent" not in connection.introspection.table_names(cursor)
        cursor.execute(f"SELECT id FROM {Patient._meta.db_table}")  # noqa: S608
        assert [row[0] for row in cursor.fetchall()] == [patient.pk]

    migrate()
    assert "refused" in columns(AccessLogEntry._meta.db_table)
    assert list(Patient.objects.values_list("pk", flat=True)) == [patient.pk]
