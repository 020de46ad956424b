"""Items (what a resource says, `reading`) as rows of the record, not yet saved.

A row's constraints are checked here, before the database would refuse the batch without
saying which resource was at fault: the error names the resource's field instead.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from opspor.interop.reading import (
    ConditionItem,
    ContactItem,
    ExposureItem,
    FamilyItem,
    FindingItem,
    LabItem,
    MedicationItem,
    SymptomItem,
    Unreadable,
)
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Condition,
    Contact,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Symptom,
)

RowItem = (
    ContactItem
    | ConditionItem
    | LabItem
    | SymptomItem
    | FindingItem
    | ExposureItem
    | MedicationItem
)

# A row built by Model(**values) costs some fifteen microseconds in Django's keyword
# handling, a third of reading a resource; the models below define no __init__, no
# descriptors on their fields and no init signals, so a row is its fields' values.
_Blank = tuple[frozenset[str], tuple[tuple[str, Any, Any], ...]]


@functools.cache
def _blank(model: type[models.Model]) -> _Blank:
    """The attribute names of `model`'s fields, and (name, fixed default, default to call)
    of each."""
    defaults = []
    for f in model._meta.concrete_fields:
        if f.has_default() and callable(f.default):
            defaults.append((f.attname, None, f.default))
        else:
            defaults.append((f.attname, f.get_default(), None))
    return frozenset(name for name, _, _ in defaults), tuple(defaults)


def unsaved[M: models.Model](model: type[M], **values: Any) -> M:
    """An unsaved row of `model`, as `model(**values)` makes it (`values` by attribute
    name: ``patient_id``, not ``patient``)."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model(**values)
    names, defaults = _blank(model)
    if not values.keys() <= names:
        raise TypeError(f"{model.__name__} has no field {sorted(values.keys() - names)}")
    row = model.__new__(model)
    state = row.__dict__
    for name, fixed, call in defaults:
        state[name] = fixed if call is None else call()
    state.update(values)
    state["_state"] = ModelState()
    return row


def row_for(
    item: RowItem, *, patient_id: int, practice_id: int, clinician_id: int | None
) -> models.Model:
    coding = list(item.original_coding)
    if isinstance(item, ContactItem):
        return unsaved(
            Contact,
            patient_id=patient_id,
            practice_id=practice_id,
            clinician_id=clinician_id,
            at=item.at,
            kind=item.kind,
            reason_codes=list(item.reason_codes),
            original_coding=coding,
        )
    if isinstance(item, ConditionItem):
        if item.cancer_site is not None:
            if item.onset is None:
                raise Unreadable("Condition.onset[x]", "a cancer diagnosis needs its day")
            return unsaved(
                CancerDiagnosis,
                patient_id=patient_id,
                diagnosed_on=item.onset,
                site=item.cancer_site,
                icd10=item.icd10[:10],
                original_coding=coding,
            )
        return unsaved(
            Condition,
            patient_id=patient_id,
            code=item.code[:40],
            system=item.system,
            label=item.label[:150],
            chronic=item.chronic,
            onset=item.onset,
            resolved=item.resolved,
            original_coding=coding,
        )
    if isinstance(item, LabItem):
        low, high = item.reference_low, item.reference_high
        if low is not None and high is not None and low > high:
            raise Unreadable("Observation.referenceRange[0]", "the low limit exceeds the high")
        return unsaved(
            LabResult,
            patient_id=patient_id,
            code=item.code,
            npu=item.npu[:12],
            value=item.value,
            unit=item.unit[:20],
            reference_low=low,
            reference_high=high,
            taken_on=item.taken_on,
            original_coding=coding,
        )
    if isinstance(item, SymptomItem):
        if item.recorded_on < item.onset:
            raise Unreadable("Observation.issued", "a symptom is recorded before its onset")
        return unsaved(
            Symptom,
            patient_id=patient_id,
            code=item.code,
            onset=item.onset,
            recorded_on=item.recorded_on,
            persistent=item.persistent,
            recurrent=item.recurrent,
            patient_words=item.patient_words,
            original_coding=coding,
        )
    if isinstance(item, ExposureItem):
        return unsaved(
            OccupationalExposure,
            patient_id=patient_id,
            code=item.code,
            years=item.years if item.years is not None and 0 <= item.years < 100 else None,
            note=item.note,
            original_coding=coding,
        )
    if isinstance(item, FindingItem):
        return unsaved(
            ClinicalFinding,
            patient_id=patient_id,
            code=item.code,
            found_on=item.found_on,
            note=item.note,
            original_coding=coding,
        )
    return unsaved(
        Medication,
        patient_id=patient_id,
        atc=item.atc,
        name=item.name,
        start=item.start,
        stop=item.stop,
        original_coding=coding,
    )


def family_row(item: FamilyItem, *, patient_id: int) -> FamilyHistory:
    return unsaved(
        FamilyHistory,
        patient_id=patient_id,
        relation=item.relation,
        cancer_site=item.cancer_site,
        age_at_diagnosis=item.age_at_diagnosis,
        original_coding=list(item.original_coding),
    )


def copy_fields(target: models.Model, source: models.Model) -> bool:
    """Give `target` (a saved row) the values of `source` (an unsaved one of the same
    model); whether anything changed."""
    changed = False
    for f in type(target)._meta.concrete_fields:
        if f.primary_key:
            continue
        new = getattr(source, f.attname)
        if getattr(target, f.attname) != new:
            setattr(target, f.attname, new)
            changed = True
    return changed


# -- bulk inserts ---------------------------------------------------------------------------

# Django's bulk_create prepares every value of every row through the field (a few
# microseconds each); for an import of hundreds of thousands of resources that was most of
# the time. Rows here are inserted with one multi-row INSERT ... RETURNING id per chunk,
# and only the values that need the backend's adapter (dates, times, JSON, decimals) go
# through the field; what lands in the table is what the ORM would have written.
FAST_VENDORS = frozenset({"sqlite", "postgresql"})
_ADAPTED = (
    models.DateField,  # DateTimeField is a DateField
    models.JSONField,
    models.DecimalField,
)
# SQLite allows 32,766 bound values in one statement; PostgreSQL 65,535.
_MAX_VALUES = 30_000


def fast_inserts() -> bool:
    return connection.vendor in FAST_VENDORS


def _adapters(model: type[models.Model], prepared: frozenset[str]) -> list[tuple[str, Any, Any]]:
    """(attribute, default, the field's preparation or None) of each non-key column."""
    out = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        needs = isinstance(f, _ADAPTED) and f.attname not in prepared
        out.append((f.attname, f.get_default(), f.get_db_prep_save if needs else None))
    return out


def adapted(model: type[models.Model], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` with every value the backend's, as `insert` would bind it: for rows bound
    twice (a row and its history), prepared once."""
    # The connection itself, not the proxy: every attribute of the proxy is a lookup.
    conn = connections[DEFAULT_DB_ALIAS]
    columns = _adapters(model, frozenset())
    out = []
    for row in rows:
        values = {}
        for name, default, prep in columns:
            value = row.get(name, default)
            values[name] = value if prep is None else prep(value, conn)
        out.append(values)
    return out


def insert(
    model: type[models.Model], rows: list[dict[str, Any]], prepared: frozenset[str] = frozenset()
) -> list[int]:
    """Insert `rows` (attribute name → value; a missing one takes the field's default)
    and return their ids, in order. Values of the `prepared` attributes are already the
    backend's."""
    if not rows:
        return []
    conn = connections[DEFAULT_DB_ALIAS]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = _adapters(model, prepared)
    qn = conn.ops.quote_name
    names = ", ".join(qn(str(f.column)) for f in fields)
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_chunk = max(1, _MAX_VALUES // len(fields))
    table = qn(model._meta.db_table)
    assert model._meta.pk is not None
    pk = qn(str(model._meta.pk.column))
    ids: list[int] = []
    with conn.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            params: list[Any] = []
            append = params.append
            for row in chunk:
                for name, default, prep in columns:
                    value = row.get(name, default)
                    append(value if prep is None else prep(value, conn))
            # Identifiers come from the model's metadata, quoted by the backend; values are
            # bound parameters.
            values = ", ".join([marks] * len(chunk))
            sql = f"INSERT INTO {table} ({names}) VALUES {values} RETURNING {pk}"  # noqa: S608
            cursor.execute(sql, params)
            ids += [r[0] for r in cursor.fetchall()]
    return ids


def insert_with_history(
    instances: list[models.Model], *, reason: str, user_id: int | None, when: datetime
) -> None:
    """Insert unsaved rows of one model and their "created" history rows, as
    django-simple-history writes them; the instances get their ids."""
    model = type(instances[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # Prepared once for the row and its history row alike.
    rows = adapted(
        model, [{f.attname: getattr(obj, f.attname) for f in fields} for obj in instances]
    )
    ids = insert(model, rows, prepared=frozenset(f.attname for f in fields))
    history = model.history.model  # type: ignore[attr-defined]
    # One moment for the batch, adapted once.
    conn = connections[DEFAULT_DB_ALIAS]
    moment = history._meta.get_field("history_date").get_db_prep_save(when, conn)
    for obj, pk, row in zip(instances, ids, rows, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = conn.alias
        row.update(
            id=pk,
            history_date=moment,
            history_change_reason=reason,
            history_type="+",
            history_user_id=user_id,
        )
    insert(history, rows, prepared=frozenset({"history_date", *(f.attname for f in fields)}))


def prepared_now(model: type[models.Model], name: str) -> Any:
    """Now, as the backend binds it to `model`'s date-time field `name`."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.DateTimeField)
    return field.get_db_prep_save(timezone.now(), connections[DEFAULT_DB_ALIAS])


def ledger_hashes(resource_type: str, keys: list[str]) -> dict[str, tuple[int, str]]:
    """Key → (id, content hash) of the `ImportedResource` rows of these keys. In SQL: the
    ORM's preparation of a thousand-key IN list cost more than the query."""
    from opspor.interop.models import ImportedResource

    out: dict[str, tuple[int, str]] = {}
    if not keys:
        return out
    qn = connection.ops.quote_name
    table = qn(ImportedResource._meta.db_table)
    unique = list(dict.fromkeys(keys))
    with connection.cursor() as cursor:
        for start in range(0, len(unique), _MAX_VALUES):
            chunk = unique[start : start + _MAX_VALUES]
            marks = ", ".join(["%s"] * len(chunk))
            sql = (
                f"SELECT {qn('key')}, {qn('id')}, {qn('content_hash')} FROM {table} "  # noqa: S608
                f"WHERE {qn('resource_type')} = %s AND {qn('key')} IN ({marks})"
            )
            cursor.execute(sql, [resource_type, *chunk])
            out.update({key: (pk, digest) for key, pk, digest in cursor.fetchall()})
    return out
