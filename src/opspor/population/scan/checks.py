"""What the scan refuses to read: tables that are not there or not in the shape, and rows
that cannot be true.

Two stages. The shape (`check_shape`) is read from the Parquet footers before anything
runs: a missing file, a missing column or a column of another type stops the scan (the
data cannot be read as meant). The rows (`row_problems`) are checked by the backend with
the same expressions everywhere: a patient id twice, a required value missing, a sex the
definitions do not know, a date after today, a registration that ends before it starts, a
death before birth, a row of a patient the patients table does not have, a contact or
symptom before the patient's birth or after their death, a medicine stopped before it
started. A bad row is never scanned: the scan either refuses (the report counts each kind
of problem with a few examples) or, with ``--quarantine DIR``, writes the bad rows there
with their problem and scans the rest.

The contacts table has no identity of its own: two identical rows are two contacts on one
day (two phone calls, say), as the record and the synthetic region both have them, so
identical contact rows are not a problem. The patients table's key is `patient_id`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from opspor.population.scan.shape import NULLABLE, READS, input_schema
from opspor.population.scan.signals import Tables

EXAMPLES = 5
SEXES = ("female", "male")


class ShapeError(Exception):
    """The input cannot be read as the documented shape; nothing was scanned."""


@dataclass
class Problems:
    """Bad rows by table and kind, with a few example rows each."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: dict[str, dict[str, list[dict[str, object]]]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(n for kinds in self.counts.values() for n in kinds.values())

    def lines(self) -> list[str]:
        out = []
        for table, kinds in self.counts.items():
            for kind, n in sorted(kinds.items()):
                out.append(f"{table}: {n:,} rows: {kind.replace('_', ' ')}")
                for example in self.examples.get(table, {}).get(kind, []):
                    out.append(f"    e.g. {example}")
        return out


def _same_kind(found: pa.DataType, wanted: pa.DataType) -> bool:
    if pa.types.is_dictionary(found):
        found = found.value_type
    if pa.types.is_integer(wanted):
        return pa.types.is_integer(found)
    if pa.types.is_string(wanted):
        return pa.types.is_string(found) or pa.types.is_large_string(found)
    if pa.types.is_date(wanted):
        return pa.types.is_date32(found)
    return found.equals(wanted)


def check_shape(data: Path) -> None:
    """Raise `ShapeError` naming every file, column and type that is not as documented."""
    errors = []
    if not data.is_dir():
        raise ShapeError(f"{data}: not a directory of Parquet tables")
    for table in READS:
        path = data / f"{table}.parquet"
        if not path.exists():
            errors.append(f"{path.name}: missing (the scan needs the {table} table)")
            continue
        try:
            schema = pq.read_schema(path)
        except (pa.ArrowInvalid, OSError) as error:
            errors.append(f"{path.name}: not a Parquet file ({error})")
            continue
        for wanted in input_schema(table):
            if wanted.name not in schema.names:
                errors.append(f"{path.name}: no column {wanted.name!r}")
                continue
            found = schema.field(wanted.name).type
            if not _same_kind(found, wanted.type):
                errors.append(f"{path.name}: column {wanted.name!r} is {found}, not {wanted.type}")
    if errors:
        raise ShapeError("; ".join(errors))


def _missing(t: ir.Table, table: str) -> ir.BooleanValue:
    required = [c for c in READS[table] if c not in NULLABLE[table]]
    condition = ibis.literal(False)
    for name in required:
        condition |= t[name].isnull()
    return condition


def _first(*cases: tuple[ir.BooleanValue, str]) -> ir.StringValue:
    return ibis.cases(*((test.fill_null(False), ibis.literal(kind)) for test, kind in cases))


def patient_problems(p: ir.Table, today: date) -> ir.Table:
    """The patients table with a `problem` column (null for a good row)."""
    counts = p.group_by("patient_id").aggregate(copies=p.count())
    p = p.left_join(counts, "patient_id").select(p, counts.copies)
    problem = _first(
        (_missing(p, "patients"), "missing_value"),
        (p.copies > 1, "duplicate_patient_id"),
        (~p.sex.isin(SEXES), "unknown_sex"),
        (
            (p.birth_date > today) | (p.registered_from > today) | (p.died_on > today),
            "date_in_the_future",
        ),
        (p.registered_to < p.registered_from, "registration_ends_before_it_starts"),
        (p.died_on < p.birth_date, "death_before_birth"),
    )
    return p.mutate(problem=problem).drop("copies")


def _patient_rows_problems(
    t: ir.Table, table: str, patients: ir.Table, today: date, day: str | None
) -> ir.Table:
    """Rows of a per-patient table checked against the patients (`problem` given): a row
    of a patient set aside goes with them."""
    known = patients.select(
        "patient_id",
        _born=patients.birth_date,
        _died=patients.died_on,
        _good=patients.problem.isnull(),
    ).distinct(on="patient_id", keep="first")
    j = t.left_join(known, "patient_id").select(t, known._born, known._died, known._good)
    cases: list[tuple[ir.BooleanValue, str]] = [
        (_missing(j, table), "missing_value"),
        (j._good.isnull(), "patient_not_in_patients_table"),
        (~j._good, "patient_set_aside"),
    ]
    if table == "contacts":
        # Ids are ordered as their text within a day (`signals._text_order`), up to 10 digits.
        cases.append(
            ((j.clinician_id < 0) | (j.clinician_id >= 10**10), "clinician_id_out_of_range")
        )
    if day is not None:
        cases += [
            (j[day] > today, "date_in_the_future"),
            (j[day] < j._born, "before_the_patients_birth"),
            (j[day] > j._died, "after_the_patients_death"),
        ]
    if table == "conditions":
        cases.append((j.onset > today, "date_in_the_future"))
    if table == "medications":
        cases += [
            (j.start > today, "date_in_the_future"),
            (j.stop < j.start, "stopped_before_started"),
        ]
    return j.mutate(problem=_first(*cases)).drop("_born", "_died", "_good")


_DAY_OF = {"contacts": "contact_date", "symptoms": "recorded_date"}


def _suspect(
    name: str,
    aggregates: ir.Table,
    patients: ir.Table,
    today: date,
    clinicians: bool = False,
) -> ir.Table:
    known = patients.select(
        "patient_id",
        _born=patients.birth_date.epoch_days(),
        _died=patients.died_on.epoch_days(),
    ).distinct(on="patient_id", keep="first")
    j = aggregates.left_join(known, "patient_id").select(aggregates, known._born, known._died)
    bad = (
        j.patient_id.isnull()
        | (j.missing > 0)
        | j._born.isnull()
        | (j.first_day < j._born)
        | (j.last_day > j._died).fill_null(False)
        | (j.last_day > (today - date(1970, 1, 1)).days)
    )
    if clinicians:
        # Ids are ordered as their text within a day (`signals._text_order`): 0 to 10 digits.
        bad |= ((j.lowest_clinician < 0) | (j.highest_clinician >= 10**10)).fill_null(False)
    return j.aggregate(**{name: bad.any().fill_null(False)})


def suspicious_tables(
    contacts_by_patient: ir.Table, t: Tables, patients: ir.Table, today: date
) -> ir.Table:
    """Whether any contact or symptom may be bad, read from per-patient aggregates (the
    contacts' are the ones the scan makes anyway, `signals.contact_aggregates`): a missing
    value, a patient not known, a day before birth, after death or after today. One row of
    two booleans. A table that cannot be bad needs no check row by row; one that may be is
    checked row by row, which counts and shows the bad rows."""
    a = contacts_by_patient
    s = t.symptoms.mutate(day=t.symptoms.recorded_date.epoch_days())
    symptoms = s.group_by("patient_id").aggregate(
        missing=(s.code.isnull() | s.recorded_date.isnull()).cast("int64").sum(),
        first_day=s.day.min(),
        last_day=s.day.max(),
    )
    contacts = _suspect("contacts", a, patients, today, clinicians=True)
    return contacts.cross_join(_suspect("symptoms", symptoms, patients, today))


def checked(t: Tables, patients: ir.Table, today: date) -> dict[str, ir.Table]:
    """Every input table with a `problem` column (null for a good row); ``patients``:
    `patient_problems`. A patient set aside takes their rows in the other tables with them."""
    out = {"patients": patients}
    for table in ("contacts", "symptoms", "conditions", "medications"):
        out[table] = _patient_rows_problems(
            getattr(t, table), table, patients, today, _DAY_OF.get(table)
        )
    return out
