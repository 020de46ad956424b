"""No migration may hold a long lock on a large PostgreSQL table without a review.

Every operation of every Opspor migration is inspected with the project state as it stood
before it; an operation that rewrites a large table, scans it under a lock, or builds an
index on it without CONCURRENTLY is a finding, and every finding must be listed as
reviewed in `docs/migrations.md` (the table under "Reviewed operations"), where the review
says why it is acceptable or how it is to be run. A new risky migration fails here until
someone has looked at it; a listed entry that no longer matches a finding fails too, so the
list stays true.

Which tables are large, and why each kind of operation is risky on PostgreSQL, is in
`docs/migrations.md`. The column types compared are PostgreSQL's, whatever database the
suite runs on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import migrations, models
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

DOC = Path(__file__).resolve().parents[1] / "docs" / "migrations.md"

# The tables that grow with the region's population or with every request: the record
# (patients, contacts, symptoms, lab results, ... and their history), the access log (in
# records), the task queue and the notifications. By (app label, model name) as the
# migration state names them.
LARGE_APPS = {"records"}
# The region's reference tables in records are small (one row per practice, unit or GP).
SMALL_MODELS = {
    (app, prefix + name)
    for app in LARGE_APPS
    for prefix in ("", "historical")
    for name in ("region", "diagnosticunit", "practice", "clinician")
}
LARGE_MODELS = {
    ("django_tasks_database", "dbtaskresult"),
    ("casework", "notification"),
    ("referrals", "notification"),
    ("accounts", "accesslogentry"),
}
# Operations that only touch the catalogue, with a brief lock and no scan.
HARMLESS = (
    migrations.CreateModel,
    migrations.DeleteModel,
    migrations.RemoveField,
    migrations.RenameField,
    migrations.RenameModel,
    migrations.AlterModelTable,
    migrations.AlterModelOptions,
    migrations.AlterModelManagers,
    migrations.RemoveIndex,
    migrations.RemoveConstraint,
    migrations.RenameIndex,
    migrations.AlterModelTableComment,
)

POSTGRESQL = PostgreSQLWrapper(
    {
        "NAME": "never-connected",
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "OPTIONS": {},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
    },
    alias="review",
)


@dataclass(frozen=True, order=True)
class Finding:
    migration: str  # app.name
    operation: str  # OperationName model.field
    risk: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.migration, self.operation)


def is_large(state: ProjectState, app: str, model: str) -> bool:
    model = model.lower()
    if (app, model) in SMALL_MODELS:
        return False
    return app in LARGE_APPS or (app, model) in LARGE_MODELS


def column(field: models.Field) -> str | None:  # type: ignore[type-arg]
    return field.db_parameters(connection=POSTGRESQL)["type"]


VARCHAR = re.compile(r"^varchar\((\d+)\)$")


def longer(before: str | None, after: str | None) -> bool:
    """A longer varchar is a change of the catalogue only on PostgreSQL (no rewrite)."""
    old, new = VARCHAR.match(before or ""), VARCHAR.match(after or "")
    return bool(old and new and int(new.group(1)) >= int(old.group(1)))


def indexed(field: models.Field) -> bool:  # type: ignore[type-arg]
    # A foreign key has an index unless it says otherwise (db_index=False).
    return bool(field.unique or field.db_index)


def field_risks(old: models.Field | None, new: models.Field) -> list[str]:  # type: ignore[type-arg]
    """Why changing a column from `old` (None: a new column) to `new` locks for long."""
    risks = []
    if old is None:
        if not new.null and new.db_default is models.NOT_PROVIDED:
            risks.append("NOT NULL column with a default: ACCESS EXCLUSIVE lock, no rewrite on 11+")
        if indexed(new):
            risks.append("index built without CONCURRENTLY")
        if new.is_relation and getattr(new, "db_constraint", False):
            risks.append("foreign key validated under lock")
        return risks
    # A relation's column is its target's key type; a change of target is caught below.
    if not (old.is_relation or new.is_relation):
        before, after = column(old), column(new)
        if before != after and not longer(before, after):
            risks.append(f"column type {before} -> {after}: table rewrite")
    if old.null and not new.null:
        risks.append("NULL -> NOT NULL: full scan under ACCESS EXCLUSIVE lock")
    if indexed(new) and not indexed(old):
        risks.append("index built without CONCURRENTLY")
    if new.is_relation and not old.is_relation:
        risks.append("foreign key validated under lock")
    return risks


def operation_risks(
    operation: Operation, state: ProjectState, app: str, created: set[str]
) -> Iterator[tuple[str, str]]:
    """(operation, risk) for each way `operation` is risky on a large, existing table."""
    if isinstance(operation, migrations.SeparateDatabaseAndState):
        for inner in operation.database_operations:
            yield from operation_risks(inner, state, app, created)
        return
    if isinstance(operation, migrations.RunPython | migrations.RunSQL):
        yield (
            type(operation).__name__,
            "data migration: rows written in the migration's transaction",
        )
        return
    if isinstance(operation, HARMLESS):
        return
    model = getattr(operation, "model_name", None) or getattr(operation, "name", "")
    model = model.lower()
    if model in created or not is_large(state, app, model):
        return
    name = f"{type(operation).__name__} {model}"
    if isinstance(operation, migrations.AddField):
        for risk in field_risks(None, operation.field):
            yield f"{name}.{operation.name}", risk
    elif isinstance(operation, migrations.AlterField):
        old = state.models[app, model].fields[operation.name]
        for risk in field_risks(old, operation.field):
            yield f"{name}.{operation.name}", risk
    elif isinstance(operation, migrations.AddIndex):
        if type(operation).__name__ != "AddIndexConcurrently":
            yield f"{name} {operation.index.name}", "index built without CONCURRENTLY"
    elif isinstance(operation, migrations.AddConstraint):
        yield f"{name} {operation.constraint.name}", "constraint validated under lock"
    else:
        yield name, f"{type(operation).__name__}: not classified, review it"


def findings() -> list[Finding]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found = []
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if not type(migration).__module__.startswith("opspor.") or migration.initial:
            continue
        state = loader.project_state((app, name), at_end=False)
        created: set[str] = set()
        for operation in migration.operations:
            for label, risk in operation_risks(operation, state, app, created):
                found.append(Finding(f"{app}.{name}", label, risk))
            if isinstance(operation, migrations.CreateModel):
                created.add(operation.name.lower())
            operation.state_forwards(app, state)
    return sorted(set(found))


ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|")


def reviewed() -> set[tuple[str, str]]:
    """(migration, operation) of every row of the review table in docs/migrations.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Reviewed operations", 1)[1].split("\n## ", 1)[0]
    return {match.groups() for line in section.splitlines() if (match := ROW.match(line))}  # type: ignore[misc]


def test_every_risky_operation_on_a_large_table_is_reviewed() -> None:
    listed = reviewed()
    missing = [f for f in findings() if f.key not in listed]
    assert not missing, (
        "Migrations with operations that lock or rewrite a large table, not reviewed in "
        "docs/migrations.md:\n"
        + "\n".join(f"| `{f.migration}` | `{f.operation}` | {f.risk} | ... |" for f in missing)
    )


def test_every_reviewed_entry_is_still_a_finding() -> None:
    found = {f.key for f in findings()}
    assert sorted(reviewed() - found) == []


def test_the_check_finds_what_it_should() -> None:
    """The check itself: a made-up migration on the contacts table is caught, one on a
    table created in the same migration is not."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    state = loader.project_state()
    risky = [
        migrations.AddField("contact", "note", models.TextField(default="")),
        migrations.AlterField("contact", "id", models.UUIDField(primary_key=True)),
        migrations.AddIndex("contact", models.Index(fields=["id"], name="contact_new_idx")),
        migrations.RunPython(migrations.RunPython.noop),
    ]
    caught = [
        risk
        for operation in risky
        for _, risk in operation_risks(operation, state, "records", set())
    ]
    assert any("default" in risk for risk in caught)
    assert any("rewrite" in risk for risk in caught)
    assert any("CONCURRENTLY" in risk for risk in caught)
    assert any("data migration" in risk for risk in caught)
    new_table = migrations.AddIndex("fresh", models.Index(fields=["id"], name="fresh_idx"))
    assert list(operation_risks(new_table, state, "records", {"fresh"})) == []
    small = migrations.AddField("thread", "note", models.TextField(default=""))
    assert list(operation_risks(small, state, "referrals", set())) == []
