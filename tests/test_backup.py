"""`opspor backup` and `opspor restore` on the database the suite runs on (SQLite, or
PostgreSQL with DATABASE_URL, where pg_dump, pg_restore and psql must be on PATH).

The round trip seeds a demo region, adds access-log rows and a queued task, backs up,
empties the database, restores, and compares every table, row for row. Every refusal leaves
every table as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Callable
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from opspor import backups
from opspor.accounts.models import User
from opspor.backups import MANIFEST, BackupError, known_migrations, read_manifest
from opspor.casework.tasks import sweep_run
from opspor.records.models import AccessLogEntry, Patient
from opspor.records.services import record_read_log, record_read_refused
from tests import factories
from tests.migrating import table_checksums

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SRC = Path(__file__).resolve().parents[1] / "src"


def backup_to(path: Path) -> str:
    out = StringIO()
    call_command("backup", output=str(path), stdout=out)
    return out.getvalue()


def restore_from(path: Path, *, force: bool = False) -> str:
    out = StringIO()
    call_command("restore", str(path), force=force, stdout=out)
    return out.getvalue()


def refused(path: Path, *, force: bool = True) -> str:
    with pytest.raises(CommandError) as caught:
        restore_from(path, force=force)
    assert caught.value.returncode == 2
    return str(caught.value)


def small_record() -> Patient:
    patient = factories.patient()
    gp = factories.user(username="gp.backup")
    record_read_log(user=gp, patient=patient, what="overview")
    return patient


def test_a_round_trip_keeps_every_row_of_every_table(tmp_path: Path) -> None:
    call_command(
        "seed",
        patients=50,
        seed=3,
        as_of=date(2026, 3, 2).isoformat(),
        progress=False,
        stdout=StringIO(),
    )
    gp = User.objects.get(username="laege.hansen")
    patients = list(Patient.objects.filter(practice__clinicians__user=gp)[:5])
    for patient in patients:
        record_read_log(user=gp, patient=patient, what="overview")
    other = User.objects.get(username="laege.holm")
    record_read_refused(user=other, patient=patients[0], what="overview")
    sweep_run.enqueue()
    before = table_checksums()
    # The large and the audit tables are in the comparison, and not empty.
    for table in (
        AccessLogEntry._meta.db_table,
        DBTaskResult._meta.db_table,
        Patient._meta.db_table,
        "records_historicalpatient",
    ):
        assert before[table][0] > 0, table

    written = backup_to(tmp_path / "site.tar")
    assert "Backup written" in written
    manifest = read_manifest(tmp_path / "site.tar")
    assert manifest.engine in {"sqlite", "postgresql"}
    assert manifest.latest["records"] == max(
        name
        for app, name in MigrationRecorder.Migration.objects.values_list("app", "name")
        if app == "records"
    )
    assert (tmp_path / "site.tar").stat().st_mode & 0o077 == 0  # the owner's alone

    call_command("flush", interactive=False, verbosity=0)
    assert not Patient.objects.exists()
    # An empty database needs no --force.
    assert "Restored" in restore_from(tmp_path / "site.tar")
    assert table_checksums() == before

    # The restored database goes on: new rows get new ids.
    newest = AccessLogEntry.objects.order_by("-pk").first()
    assert newest is not None
    record_read_log(user=gp, patient=patients[0], what="overview")
    assert AccessLogEntry.objects.latest("pk").pk > newest.pk


def test_a_database_that_holds_data_is_replaced_only_with_force(tmp_path: Path) -> None:
    first = small_record()
    backup_to(tmp_path / "site.tar")
    factories.patient(practice_=first.practice, name="Added after the backup")
    after = table_checksums()

    message = refused(tmp_path / "site.tar", force=False)
    assert "--force" in message
    assert table_checksums() == after

    restore_from(tmp_path / "site.tar", force=True)
    assert not Patient.objects.filter(name="Added after the backup").exists()
    assert Patient.objects.filter(pk=first.pk).exists()


def test_a_backup_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    small_record()
    # The backed-up database has a migration this code does not know: a later version's.
    later = MigrationRecorder.Migration.objects.create(
        app="records", name="9999_from_a_later_version", applied=timezone.now()
    )
    backup_to(tmp_path / "later.tar")
    later.delete()
    assert "records.9999_from_a_later_version" in read_manifest(tmp_path / "later.tar").applied
    before = table_checksums()

    message = refused(tmp_path / "later.tar")
    assert "newer version" in message and "records.9999_from_a_later_version" in message
    assert table_checksums() == before


def test_a_backup_of_an_older_schema_is_restored_and_says_to_migrate(tmp_path: Path) -> None:
    small_record()
    backup_to(tmp_path / "site.tar")
    older = tmp_path / "older.tar"
    # The same database as a version without the latest records migration would record it.
    latest = read_manifest(tmp_path / "site.tar").latest["records"]
    _rewrite_manifest(
        tmp_path / "site.tar",
        older,
        lambda body: {**body, "applied": [m for m in body["applied"] if m != f"records.{latest}"]},
    )
    assert "opspor migrate" in restore_from(older, force=True)


EXPECTED = {
    "truncated": "not a readable backup file",
    "garbage": "not a readable backup file",
    "empty": "not a readable backup file",
    "payload changed": "the backup is damaged",
    "not a backup": "not an Opspor backup",
    "other engine": "backup; this site's database is",
}


@pytest.mark.parametrize(
    "damage",
    ["truncated", "garbage", "empty", "payload changed", "not a backup", "other engine"],
)
def test_a_damaged_or_foreign_file_is_refused_and_nothing_changes(
    tmp_path: Path, damage: str
) -> None:
    small_record()
    good = tmp_path / "site.tar"
    backup_to(good)
    factories.patient(name="Added after the backup")
    before = table_checksums()
    bad = tmp_path / "bad.tar"
    data = good.read_bytes()
    if damage == "truncated":
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "garbage":
        bad.write_bytes(os.urandom(4096))
    elif damage == "empty":
        bad.write_bytes(b"")
    elif damage == "payload changed":
        # The tar stays readable; one byte of the database in it differs.
        index = len(data) // 2
        bad.write_bytes(data[:index] + bytes([data[index] ^ 0xFF]) + data[index + 1 :])
    elif damage == "not a backup":
        with tarfile.open(bad, "w") as archive:
            info = tarfile.TarInfo("notes.txt")
            archive.addfile(info, io.BytesIO(b""))
    else:
        engine = read_manifest(good).engine
        other = "postgresql" if engine == "sqlite" else "sqlite"
        payloads = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
        _rewrite_manifest(
            good,
            bad,
            lambda body: {**body, "engine": other, "payload": payloads[other]},
            rename={payloads[engine]: payloads[other]},
        )

    message = refused(bad)
    assert EXPECTED[damage] in message
    assert table_checksums() == before


def test_the_command_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    """Through the real `opspor` command, against a database file of its own: a refusal is
    exit code 2 and one message, no traceback, and the file is unchanged."""
    site = tmp_path / "site.sqlite3"
    with sqlite3.connect(site) as database:
        database.execute("CREATE TABLE kept (value TEXT)")
        database.execute("INSERT INTO kept VALUES ('a row')")
    database.close()
    before = hashlib.sha256(site.read_bytes()).hexdigest()
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"not a backup at all")
    result = subprocess.run(
        [sys.executable, "-m", "opspor.cli", "restore", "--force", str(bad)],
        env={**os.environ, "PYTHONPATH": str(SRC), "DATABASE_URL": f"sqlite:///{site}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "not a readable backup file" in result.stderr
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(site.read_bytes()).hexdigest() == before


def test_the_code_knows_its_own_migrations() -> None:
    known = known_migrations(connection)
    applied = set(MigrationRecorder.Migration.objects.values_list("app", "name"))
    assert applied <= known


Change = Callable[[dict[str, Any]], dict[str, Any]]


def _rewrite_manifest(
    source: Path, target: Path, change: Change, rename: dict[str, str] | None = None
) -> None:
    rename = rename or {}
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old.getmembers():
            handle = old.extractfile(member)
            assert handle is not None
            data = handle.read()
            if member.name == MANIFEST:
                data = json.dumps(change(json.loads(data))).encode()
            info = tarfile.TarInfo(rename.get(member.name, member.name))
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


def test_a_postgresql_restore_that_fails_while_loading_changes_nothing(tmp_path: Path) -> None:
    """Every table is dropped and the dump loaded in one transaction: when the load fails
    after the drops (here a trigger refuses every CREATE TABLE), all of it rolls back."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's restore; SQLite's is one call of its backup API")
    small_record()
    backup_to(tmp_path / "site.tar")
    factories.patient(name="Added after the backup")
    before = table_checksums()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_for_the_test() RETURNS event_trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$"
        )
        cursor.execute(
            "CREATE EVENT TRIGGER refuse_create_table ON ddl_command_start "
            "WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION refuse_for_the_test()"
        )
    try:
        message = refused(tmp_path / "site.tar")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP EVENT TRIGGER refuse_create_table")
            cursor.execute("DROP FUNCTION refuse_for_the_test()")
    assert "nothing was changed" in message and "refused for the test" in message
    assert table_checksums() == before


def test_a_postgresql_dump_cut_short_changes_nothing(tmp_path: Path) -> None:
    """A dump that pg_restore cannot read to its end is refused before psql runs (piped,
    psql would have committed the part that arrived)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's restore")
    small_record()
    backup_to(tmp_path / "site.tar")
    factories.patient(name="Added after the backup")
    before = table_checksums()
    with tarfile.open(tmp_path / "site.tar") as archive:
        handle = archive.extractfile("database.pgdump")
        assert handle is not None
        dump = handle.read()
    cut = tmp_path / "cut.pgdump"
    cut.write_bytes(dump[: len(dump) * 3 // 4])
    with pytest.raises(BackupError, match="pg_restore failed"):
        backups._pg_restore(connection, cut)
    assert table_checksums() == before
