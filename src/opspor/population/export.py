"""The record as the population scan's input: Parquet tables in the shape `opspor synth`
writes, with the record's own ids, so that the scan's rows name the record's patients.

One file per table the scan reads (`scan.shape.READS`), with exactly those columns and the
types of `scan.shape.input_schema`. What each row is:

- patients: every patient of the record (the scan decides who is listed on its day);
  `language` is the patient's preferred language;
- contacts: up to the end of the as-of day, `contact_date` the contact's local
  (Copenhagen) day;
- symptoms: `recorded_date` the local day of the contact it was recorded at, else the day it
  was recorded, up to the as-of day (as `safetynet/signal_compute.py` reads them);
- conditions: the unresolved ones;
- medications: those started by the as-of day, with their start and stop.

The tables are read a chunk at a time in order of id (bounded memory, no long-held
cursor) and written into a new directory beside the target, which is moved into place only
when every file is complete: a failure leaves the target as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time as clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from opspor.population.scan.shape import input_schema
from opspor.records.models import Condition, Contact, Medication, Patient, Symptom

# Rows per query and per row group.
CHUNK = 50_000


class ExportError(Exception):
    """The record cannot be written in the scan's shape; nothing was written."""


@dataclass
class ExportReport:
    as_of: date
    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        counts = ", ".join(f"{n:,} {table}" for table, n in self.rows.items())
        return (
            f"Exported the record as of {self.as_of.isoformat()} to {self.out} in "
            f"{self.seconds:.1f} s: {counts}."
        )


Row = tuple[Any, ...]


def _same(values: Row) -> Row | None:
    return values


@dataclass(frozen=True)
class _Table:
    query: QuerySet[Any]
    values: tuple[str, ...]  # read from each row of `query`, after its id
    row: Callable[[Row], Row | None] = _same  # the file's row from them; None: left out


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _days_in_database() -> bool:
    """Whether the database turns a contact's moment into its local day: PostgreSQL does it
    faster than Python can load the moment; SQLite would call back into Python for each
    row, slower than converting the moments here."""
    return connection.vendor == "postgresql"


def _tables(as_of: date) -> dict[str, _Table]:
    zone = timezone.get_default_timezone()
    contacts = Contact.objects.filter(at__lt=_day_end(as_of))
    contact_values = ("patient_id", "clinician_id", "practice_id")
    if _days_in_database():
        contacts_table = _Table(
            query=contacts.annotate(day=TruncDate("at", tzinfo=zone)),
            values=(*contact_values, "day", "kind"),
        )
        symptoms_table = _Table(
            query=Symptom.objects.annotate(
                day=Coalesce(TruncDate("contact__at", tzinfo=zone), "recorded_on")
            ).filter(day__lte=as_of),
            values=("patient_id", "code", "day"),
        )
    else:

        def contact(values: Row) -> Row:
            *ids, at, kind = values
            return (*ids, at.astimezone(zone).date(), kind)

        def symptom(values: Row) -> Row | None:
            patient_id, code, recorded_on, contact_at = values
            day = contact_at.astimezone(zone).date() if contact_at is not None else recorded_on
            return (patient_id, code, day) if day <= as_of else None

        contacts_table = _Table(query=contacts, values=(*contact_values, "at", "kind"), row=contact)
        symptoms_table = _Table(
            query=Symptom.objects.all(),
            values=("patient_id", "code", "recorded_on", "contact__at"),
            row=symptom,
        )
    return {
        "patients": _Table(
            query=Patient.objects.all(),
            values=(
                "id",
                "birth_date",
                "sex",
                "practice_id",
                "registered_from",
                "registered_to",
                "lives_alone",
                "preferred_language",
                "interpreter_needed",
                "died_on",
            ),
        ),
        "contacts": contacts_table,
        "symptoms": symptoms_table,
        "conditions": _Table(
            query=Condition.objects.filter(resolved__isnull=True),
            values=("patient_id", "code", "system", "chronic", "onset"),
        ),
        "medications": _Table(
            query=Medication.objects.filter(start__lte=as_of),
            values=("patient_id", "atc", "start", "stop"),
        ),
    }


def population_export(
    *, out: Path | str, as_of: date | None = None, now: datetime | None = None
) -> ExportReport:
    """Write the record's tables as the scan's input into the directory `out`."""
    started = clock.perf_counter()
    now = now or timezone.now()
    as_of = as_of or timezone.localdate(now)
    if as_of > timezone.localdate(now):
        raise ExportError(
            f"The as-of day {as_of.isoformat()} lies in the future; the record has nothing "
            "after today."
        )
    target = Path(out)
    report = ExportReport(as_of=as_of, out=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.export-", dir=target.parent))
    try:
        for name, table in _tables(as_of).items():
            report.rows[name] = _write(work / f"{name}.parquet", name, table)
        _move_into_place(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.seconds = clock.perf_counter() - started
    return report


def _write(path: Path, name: str, table: _Table) -> int:
    schema = input_schema(name)
    written = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for chunk in _chunks(table.query, table.values):
            rows = [made for values in chunk if (made := table.row(values)) is not None]
            if not rows:
                continue
            writer.write_table(_arrow(rows, schema, name), row_group_size=len(rows))
            written += len(rows)
    return written


def _chunks(query: QuerySet[Model], values: tuple[str, ...]) -> Iterator[list[Row]]:
    """The query's rows in order of id, a chunk per query: each chunk starts after the last
    id of the one before, so no query holds a cursor open across the whole table."""
    last = 0
    while True:
        chunk = list(query.filter(pk__gt=last).order_by("pk").values_list("pk", *values)[:CHUNK])
        if not chunk:
            return
        last = chunk[-1][0]
        yield [row[1:] for row in chunk]


def _arrow(rows: list[Row], schema: pa.Schema, name: str) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    arrays = []
    for column, values in zip(schema, columns, strict=True):
        try:
            arrays.append(pa.array(values, type=column.type))
        except (pa.ArrowInvalid, OverflowError) as error:
            raise ExportError(
                f"{name}.{column.name} cannot be written as {column.type} ({error})."
            ) from None
    return pa.Table.from_arrays(arrays, schema=schema)


def _move_into_place(work: Path, target: Path) -> None:
    if not target.exists():
        os.rename(work, target)
        return
    # An existing directory keeps its other files; each table's file is replaced whole.
    for path in sorted(work.iterdir()):
        os.replace(path, target / path.name)
