"""Region-wide figures from the Parquet files: known answers on a hand-made region, the
partition of every split and of the practices, and a synthetic region near its parameters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opspor.population.scan.run import scan
from opspor.quality.aggregate import AGE_BANDS, age_band
from opspor.quality.cells import Cell, Quartiles
from opspor.quality.figures import periods
from opspor.quality.region import INDICATORS, RegionDataError, age_band_codes, region_cells
from opspor.synth import FILE_SCHEMAS, generate_region, load_params

AS_OF = date(2025, 6, 30)
LAST_YEAR = (date(2024, 7, 1), AS_OF)
POOLED = (date(2022, 7, 2), AS_OF)


def _write(directory: Path, name: str, rows: list[dict[str, Any]]) -> None:
    schema = FILE_SCHEMAS[name]
    columns = {f.name: [r.get(f.name) for r in rows] for f in schema}
    pq.write_table(pa.table(columns, schema=schema), directory / f"{name}.parquet")


def _patient(pid: int, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "patient_id": pid,
        "birth_date": date(1950, 1, 1),
        "sex": "female",
        "practice_id": 1,
        "own_gp_id": 1,
        "registered_from": date(2000, 1, 1),
        "lives_alone": False,
        "language": "da",
        "interpreter_needed": False,
        "smoking": "never",
        "occupational_exposures": [],
        "family_history_sites": [],
        "frequent_attender": False,
    }
    row.update(kw)
    return row


def _hand_made(directory: Path) -> Path:
    """Four patients, two practices (the network kind has none), three cancers in the
    pooled years (two of them in the last year) and one before."""
    directory.mkdir(parents=True, exist_ok=True)
    _write(
        directory,
        "practices",
        [
            {"practice_id": 1, "name": "A", "kind": "solo", "n_gps": 1},
            {"practice_id": 2, "name": "B", "kind": "partnership", "n_gps": 2},
        ],
    )
    _write(
        directory,
        "patients",
        [
            _patient(1, birth_date=date(1950, 7, 1)),
            _patient(
                2,
                birth_date=date(1960, 1, 15),
                sex="male",
                practice_id=2,
                lives_alone=True,
                language="tr",
            ),
            _patient(3, birth_date=date(1990, 5, 5), sex="male"),
            _patient(4, birth_date=date(1970, 3, 3), practice_id=2),
        ],
    )
    _write(
        directory,
        "conditions",
        [
            # Patient 2: a depression and diabetes (two chronic), a substance code not chronic.
            {
                "patient_id": 2,
                "code": "F32",
                "system": "icd10",
                "chronic": True,
                "onset": date(2020, 1, 1),
            },
            {
                "patient_id": 2,
                "code": "E11",
                "system": "icd10",
                "chronic": True,
                "onset": date(2019, 1, 1),
            },
            # Patient 3: ICPC-2 depression without an onset (known), alcohol after diagnosis.
            {"patient_id": 3, "code": "P76", "system": "icpc2", "chronic": True, "onset": None},
            {
                "patient_id": 3,
                "code": "F10.2",
                "system": "icd10",
                "chronic": True,
                "onset": date(2024, 1, 1),
            },
            # Patient 1: tobacco is not substance abuse.
            {
                "patient_id": 1,
                "code": "F17",
                "system": "icd10",
                "chronic": False,
                "onset": date(2010, 1, 1),
            },
        ],
    )
    _write(
        directory,
        "diagnoses",
        [
            {
                "patient_id": 1,
                "diagnosis_date": date(2025, 3, 1),
                "cancer_site": "breast",
                "first_symptom_date": date(2025, 1, 1),
                "first_presentation_date": date(2025, 1, 20),
                "referral_date": date(2025, 1, 22),
                "route": "cancer_pathway",
                "consultations_before_referral": 2,
            },
            {
                "patient_id": 2,
                "diagnosis_date": date(2024, 12, 1),
                "cancer_site": "lung",
                "first_symptom_date": date(2024, 10, 1),
                "first_presentation_date": date(2024, 11, 20),
                "referral_date": None,
                "route": "emergency",
                "consultations_before_referral": None,
            },
            {
                "patient_id": 3,
                "diagnosis_date": date(2023, 2, 1),
                "cancer_site": "colorectal",
                "first_symptom_date": date(2022, 12, 1),
                "first_presentation_date": date(2022, 12, 10),
                "referral_date": date(2023, 1, 5),
                "route": "dpf",
                "consultations_before_referral": 4,
            },
            {
                "patient_id": 4,
                "diagnosis_date": date(2020, 1, 1),
                "cancer_site": "breast",
                "first_symptom_date": date(2019, 12, 1),
                "first_presentation_date": date(2019, 12, 2),
                "referral_date": date(2019, 12, 3),
                "route": "other_referral",
                "consultations_before_referral": 1,
            },
        ],
    )
    return directory


def _scan_file(path: Path, rows: list[dict[str, Any]], **meta: Any) -> Path:
    info = {"as_of": AS_OF.isoformat(), "all_patients": True, **meta}
    t = pa.table(
        {
            "patient_id": pa.array([r["patient_id"] for r in rows], pa.int64()),
            "practice_id": pa.array([r["practice_id"] for r in rows], pa.int64()),
            "as_of": pa.array([AS_OF] * len(rows), pa.date32()),
            "pattern_break": pa.array([r.get("pattern_break", False) for r in rows]),
            "low_user_rise": pa.array([r.get("low_user_rise") for r in rows], pa.bool_()),
            "long_absence_days": pa.array([r.get("long_absence_days") for r in rows], pa.int64()),
            "repeat_symptom_code": pa.array(
                [r.get("repeat_symptom_code") for r in rows], pa.string()
            ),
            "vulnerability_flags": pa.array(
                [r.get("flags", []) for r in rows], pa.list_(pa.string())
            ),
        }
    )
    t = t.replace_schema_metadata({b"opspor.scan": json.dumps(info).encode()})
    pq.write_table(t, path)
    return path


def _index(cells: list[Cell]) -> dict[tuple[Any, ...], Cell]:
    return {
        (c.indicator, c.practice_id, c.split, c.group, c.period_start, c.period_end): c
        for c in cells
    }


def _get(
    cells: dict[tuple[Any, ...], Cell],
    indicator: str,
    split: str = "all",
    group: str = "all",
    period: tuple[date, date] = LAST_YEAR,
    practice: int | None = None,
) -> Cell:
    return cells[(indicator, practice, split, group, *period)]


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[Any, ...], Cell]:
    d = _hand_made(tmp_path_factory.mktemp("hand") / "region")
    s = _scan_file(
        d / "scan.parquet",
        [
            {"patient_id": 1, "practice_id": 1, "pattern_break": True},
            {
                "patient_id": 2,
                "practice_id": 2,
                "repeat_symptom_code": "cough",
                "flags": ["male_living_alone", "language_barrier"],
            },
            {"patient_id": 4, "practice_id": 2},
        ],
    )
    return _index(region_cells(d, as_of=AS_OF, scan_file=s))


def test_routes_and_their_denominator(hand: dict[tuple[Any, ...], Cell]) -> None:
    for route, expected in [
        ("cancer_pathway", 1),
        ("emergency", 1),
        ("dpf", 0),
        ("other_referral", 0),
    ]:
        c = _get(hand, f"route_{route}")
        assert (c.numerator, c.denominator) == (expected, 2)
    c = _get(hand, "route_dpf", period=POOLED)
    assert (c.numerator, c.denominator) == (1, 3)


def test_intervals_have_numpy_quartiles(hand: dict[tuple[Any, ...], Cell]) -> None:
    patient = _get(hand, "interval_patient")
    values = [19.0, 50.0]  # breast: 1 Jan -> 20 Jan; lung: 1 Oct -> 20 Nov
    p10, q1, median, q3, p90 = np.percentile(values, [10, 25, 50, 75, 90])
    assert patient.denominator == 2
    assert patient.quartiles == Quartiles(p10=p10, q1=q1, median=median, q3=q3, p90=p90)
    # Only the referred cancer has a primary and a secondary care interval.
    primary = _get(hand, "interval_primary_care")
    assert primary.denominator == 1 and primary.quartiles is not None
    assert primary.quartiles.median == 2.0
    assert _get(hand, "interval_secondary_care").quartiles.median == 38.0  # type: ignore[union-attr]
    diagnostic = _get(hand, "interval_diagnostic")
    assert diagnostic.denominator == 2
    assert diagnostic.quartiles.median == (40 + 11) / 2  # type: ignore[union-attr]
    total = _get(hand, "interval_total")
    assert total.quartiles.median == (59 + 61) / 2  # type: ignore[union-attr]


def test_consultations(hand: dict[tuple[Any, ...], Cell]) -> None:
    c = _get(hand, "consultations_3_or_more")
    assert (c.numerator, c.denominator) == (0, 1)
    c = _get(hand, "consultations_3_or_more", period=POOLED)
    assert (c.numerator, c.denominator) == (1, 2)
    d = _get(hand, "consultations_before_referral", period=POOLED)
    assert d.denominator == 2 and d.quartiles is not None and d.quartiles.median == 3.0


def test_empty_and_one_patient_groups(hand: dict[tuple[Any, ...], Cell]) -> None:
    empty = _get(hand, "route_emergency", "site", "colorectal")
    assert (empty.numerator, empty.denominator, empty.share) == (0, 0, None)
    assert _get(hand, "interval_patient", "site", "prostate").quartiles is None
    assert _get(hand, "route_emergency", "practice_kind", "network").denominator == 0
    one = _get(hand, "route_emergency", "site", "lung")
    assert (one.numerator, one.denominator) == (1, 1)
    q = _get(hand, "interval_patient", "sex", "female").quartiles
    assert q == Quartiles(19.0, 19.0, 19.0, 19.0, 19.0)
    assert _get(hand, "route_emergency", "age_band", "60-69").numerator == 1
    assert _get(hand, "route_cancer_pathway", "age_band", "70-79").numerator == 1
    assert _get(hand, "route_dpf", "age_band", "0-39", period=POOLED).numerator == 1


def test_vulnerability_by_the_engine_definitions(hand: dict[tuple[Any, ...], Cell]) -> None:
    for flag in (
        "male_living_alone",
        "language_barrier",
        "psychiatric_diagnosis",
        "multimorbidity",
        "vulnerable",
    ):
        yes = _get(hand, "route_emergency", flag, "yes")
        no = _get(hand, "route_emergency", flag, "no")
        assert (yes.numerator, yes.denominator, no.denominator) == (1, 1, 1), flag
    # Tobacco (F17) is not substance abuse, and an alcohol diagnosis after the cancer's
    # diagnosis date was not known then.
    assert _get(hand, "route_dpf", "substance_abuse", "yes", period=POOLED).denominator == 0
    # ICPC-2 P76 without an onset counts; the 33-year-old man is not "living alone".
    assert _get(hand, "route_dpf", "psychiatric_diagnosis", "yes", period=POOLED).numerator == 1
    assert _get(hand, "route_dpf", "male_living_alone", "no", period=POOLED).numerator == 1


def test_practice_cells(hand: dict[tuple[Any, ...], Cell]) -> None:
    a = _get(hand, "route_emergency", practice=1)
    b = _get(hand, "route_emergency", practice=2)
    assert (a.numerator, a.denominator, b.numerator, b.denominator) == (0, 1, 1, 1)
    assert _get(hand, "interval_diagnostic", practice=2).quartiles.median == 11.0  # type: ignore[union-attr]
    assert _get(hand, "consultations_3_or_more", practice=2).denominator == 0
    # Only the funnel plots' indicators are given per practice.
    assert not any(k[0] == "route_dpf" and k[1] is not None for k in hand)


@pytest.mark.parametrize("day", [LAST_YEAR, POOLED])
def test_signals(hand: dict[tuple[Any, ...], Cell], day: tuple[date, date]) -> None:
    brk = _get(hand, "signal_pattern_break", period=day)
    anyone = _get(hand, "signal_any", period=day)
    assert (brk.numerator, brk.denominator) == (1, 3)
    assert (anyone.numerator, anyone.denominator) == (2, 3)
    assert _get(hand, "signal_any", "male_living_alone", "yes", period=day).numerator == 1
    assert _get(hand, "signal_any", "practice_kind", "partnership", period=day).denominator == 2
    assert _get(hand, "signal_any", "age_band", "50-59", period=day).denominator == 1
    assert _get(hand, "signal_any", practice=2, period=day).numerator == 1
    assert not any(k[0] == "signal_any" and k[2] == "site" for k in hand)


def test_without_a_scan_no_signal_cells(tmp_path: Path) -> None:
    cells = region_cells(_hand_made(tmp_path / "r"), as_of=AS_OF)
    assert not any(c.indicator.startswith("signal_") for c in cells)
    assert {c.indicator for c in cells} == set(INDICATORS) - {"signal_pattern_break", "signal_any"}


def test_bad_input(tmp_path: Path) -> None:
    d = _hand_made(tmp_path / "r")
    with pytest.raises(RegionDataError, match="missing"):
        region_cells(tmp_path / "nowhere", as_of=AS_OF)
    flagged_only = _scan_file(tmp_path / "s1.parquet", [], all_patients=False)
    with pytest.raises(RegionDataError, match="--all-patients"):
        region_cells(d, as_of=AS_OF, scan_file=flagged_only)
    other_day = _scan_file(tmp_path / "s2.parquet", [], as_of="2025-01-01")
    with pytest.raises(RegionDataError, match="2025-01-01"):
        region_cells(d, as_of=AS_OF, scan_file=other_day)
    pq.write_table(pa.table({"patient_id": [1]}), tmp_path / "s3.parquet")
    with pytest.raises(RegionDataError, match="not the output"):
        region_cells(d, as_of=AS_OF, scan_file=tmp_path / "s3.parquet")
    stranger = _scan_file(tmp_path / "s4.parquet", [{"patient_id": 99, "practice_id": 1}])
    with pytest.raises(RegionDataError, match="lacks"):
        region_cells(d, as_of=AS_OF, scan_file=stranger)
    # A region generated before the routes existed.
    old = pq.read_table(d / "diagnoses.parquet").select(
        ["patient_id", "diagnosis_date", "cancer_site"]
    )
    pq.write_table(old, d / "diagnoses.parquet")
    with pytest.raises(RegionDataError, match="route"):
        region_cells(d, as_of=AS_OF)


def _assert_partitions(cells: list[Cell]) -> None:
    totals: dict[tuple[Any, ...], Cell] = {}
    groups: dict[tuple[Any, ...], list[Cell]] = defaultdict(list)
    practices: dict[tuple[Any, ...], list[Cell]] = defaultdict(list)
    for c in cells:
        key = (c.indicator, c.period_start, c.period_end)
        if c.practice_id is not None:
            practices[key].append(c)
        elif c.is_total:
            totals[key] = c
        else:
            groups[(*key, c.split)].append(c)
    for (indicator, start, end, split), members in groups.items():
        total = totals[(indicator, start, end)]
        assert sum(m.denominator for m in members) == total.denominator, (indicator, split)
        if total.numerator is not None:
            assert sum(m.numerator or 0 for m in members) == total.numerator
    for key, members in practices.items():
        assert sum(m.denominator for m in members) == totals[key].denominator, key
        if totals[key].numerator is not None:
            assert sum(m.numerator or 0 for m in members) == totals[key].numerator


def test_groups_and_practices_partition_the_total(hand: dict[tuple[Any, ...], Cell]) -> None:
    _assert_partitions(list(hand.values()))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> list[Cell]:
    d = tmp_path_factory.mktemp("synth") / "region"
    generate_region(d, 50_000, seed=4, as_of=AS_OF)
    return region_cells(d, as_of=AS_OF)


def test_synthetic_region_partitions(synthetic: list[Cell]) -> None:
    _assert_partitions(synthetic)
    splits = {c.split for c in synthetic}
    assert splits == {
        "all",
        "site",
        "sex",
        "age_band",
        "practice_kind",
        "male_living_alone",
        "language_barrier",
        "psychiatric_diagnosis",
        "substance_abuse",
        "multimorbidity",
        "vulnerable",
    }


def test_synthetic_region_near_its_parameters(synthetic: list[Cell]) -> None:
    pw = load_params().pathways
    cells = _index(synthetic)
    n = _get(cells, "route_emergency", period=POOLED).denominator
    assert n > 300
    for route in ("cancer_pathway", "dpf", "other_referral", "emergency"):
        c = _get(cells, f"route_{route}", period=POOLED)
        expected = getattr(pw.routes, route)
        assert c.share is not None
        assert abs(c.share - expected) < 4 * (expected * (1 - expected) / n) ** 0.5, route
    patient = _get(cells, "interval_patient", period=POOLED).quartiles
    secondary = _get(cells, "interval_secondary_care", period=POOLED).quartiles
    primary = _get(cells, "interval_primary_care", period=POOLED).quartiles
    assert patient is not None and secondary is not None and primary is not None
    assert abs(patient.median - pw.patient_interval.median_days) <= 7
    assert abs(secondary.median - pw.secondary_care_interval.median_days) <= 12
    assert primary.median <= 1


def test_with_a_real_scan_the_signals_partition(tmp_path: Path) -> None:
    d = tmp_path / "region"
    generate_region(d, 3000, seed=9, as_of=AS_OF, n_practices=4)
    out = tmp_path / "scan.parquet"
    scan(d, as_of=AS_OF, out=out, all_patients=True, today=AS_OF)
    cells = region_cells(d, as_of=AS_OF, scan_file=out)
    _assert_partitions(cells)
    listed = pq.read_table(out).num_rows
    total = _index(cells)[("signal_any", None, "all", "all", *LAST_YEAR)]
    assert total.denominator == listed
    practices = [c for c in cells if c.indicator == "signal_any" and c.practice_id is not None]
    assert len(practices) == 4 * 2


def test_the_periods_are_the_apps() -> None:
    assert tuple(p.span for p in periods(AS_OF)) == (LAST_YEAR, POOLED)


def test_imports_no_django() -> None:
    code = (
        "import sys, opspor.quality.region; "
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "assert not bad, bad"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_age_bands_are_the_apps() -> None:
    ages = np.arange(-1, 121)
    names = tuple(name for name, _, _ in AGE_BANDS)
    got = [names[k] for k in age_band_codes(ages)]
    assert got == [age_band(max(0, int(a))) for a in ages]


def test_a_period_without_cancers_gives_empty_cells(tmp_path: Path) -> None:
    cells = region_cells(_hand_made(tmp_path / "r"), as_of=date(2035, 1, 1))
    assert cells and all(c.denominator == 0 for c in cells)
    assert all(c.quartiles is None and c.share is None for c in cells)
    _assert_partitions(cells)


def test_an_interval_in_an_impossible_order_is_left_out(tmp_path: Path) -> None:
    d = _hand_made(tmp_path / "r")
    t = pq.read_table(d / "diagnoses.parquet").to_pylist()
    t[0]["referral_date"] = date(2025, 3, 5)  # after the diagnosis on 1 March
    _write(d, "diagnoses", t)
    cells = _index(region_cells(d, as_of=AS_OF))
    assert _get(cells, "interval_secondary_care").denominator == 0
    assert _get(cells, "interval_primary_care").denominator == 1
    assert _get(cells, "interval_patient").denominator == 2
