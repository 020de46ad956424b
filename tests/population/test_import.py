"""Loading a population scan's result file as the practices' signals: the engine's figures
stored for the record's patients, the practices' old signals replaced in one go, the same
file loaded once, unknown patients counted and never created, moved patients under their
practice in the record, and every kind of bad file refused with nothing changed."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from django.test import Client
from django.utils import formats, timezone, translation

from opspor.accounts.tokens import api_token_issue
from opspor.population.models import ScanImport
from opspor.population.result_file import ScanRefused
from opspor.population.scan.shape import RESULT_SCHEMA
from opspor.population.services import scan_import
from opspor.records.models import Contact, Patient, Practice
from opspor.safetynet.models import PatientSignal, SignalRun
from opspor.safetynet.signal_compute import practice_signals_compute, stored_signals
from tests import factories
from tests.population import results
from tests.referrals.worlds import World, make_world, patient_in

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 11)


@pytest.fixture
def world() -> World:
    return make_world()


def seen(patient: Patient, *days_ago: int, today: date = TODAY) -> None:
    Contact.objects.bulk_create(
        Contact(
            patient=patient,
            practice_id=patient.practice_id,
            at=datetime.combine(today - timedelta(days=d), time(9, 0), tzinfo=UTC),
            kind=Contact.Kind.CONSULTATION,
        )
        for d in days_ago
    )


def state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    """Everything an import may change."""
    signals = sorted(
        (s.patient_id, s.practice_id, s.kind, s.as_of, s.figures, s.last_contact_at, s.computed_at)
        for s in PatientSignal.objects.all()
    )
    runs = sorted(
        SignalRun.objects.values_list("practice_id", "as_of", "computed_at", "patients", "source")
    )
    return signals, runs, ScanImport.objects.count()


def load(path: Path, now: datetime = NOW, by: str = "command") -> Any:
    return scan_import(path=path, now=now, by=by)


# --- what an import stores --------------------------------------------------------------------


def test_an_import_stores_each_signal_with_the_engines_figures(
    world: World, tmp_path: Path
) -> None:
    practice = world.patient.practice
    low_user, breaking, returning, never_seen, quiet = (
        world.patient,
        patient_in(practice),
        patient_in(practice),
        patient_in(practice),
        patient_in(practice),
    )
    seen(low_user, 1, 10, 20, 40, 60, 400, 900)
    seen(returning, 2, 1500)
    pid = practice.pk
    path = results.write(
        tmp_path / "signals.parquet",
        [
            results.row(low_user.pk, pid, TODAY, **results.low_user_rise(0.72654, 3.1)),
            results.row(breaking.pk, pid, TODAY, **results.pattern_break(6, 1.23456, 1e-5)),
            results.row(
                returning.pk,
                pid,
                TODAY,
                **results.long_absence(1498, TODAY - timedelta(days=2)),
                **results.repeat_symptoms(("weight_loss", 4), ("cough", 3)),
            ),
            results.row(never_seen.pk, pid, TODAY, **results.repeat_symptoms(("fatigue", 3))),
            results.row(quiet.pk, pid, TODAY),
        ],
        results.meta(TODAY, {pid: 9}),
    )

    report = load(path)

    assert stored_signals(low_user.pk) == {
        "low_user_rise": {
            "recent": 5,
            "window_days": 90,
            "expected": 0.412,
            "p_value": 0.00081,
            "baseline": 2,
            "baseline_days": 1005,
            "baseline_per_year": 0.73,
            "population_per_year": 3.1,
        }
    }
    assert stored_signals(breaking.pk) == {
        "pattern_break": {
            "recent": 6,
            "window_days": 90,
            "expected": 1.235,
            "p_value": 1e-5,
            "baseline": 2,
            "baseline_days": 1005,
        }
    }
    assert stored_signals(returning.pk) == {
        "long_absence": {"gap_days": 1498, "returned_on": "2026-03-09"},
        "repeat_symptom": {"symptoms": {"weight_loss": 4, "cough": 3}, "window_days": 365},
    }
    assert stored_signals(never_seen.pk) == {
        "repeat_symptom": {"symptoms": {"fatigue": 3}, "window_days": 365}
    }
    assert stored_signals(quiet.pk) == {}
    rows = {(s.patient_id, s.kind): s for s in PatientSignal.objects.all()}
    low = rows[low_user.pk, "low_user_rise"]
    assert (low.as_of, low.computed_at, low.practice_id) == (TODAY, NOW, pid)
    # The latest contact up to the as-of day; never seen: midnight of registration.
    assert low.last_contact_at == datetime.combine(TODAY - timedelta(days=1), time(9), UTC)
    assert rows[never_seen.pk, "repeat_symptom"].last_contact_at == timezone.make_aware(
        datetime.combine(never_seen.registered_from, time.min)
    )
    run = SignalRun.objects.get(practice=practice)
    assert (run.as_of, run.computed_at, run.patients, run.source) == (TODAY, NOW, 9, "scan")
    assert (report.rows, report.patients_loaded, report.signals) == (5, 5, 5)
    assert (report.unknown_patients, report.moved_patients, report.practices) == (0, 0, (pid,))
    assert not report.already_imported
    record = ScanImport.objects.get()
    assert (record.as_of, record.by, record.backend, record.practices) == (
        TODAY,
        "command",
        "duckdb",
        [pid],
    )
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (record.rows, record.patients_loaded, record.signals) == (5, 5, 5)


def test_a_practices_old_signals_are_replaced_and_other_practices_kept(
    world: World, tmp_path: Path
) -> None:
    practice = world.patient.practice
    other = factories.practice()
    gone, stays_elsewhere, new = world.patient, patient_in(other), patient_in(practice)
    for patient in (gone, stays_elsewhere):
        seen(patient, 1, 10, 20, 40, 60, 400, 900)
    yesterday = TODAY - timedelta(days=1)
    for p in (practice, other):
        practice_signals_compute(practice_id=p.pk, as_of=yesterday, now=NOW - timedelta(days=1))
    assert set(stored_signals(gone.pk)) == {"low_user_rise"}
    elsewhere_before = list(PatientSignal.objects.filter(practice=other).values())

    load(
        results.write(
            tmp_path / "signals.parquet",
            [results.row(new.pk, practice.pk, TODAY, **results.pattern_break())],
            results.meta(TODAY, {practice.pk: 2}),
        )
    )

    assert stored_signals(gone.pk) == {}
    assert set(stored_signals(new.pk)) == {"pattern_break"}
    assert list(PatientSignal.objects.filter(practice=other).values()) == elsewhere_before
    runs = dict(SignalRun.objects.values_list("practice_id", "source"))
    assert runs == {practice.pk: "scan", other.pk: "worker"}
    assert SignalRun.objects.get(practice=other).as_of == yesterday


def test_the_same_file_a_second_time_changes_nothing_and_says_so(
    world: World, tmp_path: Path
) -> None:
    pid = world.patient.practice_id
    path = results.write(
        tmp_path / "signals.parquet",
        [results.row(world.patient.pk, pid, TODAY, **results.pattern_break())],
        results.meta(TODAY, {pid: 1}),
    )
    first = load(path)
    before = state()
    # Even under another name, later, and by the worker: the same bytes are the same file.
    copy = tmp_path / "copy.parquet"
    shutil.copy(path, copy)
    again = load(copy, now=NOW + timedelta(hours=3), by="worker")
    assert state() == before
    assert again.already_imported
    assert (again.scan_import_id, again.signals, again.by) == (first.scan_import_id, 1, "command")
    assert again.lines()[0].startswith("Already imported")
    assert "nothing changed" in again.lines()[0]


def test_unknown_patients_are_counted_and_never_created(world: World, tmp_path: Path) -> None:
    pid = world.patient.practice_id
    missing = [Patient.objects.order_by("-pk").values_list("pk", flat=True)[0] + n for n in (1, 2)]
    patients = Patient.objects.count()
    report = load(
        results.write(
            tmp_path / "signals.parquet",
            [
                results.row(missing[0], pid, TODAY, **results.pattern_break()),
                results.row(world.patient.pk, pid, TODAY, **results.pattern_break()),
                results.row(missing[1], pid, TODAY, **results.long_absence(2000, TODAY)),
            ],
            results.meta(TODAY, {pid: 3}),
        )
    )
    assert (report.rows, report.patients_loaded, report.signals) == (3, 1, 1)
    assert (report.unknown_patients, report.unknown_examples) == (2, tuple(missing))
    assert Patient.objects.count() == patients
    assert list(PatientSignal.objects.values_list("patient_id", flat=True)) == [world.patient.pk]
    assert ScanImport.objects.get().unknown_patients == 2
    assert f"2 (e.g. #{missing[0]}, #{missing[1]})" in "\n".join(report.lines())


def test_a_moved_patient_is_stored_under_the_practice_of_the_record(
    world: World, tmp_path: Path
) -> None:
    old, new = world.patient.practice, factories.practice()
    moved = patient_in(new)  # the scan's data still has them in the old practice
    load(
        results.write(
            tmp_path / "signals.parquet",
            [results.row(moved.pk, old.pk, TODAY, **results.pattern_break())],
            results.meta(TODAY, {old.pk: 1, new.pk: 0}),
        )
    )
    row = PatientSignal.objects.get(patient=moved)
    assert (row.practice_id, row.kind) == (new.pk, "pattern_break")
    assert ScanImport.objects.get().moved_patients == 1


def test_a_patient_moved_to_a_practice_not_scanned_leaves_its_other_signals(
    world: World, tmp_path: Path
) -> None:
    scanned, elsewhere = world.patient.practice, factories.practice()
    moved, neighbour = patient_in(elsewhere), patient_in(elsewhere)
    for patient in (moved, neighbour):
        seen(patient, 1, 10, 20, 40, 60, 400, 900)
    practice_signals_compute(practice_id=elsewhere.pk, as_of=TODAY, now=NOW)
    run_before = SignalRun.objects.values_list("as_of", "computed_at", "source").get(
        practice=elsewhere
    )
    neighbour_before = list(PatientSignal.objects.filter(patient=neighbour).values())

    report = load(
        results.write(
            tmp_path / "signals.parquet",
            [results.row(moved.pk, scanned.pk, TODAY, **results.long_absence(1200, TODAY))],
            results.meta(TODAY, {scanned.pk: 1}),
        )
    )

    assert (report.moved_patients, report.moved_examples) == (1, (moved.pk,))
    # The moved patient's rows are the file's, under the practice that has them now ...
    assert set(stored_signals(moved.pk)) == {"long_absence"}
    assert PatientSignal.objects.get(patient=moved).practice_id == elsewhere.pk
    # ... and the rest of that practice is as it was, its run not re-dated.
    assert list(PatientSignal.objects.filter(patient=neighbour).values()) == neighbour_before
    assert (
        SignalRun.objects.values_list("as_of", "computed_at", "source").get(practice=elsewhere)
        == run_before
    )


# --- bad files ------------------------------------------------------------------------------

BadFile = Callable[[Path, Practice, Patient], Path]


def _rows(practice: Practice, patient: Patient, as_of: date = TODAY) -> list[dict[str, Any]]:
    return [results.row(patient.pk, practice.pk, as_of, **results.pattern_break())]


def _missing(tmp: Path, practice: Practice, patient: Patient) -> Path:
    return tmp / "nowhere.parquet"


def _not_parquet(tmp: Path, practice: Practice, patient: Patient) -> Path:
    path = tmp / "signals.parquet"
    path.write_text(f"patient_id,practice_id\n{patient.pk},{practice.pk}\n")
    return path


def _schema_without(name: str) -> pa.Schema:
    return pa.schema([f for f in RESULT_SCHEMA if f.name != name])


def _schema_with(name: str, kind: pa.DataType) -> pa.Schema:
    return pa.schema([pa.field(name, kind) if f.name == name else f for f in RESULT_SCHEMA])


def _no_column(tmp: Path, practice: Practice, patient: Patient) -> Path:
    return results.write(
        tmp / "s.parquet",
        _rows(practice, patient),
        results.meta(TODAY, {practice.pk: 1}),
        schema=_schema_without("pattern_break_p"),
    )


def _wrong_type(tmp: Path, practice: Practice, patient: Patient) -> Path:
    rows = [r | {"patient_id": str(patient.pk)} for r in _rows(practice, patient)]
    return results.write(
        tmp / "s.parquet",
        rows,
        results.meta(TODAY, {practice.pk: 1}),
        schema=_schema_with("patient_id", pa.string()),
    )


def _with_meta(meta: dict[str, Any] | bytes | None) -> BadFile:
    def make(tmp: Path, practice: Practice, patient: Patient) -> Path:
        chosen = meta
        if isinstance(meta, dict):
            chosen = results.meta(TODAY, {practice.pk: 1}) | meta
        return results.write(tmp / "s.parquet", _rows(practice, patient), chosen)

    return make


def _with_rows(change: Callable[[list[dict[str, Any]], Practice], None]) -> BadFile:
    def make(tmp: Path, practice: Practice, patient: Patient) -> Path:
        rows = _rows(practice, patient)
        change(rows, practice)
        return results.write(tmp / "s.parquet", rows, results.meta(TODAY, {practice.pk: 1}))

    return make


def _future(tmp: Path, practice: Practice, patient: Patient) -> Path:
    tomorrow = TODAY + timedelta(days=1)
    return results.write(
        tmp / "s.parquet",
        _rows(practice, patient, tomorrow),
        results.meta(tomorrow, {practice.pk: 1}),
    )


def _older(tmp: Path, practice: Practice, patient: Patient) -> Path:
    # The practice's signals are as of TODAY (the fixture); this file is of the day before.
    before = TODAY - timedelta(days=1)
    return results.write(
        tmp / "s.parquet", _rows(practice, patient, before), results.meta(before, {practice.pk: 1})
    )


def _other_record(tmp: Path, practice: Practice, patient: Patient) -> Path:
    stranger = Practice.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    return results.write(
        tmp / "s.parquet",
        [results.row(patient.pk, stranger, TODAY)],
        results.meta(TODAY, {stranger: 1}),
    )


_LOW_FIGURES = {
    key: value for key, value in results.low_user_rise().items() if key != "pattern_break"
}

BAD_FILES: dict[str, tuple[BadFile, str]] = {
    "no file": (_missing, "There is no file at"),
    "not Parquet": (_not_parquet, "is not a Parquet file"),
    "a column missing": (_no_column, "lacks the column(s) pattern_break_p"),
    "a column of the wrong type": (
        _wrong_type,
        "Column patient_id is string, where a scan's result has int64",
    ),
    "no metadata": (_with_meta(None), "has no 'opspor.scan' metadata"),
    "metadata not JSON": (_with_meta(b"{as_of: today"), "metadata is not JSON"),
    "metadata of another format": (_with_meta({"format": 2}), "has format 2; this version"),
    "metadata without a day": (_with_meta({"as_of": "11/03/2026"}), "as_of must be a day"),
    "metadata without practices": (
        _with_meta({"practices": [], "listed": {}}),
        "names no practice scanned",
    ),
    "metadata without a practice's count": (
        _with_meta({"listed": {}}),
        "how many listed patients practice",
    ),
    "two rows of one patient": (
        _with_rows(lambda rows, _: rows.append(dict(rows[0]))),
        "Row 2 of the file: its patient has a row earlier in the file",
    ),
    "a future day": (_future, "a day after today (2026-03-11)"),
    "a row of another day": (
        _with_rows(lambda rows, _: rows[0].update(as_of=TODAY - timedelta(days=3))),
        "Row 1 of the file: as_of is 2026-03-08, where the file's metadata says 2026-03-11",
    ),
    "a row of a practice not scanned": (
        _with_rows(lambda rows, p: rows[0].update(practice_id=p.pk + 1)),
        "its practice is not among the practices the metadata names",
    ),
    "a pattern break without its figures": (
        _with_rows(lambda rows, _: rows[0].update(pattern_break_p=None)),
        "a pattern break without its figures (pattern_break_p is empty)",
    ),
    "a rise in a low user without its pattern break": (
        _with_rows(lambda rows, _: rows[0].update(pattern_break=False, **_LOW_FIGURES)),
        "a rise in a low user without its pattern break",
    ),
    "a long absence without its day of return": (
        _with_rows(lambda rows, _: rows[0].update(long_absence_days=1200)),
        "long_absence_returned_on is empty",
    ),
    "an empty patient id": (
        _with_rows(lambda rows, _: rows[0].update(patient_id=None)),
        "Row 1 of the file: patient_id is empty",
    ),
    "another record's practices": (_other_record, "the record does not have"),
    "older than the stored signals": (_older, "an older scan does not replace a newer one"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_changed(
    world: World, tmp_path: Path, case: str
) -> None:
    practice = world.patient.practice
    seen(world.patient, 1, 10, 20, 40, 60, 400, 900)
    practice_signals_compute(practice_id=practice.pk, as_of=TODAY, now=NOW)
    make, message = BAD_FILES[case]
    path = make(tmp_path, practice, world.patient)
    before = state()
    assert before[0]  # there is something to lose
    with pytest.raises(ScanRefused) as refused:
        load(path)
    assert message in refused.value.message
    assert state() == before


# --- the worklist page ----------------------------------------------------------------------


def test_the_worklist_shows_the_imported_signal_and_its_day(world: World, tmp_path: Path) -> None:
    as_of = timezone.localdate() - timedelta(days=1)
    practice = world.patient.practice
    load(
        results.write(
            tmp_path / "signals.parquet",
            [results.row(world.patient.pk, practice.pk, as_of, **results.low_user_rise())],
            results.meta(as_of, {practice.pk: 1}),
        ),
        now=timezone.now(),
    )
    client = Client()
    client.force_login(world.gp)
    page = client.get("/safety-nets/worklist/").content.decode()
    assert 'data-kind="low_user_rise"' in page
    assert world.patient.name in page
    with translation.override("da"):
        day = formats.date_format(as_of, "SHORT_DATE_FORMAT")
    assert f"regionens populationsscanning pr. {day}" in page


def test_the_worklist_api_says_the_signals_day_and_that_the_scan_made_them(
    world: World, tmp_path: Path
) -> None:
    client = Client(headers={"authorization": f"Bearer {api_token_issue(user=world.gp)}"})
    assert client.get("/api/v1/worklist").json()["signals"] is None
    as_of = timezone.localdate() - timedelta(days=1)
    practice = world.patient.practice
    load(
        results.write(
            tmp_path / "signals.parquet",
            [results.row(world.patient.pk, practice.pk, as_of, **results.low_user_rise())],
            results.meta(as_of, {practice.pk: 1}),
        ),
        now=timezone.now(),
    )
    body = client.get("/api/v1/worklist").json()
    assert body["signals"] == {"as_of": as_of.isoformat(), "source": "scan"}
    assert "low_user_rise" in [item["kind"] for item in body["items"]]
