"""Patient characteristics for one chunk of patients, all drawn as arrays.

Days are integers counted from 1970-01-01 (Arrow's date32). A patient's *active period*
is ``[active_from, active_to)``: listed with the practice, alive, and inside the
ten-year window; every contact, symptom and lab lies in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from opspor.synth.params import SITES, SynthParams
from opspor.synth.rates import MAX_AGE, Rates
from opspor.synth.region import Region

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

YEAR = 365.25
NO_DAY = np.iinfo(np.int64).min  # "no date" inside the generator; null in the files
SMOKING = ("never", "former", "current")


@dataclass
class Window:
    start: int  # first day of the history
    as_of: int  # last day of the history

    @property
    def end_excl(self) -> int:
        return self.as_of + 1

    @property
    def days(self) -> int:
        return self.end_excl - self.start


@dataclass
class Cohort:
    ids: I64
    sex: I64  # 0 female, 1 male
    birth: I64
    age_as_of: I64
    practice: I64  # 0-based practice index
    own_gp: I64  # clinician_id
    reg_from: I64
    reg_to: I64  # NO_DAY while listed
    died: I64  # NO_DAY if alive
    active_from: I64
    active_to: I64
    frailty: F64  # contact-rate multiplier (mean 1 within age and sex)
    frequent_attender: B
    smoking: I64  # index into SMOKING
    lives_alone: B
    language: I64  # index into the language list
    interpreter: B
    occupation: I64  # index into occupations, -1 for none
    exposure_offsets: I64
    exposure_values: I64  # indices into the exposure list
    family_offsets: I64
    family_values: I64  # site indices
    conditions: B  # [patient, condition]
    condition_onset: I64  # [patient, condition]
    cancer_site: I64  # -1 for none
    diagnosis: I64  # NO_DAY for none

    def __len__(self) -> int:
        return len(self.ids)

    def age_at(self, day: I64, patient: I64) -> I64:
        """Whole years of age on ``day`` for the patients at indices ``patient``."""
        return np.clip(((day - self.birth[patient]) / YEAR).astype(np.int64), 0, MAX_AGE)


def _ragged(rng: np.random.Generator, probs: F64) -> tuple[I64, I64]:
    """Independent Bernoulli draws per (row, column) as a ragged list of column indices."""
    hits = rng.random(probs.shape) < probs
    counts = hits.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    values = np.nonzero(hits)[1].astype(np.int64)
    return offsets, values


def draw_cohort(
    rng: np.random.Generator,
    first_id: int,
    n: int,
    window: Window,
    region: Region,
    rates: Rates,
    p: SynthParams,
) -> Cohort:
    ids = np.arange(first_id, first_id + n, dtype=np.int64)

    band = rng.choice(len(rates.age_band_p), size=n, p=rates.age_band_p)
    age_years = rates.age_band_lo[band] + rng.random(n) * rates.age_band_width[band]
    birth = window.as_of - np.floor(age_years * YEAR).astype(np.int64)
    sex = (rng.random(n) >= rates.female_share[band]).astype(np.int64)
    age_as_of = np.clip(age_years.astype(np.int64), 0, MAX_AGE)

    practice = np.searchsorted(region.list_weight_cum, rng.random(n), side="right")
    practice = np.minimum(practice, region.n_practices - 1).astype(np.int64)
    own_gp = region.first_clinician[practice] + (rng.random(n) * region.n_gps[practice]).astype(
        np.int64
    )

    # Registration: born in the window -> listed from birth; otherwise either moved in
    # during the window or listed for some years before it.
    reg = p.registration
    moved_in = rng.random(n) < reg.moved_in_during_window
    before = window.start - (rng.exponential(reg.mean_years_listed_before_window, n) * YEAR).astype(
        np.int64
    )
    during = window.start + (rng.random(n) * window.days).astype(np.int64)
    reg_from = np.where(moved_in, during, before)
    reg_from = np.maximum(reg_from, birth)
    left = rng.random(n) < reg.left_during_window
    first_active = np.maximum(reg_from, window.start)
    span = np.maximum(window.end_excl - first_active, 1)
    leave_day = first_active + (rng.random(n) * span).astype(np.int64)
    reg_to = np.where(left & (leave_day < window.as_of), leave_day, NO_DAY)
    active_from = first_active
    active_to = np.where(reg_to != NO_DAY, reg_to + 1, window.end_excl)

    # Background mortality: Gompertz hazard at the mid-point age of the active period.
    mort = p.mortality
    exposure_years = np.maximum(active_to - active_from, 0) / YEAR
    mid_age = ((active_from + active_to) / 2 - birth) / YEAR
    hazard = mort.gompertz_a * np.exp(mort.gompertz_b * mid_age)
    dies = rng.random(n) < -np.expm1(-hazard * exposure_years)
    death_day = active_from + (rng.random(n) * np.maximum(active_to - active_from, 1)).astype(
        np.int64
    )
    died = np.where(dies & (active_to > active_from), death_day, NO_DAY)
    active_to = np.where(died != NO_DAY, np.minimum(active_to, died), active_to)

    # Smoking, living alone.
    u = rng.random(n)
    cur = rates.smoking_current[sex, age_as_of]
    former = rates.smoking_former[sex, age_as_of]
    smoking = np.where(u < cur, 2, np.where(u < cur + former, 1, 0)).astype(np.int64)
    lives_alone = rng.random(n) < rates.lives_alone_p[sex, age_as_of]

    # Language and interpreter need.
    lang = p.language
    lang_codes = list(lang.share)
    lp = np.asarray([lang.share[c] for c in lang_codes])
    language = rng.choice(len(lang_codes), size=n, p=lp / lp.sum()).astype(np.int64)
    ip = np.asarray([lang.interpreter_probability[c] for c in lang_codes])
    interpreter = rng.random(n) < ip[language]

    # Occupation and the exposures it brought.
    occ = p.occupations
    op = np.asarray([o.share for o in occ.entries])
    occupation = rng.choice(len(occ.entries), size=n, p=op / op.sum()).astype(np.int64)
    occupation = np.where(age_as_of >= occ.min_age, occupation, -1)
    exposure_codes = exposure_list(p)
    exp_p = np.zeros((len(occ.entries) + 1, len(exposure_codes)))
    for i, o in enumerate(occ.entries):
        for code, prob in o.exposures.items():
            exp_p[i, exposure_codes.index(code)] = prob
    exposure_offsets, exposure_values = _ragged(rng, exp_p[occupation])  # -1 -> last row (0)

    # Family history of the seven sites.
    fh = p.family_history
    site_w = np.asarray(
        [p.cancer.crude_per_100k["female"][s] + p.cancer.crude_per_100k["male"][s] for s in SITES]
    )
    site_w /= site_w.sum()
    has_fh = (rng.random(n) < fh.prevalence) & (age_as_of >= fh.min_age)
    n_fh = has_fh.astype(np.int64) + (has_fh & (rng.random(n) < fh.second_site_share))
    family_values_all = rng.choice(len(SITES), size=(n, 2), p=site_w)
    # A second draw equal to the first adds nothing; keep distinct sites only.
    n_fh = np.where((n_fh == 2) & (family_values_all[:, 0] == family_values_all[:, 1]), 1, n_fh)
    keep = np.arange(2)[None, :] < n_fh[:, None]
    family_values = family_values_all[keep].astype(np.int64)
    family_offsets = np.concatenate([[0], np.cumsum(n_fh)]).astype(np.int64)

    # Chronic conditions, independent given age and sex, with an onset in adult life.
    cp = rates.condition_p[:, sex, age_as_of].T  # [patient, condition]
    conditions = rng.random(cp.shape) < cp
    adult_day = birth + int(18 * YEAR)
    onset_lo = np.maximum(adult_day, window.as_of - int(25 * YEAR))
    onset_hi = np.maximum(active_to - 1, onset_lo)
    onset = onset_lo[:, None] + (rng.random(cp.shape) * (onset_hi - onset_lo + 1)[:, None]).astype(
        np.int64
    )
    conditions &= onset_lo[:, None] <= (active_to - 1)[:, None]
    condition_onset = np.where(conditions, onset, NO_DAY)

    # Contact-rate multiplier: gamma frailty x condition rate ratios, or a stable high
    # rate for frequent attenders, normalised to keep the age-sex average on the table.
    fa = p.frequent_attenders
    frequent = (rng.random(n) < fa.adult_prevalence) & (age_as_of >= fa.min_age)
    k = p.contacts.frailty_gamma_shape.value
    gamma = rng.gamma(k, 1.0 / k, n)
    irr = np.prod(np.where(conditions, rates.condition_irr[None, :], 1.0), axis=1)
    frailty = np.where(frequent, fa.rate_multiplier, gamma) * irr
    frailty /= rates.contact_norm[sex, age_as_of]

    # Cancer: at most one of the seven sites, diagnosed while active.
    cancer_site, diagnosis = _draw_cancer(
        rng, sex, birth, smoking, active_from, active_to, rates, window, p.history_years
    )
    # Some die of it within two years; the death ends the active period.
    q = np.asarray([p.mortality.cancer_death_within_2y.probability(s) for s in SITES])
    has_c = cancer_site >= 0
    cancer_death = diagnosis + 30 + (rng.random(n) * 700).astype(np.int64)
    dies_c = has_c & (rng.random(n) < q[np.maximum(cancer_site, 0)]) & (cancer_death < active_to)
    died = np.where(dies_c, cancer_death, died)
    active_to = np.where(dies_c, cancer_death, active_to)
    reg_to = np.where(
        died != NO_DAY, np.where(reg_to == NO_DAY, died, np.minimum(reg_to, died)), reg_to
    )

    return Cohort(
        ids=ids,
        sex=sex,
        birth=birth,
        age_as_of=age_as_of,
        practice=practice,
        own_gp=own_gp,
        reg_from=reg_from,
        reg_to=reg_to,
        died=died,
        active_from=active_from,
        active_to=active_to,
        frailty=frailty,
        frequent_attender=frequent,
        smoking=smoking,
        lives_alone=lives_alone,
        language=language,
        interpreter=interpreter,
        occupation=occupation,
        exposure_offsets=exposure_offsets,
        exposure_values=exposure_values,
        family_offsets=family_offsets,
        family_values=family_values,
        conditions=conditions,
        condition_onset=condition_onset,
        cancer_site=cancer_site,
        diagnosis=diagnosis,
    )


def exposure_list(p: SynthParams) -> list[str]:
    return sorted(p.exposure_codes())


def cancer_rate_per_year(rates: Rates, sex: I64, age: I64, smoking: I64) -> F64:
    """[patient, site] yearly incidence for each patient's age, sex and smoking."""
    r = rates.cancer_rate[:, sex, age].T.copy()
    lung = 0
    r[:, lung] *= rates.lung_smoking_rr[smoking] / rates.lung_rr_norm[sex, age]
    return r


def year_segments(window: Window, years: int, active_from: I64, active_to: I64) -> tuple[I64, I64]:
    """[patient, year] first day and length of each patient's active days in each year."""
    edges = window.start + np.round(np.arange(years + 1) * (window.days / years)).astype(np.int64)
    lo = np.maximum(edges[None, :-1], active_from[:, None])
    hi = np.minimum(edges[None, 1:], active_to[:, None])
    return lo, np.maximum(hi - lo, 0)


def _draw_cancer(
    rng: np.random.Generator,
    sex: I64,
    birth: I64,
    smoking: I64,
    active_from: I64,
    active_to: I64,
    rates: Rates,
    window: Window,
    years: int,
) -> tuple[I64, I64]:
    """At most one cancer per patient, with age-specific rates re-evaluated each year."""
    n = len(sex)
    lo, span = year_segments(window, years, active_from, active_to)
    mid_age = np.clip((((lo + span / 2) - birth[:, None]) / YEAR).astype(np.int64), 0, MAX_AGE)
    # [patient, year, site]
    r = np.stack(
        [cancer_rate_per_year(rates, sex, mid_age[:, k], smoking) for k in range(years)], axis=1
    )
    hazard = r.sum(axis=2) * span / YEAR  # [patient, year]
    total = hazard.sum(axis=1)
    has = rng.random(n) < -np.expm1(-total)
    year_cum = np.cumsum(hazard, axis=1) / np.maximum(total, 1e-300)[:, None]
    year = np.minimum((rng.random(n)[:, None] > year_cum).sum(axis=1), years - 1)
    rows = np.arange(n)
    ry = r[rows, year]
    site_cum = np.cumsum(ry, axis=1) / np.maximum(ry.sum(axis=1), 1e-300)[:, None]
    site = np.minimum((rng.random(n)[:, None] > site_cum).sum(axis=1), len(SITES) - 1)
    day = lo[rows, year] + (rng.random(n) * np.maximum(span[rows, year], 1)).astype(np.int64)
    has &= span[rows, year] > 0
    site = np.where(has, site, -1).astype(np.int64)
    diagnosis = np.where(has, day, NO_DAY)
    return site, diagnosis
