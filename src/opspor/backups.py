"""Backing up the database and restoring it, with each database's own tools.

A backup is one tar file: `manifest.json` (the format, the database engine, when it was
made, the migrations applied, the payload's size and SHA-256) and the payload, which is
what the database's own tool writes: SQLite's online backup (`sqlite3.Connection.backup`,
a consistent copy while the site runs) or PostgreSQL's `pg_dump --format=custom`.

A restore checks everything it can before it changes anything: the file is a whole,
readable backup of this engine, its payload has the recorded checksum, its schema is not
newer than the code's (a migration this code does not know means the backup came from a
later version; restoring it would leave tables the code cannot read), and the database
it replaces holds no data unless the caller says so. The replacement itself is one step:
SQLite's backup API copies the pages in one go, and PostgreSQL's is one transaction (`psql
--single-transaction` running what `pg_restore` writes), so a failure leaves the database
as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "opspor-backup/1"
MANIFEST = "manifest.json"
PAYLOAD = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Tables that a migrated, empty database already fills (`migrate` writes them), so rows
# there do not make a database "hold data".
_FILLED_BY_MIGRATE = {"django_migrations", "django_content_type", "auth_permission"}
# A manifest is a few kilobytes; anything far larger is not one.
_MAX_MANIFEST_BYTES = 1_000_000
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go ahead; nothing was changed."""


@dataclass(frozen=True)
class Manifest:
    engine: str
    created_at: str
    # Every migration applied in the backed-up database, as "app.name", and the latest
    # per app (by the order they were applied), for a reader of the file.
    applied: list[str]
    latest: dict[str, str]
    payload: str
    size: int
    sha256: str
    tool: str

    def as_json(self) -> bytes:
        body = {"format": FORMAT, **self.__dict__}
        return json.dumps(body, indent=2, sort_keys=True).encode()


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    # Migrations this code has that the backup's schema had not applied yet: `opspor
    # migrate` brings the restored database up to date.
    behind: list[str]


def engine_of(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor == "sqlite":
        return "sqlite"
    if connection.vendor == "postgresql":
        return "postgresql"
    raise BackupError(f"backups support SQLite and PostgreSQL, not {connection.vendor}")


def applied_migrations(connection: BaseDatabaseWrapper) -> list[tuple[str, str]]:
    """The migrations recorded as applied, in the order they were applied."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    rows = recorder.migration_qs.order_by("applied", "id").values_list("app", "name")
    return [(app, name) for app, name in rows]


def known_migrations(connection: BaseDatabaseWrapper) -> set[tuple[str, str]]:
    """Every migration of this code (on disk), squashed ones and those they replace."""
    loader = MigrationLoader(connection, ignore_no_migrations=True, load=True)
    known = set(loader.disk_migrations)
    for key in loader.replacements:
        known.update(loader.replacements[key].replaces)
    return known


def newer_than_the_code(applied: list[str], known: set[tuple[str, str]]) -> list[str]:
    """The migrations of a backup that this code does not have, for its installed apps."""
    labels = {config.label for config in apps.get_app_configs()}
    unknown = []
    for item in applied:
        app, _, name = item.partition(".")
        # An app removed from the code leaves its old rows behind harmlessly.
        if app in labels and (app, name) not in known:
            unknown.append(item)
    return unknown


def holds_data(connection: BaseDatabaseWrapper) -> bool:
    """Whether any table of an installed model has a row (beyond what `migrate` writes)."""
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table in existing and table not in _FILLED_BY_MIGRATE:
                name = connection.ops.quote_name(table)
                cursor.execute(f"SELECT 1 FROM {name} LIMIT 1")  # noqa: S608
                if cursor.fetchone() is not None:
                    return True
    return False


# --- backup ---------------------------------------------------------------------------


def backup(output: Path, *, using: str = "default") -> Manifest:
    """Write a backup of the database to `output` (replaced only when the backup is whole)."""
    connection = connections[using]
    engine = engine_of(connection)
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    applied = applied_migrations(connection)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".opspor-backup-") as work:
        payload = Path(work) / PAYLOAD[engine]
        if engine == "sqlite":
            tool = f"sqlite3 {sqlite3.sqlite_version}"
            _sqlite_backup(connection, payload)
        else:
            tool = _pg_dump(connection, payload)
        manifest = Manifest(
            engine=engine,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            applied=[f"{app}.{name}" for app, name in applied],
            latest=dict(applied),
            payload=payload.name,
            size=payload.stat().st_size,
            sha256=_sha256(payload),
            tool=tool,
        )
        partial = Path(work) / "backup.tar"
        with tarfile.open(partial, "w") as archive:
            info = tarfile.TarInfo(MANIFEST)
            body = manifest.as_json()
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
            archive.add(payload, arcname=payload.name)
        # A backup holds every patient's record: readable by its owner only.
        partial.chmod(0o600)
        os.replace(partial, output)
    return manifest


def _sqlite_backup(connection: BaseDatabaseWrapper, payload: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(payload)
    try:
        # One step (pages=-1): a consistent copy even while the worker writes.
        connection.connection.backup(target)
    finally:
        target.close()


def _pg_dump(connection: BaseDatabaseWrapper, payload: Path) -> str:
    pg_dump = _tool("pg_dump")
    _run(
        [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={payload}"],
        connection,
        what="pg_dump",
    )
    version = _run([pg_dump, "--version"], connection, what="pg_dump").stdout.strip()
    return version


# --- restore --------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """The manifest of a backup file, refusing anything that is not a whole backup."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with tarfile.open(path, "r:") as archive:
            members = {member.name: member for member in archive.getmembers()}
            entry = members.get(MANIFEST)
            if entry is None or not entry.isfile() or entry.size > _MAX_MANIFEST_BYTES:
                raise BackupError(f"{path}: not an Opspor backup (no manifest)")
            handle = archive.extractfile(entry)
            assert handle is not None
            body = json.loads(handle.read())
            manifest = _manifest_from(body)
            stored = members.get(manifest.payload)
            if stored is None or not stored.isfile() or stored.size != manifest.size:
                raise BackupError(f"{path}: the backup is incomplete (its database is missing)")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"{path}: not a readable backup file ({error})") from None
    except (ValueError, TypeError, KeyError) as error:
        raise BackupError(f"{path}: the backup's manifest is malformed ({error})") from None
    return manifest


def _manifest_from(body: Any) -> Manifest:
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ValueError(f"format is not {FORMAT}")
    manifest = Manifest(**{key: value for key, value in body.items() if key != "format"})
    if manifest.engine not in PAYLOAD or manifest.payload != PAYLOAD[manifest.engine]:
        raise ValueError(f"unknown engine {manifest.engine!r}")
    if not isinstance(manifest.applied, list) or not all(
        isinstance(item, str) and "." in item for item in manifest.applied
    ):
        raise ValueError("applied must list app.migration names")
    return manifest


def restore(path: Path, *, force: bool = False, using: str = "default") -> Restored:
    """Replace the database with the backup at `path`; refuses (BackupError) before
    changing anything when the backup cannot be restored here."""
    connection = connections[using]
    engine = engine_of(connection)
    manifest = read_manifest(path)
    if manifest.engine != engine:
        raise BackupError(f"{path} is a {manifest.engine} backup; this site's database is {engine}")
    known = known_migrations(connection)
    unknown = newer_than_the_code(manifest.applied, known)
    if unknown:
        raise BackupError(
            f"{path} was made by a newer version of Opspor: its schema has migrations this "
            f"code does not know ({', '.join(unknown)}); install that version or a later one "
            "to restore it"
        )
    if not force and holds_data(connection):
        raise BackupError(
            "the database holds data; restoring replaces all of it. Run again with --force "
            "to replace it (make a backup of it first)"
        )
    with _extracted(path, manifest) as payload:
        if engine == "sqlite":
            _sqlite_check(payload)
            _sqlite_restore(connection, payload)
        else:
            _pg_check(connection, payload)
            _pg_restore(connection, payload)
    # Cached rows of the database that was replaced (content types) must not outlive it.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    applied = set(manifest.applied)
    behind = sorted(
        f"{app}.{name}" for app, name in known_leaves(connection) if f"{app}.{name}" not in applied
    )
    return Restored(manifest=manifest, behind=behind)


def known_leaves(connection: BaseDatabaseWrapper) -> list[tuple[str, str]]:
    return MigrationLoader(connection, ignore_no_migrations=True).graph.leaf_nodes()


@contextmanager
def _extracted(path: Path, manifest: Manifest) -> Iterator[Path]:
    """The backup's payload in a temporary file, its size and checksum verified."""
    with tempfile.TemporaryDirectory(prefix="opspor-restore-") as work:
        target = Path(work) / manifest.payload
        try:
            with tarfile.open(path, "r:") as archive:
                source = archive.extractfile(manifest.payload)
                if source is None:
                    raise BackupError(f"{path}: the backup's database is missing")
                with source, target.open("wb") as sink:
                    shutil.copyfileobj(source, sink, _CHUNK)
        except (tarfile.TarError, EOFError, OSError) as error:
            raise BackupError(f"{path}: not a readable backup file ({error})") from None
        if target.stat().st_size != manifest.size or _sha256(target) != manifest.sha256:
            raise BackupError(
                f"{path}: the backup is damaged (its database does not match the checksum "
                "recorded when it was made)"
            )
        yield target


def _sqlite_check(payload: Path) -> None:
    try:
        source = sqlite3.connect(payload)
        try:
            result = source.execute("PRAGMA integrity_check").fetchone()
        finally:
            source.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the backup's database cannot be read ({error})") from None
    if result != ("ok",):
        raise BackupError(f"the backup's database is damaged ({result[0] if result else '?'})")


def _sqlite_restore(connection: BaseDatabaseWrapper, payload: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(payload)
    try:
        source.backup(connection.connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the restore failed, nothing was changed ({error})") from None
    finally:
        source.close()


def _pg_check(connection: BaseDatabaseWrapper, payload: Path) -> None:
    _run([_tool("pg_restore"), "--list", str(payload)], connection, what="pg_restore --list")


def _pg_restore(connection: BaseDatabaseWrapper, payload: Path) -> None:
    """Drop every table of the database and load the dump, in one transaction.

    Every table goes, not only those the dump holds (`pg_restore --clean`), so that a
    backup made before an upgrade comes back without the newer version's tables, and
    `opspor migrate` can create them again. `pg_restore` writes the whole script to a file
    first: piped into psql, a script cut short by a failing pg_restore would end, and psql
    would commit the half that had arrived."""
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    script = payload.with_suffix(".sql")
    _run(
        [pg_restore, "--no-owner", "--no-privileges", f"--file={script}", str(payload)],
        connection,
        what="pg_restore",
    )
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = [quote(row[0]) for row in cursor.fetchall()]
        # The table triggers' functions of our migrations too (the access log's append-only
        # one): the dump creates them again. Those an extension owns stay.
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND p.prokind = 'f'"
            " AND p.prorettype = 'trigger'::regtype AND NOT EXISTS"
            " (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        )
        functions = [row[0] for row in cursor.fetchall()]
    # No session of ours may hold a lock or a prepared statement on a dropped table.
    connection.close()
    drop = f"DROP TABLE IF EXISTS {', '.join(tables)} CASCADE;" if tables else "SELECT 1;"
    drop += "".join(f" DROP FUNCTION IF EXISTS {function} CASCADE;" for function in functions)
    try:
        _run(
            [
                *(psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1"),
                *("--command", drop, f"--file={script}"),
            ],
            connection,
            what="psql",
        )
    except BackupError as error:
        raise BackupError(f"the restore failed, nothing was changed: {error}") from None
    finally:
        script.unlink(missing_ok=True)


# --- the PostgreSQL tools ---------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH; install the PostgreSQL client tools of the "
            "server's major version (Debian: postgresql-client)"
        )
    return found


def _pg_env(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """The connection's settings as libpq's variables: no password on a command line."""
    settings = connection.settings_dict
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if settings.get(key):
            env[variable] = str(settings[key])
    return env


def _run(
    command: list[str], connection: BaseDatabaseWrapper, *, what: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, capture_output=True, text=True, env=_pg_env(connection), check=False
    )
    if result.returncode != 0:
        detail = result.stderr.strip()
        hint = ""
        if "version mismatch" in detail:
            hint = " (the client tools must be of the server's major version or newer)"
        raise BackupError(f"{what} failed{hint}: {detail}")
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
