"""The synthetic region: reproducibility, file schemas, invariants, names and CPR numbers."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.synth import (
    FILE_SCHEMAS,
    TABLE_NAMES,
    generate_region,
    generate_region_tables,
    load_params,
    synthetic_cpr,
)
from opspor.synth.cpr import century_digits
from opspor.synth.names import FIRST_NAMES, full_name

AS_OF = date(2025, 3, 31)


def _digests(directory: Path) -> dict[str, str]:
    return {
        f.name: hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(directory.glob("*.parquet"))
    }


@pytest.fixture(scope="module")
def region_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "region"
    generate_region(out, n_patients=20_000, seed=7, as_of=AS_OF)
    return out


def test_same_seed_gives_byte_identical_files(region_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_region(again, n_patients=20_000, seed=7, as_of=AS_OF)
    assert _digests(again) == _digests(region_dir)
    assert len(_digests(region_dir)) == len(TABLE_NAMES)


def test_different_seed_gives_different_files(region_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate_region(other, n_patients=20_000, seed=8, as_of=AS_OF)
    a, b = _digests(region_dir), _digests(other)
    assert a["contacts.parquet"] != b["contacts.parquet"]
    assert a["patients.parquet"] != b["patients.parquet"]


def test_in_memory_tables_equal_the_files(region_dir: Path) -> None:
    tables = generate_region_tables(20_000, seed=7, as_of=AS_OF)
    for name in TABLE_NAMES:
        from_file = pq.read_table(region_dir / f"{name}.parquet")
        assert from_file.num_rows == tables[name].num_rows, name
        assert from_file.column(0).equals(tables[name].column(0)), name


def _same_type(actual: pa.DataType, expected: pa.DataType) -> bool:
    # Parquet names a list's item field "element"; only the item type matters.
    if pa.types.is_list(expected):
        return pa.types.is_list(actual) and actual.value_type == expected.value_type
    return bool(actual == expected)


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_file_has_its_schema(region_dir: Path, name: str) -> None:
    schema = pq.read_schema(region_dir / f"{name}.parquet")
    expected = FILE_SCHEMAS[name]
    assert schema.names == expected.names
    for field in expected:
        assert _same_type(schema.field(field.name).type, field.type), field.name


def test_files_hold_no_names_or_cpr_numbers(region_dir: Path) -> None:
    patients = pq.read_schema(region_dir / "patients.parquet")
    assert "name" not in patients.names
    assert not any("cpr" in n for n in patients.names)


def test_contacts_are_sorted_by_patient_and_date(region_dir: Path) -> None:
    t = pq.read_table(region_dir / "contacts.parquet", columns=["patient_id", "contact_date"])
    pid = t["patient_id"].to_numpy()
    day = t["contact_date"].cast(pa.int32()).to_numpy()
    key = pid.astype(np.int64) * 100_000 + day
    assert np.all(np.diff(key) >= 0)


def test_practices_have_valid_kinds_and_units(region_dir: Path) -> None:
    t = pq.read_table(region_dir / "practices.parquet").to_pylist()
    for row in t:
        assert row["kind"] in {"solo", "partnership", "network"}
        assert (row["kind"] == "solo") == (row["n_gps"] == 1)
        assert row["diagnostic_unit"] in {
            "amager_hvidovre",
            "bispebjerg_frederiksberg",
            "herlev_gentofte",
            "nordsjaelland",
        }
        # No Danish number starts with 0: a demo number can never ring a real line.
        assert row["phone"].startswith("+45 0")
        assert row["direct_phone"].startswith("+45 0")
        assert row["direct_phone"] != row["phone"]


def test_practices_see_patients_on_weekdays_only(region_dir: Path) -> None:
    t = pq.read_table(region_dir / "contacts.parquet", columns=["contact_date"])
    weekday = (t["contact_date"].cast(pa.int32()).to_numpy() + 3) % 7  # 1970-01-01: Thursday
    # Only a contact squeezed against the first or last day of a registration may stay put.
    assert np.count_nonzero(weekday >= 5) / len(weekday) < 0.0005
    assert np.bincount(weekday, minlength=7)[:5].min() > 0.18 * len(weekday)


def test_symptoms_are_recorded_on_a_contact_day(region_dir: Path) -> None:
    contacts = pq.read_table(
        region_dir / "contacts.parquet", columns=["patient_id", "contact_date"]
    )
    symptoms = pq.read_table(
        region_dir / "symptoms.parquet", columns=["patient_id", "recorded_date"]
    )
    seen = set(
        zip(
            contacts["patient_id"].to_pylist(),
            contacts["contact_date"].to_pylist(),
            strict=True,
        )
    )
    recorded = zip(
        symptoms["patient_id"].to_pylist(), symptoms["recorded_date"].to_pylist(), strict=True
    )
    assert all(key in seen for key in recorded)


def test_own_gp_is_a_gp_of_the_patients_practice(region_dir: Path) -> None:
    clinicians = pq.read_table(region_dir / "clinicians.parquet")
    practice_of = dict(
        zip(
            clinicians["clinician_id"].to_pylist(),
            zip(
                clinicians["practice_id"].to_pylist(),
                clinicians["role"].to_pylist(),
                strict=True,
            ),
            strict=True,
        )
    )
    patients = pq.read_table(region_dir / "patients.parquet", columns=["practice_id", "own_gp_id"])
    for practice, gp in zip(
        patients["practice_id"].to_pylist(), patients["own_gp_id"].to_pylist(), strict=True
    ):
        assert practice_of[gp] == (practice, "gp")


def _check_invariants(t: dict[str, pa.Table], as_of: date) -> None:
    p = t["patients"]
    n = p.num_rows
    birth = p["birth_date"].cast(pa.int32()).to_numpy()
    reg_from = p["registered_from"].cast(pa.int32()).to_numpy()
    reg_to = p["registered_to"].cast(pa.int32()).fill_null(2**31 - 1).to_numpy()
    died = p["died_on"].cast(pa.int32()).fill_null(2**31 - 1).to_numpy()
    practice = p["practice_id"].to_numpy()
    as_of_day = (as_of - date(1970, 1, 1)).days
    assert p["patient_id"].to_pylist() == list(range(1, n + 1))
    assert np.all(birth <= reg_from)
    assert np.all(reg_from <= np.minimum(reg_to, as_of_day))
    assert np.all(died >= reg_from)
    # Registration ends at death.
    dead = died < 2**31 - 1
    assert np.all(reg_to[dead] == died[dead])

    clin = t["clinicians"]
    clin_practice = np.zeros(int(pc.max(clin["clinician_id"]).as_py()) + 1, dtype=np.int64)
    clin_practice[clin["clinician_id"].to_numpy()] = clin["practice_id"].to_numpy()

    c = t["contacts"]
    idx = c["patient_id"].to_numpy() - 1
    day = c["contact_date"].cast(pa.int32()).to_numpy()
    assert np.all(day <= as_of_day)
    assert np.all(day >= reg_from[idx])
    assert np.all(day <= reg_to[idx])
    assert np.all(day < died[idx])
    assert np.all(c["practice_id"].to_numpy() == practice[idx])
    assert np.all(clin_practice[c["clinician_id"].to_numpy()] == c["practice_id"].to_numpy())

    for name, column in (("symptoms", "recorded_date"), ("labs", "taken_date")):
        e = t[name]
        i = e["patient_id"].to_numpy() - 1
        d = e[column].cast(pa.int32()).to_numpy()
        assert np.all((d >= reg_from[i]) & (d <= reg_to[i]) & (d < died[i]) & (d <= as_of_day))
    s = t["symptoms"]
    assert np.all(
        s["onset"].cast(pa.int32()).to_numpy() <= s["recorded_date"].cast(pa.int32()).to_numpy()
    )
    d = t["diagnoses"]
    i = d["patient_id"].to_numpy() - 1
    dd = d["diagnosis_date"].cast(pa.int32()).to_numpy()
    assert np.all((dd >= reg_from[i]) & (dd < died[i]) & (dd <= as_of_day))
    assert len(set(d["patient_id"].to_pylist())) == d.num_rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**40),
    n=st.integers(min_value=1, max_value=400),
    k=st.integers(min_value=1, max_value=6),
    days_back=st.integers(min_value=0, max_value=20_000),
)
def test_events_lie_inside_each_patients_registration(
    seed: int, n: int, k: int, days_back: int
) -> None:
    as_of = date(2025, 6, 30) - timedelta(days=days_back)
    tables = generate_region_tables(n, seed=seed, as_of=as_of, n_practices=min(k, n))
    _check_invariants(tables, as_of)


def test_invariants_hold_for_a_larger_region() -> None:
    tables = generate_region_tables(70_000, seed=11, as_of=AS_OF)  # two chunks
    _check_invariants(tables, AS_OF)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="n_patients"):
        generate_region_tables(0, seed=1, as_of=AS_OF)
    with pytest.raises(ValueError, match="n_practices"):
        generate_region_tables(5, seed=1, as_of=AS_OF, n_practices=6)
    with pytest.raises(ValueError, match="seed"):
        generate_region_tables(5, seed=-1, as_of=AS_OF)


def test_every_emitted_code_is_in_the_vocabulary(region_dir: Path) -> None:
    vocab_module = pytest.importorskip("opspor.engine.vocab")
    vocab = vocab_module.load_vocabulary()
    symptoms = set(pq.read_table(region_dir / "symptoms.parquet")["code"].unique().to_pylist())
    labs = pq.read_table(region_dir / "labs.parquet", columns=["code", "unit"])
    exposures = {
        x
        for row in pq.read_table(region_dir / "patients.parquet")[
            "occupational_exposures"
        ].to_pylist()
        for x in row
    }
    params = load_params()
    assert symptoms <= set(vocab.symptoms)
    assert params.symptom_codes() <= set(vocab.symptoms)
    assert set(labs["code"].unique().to_pylist()) <= set(vocab.labs)
    assert params.lab_codes() <= set(vocab.labs)
    assert exposures <= set(vocab.exposures)
    assert params.exposure_codes() <= set(vocab.exposures)
    pairs = set(zip(labs["code"].to_pylist()[:5000], labs["unit"].to_pylist()[:5000], strict=True))
    for code, unit in pairs:
        assert vocab.labs[code].unit == unit


def test_lab_reference_limits_match_the_vocabulary(region_dir: Path) -> None:
    vocab_module = pytest.importorskip("opspor.engine.vocab")
    vocab = vocab_module.load_vocabulary()
    labs = pq.read_table(region_dir / "labs.parquet").slice(0, 2000).to_pylist()
    patients = pq.read_table(region_dir / "patients.parquet", columns=["birth_date", "sex"])
    births = patients["birth_date"].to_pylist()
    sexes = patients["sex"].to_pylist()
    pid_table = pq.read_table(region_dir / "labs.parquet", columns=["patient_id"]).slice(0, 2000)
    for row, pid in zip(labs, pid_table["patient_id"].to_pylist(), strict=True):
        age = int((row["taken_date"] - births[pid - 1]).days / 365.25)
        low, high = vocab.labs[row["code"]].reference_interval(sex=sexes[pid - 1], age=age)
        assert (row["ref_low"], row["ref_high"]) == (low, high)


# --- names and CPR numbers -----------------------------------------------------------------


def test_full_names_use_the_lists() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        name = full_name(rng, "female", "danish")
        assert name.split()[0] in FIRST_NAMES["danish"]["female"]


@settings(max_examples=300, deadline=None)
@given(
    birth=st.dates(min_value=date(1858, 1, 1), max_value=date(2057, 12, 31)),
    sex=st.sampled_from(["female", "male"]),
    serial=st.integers(min_value=0, max_value=399),
)
def test_synthetic_cpr_is_format_valid(birth: date, sex: str, serial: int) -> None:
    from opspor.records import cpr as records_cpr

    number = synthetic_cpr(birth, sex, serial)
    assert len(number) == 11 and number[6] == "-"
    digits = records_cpr.normalise(number)
    assert records_cpr.birth_date(digits) == birth
    assert records_cpr.sex(digits) == sex
    assert int(digits[6]) in century_digits(birth.year)
    assert (int(digits[-1]) % 2 == 1) == (sex == "male")


def test_synthetic_cpr_serials_are_distinct() -> None:
    # 1960 allows the 7th digits 0-4 and 9: six blocks of 100, four numbers each.
    numbers = {synthetic_cpr(date(1960, 5, 17), "male", s) for s in range(2400)}
    assert len(numbers) == 2400
    with pytest.raises(ValueError, match="exceeds"):
        synthetic_cpr(date(1960, 5, 17), "male", 2400)
