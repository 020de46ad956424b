"""Practices and their clinicians."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from opspor.synth import names
from opspor.synth.params import SynthParams

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Region:
    n_gps: I64  # per practice
    n_clinicians: I64  # GPs plus a trainee where there is one
    first_clinician: I64  # clinician_id of the practice's first GP
    list_weight_cum: F64  # cumulative share of patients by practice
    own_gp_p: F64  # probability that a contact is with the patient's own GP
    practices: pa.Table
    clinicians: pa.Table

    @property
    def n_practices(self) -> int:
        return len(self.n_gps)


def default_practice_count(n_patients: int, p: SynthParams) -> int:
    per_practice = p.practices.patients_per_gp * p.practices.mean_gps
    return max(1, min(n_patients, round(n_patients / per_practice)))


def _phone(rng: np.random.Generator, n: int) -> list[str]:
    # No Danish subscriber number starts with 0, so these can never ring a real line.
    digits = rng.integers(0, 10_000_000, size=n)
    out = []
    for d in digits:
        s = f"0{d:07d}"
        out.append(f"+45 {s[0:2]} {s[2:4]} {s[4:6]} {s[6:8]}")
    return out


def build_region(rng: np.random.Generator, n_practices: int, p: SynthParams) -> Region:
    pr = p.practices
    n_gps = rng.choice(
        np.asarray(pr.n_gps_values, dtype=np.int64), size=n_practices, p=pr.n_gps_share
    )
    multi = n_gps > 1
    kind = np.where(
        multi,
        np.where(
            rng.random(n_practices) < pr.network_share_of_multi_gp.value, "network", "partnership"
        ),
        "solo",
    )
    trainee_p = np.where(multi, pr.trainee_probability.multi, pr.trainee_probability.solo)
    has_trainee = rng.random(n_practices) < trainee_p
    n_clin = n_gps + has_trainee.astype(np.int64)
    first = np.concatenate([[1], 1 + np.cumsum(n_clin)[:-1]]).astype(np.int64)

    muni = p.municipalities.entries
    mw = np.asarray(p.municipalities.practice_weights(), dtype=np.float64)
    mi = rng.choice(len(muni), size=n_practices, p=mw / mw.sum())

    own = p.continuity.own_gp_probability_by_n_gps
    largest = max(own)
    own_gp_p = np.asarray([own[min(int(k), largest)] for k in n_gps], dtype=np.float64)

    # List size is proportional to the number of GPs, as the agreement's 1,600-patient
    # capacity per GP implies.
    weight = n_gps.astype(np.float64)
    cum = np.cumsum(weight / weight.sum())
    cum[-1] = 1.0

    clin_ids: list[int] = []
    clin_practice: list[int] = []
    clin_role: list[str] = []
    clin_name: list[str] = []
    practice_names: list[str] = []
    for i in range(n_practices):
        gp_names = [
            names.full_name(rng, "female" if rng.random() < 0.5 else "male")
            for _ in range(int(n_gps[i]))
        ]
        for j, nm in enumerate(gp_names):
            clin_ids.append(int(first[i]) + j)
            clin_practice.append(i + 1)
            clin_role.append("gp")
            clin_name.append(nm)
        if has_trainee[i]:
            clin_ids.append(int(first[i]) + int(n_gps[i]))
            clin_practice.append(i + 1)
            clin_role.append("trainee_gp")
            clin_name.append(names.full_name(rng, "female" if rng.random() < 0.5 else "male"))
        town = muni[int(mi[i])].name
        if kind[i] == "solo":
            practice_names.append(f"Læge {gp_names[0]}")
        elif kind[i] == "partnership":
            surnames = " og ".join(n.split()[-1] for n in gp_names[:2])
            practice_names.append(f"Lægerne {surnames}")
        else:
            practice_names.append(f"Lægehuset {town} {i + 1}")

    practices = pa.table(
        {
            "practice_id": pa.array(np.arange(1, n_practices + 1, dtype=np.int32)),
            "name": pa.array(practice_names, pa.string()),
            "kind": pa.array(kind.tolist(), pa.string()),
            "n_gps": pa.array(n_gps.astype(np.int32)),
            "phone": pa.array(_phone(rng, n_practices), pa.string()),
            "direct_phone": pa.array(_phone(rng, n_practices), pa.string()),
            "municipality": pa.array([muni[int(k)].name for k in mi], pa.string()),
            "diagnostic_unit": pa.array([muni[int(k)].unit for k in mi], pa.string()),
        }
    )
    clinicians = pa.table(
        {
            "clinician_id": pa.array(np.asarray(clin_ids, dtype=np.int32)),
            "practice_id": pa.array(np.asarray(clin_practice, dtype=np.int32)),
            "role": pa.array(clin_role, pa.string()),
            "name": pa.array(clin_name, pa.string()),
        }
    )
    return Region(
        n_gps=n_gps,
        n_clinicians=n_clin,
        first_clinician=first,
        list_weight_cum=cum,
        own_gp_p=own_gp_p,
        practices=practices,
        clinicians=clinicians,
    )
