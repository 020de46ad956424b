"""The route to diagnosis and the Aarhus statement time points of each cancer.

Drawn from a random stream of their own (``numpy.random.default_rng([seed, STREAM, chunk])``)
after the chunk's other tables are complete, so that every other column of a region is the
same with or without them: the generator's own stream is never touched here.

For each cancer: the route (`params.yaml`, ``pathways.routes``); for a referral route the
secondary care interval (referral -> diagnosis) and the primary care interval (first
presentation -> referral); for an emergency presentation the days from the admission to the
diagnosis (within 30, the ICBP definition) and no referral; for every cancer the patient
interval (first symptom -> first presentation). The first presentation is moved to the
patient's nearest recorded contact when one is close, so that it is usually a day on which
the practice saw the patient. Consultations before referral count the recorded contacts from
the first presentation to the referral, both days included (the first presentation counts
even where it is not a recorded contact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from opspor.synth.params import ROUTES, SynthParams

I64 = npt.NDArray[np.int64]

# Tags this stream apart from `SeedSequence(seed)`'s children, which the other tables use.
STREAM = 0x9A7E
EMERGENCY = ROUTES.index("emergency")
NO_DAY = np.iinfo(np.int64).min


@dataclass
class Pathways:
    """One row per cancer, in the order of the diagnoses given; NO_DAY / -1 where none."""

    route: I64  # index into ROUTES
    first_symptom: I64
    first_presentation: I64
    referral: I64  # NO_DAY for an emergency presentation
    consultations: I64  # -1 for an emergency presentation


def pathway_rng(seed: int, chunk: int) -> np.random.Generator:
    return np.random.default_rng([seed, STREAM, chunk])


def _lognormal_days(rng: np.random.Generator, median: float, sigma: float, n: int, cap: int) -> I64:
    x = np.exp(np.log(median) + sigma * rng.standard_normal(n))
    return np.minimum(np.floor(x), cap).astype(np.int64)


def draw_pathways(
    rng: np.random.Generator,
    *,
    patient: I64,
    diagnosis: I64,
    birth: I64,
    contact_patient: I64,
    contact_day: I64,
    p: SynthParams,
) -> Pathways:
    """``patient``: the cancer patients' cohort indices with their ``diagnosis`` and ``birth``
    days; ``contact_patient``/``contact_day``: the chunk's contacts, sorted by patient, day."""
    pw = p.pathways
    n = len(patient)
    cap = pw.placement.max_interval_days
    # Every draw is made for every cancer, whatever its route, so that the stream's use does
    # not depend on the outcomes.
    u_route = rng.random(n)
    secondary = _lognormal_days(
        rng, pw.secondary_care_interval.median_days, pw.secondary_care_interval.sigma, n, cap
    )
    pc = pw.primary_care_interval
    zero = rng.random(n) < pc.zero_share
    positive = np.exp(np.log(pc.positive_median_days) + pc.positive_sigma * rng.standard_normal(n))
    primary = np.where(zero, 0, np.minimum(np.ceil(positive), cap)).astype(np.int64)
    patient_interval = _lognormal_days(
        rng, pw.patient_interval.median_days, pw.patient_interval.sigma, n, cap
    )
    emergency_days = rng.integers(0, pw.emergency_to_diagnosis.max_days + 1, n)

    cum = np.cumsum(pw.routes.shares())
    cum[-1] = 1.0
    route = np.searchsorted(cum, u_route, side="right").clip(0, len(ROUTES) - 1).astype(np.int64)
    emergency = route == EMERGENCY

    referral = np.where(emergency, NO_DAY, diagnosis - secondary)
    presentation = np.where(emergency, diagnosis - emergency_days, referral - primary)
    # Nothing happens before birth (a cancer in infancy).
    presentation = np.maximum(presentation, birth)
    referral = np.where(emergency, NO_DAY, np.maximum(referral, presentation))
    consultations = np.where(emergency, -1, 1).astype(np.int64)

    lo = np.searchsorted(contact_patient, patient, side="left")
    hi = np.searchsorted(contact_patient, patient, side="right")
    snap = pw.placement.snap_days
    for i in range(n):
        if emergency[i]:
            continue
        days = contact_day[lo[i] : hi[i]]
        target = presentation[i]
        latest = referral[i] if primary[i] > 0 else diagnosis[i]
        near = days[(days >= target - snap) & (days <= target + snap) & (days <= latest)]
        if len(near):
            # The nearest, the earlier of two equally near.
            chosen = int(near[np.argmin(np.abs(near - target))])
            presentation[i] = chosen
            if primary[i] == 0 or chosen > referral[i]:
                referral[i] = chosen
        first, last = presentation[i], referral[i]
        seen = int(np.count_nonzero((days >= first) & (days <= last)))
        counted_first = bool(np.any(days == first))
        consultations[i] = max(1, seen + (0 if counted_first else 1))

    first_symptom = np.maximum(presentation - patient_interval, birth)
    return Pathways(
        route=route,
        first_symptom=first_symptom,
        first_presentation=presentation,
        referral=referral,
        consultations=consultations,
    )
