"""Arrow schemas of the output files and the conversion of generated arrays into tables.

String columns with few distinct values are built as dictionary arrays: the Parquet writer
then stores them dictionary-encoded without hashing every value, and since the Arrow
schema is not embedded in the files they read back as plain strings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from opspor.synth.events import Events, acute_code_list, symptom_code_list
from opspor.synth.labref import LabReference
from opspor.synth.params import CONTACT_KINDS, ROUTES, SEXES, SITES, SynthParams
from opspor.synth.pathways import NO_DAY as NO_PATHWAY_DAY
from opspor.synth.pathways import Pathways
from opspor.synth.patients import NO_DAY, SMOKING, Cohort, exposure_list

I64 = npt.NDArray[np.int64]

DICT = pa.dictionary(pa.int32(), pa.string())
DATE = pa.date32()

# What the files hold when read back (dictionary columns come back as strings).
FILE_SCHEMAS: dict[str, pa.Schema] = {
    "practices": pa.schema(
        [
            ("practice_id", pa.int32()),
            ("name", pa.string()),
            ("kind", pa.string()),
            ("n_gps", pa.int32()),
            ("phone", pa.string()),
            ("direct_phone", pa.string()),
            ("municipality", pa.string()),
            ("diagnostic_unit", pa.string()),
        ]
    ),
    "clinicians": pa.schema(
        [
            ("clinician_id", pa.int32()),
            ("practice_id", pa.int32()),
            ("role", pa.string()),
            ("name", pa.string()),
        ]
    ),
    "patients": pa.schema(
        [
            ("patient_id", pa.int32()),
            ("birth_date", DATE),
            ("sex", pa.string()),
            ("practice_id", pa.int32()),
            ("own_gp_id", pa.int32()),
            ("registered_from", DATE),
            ("registered_to", DATE),
            ("lives_alone", pa.bool_()),
            ("language", pa.string()),
            ("interpreter_needed", pa.bool_()),
            ("smoking", pa.string()),
            ("occupation", pa.string()),
            ("occupational_exposures", pa.list_(pa.string())),
            ("family_history_sites", pa.list_(pa.string())),
            ("died_on", DATE),
            ("frequent_attender", pa.bool_()),
        ]
    ),
    "contacts": pa.schema(
        [
            ("patient_id", pa.int32()),
            ("clinician_id", pa.int32()),
            ("practice_id", pa.int32()),
            ("contact_date", DATE),
            ("kind", pa.string()),
        ]
    ),
    "symptoms": pa.schema(
        [
            ("patient_id", pa.int32()),
            ("code", pa.string()),
            ("onset", DATE),
            ("recorded_date", DATE),
            ("persistent", pa.bool_()),
            ("recurrent", pa.bool_()),
        ]
    ),
    "labs": pa.schema(
        [
            ("patient_id", pa.int32()),
            ("code", pa.string()),
            ("value", pa.float64()),
            ("unit", pa.string()),
            ("ref_low", pa.float64()),
            ("ref_high", pa.float64()),
            ("taken_date", DATE),
        ]
    ),
    "conditions": pa.schema(
        [
            ("patient_id", pa.int32()),
            ("code", pa.string()),
            ("system", pa.string()),
            ("chronic", pa.bool_()),
            ("onset", DATE),
        ]
    ),
    "medications": pa.schema(
        [
            ("patient_id", pa.int32()),
            ("atc", pa.string()),
            ("start", DATE),
            ("stop", DATE),
        ]
    ),
    "diagnoses": pa.schema(
        [
            ("patient_id", pa.int32()),
            ("diagnosis_date", DATE),
            ("cancer_site", pa.string()),
            ("first_symptom_date", DATE),
            ("first_presentation_date", DATE),
            ("referral_date", DATE),
            ("route", pa.string()),
            ("consultations_before_referral", pa.int32()),
        ]
    ),
}
TABLE_NAMES: tuple[str, ...] = tuple(FILE_SCHEMAS)

# Columns written as dictionary arrays.
_DICT_COLUMNS: dict[str, set[str]] = {
    "patients": {"sex", "language", "smoking", "occupation"},
    "contacts": {"kind"},
    "symptoms": {"code"},
    "labs": {"code", "unit"},
    "conditions": {"code", "system"},
    "medications": {"atc"},
    "diagnoses": {"cancer_site", "route"},
}


def write_schema(name: str) -> pa.Schema:
    """The schema the writer is given (dictionary types where the table uses them)."""
    dict_cols = _DICT_COLUMNS.get(name, set())
    return pa.schema(
        [pa.field(f.name, DICT if f.name in dict_cols else f.type) for f in FILE_SCHEMAS[name]]
    )


def _i32(a: npt.ArrayLike) -> pa.Array:
    return pa.array(np.asarray(a, dtype=np.int32))


def _date(a: I64, null: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    arr = np.asarray(a, dtype=np.int64)
    if null is None:
        return pa.array(arr.astype(np.int32)).view(DATE)
    arr = np.where(null, 0, arr).astype(np.int32)
    return pa.array(arr, mask=null).view(DATE)


def _dict(
    indices: I64, values: Sequence[str], null: npt.NDArray[np.bool_] | None = None
) -> pa.Array:
    idx = np.asarray(indices, dtype=np.int32)
    if null is not None:
        idx = np.where(null, 0, idx)
        ind = pa.array(idx, mask=null)
    else:
        ind = pa.array(idx)
    return pa.DictionaryArray.from_arrays(ind, pa.array(list(values), pa.string()))


def _list_of_strings(offsets: I64, values: I64, vocabulary: Sequence[str]) -> pa.Array:
    strings = pa.array(np.asarray(vocabulary, dtype=object)[values].tolist(), pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), strings)


def _by_patient_then_day(patient: I64, day: I64) -> I64:
    return np.lexsort((day, patient))


def patients_table(c: Cohort, p: SynthParams) -> pa.Table:
    lang = list(p.language.share)
    occ = [o.code for o in p.occupations.entries]
    return pa.Table.from_arrays(
        [
            _i32(c.ids),
            _date(c.birth),
            _dict(c.sex, SEXES),
            _i32(c.practice + 1),
            _i32(c.own_gp),
            _date(c.reg_from),
            _date(c.reg_to, c.reg_to == NO_DAY),
            pa.array(c.lives_alone),
            _dict(c.language, lang),
            pa.array(c.interpreter),
            _dict(c.smoking, SMOKING),
            _dict(c.occupation, occ, c.occupation < 0),
            _list_of_strings(c.exposure_offsets, c.exposure_values, exposure_list(p)),
            _list_of_strings(c.family_offsets, c.family_values, SITES),
            _date(c.died, c.died == NO_DAY),
            pa.array(c.frequent_attender),
        ],
        schema=write_schema("patients"),
    )


def event_tables(
    c: Cohort, e: Events, ref: LabReference, p: SynthParams, paths: Pathways
) -> dict[str, pa.Table]:
    """The event tables; ``paths`` has one row per cancer, in cohort order."""
    ct = e.contacts
    contacts = pa.Table.from_arrays(
        [
            _i32(c.ids[ct.patient]),
            _i32(ct.clinician),
            _i32(c.practice[ct.patient] + 1),
            _date(ct.day),
            _dict(ct.kind, CONTACT_KINDS),
        ],
        schema=write_schema("contacts"),
    )

    o = _by_patient_then_day(e.symptom_patient, e.symptom_day)
    sp = e.symptom_patient[o]
    onset = np.maximum(e.symptom_onset[o], c.birth[sp])
    symptoms = pa.Table.from_arrays(
        [
            _i32(c.ids[sp]),
            _dict(e.symptom_code[o], symptom_code_list(p)),
            _date(onset),
            _date(e.symptom_day[o]),
            pa.array(e.symptom_persistent[o]),
            pa.array(e.symptom_recurrent[o]),
        ],
        schema=write_schema("symptoms"),
    )

    o = _by_patient_then_day(e.lab_patient, e.lab_day)
    lp = e.lab_patient[o]
    code = e.lab_code[o]
    sex = c.sex[lp]
    age = c.age_at(e.lab_day[o], lp)
    low = ref.low[code, sex, age]
    high = ref.high[code, sex, age]
    labs = pa.Table.from_arrays(
        [
            _i32(c.ids[lp]),
            _dict(code, ref.codes),
            pa.array(e.lab_value[o]),
            _dict(code, ref.units),
            pa.array(low, mask=np.isnan(low)),
            pa.array(high, mask=np.isnan(high)),
            _date(e.lab_day[o]),
        ],
        schema=write_schema("labs"),
    )

    # Chronic conditions from the cohort, acute ones from the contacts.
    conds = p.conditions
    cpat, ccond = np.nonzero(c.conditions)
    acodes = acute_code_list(p)
    code_list = [x.code for x in conds] + acodes
    system_list = ["icd10", "icpc2"]
    cond_system = np.asarray([system_list.index(x.system) for x in conds], dtype=np.int64)
    all_pat = np.concatenate([cpat, e.acute_patient])
    all_code = np.concatenate([ccond, len(conds) + e.acute_code])
    all_system = np.concatenate([cond_system[ccond], np.ones(len(e.acute_patient), np.int64)])
    all_chronic = np.concatenate([np.ones(len(cpat), bool), np.zeros(len(e.acute_patient), bool)])
    all_onset = np.concatenate([c.condition_onset[cpat, ccond], e.acute_day])
    o = _by_patient_then_day(all_pat, all_onset)
    conditions = pa.Table.from_arrays(
        [
            _i32(c.ids[all_pat[o]]),
            _dict(all_code[o], code_list),
            _dict(all_system[o], system_list),
            pa.array(all_chronic[o]),
            _date(all_onset[o]),
        ],
        schema=write_schema("conditions"),
    )

    atc_list: list[str] = []
    atc_of: list[list[int]] = []
    for x in conds:
        idx = []
        for a in x.atc:
            if a not in atc_list:
                atc_list.append(a)
            idx.append(atc_list.index(a))
        atc_of.append(idx)
    mp: list[I64] = []
    ma: list[I64] = []
    ms: list[I64] = []
    for k, atcs in enumerate(atc_of):
        rows = cpat[ccond == k]
        start = c.condition_onset[rows, k]
        for atc_index in atcs:
            mp.append(rows)
            ma.append(np.full(len(rows), atc_index, dtype=np.int64))
            ms.append(start)
    med_pat = np.concatenate(mp) if mp else np.zeros(0, np.int64)
    med_atc = np.concatenate(ma) if ma else np.zeros(0, np.int64)
    med_start = np.concatenate(ms) if ms else np.zeros(0, np.int64)
    # Deterministic small offsets keep the table a function of the cohort alone.
    lag = (c.ids[med_pat] * 7 + med_atc * 13) % 60
    med_start = np.minimum(med_start + lag, c.active_to[med_pat] - 1)
    o = _by_patient_then_day(med_pat, med_start)
    end = c.active_to[med_pat[o]] - 1
    # The practice stops knowing about a prescription when the patient dies or leaves.
    stopped = (c.died[med_pat[o]] != NO_DAY) | (c.reg_to[med_pat[o]] != NO_DAY)
    medications = pa.Table.from_arrays(
        [
            _i32(c.ids[med_pat[o]]),
            _dict(med_atc[o], atc_list),
            _date(med_start[o]),
            _date(end, ~stopped),
        ],
        schema=write_schema("medications"),
    )

    d = np.nonzero(c.cancer_site >= 0)[0]
    diagnoses = pa.Table.from_arrays(
        [
            _i32(c.ids[d]),
            _date(c.diagnosis[d]),
            _dict(c.cancer_site[d], SITES),
            _date(paths.first_symptom),
            _date(paths.first_presentation),
            _date(paths.referral, paths.referral == NO_PATHWAY_DAY),
            _dict(paths.route, ROUTES),
            pa.array(paths.consultations.astype(np.int32), mask=paths.consultations < 0),
        ],
        schema=write_schema("diagnoses"),
    )
    return {
        "contacts": contacts,
        "symptoms": symptoms,
        "labs": labs,
        "conditions": conditions,
        "medications": medications,
        "diagnoses": diagnoses,
    }
