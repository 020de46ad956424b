"""Real `opspor` processes on the test's own database, for the fault tests.

On PostgreSQL another process opens the test database itself (the test must commit what
it wrote: `django_db(transaction=True)`). SQLite's test database lives in this process's
memory, so it is copied to a file for the processes and copied back when they are done:
the test then reads what they wrote as on PostgreSQL, through the ORM.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def database_for_processes(directory: Path) -> Iterator[str]:
    """A DATABASE_URL other processes share with this test; on SQLite what they wrote is
    seen by the test once the block ends."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(settings["USER"] or "", safe="")
        password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
        host = settings["HOST"] or "127.0.0.1"
        port = f":{settings['PORT']}" if settings["PORT"] else ""
        yield f"postgresql://{user}{password}@{host}{port}/{quote(settings['NAME'])}"
        return
    connection.ensure_connection()
    path = directory / "shared.sqlite3"
    path.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")
    yield f"sqlite:///{path}"
    with contextlib.closing(sqlite3.connect(path)) as copy:
        copy.backup(connection.connection)


def opspor_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of an `opspor` process on `database_url` with `OPSPOR_...` settings."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATABASE_URL": database_url,
        **settings,
    }


def opspor(
    *args: str,
    env: dict[str, str],
    log: Path,
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.Popen[bytes]:
    """`opspor ARGS...` started in the background, its output in `log`; `preexec_fn` runs
    in the child before it starts (a resource limit)."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "opspor.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec_fn,
        )
