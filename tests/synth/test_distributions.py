"""The synthetic region reproduces its parameters within stated tolerances.

One region of 100,000 patients is generated for the module. Tolerances are a few standard
errors for that size; where a test compares with an expected value it is computed from
``params.yaml`` (through the same derived tables the generator uses), so a change of a
parameter moves the expectation with it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from opspor.synth import generate_region_tables, load_params
from opspor.synth.params import SITES, SynthParams
from opspor.synth.patients import YEAR, cancer_rate_per_year
from opspor.synth.rates import MAX_AGE, Rates, build_rates

AS_OF = date(2025, 3, 31)
AS_OF_DAY = (AS_OF - date(1970, 1, 1)).days
N = 100_000
NEVER = 2**31 - 1


@pytest.fixture(scope="module")
def params() -> SynthParams:
    return load_params()


@pytest.fixture(scope="module")
def rates(params: SynthParams) -> Rates:
    return build_rates(params)


@pytest.fixture(scope="module")
def region() -> dict[str, pa.Table]:
    return generate_region_tables(N, seed=2024, as_of=AS_OF)


def _days(column: pa.ChunkedArray, null: int = NEVER) -> np.ndarray:
    return column.cast(pa.int32()).fill_null(null).to_numpy().astype(np.int64)


@pytest.fixture(scope="module")
def people(region: dict[str, pa.Table]) -> dict[str, np.ndarray]:
    p = region["patients"]
    start = AS_OF_DAY - round(10 * YEAR) + 1
    reg_from = _days(p["registered_from"])
    reg_to = _days(p["registered_to"])
    died = _days(p["died_on"])
    active_from = np.maximum(reg_from, start)
    active_to = np.minimum(np.minimum(reg_to + 1, died), AS_OF_DAY + 1)
    return {
        "sex": (p["sex"].to_numpy(zero_copy_only=False) == "male").astype(np.int64),
        "birth": _days(p["birth_date"]),
        "active_from": active_from,
        "active_to": active_to,
        "listed_now": (reg_to == NEVER) & (died == NEVER),
        "lives_alone": p["lives_alone"].to_numpy(zero_copy_only=False),
        "interpreter": p["interpreter_needed"].to_numpy(zero_copy_only=False),
        "frequent": p["frequent_attender"].to_numpy(zero_copy_only=False),
        "smoking": np.searchsorted(
            ["current", "former", "never"], p["smoking"].to_numpy(zero_copy_only=False)
        ),
    }


def _age(day: np.ndarray, birth: np.ndarray) -> np.ndarray:
    return np.clip(((day - birth) / YEAR).astype(np.int64), 0, MAX_AGE)


def _contact_days(region: dict[str, pa.Table]) -> tuple[np.ndarray, np.ndarray]:
    c = region["contacts"]
    return c["patient_id"].to_numpy().astype(np.int64) - 1, _days(c["contact_date"])


def test_contacts_per_person_year_by_age_band_and_sex(
    region: dict[str, pa.Table], people: dict[str, np.ndarray], params: SynthParams
) -> None:
    """Within 7 % of the table for every band with at least 1,500 person-years (last year)."""
    lo_day = AS_OF_DAY - 364
    cancer = np.zeros(N, dtype=bool)
    cancer[region["diagnoses"]["patient_id"].to_numpy() - 1] = True
    f = np.maximum(people["active_from"], lo_day)
    t = people["active_to"]
    exposure = np.where(cancer, 0, np.maximum(t - f, 0))
    mid_age = _age((f + t) // 2, people["birth"])
    pid, day = _contact_days(region)
    in_window = (day >= lo_day) & ~cancer[pid]
    bands = params.contacts.rate_age_bands
    for sx, sex in enumerate(("female", "male")):
        for b, (a_lo, a_hi) in enumerate(bands):
            who = (people["sex"] == sx) & (mid_age >= a_lo) & (mid_age <= a_hi)
            person_years = exposure[who].sum() / YEAR
            if person_years < 1_500:
                continue
            count = np.count_nonzero(in_window & who[pid])
            observed = count / person_years
            expected = params.contacts.per_person_year[sex][b]
            assert observed == pytest.approx(expected, rel=0.07), (sex, a_lo, a_hi)


def test_women_make_about_sixty_percent_of_contacts(
    region: dict[str, pa.Table], people: dict[str, np.ndarray]
) -> None:
    pid, _ = _contact_days(region)
    assert np.mean(people["sex"][pid] == 0) == pytest.approx(0.60, abs=0.03)


def test_contact_kinds_follow_the_shares(region: dict[str, pa.Table], params: SynthParams) -> None:
    kinds = region["contacts"]["kind"].value_counts().to_pylist()
    total = sum(k["counts"] for k in kinds)
    share = {k["values"]: k["counts"] / total for k in kinds}
    k = params.contacts.kinds
    assert share["phone"] == pytest.approx(k.phone, abs=0.01)
    assert share["email"] == pytest.approx(k.email, abs=0.01)
    # Home visits move from consultations at 75+, so those two only roughly.
    assert share["consultation"] == pytest.approx(k.consultation, abs=0.03)
    assert k.home_visit <= share["home_visit"] < k.home_visit_share_75_plus


def _adult_expected(rates: Rates, p_by_sex_age: np.ndarray, min_age: int = 18) -> float:
    w = rates.pop_weight[:, min_age:]
    return float((w * p_by_sex_age[:, min_age:]).sum() / w.sum())


def test_men_living_alone_from_40(people: dict[str, np.ndarray], rates: Rates) -> None:
    age = _age(np.full(N, AS_OF_DAY), people["birth"])
    men40 = people["listed_now"] & (people["sex"] == 1) & (age >= 40)
    w = rates.pop_weight[1, 40:]
    expected = float((w * rates.lives_alone_p[1, 40:]).sum() / w.sum())
    assert people["lives_alone"][men40].mean() == pytest.approx(expected, abs=0.015)


def test_interpreter_need(people: dict[str, np.ndarray], params: SynthParams) -> None:
    observed = people["interpreter"][people["listed_now"]].mean()
    assert observed == pytest.approx(params.language.expected_interpreter_share, abs=0.0025)


def _conditions_by_patient(region: dict[str, pa.Table], params: SynthParams) -> np.ndarray:
    conds = region["conditions"]
    chronic = conds.filter(conds["chronic"])
    keys = [c.code for c in params.conditions]
    pid = chronic["patient_id"].to_numpy() - 1
    idx = np.searchsorted(np.asarray(sorted(keys)), chronic["code"].to_numpy(zero_copy_only=False))
    order = np.argsort(keys)
    m = np.zeros((N, len(keys)), dtype=bool)
    m[pid, order[idx]] = True
    return m


def test_each_chronic_condition_prevalence(
    region: dict[str, pa.Table], people: dict[str, np.ndarray], params: SynthParams
) -> None:
    has = _conditions_by_patient(region, params)
    age = _age(np.full(N, AS_OF_DAY), people["birth"])
    adults = people["listed_now"] & (age >= 18)
    for i, c in enumerate(params.conditions):
        observed = has[adults, i].mean()
        sigma = np.sqrt(c.adult_prevalence * (1 - c.adult_prevalence) / adults.sum())
        assert abs(observed - c.adult_prevalence) < 4 * sigma + 0.05 * c.adult_prevalence, c.key


def _group_expected(rates: Rates, params: SynthParams, group: str) -> float:
    idx = [i for i, c in enumerate(params.conditions) if c.group == group]
    none = np.prod(1.0 - rates.condition_p[idx], axis=0)
    return _adult_expected(rates, 1.0 - none)


@pytest.mark.parametrize("group", ["psychiatric", "substance"])
def test_vulnerable_diagnosis_groups(
    region: dict[str, pa.Table],
    people: dict[str, np.ndarray],
    params: SynthParams,
    rates: Rates,
    group: str,
) -> None:
    has = _conditions_by_patient(region, params)
    idx = [i for i, c in enumerate(params.conditions) if c.group == group]
    age = _age(np.full(N, AS_OF_DAY), people["birth"])
    adults = people["listed_now"] & (age >= 18)
    observed = has[adults][:, idx].any(axis=1).mean()
    assert observed == pytest.approx(_group_expected(rates, params, group), rel=0.10)


def test_psychiatric_codes_are_in_the_study_ranges(params: SynthParams) -> None:
    for c in params.conditions:
        if c.group == "psychiatric":
            assert c.system == "icd10"
            n = int(c.code[1:3])
            assert c.code[0] == "F" and (20 <= n <= 39 or n in (40, 41))


def test_multimorbidity_share_is_plausible(
    region: dict[str, pa.Table], people: dict[str, np.ndarray], params: SynthParams
) -> None:
    has = _conditions_by_patient(region, params)
    age = _age(np.full(N, AS_OF_DAY), people["birth"])
    adults = people["listed_now"] & (age >= 18)
    share = (has[adults].sum(axis=1) >= 2).mean()
    lo, hi = params.multimorbidity.adult_share_band
    assert lo <= share <= hi


def test_frequent_attenders_are_a_minority_with_high_rates(
    region: dict[str, pa.Table], people: dict[str, np.ndarray], params: SynthParams
) -> None:
    age = _age(np.full(N, AS_OF_DAY), people["birth"])
    adults = age >= 18
    fa = people["frequent"]
    assert fa[adults].mean() == pytest.approx(params.frequent_attenders.adult_prevalence, abs=0.004)
    pid, _ = _contact_days(region)
    counts = np.bincount(pid, minlength=N)
    years = np.maximum(people["active_to"] - people["active_from"], 1) / YEAR
    rate = counts / years
    long = years > 3
    assert rate[fa & long].mean() > 2.5 * rate[~fa & adults & long].mean()


def test_cancer_incidence_by_site_matches_the_rates(
    region: dict[str, pa.Table], people: dict[str, np.ndarray], rates: Rates
) -> None:
    smoking = np.asarray([2, 1, 0])[people["smoking"]]  # current, former, never -> index
    expected = np.zeros(len(SITES))
    start = AS_OF_DAY - round(10 * YEAR) + 1
    for k in range(10):
        a = start + round(k * 365.25)
        b = start + round((k + 1) * 365.25)
        lo = np.maximum(people["active_from"], a)
        span = np.maximum(np.minimum(people["active_to"], b) - lo, 0)
        r = cancer_rate_per_year(
            rates, people["sex"], _age(lo + span // 2, people["birth"]), smoking
        )
        expected += (r * (span / YEAR)[:, None]).sum(axis=0)
    sites = region["diagnoses"]["cancer_site"].to_numpy(zero_copy_only=False)
    for i, site in enumerate(SITES):
        observed = np.count_nonzero(sites == site)
        # Cancer deaths shorten some exposure after the diagnosis, hence the extra 8 %.
        assert abs(observed - expected[i]) < 4 * np.sqrt(expected[i]) + 0.08 * expected[i], site


def test_crude_incidence_is_near_the_cited_figures(
    region: dict[str, pa.Table], people: dict[str, np.ndarray], params: SynthParams
) -> None:
    """The last three years, when ages are those the rates were normalised on."""
    lo_day = AS_OF_DAY - 3 * 365 + 1
    f = np.maximum(people["active_from"], lo_day)
    exposure = np.maximum(people["active_to"] - f, 0) / YEAR
    d = region["diagnoses"]
    recent = d.filter(
        pa.compute.greater_equal(
            d["diagnosis_date"].cast(pa.int32()), pa.scalar(lo_day, pa.int32())
        )
    )
    pid = recent["patient_id"].to_numpy() - 1
    site = recent["cancer_site"].to_numpy(zero_copy_only=False)
    for sx, sex in enumerate(("female", "male")):
        person_years = exposure[people["sex"] == sx].sum()
        for s in ("lung", "breast", "colorectal", "prostate"):
            cited = params.cancer.crude_per_100k[sex][s]
            if cited < 50:
                continue
            observed = np.count_nonzero((site == s) & (people["sex"][pid] == sx))
            rate = observed / person_years * 1e5
            assert rate == pytest.approx(cited, rel=0.30), (sex, s)


def test_prediagnostic_rise(
    region: dict[str, pa.Table], people: dict[str, np.ndarray], params: SynthParams
) -> None:
    """Contacts per day in the 90 days before diagnosis against months 19-36 before.

    The target is the mean multiplier of params.yaml over the last 90 days (about 2x,
    Christensen 2012); 7-12 months before the diagnosis there is no rise yet (Jensen 2019).
    """
    d = region["diagnoses"]
    pid = d["patient_id"].to_numpy() - 1
    diag = _days(d["diagnosis_date"])
    ok = people["active_from"][pid] <= diag - 1096
    pid, diag = pid[ok], diag[ok]
    assert len(pid) > 300
    cpid, cday = _contact_days(region)
    diag_of = np.full(N, -(10**9), dtype=np.int64)
    diag_of[pid] = diag
    rel = diag_of[cpid] - cday  # days before diagnosis
    mine = diag_of[cpid] > -(10**9)
    recent = np.count_nonzero(mine & (rel >= 0) & (rel < 90)) / (90 * len(pid))
    baseline = np.count_nonzero(mine & (rel >= 578) & (rel < 1096)) / (518 * len(pid))
    earlier = np.count_nonzero(mine & (rel >= 181) & (rel < 365)) / (184 * len(pid))
    target = params.prediagnostic.mean_multiplier(90)
    assert recent / baseline == pytest.approx(target, rel=0.15)
    assert earlier / baseline == pytest.approx(1.0, abs=0.15)


def test_prediagnostic_symptoms_and_labs_fit_the_site(region: dict[str, pa.Table]) -> None:
    d = region["diagnoses"].to_pylist()
    site_of = {r["patient_id"]: r["cancer_site"] for r in d}
    diag_of = {r["patient_id"]: r["diagnosis_date"] for r in d}
    labs = region["labs"].to_pylist()
    by_site: dict[tuple[str, str], list[float]] = {}
    for row in labs:
        site = site_of.get(row["patient_id"], "none")
        if site != "none" and not 0 <= (diag_of[row["patient_id"]] - row["taken_date"]).days <= 60:
            continue  # only the workup before the diagnosis
        by_site.setdefault((site, row["code"]), []).append(row["value"])
    hb_crc = np.median(by_site[("colorectal", "haemoglobin")])
    hb_none = np.median(by_site[("none", "haemoglobin")])
    assert hb_crc < hb_none  # anaemia before colorectal cancer
    plt_lung = np.median(by_site[("lung", "platelets")])
    plt_none = np.median(by_site[("none", "platelets")])
    assert plt_lung > plt_none  # thrombocytosis before lung cancer
    symptoms = region["symptoms"].to_pylist()
    breast_codes = {s["code"] for s in symptoms if site_of.get(s["patient_id"]) == "breast"}
    assert "breast_lump" in breast_codes


def test_continuity_falls_with_practice_size(region: dict[str, pa.Table]) -> None:
    practices = region["practices"]
    n_gps = dict(
        zip(practices["practice_id"].to_pylist(), practices["n_gps"].to_pylist(), strict=True)
    )
    own = region["patients"]["own_gp_id"].to_numpy()
    c = region["contacts"]
    pid = c["patient_id"].to_numpy() - 1
    with_own = c["clinician_id"].to_numpy() == own[pid]
    size = np.asarray([n_gps[x] for x in range(1, len(n_gps) + 1)])[c["practice_id"].to_numpy() - 1]
    share = {k: with_own[size == k].mean() for k in np.unique(size)}
    sizes = sorted(share)
    assert share[sizes[0]] > share[sizes[-1]]
    assert share[1] > 0.85


def test_living_alone_at_65_plus(people: dict[str, np.ndarray], rates: Rates) -> None:
    """The 65+ share living alone follows the table calibrated to Statistics Denmark 2019."""
    age = _age(np.full(N, AS_OF_DAY), people["birth"])
    old = people["listed_now"] & (age >= 65)
    w = rates.pop_weight[:, 65:]
    expected = float((w * rates.lives_alone_p[:, 65:]).sum() / w.sum())
    assert people["lives_alone"][old].mean() == pytest.approx(expected, abs=0.015)


def test_cancer_incidence_by_age_band(
    region: dict[str, pa.Table], people: dict[str, np.ndarray], params: SynthParams, rates: Rates
) -> None:
    """Diagnoses by age band at diagnosis against the person-years and rates of each band."""
    bands = params.cancer.age_bands
    band_of = np.zeros(MAX_AGE + 1, dtype=np.int64)
    for i, (lo, hi) in enumerate(bands):
        band_of[lo : min(hi, MAX_AGE) + 1] = i
    smoking = np.asarray([2, 1, 0])[people["smoking"]]
    expected = np.zeros((len(bands), len(SITES)))
    start = AS_OF_DAY - round(10 * YEAR) + 1
    for k in range(10):
        a = start + round(k * 365.25)
        b = start + round((k + 1) * 365.25)
        lo = np.maximum(people["active_from"], a)
        span = np.maximum(np.minimum(people["active_to"], b) - lo, 0)
        age = _age(lo + span // 2, people["birth"])
        r = cancer_rate_per_year(rates, people["sex"], age, smoking) * (span / YEAR)[:, None]
        np.add.at(expected, band_of[age], r)
    d = region["diagnoses"]
    pid = d["patient_id"].to_numpy() - 1
    age_dx = _age(_days(d["diagnosis_date"]), people["birth"][pid])
    index = {name: i for i, name in enumerate(SITES)}
    site = np.asarray([index[s] for s in d["cancer_site"].to_pylist()], dtype=np.int64)
    observed = np.zeros_like(expected)
    np.add.at(observed, (band_of[age_dx], site), 1)
    checked = 0
    for i, (lo, hi) in enumerate(bands):
        e, o = expected[i].sum(), observed[i].sum()
        if e >= 30:
            # Ages move on within a year and cancer deaths shorten exposure: the extra 8 %.
            assert abs(o - e) < 4 * np.sqrt(e) + 0.08 * e, (lo, hi)
            checked += 1
        for s, name in enumerate(SITES):
            if expected[i, s] >= 100:
                es, os_ = expected[i, s], observed[i, s]
                assert abs(os_ - es) < 4 * np.sqrt(es) + 0.08 * es, (name, lo, hi)
    assert checked >= 5
