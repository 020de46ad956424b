"""The plain pandas reference of the population scan (`benchmarks/population_pandas.py`)
gives, patient by patient, what the engine's own signal functions give.

The reference is the third oracle the scan is held to (`test_population.py`), so it is held
to the engine first: on random small regions built around the windows' edges (hypothesis)
and on a synthetic region.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from population_pandas import (
    FLAG_ORDER,
    differences,
    population_signals,
    tables_from_arrow,
    with_signal,
)

from opspor.engine.context import ConditionEntry, PatientContext, PatientFacts
from opspor.engine.population import contacts_per_year
from opspor.engine.settings import DEFAULT_SETTINGS as S
from opspor.engine.signals.absence import long_absence
from opspor.engine.signals.continuity import continuity
from opspor.engine.signals.low_user import low_user_rise
from opspor.engine.signals.new_symptom import familiar_symptoms
from opspor.engine.signals.pattern_break import pattern_break
from opspor.engine.signals.repeat_symptom import repeat_symptom
from opspor.engine.signals.vulnerability import vulnerability_flags
from opspor.engine.signals.watchlist import age_on
from opspor.population.scan.shape import READS, RESULT_SCHEMA, input_schema
from opspor.synth import generate_region_tables

ROOT = Path(__file__).resolve().parents[2]
T = date(2025, 6, 30)


def _listed(p: dict[str, Any], as_of: date) -> bool:
    return (
        p["registered_from"] <= as_of
        and p["birth_date"] <= as_of
        and (p["registered_to"] is None or p["registered_to"] >= as_of)
        and (p["died_on"] is None or p["died_on"] > as_of)
    )


def engine_result(tables: dict[str, pa.Table], as_of: date) -> pa.Table:
    """Every listed patient's result row, from the engine's functions one patient at a time."""
    by_patient: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for name in ("contacts", "symptoms", "conditions", "medications"):
        rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in tables[name].to_pylist():
            rows[row["patient_id"]].append(row)
        by_patient[name] = rows
    out = []
    for p in sorted(tables["patients"].to_pylist(), key=lambda r: r["patient_id"]):
        if not _listed(p, as_of):
            continue
        pid = p["patient_id"]
        contacts = [c for c in by_patient["contacts"][pid] if c["contact_date"] <= as_of]
        days = [c["contact_date"] for c in contacts]
        age = age_on(p["birth_date"], as_of)
        pb = pattern_break(
            contact_dates=days,
            as_of=as_of,
            age=age,
            sex=p["sex"],
            registered_from=p["registered_from"],
            settings=S,
        )
        low = low_user_rise(pb, age=age, sex=p["sex"], settings=S)
        absence = long_absence(
            contact_dates=days, as_of=as_of, registered_from=p["registered_from"], settings=S
        )
        named = [
            (c["contact_date"], f"clinician-{c['clinician_id']}")
            for c in contacts
            if c["clinician_id"] is not None
        ]
        cont = continuity(contacts=named, as_of=as_of, current_clinician=None, settings=S)
        two_years = as_of - timedelta(days=S.continuity_days)
        conditions = [
            c for c in by_patient["conditions"][pid] if c["onset"] is None or c["onset"] <= as_of
        ]
        medicines = [
            m["atc"]
            for m in by_patient["medications"][pid]
            if m["start"] <= as_of and (m["stop"] is None or m["stop"] >= as_of)
        ]
        familiar = familiar_symptoms(
            chronic=[(c["system"], c["code"]) for c in conditions if c["chronic"]],
            medicines=medicines,
        )
        consultations: dict[str, list[date]] = defaultdict(list)
        for s in by_patient["symptoms"][pid]:
            consultations[s["code"]].append(s["recorded_date"])
        repeated = repeat_symptom(consultations=consultations, as_of=as_of, familiar=familiar)
        context = PatientContext(
            as_of=as_of,
            patient=PatientFacts(
                birth_date=p["birth_date"],
                sex=p["sex"],
                lives_alone=p["lives_alone"],
                interpreter_needed=p["interpreter_needed"],
                language=p["language"],
            ),
            conditions=tuple(
                ConditionEntry(code=c["code"], system=c["system"], chronic=c["chronic"])
                for c in conditions
            ),
        )
        top = next(iter(repeated.counts.items())) if repeated else (None, None)
        out.append(
            {
                "patient_id": pid,
                "practice_id": p["practice_id"],
                "as_of": as_of,
                "pattern_break": pb.signal,
                "pattern_break_count": pb.recent_count,
                "pattern_break_expected": pb.expected,
                "pattern_break_p": pb.p_value,
                "pattern_break_baseline": pb.baseline_count,
                "pattern_break_baseline_days": pb.baseline_days,
                "low_user_rise": low is not None,
                "low_user_baseline_per_year": low.baseline_per_year if low else None,
                "population_per_year": contacts_per_year(age, p["sex"]),
                "long_absence_days": absence.gap_days if absence else None,
                "long_absence_returned_on": absence.returned_on if absence else None,
                "n_contacts_2y": sum(1 for d, _ in named if two_years < d <= as_of),
                "upc": cont.upc if cont else None,
                "coc": cont.coc if cont else None,
                "secon": cont.secon if cont else None,
                "repeat_symptom_code": top[0],
                "repeat_symptom_consultations": top[1],
                "repeat_symptoms": (
                    [{"code": c, "consultations": k} for c, k in repeated.counts.items()]
                    if repeated
                    else None
                ),
                "last_contact_date": max(days) if days else None,
                "vulnerability_flags": vulnerability_flags(
                    context, long_absence=absence is not None, settings=S
                ),
            }
        )
    return pa.Table.from_pylist(out, schema=RESULT_SCHEMA)


# --- random small regions around the windows' edges -----------------------------------------

# Days before the as-of date where a window starts or ends, and a day after it.
EDGES = [-1, 0, 1, 89, 90, 91, 363, 364, 365, 366, 729, 730, 731, 1094, 1095, 1096, 1185]
SYMPTOMS = ["cough", "fatigue", "back_pain", "diarrhoea", "weight_loss"]
CONDITIONS = [
    ("icd10", "J44.1"),
    ("icd10", "F32"),
    ("icd10", "F17.1"),
    ("icd10", "F10.2"),
    ("icd10", "f41"),
    ("icd10", "M54"),
    ("icpc2", "P76"),
    ("icpc2", "P15"),
    ("icpc2", "R95"),
    ("icd10", "E11"),
]
MEDICINES = ["A10BA02", "N02AA01", "C07AB02", "M01AE01", "B01AC06", "C09AA05"]


def _day(offset: int) -> date:
    return T - timedelta(days=offset)


day_before = st.one_of(st.sampled_from(EDGES), st.integers(-30, 2600)).map(_day)
maybe_day = st.one_of(st.none(), day_before)


@st.composite
def regions(draw: st.DrawFn) -> dict[str, pa.Table]:
    n = draw(st.integers(1, 25))
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in READS}
    for pid in range(1, n + 1):
        born = draw(
            st.one_of(
                st.sampled_from([_day(40 * 365 + 9), _day(40 * 365 + 10)]),
                st.integers(0, 95 * 365).map(_day),
            )
        )
        rows["patients"].append(
            {
                "patient_id": pid,
                "birth_date": born,
                "sex": draw(st.sampled_from(["female", "male"])),
                "practice_id": draw(st.integers(1, 3)),
                "registered_from": draw(day_before),
                "registered_to": draw(maybe_day),
                "lives_alone": draw(st.booleans()),
                "language": draw(st.sampled_from(["da", "en", "prs"])),
                "interpreter_needed": draw(st.booleans()),
                "died_on": draw(
                    st.one_of(st.none(), st.sampled_from([_day(1), _day(0), _day(-1)]))
                ),
            }
        )
        for _ in range(draw(st.integers(0, 25))):
            rows["contacts"].append(
                {
                    "patient_id": pid,
                    "clinician_id": draw(st.sampled_from([None, 1, 2, 9, 10, 12])),
                    "practice_id": 1,
                    "contact_date": draw(day_before),
                    "kind": "consultation",
                }
            )
        for _ in range(draw(st.integers(0, 8))):
            rows["symptoms"].append(
                {
                    "patient_id": pid,
                    "code": draw(st.sampled_from(SYMPTOMS)),
                    "recorded_date": _day(
                        draw(
                            st.one_of(
                                st.sampled_from([-1, 0, 1, 363, 364, 365]), st.integers(0, 400)
                            )
                        )
                    ),
                }
            )
        for _ in range(draw(st.integers(0, 4))):
            system, code = draw(st.sampled_from(CONDITIONS))
            rows["conditions"].append(
                {
                    "patient_id": pid,
                    "code": code,
                    "system": system,
                    "chronic": draw(st.booleans()),
                    "onset": draw(
                        st.one_of(st.none(), st.sampled_from([_day(-1), _day(0)]), day_before)
                    ),
                }
            )
        for _ in range(draw(st.integers(0, 3))):
            rows["medications"].append(
                {
                    "patient_id": pid,
                    "atc": draw(st.sampled_from(MEDICINES)),
                    "start": draw(st.one_of(st.sampled_from([_day(-1), _day(0)]), day_before)),
                    "stop": draw(
                        st.one_of(st.none(), st.sampled_from([_day(1), _day(0), _day(-1)]))
                    ),
                }
            )
    return {name: pa.Table.from_pylist(rows[name], schema=input_schema(name)) for name in READS}


# No shrinking: each example runs the whole pandas pipeline, so shrinking a region of 25
# patients takes minutes, and the message already names the patient and the column.
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(region=regions(), as_of=st.sampled_from([T, date(2024, 2, 29)]))
def test_reference_agrees_with_the_engine_around_the_windows_edges(
    region: dict[str, pa.Table], as_of: date
) -> None:
    expected = engine_result(region, as_of)
    found = population_signals(tables_from_arrow(region), as_of)
    assert differences(found, expected, rel=0.0) == []


def _one_region(
    patients: list[dict[str, Any]], **rows: list[dict[str, Any]]
) -> dict[str, pa.Table]:
    base = {
        "birth_date": date(1960, 1, 1),
        "sex": "female",
        "practice_id": 1,
        "registered_from": date(2010, 1, 1),
        "registered_to": None,
        "lives_alone": False,
        "language": "da",
        "interpreter_needed": False,
        "died_on": None,
    }
    tables = {"patients": [base | p for p in patients]}
    for name in ("contacts", "symptoms", "conditions", "medications"):
        tables[name] = rows.get(name, [])
    return {name: pa.Table.from_pylist(tables[name], schema=input_schema(name)) for name in READS}


def test_a_medicine_stopped_on_the_day_still_explains_a_symptom() -> None:
    # Metformin accounts for diarrhoea while it is current: stopped on the as-of day it still
    # is, stopped the day before or started the day after it is not.
    stops = {1: (date(2020, 1, 1), T), 2: (date(2020, 1, 1), _day(1)), 3: (_day(-1), None)}
    region = _one_region(
        [{"patient_id": pid} for pid in stops],
        symptoms=[
            {"patient_id": pid, "code": "diarrhoea", "recorded_date": _day(days)}
            for pid in stops
            for days in (0, 10, 20)
        ],
        medications=[
            {"patient_id": pid, "atc": "A10BA02", "start": start, "stop": stop}
            for pid, (start, stop) in stops.items()
        ],
    )
    found = population_signals(tables_from_arrow(region), T)
    assert found["repeat_symptom_code"].to_pylist() == [None, "diarrhoea", "diarrhoea"]
    assert found["repeat_symptom_consultations"].to_pylist() == [None, 3, 3]
    assert differences(found, engine_result(region, T), rel=0.0) == []


@pytest.fixture(scope="module")
def synthetic_region() -> dict[str, pa.Table]:
    tables = generate_region_tables(3_000, seed=7, as_of=T)
    return {name: tables[name] for name in READS}


@pytest.mark.parametrize("as_of", [T, date(2023, 12, 31)])
def test_reference_agrees_with_the_engine_on_a_synthetic_region(
    synthetic_region: dict[str, pa.Table], as_of: date
) -> None:
    found = population_signals(tables_from_arrow(synthetic_region), as_of)
    expected = engine_result(synthetic_region, as_of)
    assert differences(found, expected, rel=0.0) == []
    # Every signal occurs, so that the agreement says something about each.
    assert pc.sum(found["pattern_break"]).as_py() > 0
    assert pc.sum(found["low_user_rise"]).as_py() > 0
    for column in ("long_absence_days", "repeat_symptom_code", "upc"):
        assert found[column].null_count < found.num_rows, column
    flags = {f for row in found["vulnerability_flags"].to_pylist() for f in row}
    assert flags == set(FLAG_ORDER)


def test_only_rows_with_a_signal_are_kept(synthetic_region: dict[str, pa.Table]) -> None:
    every = population_signals(tables_from_arrow(synthetic_region), T).to_pylist()
    kept = with_signal(pa.Table.from_pylist(every, schema=RESULT_SCHEMA)).to_pylist()
    assert kept == [
        row
        for row in every
        if row["pattern_break"]
        or row["low_user_rise"]
        or row["long_absence_days"] is not None
        or row["repeat_symptom_code"] is not None
    ]
    assert 0 < len(kept) < len(every)


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "population_pandas.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


def test_the_command_writes_the_result_of_a_sample(tmp_path: Path) -> None:
    tables = generate_region_tables(400, seed=3, as_of=T)
    data = tmp_path / "region"
    data.mkdir()
    for name in READS:
        pq.write_table(tables[name], data / f"{name}.parquet")
    out = tmp_path / "result.parquet"
    done = _run("--data", data, "--as-of", "2025-06-30", "--sample", "200", "--out", out)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    result = pq.read_table(out)
    assert result.schema == RESULT_SCHEMA
    assert figures["rows"] == figures["patients"] == result.num_rows
    assert 0 < result.num_rows <= 200
    assert pc.max(result["patient_id"]).as_py() <= 200
    assert figures["seconds"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "{tmp}/nowhere"], "no patients.parquet in"),
        (["--data", "{tmp}", "--as-of", "2025-02-30"], "--as-of"),
        (["--data", "{tmp}", "--sample", "many"], "--sample"),
        (["--data", "{tmp}", "--sample", "0"], "must be at least 1"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "patients.parquet").write_bytes(b"")
    out = tmp_path / "result.parquet"
    done = _run(*(a.format(tmp=tmp_path) for a in args), "--out", out)
    assert done.returncode == 2
    assert message in done.stderr
    assert not out.exists()
