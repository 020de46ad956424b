"""The engine's signal definitions as Ibis expressions, written once for every backend.

Each definition is the single-patient engine's (`engine/signals/`, `engine/README.md`) over
whole tables: the same windows in whole days, the same bounds, the same floating-point
operations in the same order, so that DuckDB, Spark and the engine agree to the row (the
parity tests hold them to it). Dates become day numbers (days since 1970-01-01) as soon as
they are read: integer arithmetic on timezone-naive days is the same on every backend.

What stays in Python, after the backend has reduced the tables to one row per candidate
patient (`finish.py`): the Poisson tail of the pattern break, and which of a patient's
repeated symptoms their chronic conditions and current medicines explain. Both are the
engine's own functions, run on the few rows that need them.

Window frames: the one window here (the previous contact's clinician, for sequential
continuity) is a `LAG`, which reads exactly one row back whatever the frame; it is ordered
on the day and then the clinician id in the order of its text, the engine's order for the
contacts of one day, and it runs only over the patients who saw two clinicians or more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from opspor.engine.population import rate_table
from opspor.engine.settings import EngineSettings

EPOCH = date(1970, 1, 1)

# ICD-10 F20-F39 and F40-F41; F10-F19 except F17 (`engine/signals/vulnerability.py`).
_PSYCHIATRIC_ICD10 = r"^F(2[0-9]|3[0-9]|4[01])"
_SUBSTANCE_ICD10 = r"^F1[0-68-9]"
_PSYCHIATRIC_ICPC2 = ("P72", "P73", "P74", "P76", "P98")
_SUBSTANCE_ICPC2 = ("P15", "P16", "P18", "P19")


@dataclass(frozen=True)
class Tables:
    """The input tables, as the backend reads them (`shape.READS` columns)."""

    patients: ir.Table
    contacts: ir.Table
    symptoms: ir.Table
    conditions: ir.Table
    medications: ir.Table


def day_number(day: date) -> int:
    return (day - EPOCH).days


def _day(column: ir.DateValue) -> ir.IntegerValue:
    return column.epoch_days()


def listed_patients(t: Tables, *, as_of: date, practice: int | None = None) -> ir.Table:
    """The patients listed on ``as_of`` (registered, not deregistered, born, alive), with
    their age on that day and the day numbers the definitions need."""
    today = day_number(as_of)
    p = t.patients
    p = p.mutate(
        birth=_day(p.birth_date),
        reg=_day(p.registered_from),
        reg_to=_day(p.registered_to),
        died=_day(p.died_on),
    )
    keep = (
        (p.reg <= today)
        & (p.birth <= today)
        & (p.reg_to.isnull() | (p.reg_to >= today))
        & (p.died.isnull() | (p.died > today))
    )
    if practice is not None:
        keep &= p.practice_id == practice
    p = p.filter(keep)
    before_birthday = (p.birth_date.month() > as_of.month) | (
        (p.birth_date.month() == as_of.month) & (p.birth_date.day() > as_of.day)
    )
    age = as_of.year - p.birth_date.year() - before_birthday.cast("int64")
    return p.mutate(age=age).select(
        "patient_id",
        "practice_id",
        "sex",
        "age",
        "reg",
        "lives_alone",
        "language",
        "interpreter_needed",
    )


def _population_rate(age: ir.IntegerValue, sex: ir.StringValue) -> ir.FloatingValue:
    """`engine.population.contacts_per_year`: the first band that holds the age, else the
    last band's rate."""
    bands, rates = rate_table()
    branches = []
    for sex_name, values in rates.items():
        for (lo, hi), rate in zip(bands, values, strict=True):
            branches.append(((sex == sex_name) & (age >= lo) & (age <= hi), ibis.literal(rate)))
        branches.append((sex == sex_name, ibis.literal(values[-1])))
    return ibis.cases(*branches, else_=ibis.null("float64"))


def contact_aggregates(t: Tables, *, as_of: date, settings: EngineSettings) -> ir.Table:
    """One pass over every contact, grouped by patient: the pattern break's and the long
    absence's counts and days, and what the row checks need (first and last day, missing
    values, the lowest and highest clinician id). Dates are compared as dates and only the
    aggregates become day numbers: converting every row costs a third of the pass."""
    today = as_of
    recent_start = as_of - timedelta(days=settings.recent_days)
    window_start = as_of - timedelta(days=settings.baseline_days)
    c = t.contacts
    d = c.contact_date
    upto = d <= today
    in_recent = (d >= recent_start) & upto
    a = c.group_by("patient_id").aggregate(
        missing=(c.practice_id.isnull() | d.isnull() | c.kind.isnull()).cast("int64").sum(),
        first_day=d.min(),
        last_day=d.max(),
        lowest_clinician=c.clinician_id.min(),
        highest_clinician=c.clinician_id.max(),
        recent=in_recent.cast("int64").sum(),
        window=((d >= window_start) & (d < recent_start)).cast("int64").sum(),
        first_recent=d.min(where=in_recent),
        last_before=d.max(where=d < recent_start),
        last_contact=d.max(where=upto),
    )
    return a.mutate(
        first_day=_day(a.first_day),
        last_day=_day(a.last_day),
        first_recent=_day(a.first_recent),
        last_before=_day(a.last_before),
        last_contact=_day(a.last_contact),
    )


# Patient and clinician in one integer: one grouping key is much cheaper than two.
_PAIR = 2**32


def continuity_contacts(t: Tables, *, as_of: date, settings: EngineSettings) -> ir.Table:
    """The contacts continuity is measured on: with a named clinician, in (T - 730, T]. A
    fifth of the contacts; the scan keeps them (in memory) for the two reads below."""
    start = as_of - timedelta(days=settings.continuity_days)
    c = t.contacts
    c = c.filter((c.contact_date > start) & (c.contact_date <= as_of) & c.clinician_id.notnull())
    return c.select("patient_id", "clinician_id", "contact_date")


def continuity_counts(c: ir.Table) -> ir.Table:
    """Per patient of the `continuity_contacts` ``c``: how many, with the clinician seen
    most, the sum of squares of the per-clinician counts, and how many clinicians: what
    UPC and COC are made of."""
    pair = c.patient_id.cast("int64") * _PAIR + c.clinician_id.cast("int64")
    by_pair = c.group_by(pair=pair).aggregate(n=c.count())
    return by_pair.group_by(patient_id=(by_pair.pair // _PAIR).cast("int64")).aggregate(
        n_contacts=by_pair.n.sum(),
        most=by_pair.n.max(),
        squares=(by_pair.n * by_pair.n).sum(),
        clinicians=by_pair.count(),
    )


def registered_late(
    contacts_by_patient: ir.Table, listed: ir.Table, *, as_of: date, settings: EngineSettings
) -> ir.Table:
    """The listed patients registered inside the baseline window who have contacts from
    before their registration (a patient who moved from another practice): only theirs
    need the baseline corrected (`before_registration`)."""
    window_start = day_number(as_of) - settings.baseline_days
    a = contacts_by_patient
    late = listed.filter(listed.reg > window_start).select("patient_id", "reg")
    j = late.join(a.select("patient_id", "first_day"), "patient_id")
    return j.filter(j.first_day < j.reg).select("patient_id", "reg")


def before_registration(
    t: Tables, late: ir.Table, *, as_of: date, settings: EngineSettings
) -> ir.Table:
    """Per patient of ``late`` (`registered_late`): the baseline window's contacts from
    before the registration, which the baseline leaves out (`pattern_break.py`: a patient
    registered for less than the window uses only the days they were registered)."""
    today = day_number(as_of)
    recent_start = today - settings.recent_days
    window_start = today - settings.baseline_days
    c = t.contacts
    c = c.mutate(day=_day(c.contact_date)).select("patient_id", "day")
    c = c.filter((c.day >= window_start) & (c.day < recent_start))
    j = c.join(late, "patient_id")
    j = j.filter(j.day < j.reg)
    return j.group_by("patient_id").aggregate(unregistered=j.count())


def _text_order(clinician: ir.IntegerValue) -> ir.IntegerValue:
    """A number that orders clinician ids as their decimal text orders ("10" < "9"), as the
    engine orders one day's contacts by the clinician's key: the digits left-aligned in ten
    places, then the number of digits (a prefix first). Ids are below 10**10 (checked)."""
    digits = ibis.cases(
        *((clinician < 10**k, ibis.literal(k, "int64")) for k in range(1, 10)), else_=10
    )
    aligned = clinician.cast("int64") * (ibis.literal(10, "int64") ** (10 - digits)).cast("int64")
    return aligned * 16 + digits


def same_clinician_pairs(c: ir.Table, counts: ir.Table, *, settings: EngineSettings) -> ir.Table:
    """Per patient who saw two or more clinicians in (T - 730, T] (and at least the
    continuity's minimum of contacts): how many consecutive pairs of those contacts, in
    date order, were with the same clinician (SECON's numerator). A patient who saw one
    clinician needs no ordering: every pair is the same, N - 1."""
    several = counts.filter(
        (counts.clinicians >= 2) & (counts.n_contacts >= settings.continuity_min_contacts)
    ).select("patient_id")
    c = c.semi_join(several, "patient_id").mutate(day=_day(c.contact_date))
    # One sort key: the day, then the clinician in the engine's order within the day.
    key = c.day.cast("int64") * 2**38 + _text_order(c.clinician_id)
    order = ibis.window(group_by=c.patient_id, order_by=key)
    paired = c.mutate(previous=c.clinician_id.lag().over(order))
    return paired.group_by("patient_id").aggregate(
        same=(paired.previous == paired.clinician_id).fill_null(False).cast("int64").sum()
    )


def repeated_symptoms(
    t: Tables, listed: ir.Table, *, as_of: date, settings: EngineSettings
) -> ir.Table:
    """(patient, code, consultation days) for every code recorded on the threshold's number
    of distinct days or more in the ``repeat_symptom_days`` days up to ``as_of``."""
    today = day_number(as_of)
    s = t.symptoms.mutate(day=_day(t.symptoms.recorded_date)).select("patient_id", "code", "day")
    s = s.filter((s.day <= today) & (s.day >= today - (settings.repeat_symptom_days - 1)))
    s = s.semi_join(listed.select("patient_id"), "patient_id").distinct()
    counts = s.group_by(["patient_id", "code"]).aggregate(consultations=s.count())
    return counts.filter(counts.consultations >= settings.repeat_symptom_min_consultations)


def _icd10_or_icpc2(conditions: ir.Table, icd10: str, icpc2: tuple[str, ...]) -> ir.BooleanValue:
    code = conditions.code.upper().replace(".", "")
    return ibis.ifelse(
        conditions.system == "icd10", code.re_search(icd10), code.left(3).isin(icpc2)
    )


def condition_figures(t: Tables, listed: ir.Table, *, as_of: date) -> ir.Table:
    """Per listed patient with conditions known on ``as_of``: chronic ones, and whether one
    is psychiatric or substance abuse (`engine/signals/vulnerability.py`)."""
    today = day_number(as_of)
    k = t.conditions
    k = k.filter(k.onset.isnull() | (_day(k.onset) <= today))
    k = k.semi_join(listed.select("patient_id"), "patient_id")
    k = k.mutate(
        psychiatric=_icd10_or_icpc2(k, _PSYCHIATRIC_ICD10, _PSYCHIATRIC_ICPC2),
        substance=_icd10_or_icpc2(k, _SUBSTANCE_ICD10, _SUBSTANCE_ICPC2),
    )
    return k.group_by("patient_id").aggregate(
        chronic=k.chronic.cast("int64").sum(),
        psychiatric=k.psychiatric.any(),
        substance=k.substance.any(),
    )


def chronic_conditions(t: Tables, patients: ir.Table, *, as_of: date) -> ir.Table:
    """(patient, system, code) of the chronic conditions known on ``as_of``, for
    ``patients`` only: what may explain a repeated symptom."""
    today = day_number(as_of)
    k = t.conditions
    k = k.filter(k.chronic & (k.onset.isnull() | (_day(k.onset) <= today)))
    return k.semi_join(patients, "patient_id").select("patient_id", "system", "code")


def current_medicines(t: Tables, patients: ir.Table, *, as_of: date) -> ir.Table:
    """(patient, atc) of the medicines current on ``as_of`` (started, not stopped before),
    for ``patients`` only."""
    today = day_number(as_of)
    m = t.medications
    m = m.filter((_day(m.start) <= today) & (m.stop.isnull() | (_day(m.stop) >= today)))
    return m.semi_join(patients, "patient_id").select("patient_id", "atc")


def patient_figures(
    t: Tables,
    contacts_by_patient: ir.Table,
    *,
    as_of: date,
    settings: EngineSettings,
    practice: int | None = None,
    all_patients: bool = False,
    late: ir.Table | None = None,
    continuity: ir.Table | None = None,
) -> tuple[ir.Table, ir.Table]:
    """One row per listed patient who may have a signal (every listed patient with
    ``all_patients``), with every figure the backend computes; and the repeated symptoms
    of the listed patients.

    A pattern break needs k >= 3 and k > mu: for k <= mu the tail P(X >= k) is at least a
    half (a Poisson median is at least mu - ln 2), so such rows cannot break and are left
    to `finish.py` only when every patient is asked for.
    """
    today = day_number(as_of)
    listed = listed_patients(t, as_of=as_of, practice=practice)
    contacts = contacts_by_patient.select(
        "patient_id", "recent", "window", "first_recent", "last_before", "last_contact"
    )
    if continuity is None:
        continuity = continuity_contacts(t, as_of=as_of, settings=settings)
    spread = continuity_counts(continuity)
    pairs = same_clinician_pairs(continuity, spread, settings=settings)
    repeats = repeated_symptoms(t, listed, as_of=as_of, settings=settings)
    conditions = condition_figures(t, listed, as_of=as_of)
    repeated = repeats.select("patient_id").distinct().mutate(has_repeat=ibis.literal(True))

    p = listed.left_join(contacts, "patient_id").select(listed, *_except(contacts, "patient_id"))
    if late is not None:
        unregistered = before_registration(t, late, as_of=as_of, settings=settings)
        p = p.left_join(unregistered, "patient_id").select(p, unregistered.unregistered)
    else:
        p = p.mutate(unregistered=ibis.literal(0, "int64"))
    p = p.left_join(spread, "patient_id").select(p, *_except(spread, "patient_id"))
    p = p.left_join(pairs, "patient_id").select(p, pairs.same)
    p = p.left_join(conditions, "patient_id").select(p, *_except(conditions, "patient_id"))
    p = p.left_join(repeated, "patient_id").select(p, repeated.has_repeat)

    recent = p.recent.fill_null(0)
    baseline = p.window.fill_null(0) - p.unregistered.fill_null(0)
    baseline_start = ibis.greatest(ibis.literal(today - settings.baseline_days), p.reg)
    baseline_days = ibis.greatest(
        ibis.literal(0), ibis.literal(today - settings.recent_days) - baseline_start
    )
    population = _population_rate(p.age, p.sex)
    # The engine's operations in the engine's order (pattern_break.py).
    prior = population / 365.0 * settings.prior_days
    rate_per_day = (baseline.cast("float64") + prior) / (baseline_days + settings.prior_days).cast(
        "float64"
    )
    expected = rate_per_day * settings.recent_days
    gap_start = p.last_before.fill_null(p.reg)
    gap = ibis.ifelse(p.first_recent.isnull(), ibis.null("int64"), p.first_recent - gap_start)
    n = p.n_contacts.fill_null(0)
    has_continuity = n >= settings.continuity_min_contacts
    n_float = n.cast("float64")
    figures = p.mutate(
        recent=recent,
        baseline=baseline,
        baseline_days=baseline_days,
        expected=expected,
        population_per_year=population,
        gap=gap,
        n_contacts=n,
        upc=ibis.ifelse(has_continuity, p.most.cast("float64") / n_float, ibis.null("float64")),
        coc=ibis.ifelse(
            has_continuity,
            (p.squares - n).cast("float64") / (n * (n - 1)).cast("float64"),
            ibis.null("float64"),
        ),
        secon=ibis.ifelse(
            has_continuity,
            ibis.ifelse(p.clinicians >= 2, p.same, n - 1).cast("float64") / (n - 1).cast("float64"),
            ibis.null("float64"),
        ),
        chronic=p.chronic.fill_null(0),
        psychiatric=p.psychiatric.fill_null(False),
        substance=p.substance.fill_null(False),
        has_repeat=p.has_repeat.fill_null(False),
    ).drop("most", "squares", "same", "window", "unregistered", "clinicians")
    if not all_patients:
        figures = figures.filter(
            ((figures.recent >= settings.pattern_break_min_count) & (figures.recent > expected))
            | (figures.gap >= settings.long_absence_days)
            | figures.has_repeat
        )
    return figures, repeats


def listed_by_practice(t: Tables, *, as_of: date, practice: int | None = None) -> ir.Table:
    """How many patients each practice had listed on ``as_of`` (every one was scanned)."""
    listed = listed_patients(t, as_of=as_of, practice=practice)
    return listed.group_by("practice_id").aggregate(listed=listed.count())


def _except(table: ir.Table, *names: str) -> list[ir.Value]:
    return [table[c] for c in table.columns if c not in names]
