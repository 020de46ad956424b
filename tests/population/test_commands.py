"""`opspor import-scan FILE`: the report, and exit code 0 loaded, 1 loaded before, 2 refused."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.population.models import ScanImport
from opspor.safetynet.models import PatientSignal
from tests.population import results
from tests.referrals.worlds import World, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def result_file(world: World, tmp_path: Path) -> Path:
    as_of = timezone.localdate() - timedelta(days=1)
    pid = world.patient.practice_id
    return results.write(
        tmp_path / "signals.parquet",
        [
            results.row(world.patient.pk, pid, as_of, **results.pattern_break()),
            results.row(world.patient.pk + 1000, pid, as_of, **results.pattern_break()),
        ],
        results.meta(as_of, {pid: 2}),
    )


def test_the_command_loads_then_says_already_imported(world: World, tmp_path: Path) -> None:
    path = result_file(world, tmp_path)
    out = StringIO()
    call_command("import-scan", str(path), stdout=out)  # exit code 0
    text = out.getvalue()
    assert "Imported the population scan as of" in text
    assert f"Practices: 1 (#{world.patient.practice_id})" in text
    assert "Rows: 2; patients loaded: 1; signals stored: 1." in text
    assert (
        f"Unknown patients (not in the record, not created): 1 (e.g. #{world.patient.pk + 1000})"
        in text
    )
    assert "Moved patients (stored under their practice in the record): 0." in text
    assert ScanImport.objects.get().by == "command"

    again = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import-scan", str(path), stdout=again)
    assert error.value.returncode == 1
    assert "nothing changed" in again.getvalue()
    assert ScanImport.objects.count() == 1


def test_a_refused_file_exits_2_and_changes_nothing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "signals.parquet"
    path.write_text("not a scan")
    with pytest.raises(
        CommandError, match=r"Refused, nothing changed: .* is not a Parquet file"
    ) as error:
        call_command("import-scan", str(path), stdout=StringIO())
    assert error.value.returncode == 2
    assert (ScanImport.objects.count(), PatientSignal.objects.count()) == (0, 0)


def test_the_real_command_exits_2_for_a_file_that_is_not_there(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "opspor.cli", "import-scan", str(tmp_path / "none.parquet")],
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Refused, nothing changed: There is no file at" in done.stderr


def test_the_admin_shows_the_imports_and_never_changes_them(world: World, tmp_path: Path) -> None:
    call_command("import-scan", str(result_file(world, tmp_path)), stdout=StringIO())
    admin = User.objects.create_superuser("root", "root@opspor.example", "x", role=Role.ADMIN)
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/population/scanimport/")
    assert page.status_code == 200
    assert "duckdb" in page.content.decode()
    assert client.get("/admin/population/scanimport/add/").status_code == 403
    assert client.get("/admin/population/nightlyscan/add/").status_code == 403
    record = ScanImport.objects.get()
    client.post(f"/admin/population/scanimport/{record.pk}/delete/", {"post": "yes"})
    assert ScanImport.objects.filter(pk=record.pk).exists()
