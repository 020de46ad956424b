"""Contacts and the clinical events recorded at them, for one cohort, as arrays.

Contacts follow a Poisson process per patient whose rate depends on age (re-evaluated for
each year of the history), sex and the patient's multiplier. A cancer patient gets extra
contacts in the months before the diagnosis (the pre-diagnostic rise); the symptoms and
lab changes of the cancer are recorded at those.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from opspor.synth.labref import LabReference
from opspor.synth.params import CONTACT_KINDS, SITES, LogShift, SynthParams
from opspor.synth.patients import NO_DAY, YEAR, Cohort, Window, year_segments
from opspor.synth.rates import MAX_AGE, Rates
from opspor.synth.region import Region

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

DAY_BITS = 15  # days inside the window fit in 15 bits (up to 89 years of history)


@dataclass
class Contacts:
    patient: I64  # index into the cohort
    day: I64
    kind: I64  # index into CONTACT_KINDS
    clinician: I64


@dataclass
class Events:
    """Rows of the event tables; `patient` is an index into the cohort."""

    contacts: Contacts
    symptom_patient: I64
    symptom_code: I64  # index into the symptom code list
    symptom_onset: I64
    symptom_day: I64
    symptom_persistent: B
    symptom_recurrent: B
    lab_patient: I64
    lab_code: I64  # index into LabReference.codes
    lab_value: F64
    lab_day: I64
    acute_patient: I64
    acute_code: I64
    acute_day: I64


def _categorical(rng: np.random.Generator, cum: F64, rows: I64) -> I64:
    """One draw per element of ``rows`` from the cumulative distributions ``cum[rows]``."""
    u = rng.random(len(rows))
    return (u[:, None] > cum[rows]).sum(axis=1).clip(0, cum.shape[1] - 1).astype(np.int64)


def _cumulative(mixes: list[dict[str, float]], codes: list[str]) -> F64:
    m = np.zeros((len(mixes), len(codes)))
    for i, mix in enumerate(mixes):
        total = sum(mix.values())
        for code, w in mix.items():
            m[i, codes.index(code)] = w / total
    cum = np.cumsum(m, axis=1)
    cum[:, -1] = 1.0
    return cum


def symptom_code_list(p: SynthParams) -> list[str]:
    return sorted(p.symptom_codes())


def acute_code_list(p: SynthParams) -> list[str]:
    return sorted(p.acute_conditions.codes)


def _base_contacts(
    rng: np.random.Generator, c: Cohort, window: Window, rates: Rates, years: int
) -> tuple[I64, I64]:
    n = len(c)
    lo, exposure = year_segments(window, years, c.active_from, c.active_to)
    mid_age = np.clip(
        (((lo + exposure / 2) - c.birth[:, None]) / YEAR).astype(np.int64), 0, MAX_AGE
    )
    rate = rates.contact_rate[c.sex[:, None], mid_age] * c.frailty[:, None]
    counts = rng.poisson(rate * exposure / YEAR).ravel()
    seg = np.repeat(np.arange(n * years), counts)
    day = lo.ravel()[seg] + (rng.random(len(seg)) * exposure.ravel()[seg]).astype(np.int64)
    return seg // years, day


def _prediagnostic_contacts(
    rng: np.random.Generator, c: Cohort, rates: Rates, p: SynthParams
) -> tuple[I64, I64]:
    idx = np.nonzero(c.cancer_site >= 0)[0]
    if len(idx) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    diag = c.diagnosis[idx]
    age = c.age_at(diag, idx)
    per_day = rates.contact_rate[c.sex[idx], age] * c.frailty[idx] / YEAR
    pats: list[I64] = []
    days: list[I64] = []
    for w in p.prediagnostic.windows:
        lo = np.maximum(diag - w.to_days + 1, c.active_from[idx])
        hi = np.minimum(diag - w.from_days + 1, c.active_to[idx])
        span = np.maximum(hi - lo, 0)
        k = rng.poisson(per_day * (w.multiplier - 1.0) * span)
        rep = np.repeat(np.arange(len(idx)), k)
        pats.append(idx[rep])
        days.append(lo[rep] + (rng.random(len(rep)) * span[rep]).astype(np.int64))
    return np.concatenate(pats), np.concatenate(days)


def _on_weekdays(rng: np.random.Generator, day: I64, first: I64, last: I64) -> I64:
    """Move each weekend contact to a random weekday of the same week, within [first, last].

    Practices are closed at weekends (out-of-hours care is another service), so a weekend
    contact in daytime general practice would be a tell-tale of synthetic data. Day 0
    (1970-01-01) was a Thursday, so `(day + 3) % 7` counts Monday as 0.
    """
    weekday = (day + 3) % 7
    weekend = weekday >= 5
    monday = day - weekday
    moved = np.where(weekend, monday + rng.integers(0, 5, len(day)), day)
    return np.clip(moved, first, last)


def _sort_contacts(patient: I64, day: I64, window: Window) -> tuple[I64, I64]:
    key = (patient << DAY_BITS) | (day - window.start)
    key.sort()
    return key >> DAY_BITS, (key & ((1 << DAY_BITS) - 1)) + window.start


def _kinds_and_clinicians(
    rng: np.random.Generator,
    c: Cohort,
    patient: I64,
    day: I64,
    region: Region,
    p: SynthParams,
) -> tuple[I64, I64]:
    k = p.contacts.kinds
    n = len(patient)
    old = (day - c.birth[patient]) >= int(75 * YEAR)
    home = np.where(old, k.home_visit_share_75_plus, k.home_visit)
    consult = np.where(
        old, k.consultation + k.home_visit - k.home_visit_share_75_plus, k.consultation
    )
    u = rng.random(n)
    kind = np.where(
        u < consult, 0, np.where(u < consult + k.phone, 1, np.where(u < 1.0 - home, 2, 3))
    ).astype(np.int64)
    assert CONTACT_KINDS == ("consultation", "phone", "email", "home_visit")

    practice = c.practice[patient]
    own = rng.random(n) < region.own_gp_p[practice]
    other = region.first_clinician[practice] + (
        rng.random(n) * region.n_clinicians[practice]
    ).astype(np.int64)
    clinician = np.where(own, c.own_gp[patient], other)
    return kind, clinician


def _lab_values(
    rng: np.random.Generator,
    ref: LabReference,
    lab: I64,
    sex: I64,
    age: I64,
    shift_sd: F64,
    log_mult: F64,
) -> F64:
    lo = ref.low[lab, sex, age]
    hi = ref.high[lab, sex, age]
    # One-sided intervals: the missing side is placed symmetrically around a zero floor.
    lo_f = np.where(np.isnan(lo), 0.0, lo)
    hi_f = np.where(np.isnan(hi), lo_f * 1.5 + 1.0, hi)
    quarter = (hi_f - lo_f) / 4.0
    z = rng.standard_normal(len(lab))
    normal = (lo_f + hi_f) / 2.0 + quarter * (z + shift_sd)
    skewed = ref.median[lab] * np.exp(ref.sigma[lab] * z) * log_mult
    value = np.where(ref.skewed[lab], skewed, np.maximum(normal, 0.0))
    scale = 10.0 ** ref.decimals[lab]
    return np.round(value * scale) / scale


def generate_events(
    rng: np.random.Generator,
    c: Cohort,
    window: Window,
    region: Region,
    rates: Rates,
    ref: LabReference,
    p: SynthParams,
) -> Events:
    base_pat, base_day = _base_contacts(rng, c, window, rates, p.history_years)
    extra_pat, extra_day = _prediagnostic_contacts(rng, c, rates, p)
    base_day = _on_weekdays(rng, base_day, c.active_from[base_pat], c.active_to[base_pat] - 1)
    extra_day = _on_weekdays(rng, extra_day, c.active_from[extra_pat], c.active_to[extra_pat] - 1)
    patient, day = _sort_contacts(
        np.concatenate([base_pat, extra_pat]), np.concatenate([base_day, extra_day]), window
    )
    kind, clinician = _kinds_and_clinicians(rng, c, patient, day, region, p)
    contacts = Contacts(patient=patient, day=day, kind=kind, clinician=clinician)

    sym_codes = symptom_code_list(p)
    median_pi = p.prediagnostic.patient_interval_median_days.value

    # Background symptoms at ordinary contacts (more often for frequent attenders).
    bs = p.background_symptoms
    sp = np.where(
        c.frequent_attender[patient], bs.frequent_attender_probability, bs.per_contact_probability
    )
    bsel = np.nonzero(rng.random(len(patient)) < sp)[0]
    bcum = _cumulative([bs.codes], sym_codes)
    b_code = _categorical(rng, bcum, np.zeros(len(bsel), dtype=np.int64))
    b_day = day[bsel]
    b_onset = b_day - (rng.exponential(median_pi / np.log(2), len(bsel))).astype(np.int64)
    b_persistent = rng.random(len(bsel)) < bs.persistent_probability
    b_recurrent = rng.random(len(bsel)) < bs.recurrent_probability

    # Site symptoms at the extra pre-diagnostic contacts.
    pd = p.prediagnostic
    esel = np.nonzero(rng.random(len(extra_pat)) < pd.symptom_probability)[0]
    e_pat = extra_pat[esel]
    scum = _cumulative([pd.symptoms.mix(s) for s in SITES], sym_codes)
    e_code = _categorical(rng, scum, c.cancer_site[e_pat])
    e_day = extra_day[esel]
    e_onset = e_day - (rng.exponential(median_pi / np.log(2), len(esel))).astype(np.int64)
    e_persistent = (e_day - e_onset) >= 28
    e_recurrent = rng.random(len(esel)) < 0.3

    # Labs: a basic panel at some consultations, extended now and then, PSA for some men 50+.
    bl = p.background_labs
    consult = np.nonzero(kind == 0)[0]
    psel = consult[rng.random(len(consult)) < bl.panel_per_consultation]
    ppat = patient[psel]
    pday = day[psel]
    ext = rng.random(len(psel)) < bl.extended_panel_probability
    psa_ok = (c.sex[ppat] == 1) & ((pday - c.birth[ppat]) >= int(50 * YEAR))
    psa = psa_ok & (rng.random(len(psel)) < bl.psa_probability_men_50_plus)
    lab_rows_p: list[I64] = []
    lab_rows_code: list[I64] = []
    lab_rows_day: list[I64] = []
    for code in bl.panel:
        lab_rows_p.append(ppat)
        lab_rows_code.append(np.full(len(psel), ref.index(code), dtype=np.int64))
        lab_rows_day.append(pday)
    for code in bl.extended:
        lab_rows_p.append(ppat[ext])
        lab_rows_code.append(np.full(int(ext.sum()), ref.index(code), dtype=np.int64))
        lab_rows_day.append(pday[ext])
    lab_rows_p.append(ppat[psa])
    lab_rows_code.append(np.full(int(psa.sum()), ref.index("psa"), dtype=np.int64))
    lab_rows_day.append(pday[psa])
    n_background = sum(len(x) for x in lab_rows_p)

    # The workup panel before a cancer diagnosis, with the site's changes.
    cidx = np.nonzero(c.cancer_site >= 0)[0]
    cidx = cidx[rng.random(len(cidx)) < pd.labs.panel_probability]
    wday = np.maximum(c.diagnosis[cidx] - rng.integers(7, 61, len(cidx)), c.active_from[cidx])
    wage = c.age_at(wday, cidx)
    for code in p.workup_panel:
        keep = np.ones(len(cidx), dtype=bool)
        if code == "psa":
            keep = c.sex[cidx] == 1
        if code == "fit":
            keep = wage >= 40
        lab_rows_p.append(cidx[keep])
        lab_rows_code.append(np.full(int(keep.sum()), ref.index(code), dtype=np.int64))
        lab_rows_day.append(wday[keep])

    lab_patient = np.concatenate(lab_rows_p)
    lab_code = np.concatenate(lab_rows_code)
    lab_day = np.concatenate(lab_rows_day)
    shift_sd = np.zeros(len(lab_patient))
    log_mult = np.ones(len(lab_patient))
    sd_table, mult_table = _shift_tables(ref, p)
    wsite = c.cancer_site[lab_patient[n_background:]]
    wcode = lab_code[n_background:]
    shift_sd[n_background:] = sd_table[wsite, wcode]
    log_mult[n_background:] = mult_table[wsite, wcode]
    lab_value = _lab_values(
        rng, ref, lab_code, c.sex[lab_patient], c.age_at(lab_day, lab_patient), shift_sd, log_mult
    )

    # Acute problems at ordinary contacts.
    ac = p.acute_conditions
    asel = np.nonzero(rng.random(len(patient)) < ac.per_contact_probability)[0]
    acum = _cumulative([ac.codes], acute_code_list(p))
    a_code = _categorical(rng, acum, np.zeros(len(asel), dtype=np.int64))

    return Events(
        contacts=contacts,
        symptom_patient=np.concatenate([patient[bsel], e_pat]),
        symptom_code=np.concatenate([b_code, e_code]),
        symptom_onset=np.concatenate([b_onset, e_onset]),
        symptom_day=np.concatenate([b_day, e_day]),
        symptom_persistent=np.concatenate([b_persistent, e_persistent]),
        symptom_recurrent=np.concatenate([b_recurrent, e_recurrent]),
        lab_patient=lab_patient,
        lab_code=lab_code,
        lab_value=lab_value,
        lab_day=lab_day,
        acute_patient=patient[asel],
        acute_code=a_code,
        acute_day=day[asel],
    )


def _shift_tables(ref: LabReference, p: SynthParams) -> tuple[F64, F64]:
    sd = np.zeros((len(SITES), len(ref.codes)))
    mult = np.ones((len(SITES), len(ref.codes)))
    for si, site in enumerate(SITES):
        for code, shift in p.prediagnostic.labs.shifts.get(site, {}).items():
            li = ref.index(code)
            if isinstance(shift, LogShift):
                mult[si, li] = shift.log_multiplier
            else:
                sd[si, li] = float(shift)
    return sd, mult


__all__ = ["NO_DAY", "Contacts", "Events", "generate_events"]
