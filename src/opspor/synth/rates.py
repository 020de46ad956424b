"""Lookup tables derived once from the parameters, indexed by sex (0 female, 1 male) and
single year of age, so that the generator only ever gathers from arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from opspor.synth.params import SEXES, SITES, Band, SynthParams

MAX_AGE = 120
AGES = np.arange(MAX_AGE + 1)
F64 = npt.NDArray[np.float64]


def band_lookup(bands: list[Band], values: list[float], default: float = 0.0) -> F64:
    """A per-single-year array from values given per age band."""
    out = np.full(MAX_AGE + 1, default, dtype=np.float64)
    for (lo, hi), v in zip(bands, values, strict=True):
        out[lo : min(hi, MAX_AGE) + 1] = v
    return out


def band_index(bands: list[Band]) -> npt.NDArray[np.int16]:
    out = np.full(MAX_AGE + 1, -1, dtype=np.int16)
    for i, (lo, hi) in enumerate(bands):
        out[lo : min(hi, MAX_AGE) + 1] = i
    return out


@dataclass(frozen=True)
class Rates:
    """Everything the generator needs from the parameters, as arrays."""

    age_band_p: F64  # probability of each population age band
    age_band_lo: npt.NDArray[np.int64]
    age_band_width: npt.NDArray[np.int64]
    female_share: F64  # per population age band
    pop_weight: F64  # [sex, age]: population fraction (sums to 1 over both sexes)
    contact_rate: F64  # [sex, age]: contacts per person-year (population average)
    condition_p: F64  # [condition, sex, age]: prevalence at the as-of date
    condition_irr: F64  # [condition]
    contact_norm: F64  # [sex, age]: expected multiplier from conditions and attenders
    cancer_rate: F64  # [site, sex, age]: per person-year, for a never-smoker-adjusted mean
    lung_smoking_rr: F64  # [never, former, current]
    lung_rr_norm: F64  # [sex, age]: expected smoking relative risk
    smoking_current: F64  # [sex, age]
    smoking_former: F64  # [sex, age]
    lives_alone_p: F64  # [sex, age]


def _pop_weight(p: SynthParams) -> F64:
    pop = p.population
    share = np.asarray(pop.share_percent, dtype=np.float64)
    share /= share.sum()
    w = np.zeros((2, MAX_AGE + 1))
    for (lo, hi), s, f in zip(pop.age_bands, share, pop.female_share, strict=True):
        width = hi - lo + 1
        w[0, lo : hi + 1] = s * f / width
        w[1, lo : hi + 1] = s * (1 - f) / width
    return w


def build_rates(p: SynthParams) -> Rates:
    w = _pop_weight(p)
    pop = p.population
    share = np.asarray(pop.share_percent, dtype=np.float64)
    ages = np.arange(MAX_AGE + 1)
    adult = ages >= 18

    contact_rate = np.stack(
        [band_lookup(p.contacts.rate_age_bands, p.contacts.per_person_year[s]) for s in SEXES]
    )

    # Chronic conditions: prevalence by sex and age, scaled to the adult prevalence target.
    n_cond = len(p.conditions)
    condition_p = np.zeros((n_cond, 2, MAX_AGE + 1))
    for i, c in enumerate(p.conditions):
        shape = band_lookup(p.condition_age_bands, c.age_shape)
        raw = np.stack([shape * c.female_to_male, shape])
        raw[:, ~adult] = 0.0
        mean = (raw * w).sum() / w[:, adult].sum()
        condition_p[i] = np.clip(raw * c.adult_prevalence / mean, 0.0, 0.95)
    condition_irr = np.asarray([c.contact_irr for c in p.conditions])

    fa = p.frequent_attenders
    fa_p = np.where(ages >= fa.min_age, fa.adult_prevalence, 0.0)
    # Conditions are drawn independently, so the expected product of their rate ratios
    # is the product of the expectations; the rates are divided by it so that the
    # population average stays on the published table.
    cond_norm = np.prod(1.0 + condition_p * (condition_irr[:, None, None] - 1.0), axis=0)
    contact_norm = cond_norm * (1.0 + fa_p * (fa.rate_multiplier - 1.0))[None, :]

    sm = p.smoking
    smoker_age = ages >= sm.min_age
    smoking_current = np.stack([np.where(smoker_age, getattr(sm.current, s), 0.0) for s in SEXES])
    smoking_former = np.stack([np.where(smoker_age, getattr(sm.former, s), 0.0) for s in SEXES])
    rr = p.cancer.smoking_relative_risk
    lung_rr = np.asarray([rr.never, rr.former, rr.current])
    lung_rr_norm = (
        (1.0 - smoking_current - smoking_former) * rr.never
        + smoking_former * rr.former
        + smoking_current * rr.current
    )

    # Cancer: crude rate per sex, spread over age by the shape and normalised so that the
    # crude rate holds for this population.
    cancer_rate = np.zeros((len(SITES), 2, MAX_AGE + 1))
    for si, site in enumerate(SITES):
        shape = band_lookup(p.cancer.age_bands, p.cancer.age_shape[site])
        for sx, sex in enumerate(SEXES):
            crude = p.cancer.crude_per_100k[sex][site] / 1e5
            ws = w[sx] / w[sx].sum()
            mean_shape = float((ws * shape).sum())
            if crude > 0 and mean_shape > 0:
                cancer_rate[si, sx] = crude * shape / mean_shape

    la = p.lives_alone
    lives_alone_p = np.stack([band_lookup(la.age_bands, getattr(la, s)) for s in SEXES])
    lives_alone_p[:, ages < la.min_age] = 0.0

    return Rates(
        age_band_p=share / share.sum(),
        age_band_lo=np.asarray([b[0] for b in pop.age_bands], dtype=np.int64),
        age_band_width=np.asarray([b[1] - b[0] + 1 for b in pop.age_bands], dtype=np.int64),
        female_share=np.asarray(pop.female_share, dtype=np.float64),
        pop_weight=w,
        contact_rate=contact_rate,
        condition_p=condition_p,
        condition_irr=condition_irr,
        contact_norm=contact_norm,
        cancer_rate=cancer_rate,
        lung_smoking_rr=lung_rr,
        lung_rr_norm=lung_rr_norm,
        smoking_current=smoking_current,
        smoking_former=smoking_former,
        lives_alone_p=lives_alone_p,
    )
