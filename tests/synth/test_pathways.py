"""Routes to diagnosis and the Aarhus statement time points of the synthetic cancers."""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.synth import generate_region_tables, load_params
from opspor.synth.params import ROUTES
from opspor.synth.pathways import draw_pathways, pathway_rng

AS_OF = date(2025, 6, 30)
NEW_COLUMNS = (
    "first_symptom_date",
    "first_presentation_date",
    "referral_date",
    "route",
    "consultations_before_referral",
)
OLD_DIAGNOSES = ("patient_id", "diagnosis_date", "cancer_site")
# sha256 of every column a region had before the pathways (3,000 patients, seed 11, three
# practices, as of 2025-06-30), computed on the generator without them: the pathways draw
# from a stream of their own and leave every one of those columns as it was.
BEFORE_PATHWAYS = "9068f2b4faea53d88a6b9b30066c8abc9ae45ef13dfdf5b6d2af631b37f5e677"


def _old_columns_digest(tables: dict[str, pa.Table]) -> str:
    h = hashlib.sha256()
    for name in sorted(tables):
        t = tables[name]
        columns = OLD_DIAGNOSES if name == "diagnoses" else t.column_names
        for c in columns:
            h.update(f"{name}.{c}".encode())
            h.update(repr(t.column(c).to_pylist()).encode())
    return h.hexdigest()


def _days(column: pa.ChunkedArray) -> np.ndarray:
    return np.array(
        [np.nan if v is None else float(v) for v in column.cast(pa.int32()).to_pylist()]
    )


@pytest.fixture(scope="module")
def large() -> dict[str, pa.Table]:
    return generate_region_tables(60_000, seed=5, as_of=AS_OF)


def test_existing_columns_are_unchanged() -> None:
    tables = generate_region_tables(3000, seed=11, as_of=AS_OF, n_practices=3)
    assert _old_columns_digest(tables) == BEFORE_PATHWAYS


def test_same_seed_same_pathways_other_seed_others() -> None:
    a = generate_region_tables(4000, seed=2, as_of=AS_OF)["diagnoses"]
    b = generate_region_tables(4000, seed=2, as_of=AS_OF)["diagnoses"]
    c = generate_region_tables(4000, seed=3, as_of=AS_OF)["diagnoses"]
    assert a.equals(b)
    assert a.select(list(NEW_COLUMNS)) != c.select(list(NEW_COLUMNS))


def test_dates_are_in_order_and_routes_consistent(large: dict[str, pa.Table]) -> None:
    d = large["diagnoses"]
    assert d.num_rows > 1000
    symptom = _days(d["first_symptom_date"])
    presentation = _days(d["first_presentation_date"])
    referral = _days(d["referral_date"])
    diagnosis = _days(d["diagnosis_date"])
    route = np.array(d["route"].to_pylist())
    consultations = np.array(
        [np.nan if v is None else v for v in d["consultations_before_referral"].to_pylist()]
    )
    assert set(route) <= set(ROUTES)
    assert not np.isnan(symptom).any() and not np.isnan(presentation).any()
    assert (symptom <= presentation).all()
    emergency = route == "emergency"
    assert np.isnan(referral[emergency]).all()
    assert np.isnan(consultations[emergency]).all()
    assert (diagnosis[emergency] - presentation[emergency] <= 30).all()
    ref = ~emergency
    assert not np.isnan(referral[ref]).any()
    assert (presentation[ref] <= referral[ref]).all()
    assert (referral[ref] <= diagnosis[ref]).all()
    assert (consultations[ref] >= 1).all()
    assert (presentation <= diagnosis).all()


def test_first_presentation_is_mostly_a_recorded_contact(large: dict[str, pa.Table]) -> None:
    d = large["diagnoses"]
    c = large["contacts"]
    seen = set(zip(c["patient_id"].to_pylist(), c["contact_date"].to_pylist(), strict=True))
    pairs = zip(
        d["patient_id"].to_pylist(),
        d["first_presentation_date"].to_pylist(),
        d["route"].to_pylist(),
        strict=True,
    )
    referred = [(p, day) for p, day, r in pairs if r != "emergency"]
    share = sum((p, day) in seen for p, day in referred) / len(referred)
    # About a third: the contacts around the drawn day are not always within a week of it.
    assert share > 0.25


def test_route_shares_follow_the_parameters(large: dict[str, pa.Table]) -> None:
    shares = load_params().pathways.routes
    route = large["diagnoses"]["route"].to_pylist()
    n = len(route)
    for name in ROUTES:
        expected = getattr(shares, name)
        se = (expected * (1 - expected) / n) ** 0.5
        assert abs(route.count(name) / n - expected) < 4 * se + 0.005, name


def test_interval_medians_near_the_published_ones(large: dict[str, pa.Table]) -> None:
    pw = load_params().pathways
    d = large["diagnoses"]
    patient = _days(d["first_presentation_date"]) - _days(d["first_symptom_date"])
    secondary = _days(d["diagnosis_date"]) - _days(d["referral_date"])
    primary = _days(d["referral_date"]) - _days(d["first_presentation_date"])
    secondary = secondary[~np.isnan(secondary)]
    primary = primary[~np.isnan(primary)]
    assert abs(np.median(patient) - pw.patient_interval.median_days) <= 4
    # Moving the first presentation to a recorded contact shifts the referral by a few days.
    assert abs(np.median(secondary) - pw.secondary_care_interval.median_days) <= 8
    assert np.median(primary) == 0
    assert np.percentile(primary, 75) <= 5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 30),
    seed=st.integers(0, 2**32),
    contacts=st.lists(st.integers(0, 400), max_size=60),
)
def test_draw_keeps_the_order_for_any_contacts(n: int, seed: int, contacts: list[int]) -> None:
    p = load_params()
    rng = np.random.default_rng(seed)
    patient = np.arange(n, dtype=np.int64)
    diagnosis = rng.integers(50, 400, n).astype(np.int64)
    birth = diagnosis - rng.integers(0, 30_000, n)
    cp = rng.integers(0, max(n, 1), len(contacts)).astype(np.int64)
    cd = np.asarray(contacts, dtype=np.int64)
    order = np.lexsort((cd, cp))
    paths = draw_pathways(
        pathway_rng(seed, 0),
        patient=patient,
        diagnosis=diagnosis,
        birth=birth,
        contact_patient=cp[order],
        contact_day=cd[order],
        p=p,
    )
    emergency = paths.route == ROUTES.index("emergency")
    assert (birth <= paths.first_symptom).all()
    assert (paths.first_symptom <= paths.first_presentation).all()
    assert (paths.first_presentation <= diagnosis).all()
    ref = ~emergency
    assert (paths.first_presentation[ref] <= paths.referral[ref]).all()
    assert (paths.referral[ref] <= diagnosis[ref]).all()
    assert (paths.consultations[ref] >= 1).all()
    assert (paths.consultations[emergency] == -1).all()
