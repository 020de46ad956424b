"""The disk full during an import: nothing of the file is imported, and the same file
imports whole once there is room again.

A real `opspor import-fhir` process writes the test's database (a file copy of it) with
its file size limited (RLIMIT_FSIZE, SIGXFSZ ignored): every write past the limit fails
with EFBIG, as a write to a full disk fails with ENOSPC, without needing root for a tiny
file system. The import's transaction grows SQLite's write-ahead log past the limit.
"""

from __future__ import annotations

import json
import resource
import signal
from pathlib import Path

import pytest
from django.conf import settings

from opspor.interop.models import FhirImport, ImportedResource
from opspor.records.models import LabResult, Patient
from tests import factories
from tests.interop import bundles as fhir
from tests.processes import database_for_processes, opspor, opspor_env

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
        reason="a full disk is simulated by a file size limit on the process that writes "
        "the database file; PostgreSQL's server writes its own files",
    ),
    pytest.mark.timeout(120),
]

P = "Patient/anna"
LABS = 300
# Far less than the import writes, far more than opening the database needs.
ROOM_BYTES = 64 * 1024


def no_room_after(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    # Otherwise the kernel ends the process at the first write past the limit; a full disk
    # fails the write instead, and so does this.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def state() -> tuple[int, int, int, int]:
    return (
        Patient.objects.count(),
        LabResult.objects.count(),
        ImportedResource.objects.count(),
        FhirImport.objects.count(),
    )


def test_a_full_disk_imports_nothing_and_the_same_file_imports_whole_later(
    tmp_path: Path,
) -> None:
    practice = factories.practice()
    labs = [
        fhir.lab(f"hb{i}", P, day=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}") for i in range(LABS)
    ]
    bundle = fhir.bundle(fhir.patient(gp=[fhir.ydernummer(practice.provider_number)]), *labs)
    path = fhir.write_json(tmp_path / "record.json", bundle)
    before = state()
    log = tmp_path / "import.log"

    with database_for_processes(tmp_path) as url:
        importing = opspor(
            "import-fhir",
            str(path),
            "--no-progress",
            env=opspor_env(url),
            log=log,
            preexec_fn=lambda: no_room_after(ROOM_BYTES),
        )
        # 2: a file was rejected, nothing of it imported.
        assert importing.wait(90) == 2, log.read_text()
    output = log.read_text()
    assert "REJECTED, nothing imported" in output, output
    assert "the database refused a row (OperationalError)" in output, output
    # Not a row of the file; the import's own record says what happened.
    assert state()[:3] == before[:3]
    record = FhirImport.objects.get()
    assert (record.files, record.files_rejected, record.resources) == (1, 1, 0)
    # And no file of a half import: only what the test itself wrote.
    written = {"record.json", "import.log", "shared.sqlite3", "shared.sqlite3-wal"}
    assert {p.name for p in tmp_path.iterdir()} <= written | {"shared.sqlite3-shm"}

    with database_for_processes(tmp_path) as url:
        importing = opspor("import-fhir", str(path), "--no-progress", env=opspor_env(url), log=log)
        assert importing.wait(90) == 0, log.read_text()
    assert state() == (before[0] + 1, before[1] + LABS, before[2] + LABS + 1, 2)
    assert json.loads(path.read_text()) == bundle  # the file itself was never touched
