"""Input the scan refuses: tables not in the shape, and rows that cannot be true. Each is
refused with a report and nothing written, or, with --quarantine, set aside and the rest
scanned; never scanned as if it were good."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opspor.population.scan.backends import BackendOptions
from opspor.population.scan.checks import ShapeError
from opspor.population.scan.cli import BAD_ROWS, OK, SHAPE, main
from opspor.population.scan.run import RowsRefused, scan

from .conftest import AS_OF, time_limit, write_region

TODAY = date(2026, 1, 15)
GOOD_PATIENTS = [{"patient_id": i} for i in (1, 2, 3)]
GOOD_CONTACTS = [
    {"patient_id": pid, "contact_date": AS_OF - timedelta(days=n)}
    for pid in (1, 2, 3)
    for n in (0, 5, 10, 400)
]


def region(tmp: Path, **rows: list[dict[str, Any]]) -> Path:
    tables = {"patients": GOOD_PATIENTS, "contacts": GOOD_CONTACTS} | rows
    return write_region(tmp / "data", **tables)


def refused(data: Path, out: Path, **kw: Any) -> RowsRefused:
    with pytest.raises(RowsRefused) as caught:
        scan(data, as_of=AS_OF, out=out, today=TODAY, **kw)
    assert not out.exists()
    return caught.value


BAD_ROW_CASES: dict[str, tuple[str, dict[str, list[dict[str, Any]]], str]] = {
    "contact before birth": (
        "contacts",
        {"contacts": [{"patient_id": 1, "contact_date": date(1959, 1, 1)}]},
        "before_the_patients_birth",
    ),
    "contact after death": (
        "contacts",
        {
            "patients": [*GOOD_PATIENTS, {"patient_id": 4, "died_on": date(2020, 1, 1)}],
            "contacts": [{"patient_id": 4, "contact_date": date(2021, 1, 1)}],
        },
        "after_the_patients_death",
    ),
    "contact in the future": (
        "contacts",
        {"contacts": [{"patient_id": 2, "contact_date": TODAY + timedelta(days=1)}]},
        "date_in_the_future",
    ),
    "contact of no known patient": (
        "contacts",
        {"contacts": [{"patient_id": 99, "contact_date": AS_OF}]},
        "patient_not_in_patients_table",
    ),
    "contact without a kind": (
        "contacts",
        {"contacts": [{"patient_id": 3, "contact_date": AS_OF, "kind": None}]},
        "missing_value",
    ),
    "negative clinician id": (
        "contacts",
        {"contacts": [{"patient_id": 3, "contact_date": AS_OF, "clinician_id": -4}]},
        "clinician_id_out_of_range",
    ),
    "patient twice": (
        "patients",
        {"patients": [*GOOD_PATIENTS, {"patient_id": 3, "sex": "male"}]},
        "duplicate_patient_id",
    ),
    "unknown sex": (
        "patients",
        {"patients": [*GOOD_PATIENTS, {"patient_id": 5, "sex": "x"}]},
        "unknown_sex",
    ),
    "born in the future": (
        "patients",
        {"patients": [*GOOD_PATIENTS, {"patient_id": 6, "birth_date": TODAY + timedelta(1)}]},
        "date_in_the_future",
    ),
    "registration ends before it starts": (
        "patients",
        {
            "patients": [
                *GOOD_PATIENTS,
                {"patient_id": 7, "registered_to": date(2009, 1, 1)},
            ]
        },
        "registration_ends_before_it_starts",
    ),
    "symptom after death": (
        "symptoms",
        {
            "patients": [*GOOD_PATIENTS, {"patient_id": 4, "died_on": date(2020, 1, 1)}],
            "symptoms": [{"patient_id": 4, "code": "cough", "recorded_date": date(2021, 1, 1)}],
        },
        "after_the_patients_death",
    ),
    "medicine stopped before it started": (
        "medications",
        {
            "medications": [
                {"patient_id": 1, "atc": "C07", "start": date(2020, 1, 1), "stop": date(2019, 1, 1)}
            ]
        },
        "stopped_before_started",
    ),
}


def _merged(extra: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The good region with the bad rows added (patients replaced when given)."""
    rows = {"patients": GOOD_PATIENTS, "contacts": list(GOOD_CONTACTS)}
    for table, more in extra.items():
        rows[table] = more if table == "patients" else [*rows.get(table, []), *more]
    return rows


@pytest.mark.parametrize("case", sorted(BAD_ROW_CASES))
def test_a_bad_row_is_refused_with_its_count_and_an_example(tmp_path: Path, case: str) -> None:
    table, extra, kind = BAD_ROW_CASES[case]
    data = write_region(tmp_path / "data", **_merged(extra))
    problems = refused(data, tmp_path / "result.parquet").problems
    assert kind in problems.counts[table]
    assert problems.examples[table][kind]


@pytest.mark.parametrize("case", sorted(BAD_ROW_CASES))
def test_with_quarantine_the_bad_rows_are_set_aside_and_the_rest_scanned(
    tmp_path: Path, case: str
) -> None:
    table, extra, kind = BAD_ROW_CASES[case]
    data = write_region(tmp_path / "data", **_merged(extra))
    aside = tmp_path / "aside"
    out = tmp_path / "result.parquet"
    report = scan(data, as_of=AS_OF, out=out, today=TODAY, quarantine=aside, all_patients=True)
    set_aside = pq.read_table(aside / f"{table}.parquet").to_pylist()
    assert set_aside and {row["problem"] for row in set_aside} >= {kind}
    assert report.quarantined.counts[table][kind] >= 1
    # The good patients are scanned exactly as without the bad rows.
    clean = tmp_path / "clean.parquet"
    scan(region(tmp_path / "good"), as_of=AS_OF, out=clean, today=TODAY, all_patients=True)
    good = {r["patient_id"]: r for r in pq.read_table(clean).to_pylist()}
    scanned = {r["patient_id"]: r for r in pq.read_table(out).to_pylist()}
    for pid, row in good.items():
        if pid in scanned:
            assert scanned[pid] == row


def test_a_duplicate_patient_is_set_aside_with_every_row_of_theirs(tmp_path: Path) -> None:
    data = write_region(
        tmp_path / "data",
        patients=[*GOOD_PATIENTS, {"patient_id": 3, "sex": "male"}],
        contacts=GOOD_CONTACTS,
    )
    aside = tmp_path / "aside"
    report = scan(data, as_of=AS_OF, out=tmp_path / "r.parquet", today=TODAY, quarantine=aside)
    assert report.quarantined.counts["patients"] == {"duplicate_patient_id": 2}
    assert report.quarantined.counts["contacts"] == {"patient_set_aside": 4}
    assert report.patients_scanned == 2


def test_two_identical_contacts_are_two_contacts(tmp_path: Path) -> None:
    twice = {"patient_id": 1, "contact_date": AS_OF, "kind": "phone"}
    data = region(tmp_path, contacts=[*GOOD_CONTACTS, twice, twice])
    out = tmp_path / "r.parquet"
    scan(data, as_of=AS_OF, out=out, today=TODAY, all_patients=True)
    rows = {r["patient_id"]: r for r in pq.read_table(out).to_pylist()}
    assert rows[1]["pattern_break_count"] == rows[2]["pattern_break_count"] + 2


def test_a_missing_table_is_refused(tmp_path: Path) -> None:
    data = region(tmp_path)
    (data / "symptoms.parquet").unlink()
    with pytest.raises(ShapeError, match=r"symptoms.parquet: missing"):
        scan(data, as_of=AS_OF, out=tmp_path / "r.parquet", today=TODAY)


def test_a_missing_column_is_refused(tmp_path: Path) -> None:
    data = region(tmp_path)
    table = pq.read_table(data / "contacts.parquet").drop_columns(["kind"])
    pq.write_table(table, data / "contacts.parquet")
    with pytest.raises(ShapeError, match=r"contacts.parquet: no column 'kind'"):
        scan(data, as_of=AS_OF, out=tmp_path / "r.parquet", today=TODAY)


def test_a_column_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    data = region(tmp_path)
    table = pq.read_table(data / "contacts.parquet")
    index = table.schema.get_field_index("contact_date")
    as_text = table.column("contact_date").cast(pa.string())
    pq.write_table(table.set_column(index, "contact_date", as_text), data / "contacts.parquet")
    with pytest.raises(ShapeError, match=r"column 'contact_date' is string, not date32"):
        scan(data, as_of=AS_OF, out=tmp_path / "r.parquet", today=TODAY)


def test_a_file_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    data = region(tmp_path)
    (data / "patients.parquet").write_text("patient_id,birth_date\n1,1960-01-01\n")
    with pytest.raises(ShapeError, match=r"patients.parquet: not a Parquet file"):
        scan(data, as_of=AS_OF, out=tmp_path / "r.parquet", today=TODAY)


def test_a_refused_scan_leaves_last_nights_result_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "result.parquet"
    out.write_bytes(b"last night")
    data = region(tmp_path, contacts=[{"patient_id": 99, "contact_date": AS_OF}])
    with pytest.raises(RowsRefused):
        scan(data, as_of=AS_OF, out=out, today=TODAY)
    assert out.read_bytes() == b"last night"


def test_the_command_exits_with_the_documented_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = region(tmp_path / "a")
    out = tmp_path / "r.parquet"
    argv = ["--as-of", AS_OF.isoformat(), "--out", str(out), "--no-progress"]
    assert main(["--data", str(good), *argv]) == OK
    assert "Scanned 3 patients of 1 practices" in capsys.readouterr().out
    out.unlink()

    bad = write_region(
        tmp_path / "b" / "data",
        patients=GOOD_PATIENTS,
        contacts=[*GOOD_CONTACTS, {"patient_id": 99, "contact_date": AS_OF}],
    )
    assert main(["--data", str(bad), *argv]) == BAD_ROWS
    err = capsys.readouterr().err
    assert "refused: 1 bad rows; nothing was written" in err
    assert "contacts: 1 rows: patient not in patients table" in err
    assert not out.exists()

    (good / "patients.parquet").unlink()
    assert main(["--data", str(good), *argv]) == SHAPE
    assert "patients.parquet: missing" in capsys.readouterr().err
    assert not out.exists()

    with pytest.raises(SystemExit) as usage:
        main(["--data", str(good), "--as-of", "30-06-2025", "--out", str(out)])
    assert usage.value.code == 2


def test_spark_refuses_the_same_bad_rows(tmp_path: Path, spark_options: BackendOptions) -> None:
    data = write_region(
        tmp_path / "data",
        **_merged(BAD_ROW_CASES["contact before birth"][1]),
    )
    with time_limit(300), pytest.raises(RowsRefused) as caught:
        scan(
            data,
            as_of=AS_OF,
            out=tmp_path / "r.parquet",
            today=TODAY,
            backend="spark",
            options=spark_options,
        )
    assert caught.value.problems.counts == {"contacts": {"before_the_patients_birth": 1}}
