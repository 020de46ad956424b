"""The record as the scan's input: the documented columns with the scan's types, the
record's own ids, local days, only what the signals read, written whole or not at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from opspor.population import export
from opspor.population.export import ExportError, population_export
from opspor.population.scan.shape import READS, input_schema
from opspor.records.models import Condition, Contact, Medication, Patient, Symptom
from tests import factories
from tests.referrals.worlds import World, make_world, patient_in

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 11)


@pytest.fixture
def world() -> World:
    return make_world()


def read(directory: Path, table: str) -> list[dict[str, object]]:
    return pq.read_table(directory / f"{table}.parquet").to_pylist()


def test_every_table_has_the_scans_columns_and_types(world: World, tmp_path: Path) -> None:
    report = population_export(out=tmp_path / "record", as_of=TODAY, now=NOW)
    assert sorted(p.name for p in (tmp_path / "record").iterdir()) == sorted(
        f"{table}.parquet" for table in READS
    )
    for table in READS:
        schema = pq.read_schema(tmp_path / "record" / f"{table}.parquet")
        assert tuple(schema.names) == READS[table]
        assert schema.remove_metadata().equals(input_schema(table)), table
    assert report.rows["patients"] == Patient.objects.count()
    assert report.summary().startswith("Exported the record as of 2026-03-11")


def test_rows_carry_the_records_ids_and_local_days(world: World, tmp_path: Path) -> None:
    patient = world.patient
    other = patient_in(factories.practice())
    Patient.objects.filter(pk=other.pk).update(
        registered_to=date(2025, 1, 31), preferred_language="ar", interpreter_needed=True
    )
    gp = factories.gp(patient.practice, with_user=False)
    # 23:30 UTC on 9 March is 00:30 on 10 March in Copenhagen.
    late = factories.contact(
        patient, on=date(2026, 3, 9), at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC), clinician=gp
    )
    factories.contact(other, on=date(2024, 6, 1), kind=Contact.Kind.PHONE)
    factories.contact(patient, on=TODAY + timedelta(days=1))  # after the as-of day
    Symptom.objects.create(
        patient=patient,
        contact=late,
        code="cough",
        onset=date(2026, 3, 1),
        recorded_on=date(2026, 3, 9),
    )
    Symptom.objects.create(
        patient=patient, code="fatigue", onset=date(2026, 1, 1), recorded_on=date(2026, 2, 2)
    )
    Symptom.objects.create(
        patient=patient,
        code="fatigue",
        onset=date(2026, 1, 1),
        recorded_on=TODAY + timedelta(days=2),
    )
    Condition.objects.create(patient=patient, code="J44", system="icd10", chronic=True)
    Condition.objects.create(
        patient=patient,
        code="J20",
        system="icd10",
        onset=date(2025, 1, 1),
        resolved=date(2025, 2, 1),
    )
    Medication.objects.create(patient=patient, atc="B01AA03", start=date(2020, 1, 1), stop=None)
    Medication.objects.create(
        patient=patient, atc="J01CA04", start=date(2025, 5, 1), stop=date(2025, 5, 8)
    )
    Medication.objects.create(patient=patient, atc="N02BE01", start=TODAY + timedelta(days=1))

    population_export(out=tmp_path, as_of=TODAY, now=NOW)

    patients = {row["patient_id"]: row for row in read(tmp_path, "patients")}
    assert patients[other.pk] == {
        "patient_id": other.pk,
        "birth_date": other.birth_date,
        "sex": other.sex,
        "practice_id": other.practice_id,
        "registered_from": other.registered_from,
        "registered_to": date(2025, 1, 31),
        "lives_alone": False,
        "language": "ar",
        "interpreter_needed": True,
        "died_on": None,
    }
    assert sorted(
        (r["patient_id"], r["clinician_id"], r["practice_id"], r["contact_date"], r["kind"])
        for r in read(tmp_path, "contacts")
    ) == sorted(
        [
            (patient.pk, gp.pk, patient.practice_id, date(2026, 3, 10), "consultation"),
            (other.pk, None, other.practice_id, date(2024, 6, 1), "phone"),
        ]
    )
    # At a contact: the contact's local day; without one: the day it was recorded.
    assert sorted((r["code"], r["recorded_date"]) for r in read(tmp_path, "symptoms")) == [
        ("cough", date(2026, 3, 10)),
        ("fatigue", date(2026, 2, 2)),
    ]
    assert read(tmp_path, "conditions") == [
        {"patient_id": patient.pk, "code": "J44", "system": "icd10", "chronic": True, "onset": None}
    ]
    assert sorted((r["atc"], r["start"], r["stop"]) for r in read(tmp_path, "medications")) == [
        ("B01AA03", date(2020, 1, 1), None),
        ("J01CA04", date(2025, 5, 1), date(2025, 5, 8)),
    ]


def test_small_chunks_write_the_same_rows(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(7):
        patient = patient_in(world.patient.practice)
        for d in range(n):
            factories.contact(patient, on=TODAY - timedelta(days=10 * d + 1))
    population_export(out=tmp_path / "whole", as_of=TODAY, now=NOW)
    monkeypatch.setattr(export, "CHUNK", 2)
    population_export(out=tmp_path / "chunked", as_of=TODAY, now=NOW)
    for table in READS:
        assert read(tmp_path / "chunked", table) == read(tmp_path / "whole", table), table
        chunks = pq.ParquetFile(tmp_path / "chunked" / f"{table}.parquet").num_row_groups
        rows = len(read(tmp_path / "chunked", table))
        assert chunks >= rows // 2


def test_a_failed_export_leaves_the_directory_as_it_was(world: World, tmp_path: Path) -> None:
    out = tmp_path / "record"
    population_export(out=out, as_of=TODAY, now=NOW)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # An id past the scan's 32-bit ids cannot be written.
    factories.patient(world.patient.practice, pk=2**31)
    with pytest.raises(ExportError, match=r"patients.patient_id cannot be written as int32"):
        population_export(out=out, as_of=TODAY, now=NOW)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record"]  # no work left behind


def test_a_future_day_is_refused(world: World, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="lies in the future"):
        population_export(out=tmp_path / "record", as_of=TODAY + timedelta(days=1), now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_the_command_writes_and_reports(world: World, tmp_path: Path) -> None:
    from io import StringIO

    out = StringIO()
    call_command("export-population", str(tmp_path / "record"), "--as-of", "2026-03-01", stdout=out)
    assert "Exported the record as of 2026-03-01" in out.getvalue()
    assert (tmp_path / "record" / "patients.parquet").is_file()
    with pytest.raises(CommandError, match="--as-of must be a date written YYYY-MM-DD"):
        call_command("export-population", str(tmp_path / "again"), "--as-of", "1/3/2026")
    assert not (tmp_path / "again").exists()


def test_contact_times_are_read_in_copenhagen_time(world: World, tmp_path: Path) -> None:
    # Midnight local time in summer is 22:00 UTC the day before.
    factories.contact(
        world.patient, on=date(2025, 7, 1), at=datetime.combine(date(2025, 6, 30), time(22), UTC)
    )
    population_export(out=tmp_path, as_of=TODAY, now=NOW)
    assert [r["contact_date"] for r in read(tmp_path, "contacts")] == [date(2025, 7, 1)]
