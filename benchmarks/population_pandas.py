"""The population scan's signals written plainly in pandas: the benchmark's reference.

    .venv/bin/python benchmarks/population_pandas.py --data DIR --as-of 2025-06-30
        [--sample N] [--out FILE] [--signals-only]

The same definitions as the engine (`src/opspor/engine/README.md`, "Signals") and the scan,
for every patient listed on the as-of date, in the columns of the scan's result
(`opspor.population.scan.shape.RESULT_SCHEMA`). Readable pandas on purpose: one groupby or
merge per step, in the order the definitions are written, with no tuning. It is both the
baseline the scan's speed is measured against (`benchmarks/population.py`) and an oracle its
results are held to (`tests/benchmarks/test_population.py`), written independently of the
scan's expressions. From the engine it takes only the population rates, the Poisson tail
and the table of symptoms that conditions and medicines explain, so that those three agree
by construction.

``--sample N`` reads the patients with ids 1..N only (the synthetic region numbers them from
1), which makes a sample of a large region without writing a new one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opspor.engine.population import contacts_per_year
from opspor.engine.settings import DEFAULT_SETTINGS, EngineSettings
from opspor.engine.signals.new_symptom import familiar_symptoms
from opspor.engine.stats import poisson_sf
from opspor.population.scan.shape import READS, RESULT_SCHEMA
from population import positive

# ICD-10 F20-F39 and F40-F41; F10-F19 except F17 (tobacco). ICPC-2 by its first three
# characters. Written from the engine README's table, not imported, so that a mistake in
# one is not copied into the other.
PSYCHIATRIC_ICD10 = r"^F(?:2\d|3\d|4[01])"
PSYCHIATRIC_ICPC2 = ["P72", "P73", "P74", "P76", "P98"]
SUBSTANCE_ICD10 = r"^F1[0-68-9]"
SUBSTANCE_ICPC2 = ["P15", "P16", "P18", "P19"]
FLAG_ORDER = [
    "male_living_alone",
    "language_barrier",
    "psychiatric_diagnosis",
    "substance_abuse",
    "multimorbidity",
    "long_absence",
]


@dataclass(frozen=True)
class Tables:
    patients: pd.DataFrame
    contacts: pd.DataFrame
    symptoms: pd.DataFrame
    conditions: pd.DataFrame
    medications: pd.DataFrame


def read_tables(data: Path, sample: int | None = None) -> Tables:
    """The columns the scan reads from the region's files; ``sample``: patients 1..N only."""
    filters = [("patient_id", "<=", sample)] if sample else None
    return tables_from_arrow(
        {
            table: pq.read_table(data / f"{table}.parquet", columns=list(columns), filters=filters)
            for table, columns in READS.items()
        }
    )


def tables_from_arrow(tables: dict[str, pa.Table]) -> Tables:
    """The scan's input tables as pandas frames, dates as datetime64."""
    return Tables(
        **{
            table: tables[table].select(list(columns)).to_pandas(date_as_object=False)
            for table, columns in READS.items()
        }
    )


def population_rates() -> pd.DataFrame:
    """The engine's contacts per person-year, one row per sex and year of age."""
    return pd.DataFrame(
        [
            {"sex": sex, "age": age, "population_per_year": contacts_per_year(age, sex)}
            for sex in ("female", "male")
            for age in range(0, 151)
        ]
    )


def listed_patients(patients: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Registered with a practice on the as-of day, born and alive."""
    listed = patients[
        (patients["registered_from"] <= as_of)
        & (patients["birth_date"] <= as_of)
        & (patients["registered_to"].isna() | (patients["registered_to"] >= as_of))
        & (patients["died_on"].isna() | (patients["died_on"] > as_of))
    ].copy()
    birthday_to_come = (listed["birth_date"].dt.month > as_of.month) | (
        (listed["birth_date"].dt.month == as_of.month) & (listed["birth_date"].dt.day > as_of.day)
    )
    listed["age"] = as_of.year - listed["birth_date"].dt.year - birthday_to_come.astype(int)
    return listed.merge(population_rates(), on=["sex", "age"], how="left")


def pattern_break(
    listed: pd.DataFrame, contacts: pd.DataFrame, as_of: pd.Timestamp, s: EngineSettings
) -> pd.DataFrame:
    """Recent and baseline counts, the expected count, the Poisson tail and the two readings
    (pattern break, low-user rise), for every listed patient."""
    recent_start = as_of - pd.Timedelta(days=s.recent_days)
    df = listed[["patient_id", "registered_from", "population_per_year"]].copy()
    df["baseline_start"] = df["registered_from"].clip(
        lower=as_of - pd.Timedelta(days=s.baseline_days)
    )
    df["pattern_break_baseline_days"] = (
        (recent_start - df["baseline_start"]).dt.days.clip(lower=0).astype("int64")
    )

    recent = contacts[contacts["contact_date"] >= recent_start]
    recent_counts = recent.groupby("patient_id").size().rename("pattern_break_count")
    with_start = contacts.merge(df[["patient_id", "baseline_start"]], on="patient_id")
    baseline = with_start[
        (with_start["contact_date"] >= with_start["baseline_start"])
        & (with_start["contact_date"] < recent_start)
    ]
    baseline_counts = baseline.groupby("patient_id").size().rename("pattern_break_baseline")
    df = df.merge(recent_counts, on="patient_id", how="left")
    df = df.merge(baseline_counts, on="patient_id", how="left")
    df[["pattern_break_count", "pattern_break_baseline"]] = (
        df[["pattern_break_count", "pattern_break_baseline"]].fillna(0).astype("int64")
    )

    # The same operations in the same order as the engine, so the floats agree to the bit.
    prior = df["population_per_year"] / 365.0 * s.prior_days
    per_day = (df["pattern_break_baseline"] + prior) / (
        df["pattern_break_baseline_days"] + s.prior_days
    )
    df["pattern_break_expected"] = per_day * s.recent_days
    df["pattern_break_p"] = [
        poisson_sf(int(k), float(mu))
        for k, mu in zip(df["pattern_break_count"], df["pattern_break_expected"], strict=True)
    ]
    df["pattern_break"] = (df["pattern_break_count"] >= s.pattern_break_min_count) & (
        df["pattern_break_p"] < s.pattern_break_p_value
    )

    baseline_per_year = df["pattern_break_baseline"] / df["pattern_break_baseline_days"] * 365.0
    df["low_user_rise"] = (
        df["pattern_break"]
        & (df["pattern_break_baseline_days"] >= s.low_user_min_baseline_days)
        & (baseline_per_year < s.low_user_rate_fraction * df["population_per_year"])
    )
    df["low_user_baseline_per_year"] = baseline_per_year.where(df["low_user_rise"])
    return df.drop(columns=["registered_from", "baseline_start"])


def long_absence(
    listed: pd.DataFrame, contacts: pd.DataFrame, as_of: pd.Timestamp, s: EngineSettings
) -> pd.DataFrame:
    """The gap before the first contact of the recent window, where it is long enough; the
    last contact of every patient seen."""
    recent_start = as_of - pd.Timedelta(days=s.recent_days)
    ordered = contacts.sort_values(["patient_id", "contact_date"])
    ordered["previous_date"] = ordered.groupby("patient_id")["contact_date"].shift()
    # The first recent contact of each patient, with the date of the contact before it.
    first_recent = ordered[ordered["contact_date"] >= recent_start].drop_duplicates(
        "patient_id", keep="first"
    )
    first_recent = first_recent.merge(
        listed[["patient_id", "registered_from"]], on="patient_id", how="inner"
    )
    gap_start = first_recent["previous_date"].fillna(first_recent["registered_from"])
    first_recent["long_absence_days"] = (first_recent["contact_date"] - gap_start).dt.days
    first_recent["long_absence_returned_on"] = first_recent["contact_date"]
    absent = first_recent[first_recent["long_absence_days"] >= s.long_absence_days]
    last = contacts.groupby("patient_id")["contact_date"].max().rename("last_contact_date")
    out = listed[["patient_id"]].merge(last, on="patient_id", how="left")
    return out.merge(
        absent[["patient_id", "long_absence_days", "long_absence_returned_on"]],
        on="patient_id",
        how="left",
    )


def continuity(contacts: pd.DataFrame, as_of: pd.Timestamp, s: EngineSettings) -> pd.DataFrame:
    """UPC, Bice-Boxerman COC and SECON over the contacts with a named clinician in
    (T - 730 days, T], where there are at least three."""
    start = as_of - pd.Timedelta(days=s.continuity_days)
    window = contacts[(contacts["contact_date"] > start) & contacts["clinician_id"].notna()].copy()
    # The engine sorts a day's contacts by the clinician's key as text ("clinician-12" before
    # "clinician-9"), which decides SECON when one day has contacts with two clinicians.
    window["clinician_key"] = window["clinician_id"].astype("int64").astype(str)
    window = window.sort_values(["patient_id", "contact_date", "clinician_key"])
    n = window.groupby("patient_id").size().rename("n_contacts_2y")
    per_clinician = window.groupby(["patient_id", "clinician_id"]).size().rename("n_k")
    per_clinician = per_clinician.reset_index()
    per_clinician["n_k_squared"] = per_clinician["n_k"] ** 2
    by_patient = per_clinician.groupby("patient_id").agg(
        most=("n_k", "max"), sum_squares=("n_k_squared", "sum")
    )
    window["same_as_previous"] = (
        window["clinician_id"] == window.groupby("patient_id")["clinician_id"].shift()
    )
    same = window.groupby("patient_id")["same_as_previous"].sum().rename("same")
    df = pd.concat([n, by_patient, same], axis=1).reset_index()
    n2 = df["n_contacts_2y"]
    enough = n2 >= s.continuity_min_contacts
    df["upc"] = (df["most"] / n2).where(enough)
    df["coc"] = ((df["sum_squares"] - n2) / (n2 * (n2 - 1))).where(enough)
    df["secon"] = (df["same"] / (n2 - 1)).where(enough)
    return df[["patient_id", "n_contacts_2y", "upc", "coc", "secon"]]


def current_background(tables: Tables, as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The conditions known on the as-of day (onset by then, or no onset) and the medicines
    current on it (started by then, not stopped before it)."""
    c = tables.conditions
    conditions = c[c["onset"].isna() | (c["onset"] <= as_of)]
    m = tables.medications
    medications = m[(m["start"] <= as_of) & (m["stop"].isna() | (m["stop"] >= as_of))]
    return conditions, medications


def repeat_symptom(
    tables: Tables,
    listed: pd.DataFrame,
    conditions: pd.DataFrame,
    medications: pd.DataFrame,
    as_of: pd.Timestamp,
    s: EngineSettings,
) -> pd.DataFrame:
    """Unexplained symptom codes recorded on three or more distinct days in the 365 days up
    to the as-of day: the first by most days then code, and all of them."""
    first_day = as_of - pd.Timedelta(days=s.repeat_symptom_days - 1)
    sy = tables.symptoms
    window = sy[(sy["recorded_date"] >= first_day) & (sy["recorded_date"] <= as_of)]
    window = window[window["patient_id"].isin(listed["patient_id"])]
    days = window.drop_duplicates(["patient_id", "code", "recorded_date"])
    counts = days.groupby(["patient_id", "code"]).size().rename("consultations").reset_index()
    repeated = counts[counts["consultations"] >= s.repeat_symptom_min_consultations]

    # What the patient's chronic conditions and current medicines account for, asked of the
    # engine's table only for the few patients with a repeated symptom.
    candidates = repeated["patient_id"].unique()
    chronic = conditions[conditions["chronic"] & conditions["patient_id"].isin(candidates)]
    chronic_by_patient = {
        pid: list(zip(g["system"], g["code"], strict=True))
        for pid, g in chronic.groupby("patient_id")
    }
    medicines_by_patient = {
        pid: list(g["atc"])
        for pid, g in medications[medications["patient_id"].isin(candidates)].groupby("patient_id")
    }
    familiar = {
        pid: familiar_symptoms(
            chronic=chronic_by_patient.get(pid, []), medicines=medicines_by_patient.get(pid, [])
        )
        for pid in candidates
    }
    explained = [
        code in familiar[pid]
        for pid, code in zip(repeated["patient_id"], repeated["code"], strict=True)
    ]
    unexplained = repeated[~pd.Series(explained, index=repeated.index, dtype=bool)]
    unexplained = unexplained.sort_values(
        ["patient_id", "consultations", "code"], ascending=[True, False, True]
    )
    top = unexplained.drop_duplicates("patient_id", keep="first").set_index("patient_id")
    top["repeat_symptoms"] = pd.Series(
        {
            pid: [
                {"code": code, "consultations": int(k)}
                for code, k in zip(g["code"], g["consultations"], strict=True)
            ]
            for pid, g in unexplained.groupby("patient_id")
        },
        dtype=object,
    )
    top = top.rename(
        columns={"code": "repeat_symptom_code", "consultations": "repeat_symptom_consultations"}
    )
    return top[
        ["repeat_symptom_code", "repeat_symptom_consultations", "repeat_symptoms"]
    ].reset_index()


def vulnerability(
    listed: pd.DataFrame,
    conditions: pd.DataFrame,
    long_absent: pd.Series,
    s: EngineSettings,
) -> pd.DataFrame:
    """The vulnerability flags of every listed patient, in the engine's order."""
    c = conditions[conditions["patient_id"].isin(listed["patient_id"])].copy()
    code = c["code"].str.upper().str.replace(".", "", regex=False)
    icd10 = c["system"] == "icd10"
    c["psychiatric"] = (icd10 & code.str.match(PSYCHIATRIC_ICD10)) | (
        ~icd10 & code.str[:3].isin(PSYCHIATRIC_ICPC2)
    )
    c["substance"] = (icd10 & code.str.match(SUBSTANCE_ICD10)) | (
        ~icd10 & code.str[:3].isin(SUBSTANCE_ICPC2)
    )
    per_patient = c.groupby("patient_id").agg(
        psychiatric=("psychiatric", "any"),
        substance=("substance", "any"),
        chronic=("chronic", "sum"),
    )
    df = listed[["patient_id", "sex", "lives_alone", "age", "interpreter_needed", "language"]]
    df = df.merge(per_patient, on="patient_id", how="left")
    flags = pd.DataFrame(
        {
            "male_living_alone": (df["sex"] == "male")
            & df["lives_alone"]
            & (df["age"] >= s.male_living_alone_min_age),
            "language_barrier": df["interpreter_needed"] | (df["language"] != "da"),
            "psychiatric_diagnosis": df["psychiatric"].fillna(False).astype(bool),
            "substance_abuse": df["substance"].fillna(False).astype(bool),
            "multimorbidity": df["chronic"].fillna(0) >= s.multimorbidity_min_conditions,
            "long_absence": long_absent.to_numpy(),
        }
    )
    return pd.DataFrame(
        {
            "patient_id": df["patient_id"],
            "vulnerability_flags": [
                [flag for flag in FLAG_ORDER if row[flag]] for row in flags.to_dict("records")
            ],
        }
    )


def population_signals(
    tables: Tables, as_of: date, settings: EngineSettings = DEFAULT_SETTINGS
) -> pa.Table:
    """Every listed patient's row of the scan's result, ordered by patient."""
    t = pd.Timestamp(as_of)
    listed = listed_patients(tables.patients, t)
    contacts = tables.contacts[tables.contacts["contact_date"] <= t]
    contacts = contacts[contacts["patient_id"].isin(listed["patient_id"])]
    conditions, medications = current_background(tables, t)

    result = listed[["patient_id", "practice_id"]].copy()
    result["as_of"] = t
    result = result.merge(pattern_break(listed, contacts, t, settings), on="patient_id")
    result = result.merge(long_absence(listed, contacts, t, settings), on="patient_id")
    result = result.merge(continuity(contacts, t, settings), on="patient_id", how="left")
    result["n_contacts_2y"] = result["n_contacts_2y"].fillna(0).astype("int64")
    result = result.merge(
        repeat_symptom(tables, listed, conditions, medications, t, settings),
        on="patient_id",
        how="left",
    )
    flags = vulnerability(listed, conditions, result["long_absence_days"].notna(), settings)
    result = result.merge(flags, on="patient_id")
    result = result.sort_values("patient_id").reset_index(drop=True)
    return to_arrow(result)


def to_arrow(df: pd.DataFrame) -> pa.Table:
    """The frame in the result's columns and types (nulls where pandas has NaN or NaT)."""
    columns = {}
    for field in RESULT_SCHEMA:
        values = df[field.name]
        if pa.types.is_date32(field.type):
            values = values.dt.date.astype(object).where(values.notna(), None)
        elif pa.types.is_integer(field.type):
            values = values.astype("Int64")
        elif pa.types.is_list(field.type):
            values = values.astype(object).where(values.notna(), None)
        columns[field.name] = pa.array(values, type=field.type, from_pandas=True)
    return pa.table(columns, schema=RESULT_SCHEMA)


def with_signal(result: pa.Table) -> pa.Table:
    """The rows with any of the worklist's signals (the scan's default output)."""
    keep = pc.or_(
        pc.or_(result["pattern_break"], result["low_user_rise"]),
        pc.or_(
            pc.is_valid(result["long_absence_days"]), pc.is_valid(result["repeat_symptom_code"])
        ),
    )
    return result.filter(keep)


def differences(
    left: pa.Table, right: pa.Table, *, rel: float = 1e-12, limit: int = 10
) -> list[str]:
    """Where two results disagree: rows matched by patient, every column compared, floats
    within ``rel`` relative. Empty when they agree."""
    found: list[str] = []
    if left.schema.names != right.schema.names:
        return [f"columns differ: {left.schema.names} != {right.schema.names}"]
    a = left.to_pandas().set_index("patient_id").sort_index()
    b = right.to_pandas().set_index("patient_id").sort_index()
    only_left = a.index.difference(b.index)
    only_right = b.index.difference(a.index)
    if len(only_left):
        found.append(f"{len(only_left)} patients only on the left, e.g. {list(only_left[:5])}")
    if len(only_right):
        found.append(f"{len(only_right)} patients only on the right, e.g. {list(only_right[:5])}")
    common = a.index.intersection(b.index)
    a, b = a.loc[common], b.loc[common]
    for name in a.columns:
        x, y = a[name], b[name]
        if pa.types.is_floating(left.schema.field(name).type):
            xf, yf = x.astype(float), y.astype(float)
            both_null = xf.isna() & yf.isna()
            close = (xf - yf).abs() <= rel * pd.concat([xf.abs(), yf.abs()], axis=1).max(axis=1)
            bad = ~(both_null | close.fillna(False))
        else:
            bad = pd.Series(
                [_plain(u) != _plain(v) for u, v in zip(x, y, strict=True)], index=x.index
            )
        if bad.any():
            first = bad[bad].index[0]
            found.append(
                f"{name}: {int(bad.sum())} patients differ, e.g. patient {first}: "
                f"{_plain(x[first])!r} != {_plain(y[first])!r}"
            )
        if len(found) >= limit:
            break
    return found


def _plain(value: Any) -> Any:
    """A cell as a plain Python value: null for NaN, NaT and None; arrays as lists."""
    if isinstance(value, np.ndarray | list | tuple):
        return [dict(v) if isinstance(v, dict) else v for v in list(value)]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
    parser.add_argument("--sample", type=positive, default=None, help="patients 1..N only")
    parser.add_argument("--out", type=Path, default=None, help="write the result as Parquet")
    parser.add_argument("--signals-only", action="store_true", help="the scan's default rows")
    args = parser.parse_args(argv)
    if not (args.data / "patients.parquet").is_file():
        parser.error(f"no patients.parquet in {args.data}")
    start = time.perf_counter()
    tables = read_tables(args.data, args.sample)
    result = population_signals(tables, args.as_of)
    patients = result.num_rows
    if args.signals_only:
        result = with_signal(result)
    if args.out is not None:
        pq.write_table(result, args.out)
    seconds = time.perf_counter() - start
    # One line of JSON for the benchmark that runs this as a child process.
    print(json.dumps({"seconds": seconds, "patients": patients, "rows": result.num_rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
