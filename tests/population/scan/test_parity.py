"""The scan gives the single-patient engine's answers for every listed patient, on DuckDB
and on Spark: random synthetic regions, and a region of edge cases written by hand."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.population.scan.backends import BackendOptions
from opspor.population.scan.run import scan
from opspor.population.scan.worklist import worklist_signals
from opspor.synth.generator import generate_region

from .conftest import AS_OF, time_limit, write_region
from .engine_reference import engine_rows, mismatches

# Spark in local mode starts a JVM; one synthetic region took 110 s on a busy 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

DUCKDB = BackendOptions()


def scanned(data: Path, as_of: date, options: BackendOptions, out: Path) -> dict[int, Any]:
    with time_limit(300):
        scan(
            data, as_of=as_of, out=out, backend=options.backend, options=options, all_patients=True
        )
    return {row["patient_id"]: row for row in pq.read_table(out).to_pylist()}


regions = st.fixed_dictionaries(
    {
        "patients": st.integers(2_000, 2_600),
        "seed": st.integers(0, 2**16),
        "practices": st.integers(1, 5),
        # The scan's day: the generator's own as-of day, or a day years before it, when
        # later contacts exist and must be left out.
        "back": st.sampled_from([0, 1, 400, 1_500]),
    }
)


def _check_region(tmp: Path, region: dict[str, int], options: BackendOptions) -> None:
    data = tmp / f"region-{region['seed']}-{region['patients']}"
    generate_region(data, region["patients"], region["seed"], AS_OF, region["practices"])
    as_of = AS_OF - timedelta(days=region["back"])
    result = scanned(data, as_of, options, tmp / "result.parquet")
    engine = engine_rows(data, as_of)
    assert len(engine) > 1_500
    assert mismatches(result, engine) == []
    # Without --all-patients: exactly the rows of the patients with a worklist signal.
    out = tmp / "signals.parquet"
    with time_limit(300):
        scan(data, as_of=as_of, out=out, backend=options.backend, options=options)
    with_signal = {row["patient_id"]: row for row in pq.read_table(out).to_pylist()}
    assert with_signal == {pid: row for pid, row in result.items() if worklist_signals(row)}


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(region=regions)
def test_duckdb_gives_the_engines_answers_on_synthetic_regions(
    tmp_path: Path, region: dict[str, int]
) -> None:
    _check_region(tmp_path, region, DUCKDB)


@settings(
    max_examples=1, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(region=regions)
def test_spark_gives_the_engines_answers_on_synthetic_regions(
    tmp_path: Path, region: dict[str, int], spark_options: BackendOptions
) -> None:
    _check_region(tmp_path, region, spark_options)


T = AS_OF


def day(n: int) -> date:
    """The day ``n`` days before the as-of day."""
    return T - timedelta(days=n)


def _contacts(pid: int, *days_back: int, clinician: int | None = 1, **extra: Any) -> list[dict]:
    return [
        {"patient_id": pid, "contact_date": day(n), "clinician_id": clinician} | extra
        for n in days_back
    ]


EDGE_PATIENTS = [
    {"patient_id": 1},  # no contacts at all
    {"patient_id": 2},  # one contact, today, after years on the list: a long absence
    {"patient_id": 3, "registered_from": day(200)},  # registered inside the baseline window
    {"patient_id": 4},  # contacts exactly on every window's bounds
    # Moved from practice 2 to practice 1 a year ago: the old practice's contacts are his
    # too, but the baseline counts only the days he has been listed here.
    {"patient_id": 5, "registered_from": day(365), "sex": "male"},
    {"patient_id": 6, "died_on": T},  # died on the day: not listed
    {"patient_id": 7, "died_on": T + timedelta(days=1)},  # dies tomorrow: listed today
    {"patient_id": 8, "registered_to": T},  # listed to the end of today
    {"patient_id": 9, "registered_to": day(1)},  # left yesterday: not listed
    {"patient_id": 10, "registered_from": T + timedelta(days=1)},  # listed from tomorrow
    # A pattern break in a previously low user, a man living alone, interpreter needed.
    {
        "patient_id": 11,
        "sex": "male",
        "lives_alone": True,
        "birth_date": date(1950, 7, 1),
        "interpreter_needed": True,
        "language": "ar",
    },
    {"patient_id": 12},  # repeated symptoms, one explained by a chronic condition
    {"patient_id": 13, "birth_date": T},  # born today
    # Two clinicians on one day whose ids order differently as numbers and as text.
    {"patient_id": 14, "practice_id": 2},
    {"patient_id": 15, "birth_date": date(1960, 6, 30)},  # birthday on the as-of day
    {"patient_id": 16, "birth_date": date(1960, 7, 1)},  # birthday tomorrow
]
EDGE_CONTACTS = [
    *_contacts(2, 0),
    *_contacts(3, 150, 120, 100, 60, 30, 5, 1, 0),
    *_contacts(4, -1, 0, 90, 91, 729, 730, 1095, 1096, 1100, 2000),
    *_contacts(5, 900, 700, 400, 366, practice_id=2, clinician=20),
    *_contacts(5, 364, 200, 80, 40, 20, 10, 3, 0),
    *_contacts(6, 10, 5),
    *_contacts(7, 10, 5, 2),
    *_contacts(8, 10),
    *_contacts(9, 10),
    *_contacts(11, 1000, 600, 50, 40, 30, 20, 10, 0),
    *_contacts(11, 45, 35, clinician=None, kind="phone"),
    *_contacts(12, 300, 200, 100, 20),
    *_contacts(13, 0),
    *_contacts(14, 50, 40, clinician=9),
    *_contacts(14, 40, 30, clinician=10),
    *_contacts(14, 30, 20, clinician=9),
    *_contacts(14, 20, clinician=100, practice_id=2),
    *_contacts(15, 3, 2, 1),
    *_contacts(16, 3, 2, 1, 0),
]
EDGE_SYMPTOMS = [
    {"patient_id": 12, "code": code, "recorded_date": day(n)}
    for code, days_back in {
        "cough": (300, 200, 100),  # explained by COPD below
        "weight_loss": (364, 200, 20, 20),  # three days, one of them twice
        "fatigue": (365, 200, 20),  # the first is a day too early
    }.items()
    for n in days_back
]
EDGE_CONDITIONS = [
    {"patient_id": 12, "code": "J44.9", "system": "icd10", "chronic": True},
    {"patient_id": 12, "code": "E11", "system": "icd10", "chronic": True, "onset": day(10)},
    {"patient_id": 11, "code": "F32.1", "system": "icd10", "chronic": False},
    {"patient_id": 11, "code": "P15", "system": "icpc2", "chronic": True},
    {"patient_id": 11, "code": "I10", "system": "icd10", "chronic": True, "onset": day(-5)},
]
EDGE_MEDICATIONS = [
    {"patient_id": 12, "atc": "C07AB02", "start": day(400), "stop": day(1)},
]


@pytest.fixture
def edge_region(tmp_path: Path) -> Path:
    return write_region(
        tmp_path / "edges",
        patients=EDGE_PATIENTS,
        contacts=EDGE_CONTACTS,
        symptoms=EDGE_SYMPTOMS,
        conditions=EDGE_CONDITIONS,
        medications=EDGE_MEDICATIONS,
    )


def _edge_check(data: Path, tmp: Path, options: BackendOptions) -> dict[int, Any]:
    result = scanned(data, T, options, tmp / "edges.parquet")
    engine = engine_rows(data, T)
    assert mismatches(result, engine) == []
    assert sorted(result) == [1, 2, 3, 4, 5, 7, 8, 11, 12, 13, 14, 15, 16]
    return result


def test_duckdb_gives_the_engines_answers_on_the_edges(edge_region: Path, tmp_path: Path) -> None:
    rows = _edge_check(edge_region, tmp_path, DUCKDB)
    # What the edges are there for, stated once more in the scan's own words.
    assert rows[1]["pattern_break_count"] == 0 and rows[1]["last_contact_date"] is None
    assert rows[2]["long_absence_days"] == T.toordinal() - date(2010, 1, 1).toordinal()
    assert rows[3]["pattern_break_baseline_days"] == 110
    assert rows[4]["pattern_break_count"] == 2  # T and T-90; not T+1
    assert rows[4]["pattern_break_baseline"] == 4  # T-91, T-729, T-730, T-1095; not T-1096
    assert rows[4]["n_contacts_2y"] == 4  # T, T-90, T-91, T-729; not T-730
    # Listed here from T-365: the baseline is T-364 and T-200, not the other practice's
    # T-366; continuity counts both practices' clinicians within two years.
    assert rows[5]["pattern_break_baseline"] == 2
    assert rows[5]["n_contacts_2y"] == 11 and rows[5]["practice_id"] == 1
    assert rows[11]["low_user_rise"] is True
    assert rows[11]["vulnerability_flags"] == [
        "male_living_alone",
        "language_barrier",
        "psychiatric_diagnosis",
        "substance_abuse",
    ]
    assert rows[12]["repeat_symptoms"] == [{"code": "weight_loss", "consultations": 3}]
    assert rows[12]["vulnerability_flags"] == ["multimorbidity"]


def test_spark_gives_the_engines_answers_on_the_edges(
    edge_region: Path, tmp_path: Path, spark_options: BackendOptions
) -> None:
    _edge_check(edge_region, tmp_path, spark_options)
