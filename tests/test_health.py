"""/healthz and /readyz, and gunicorn's settings (opspor/health.py, opspor/gunicorn_conf.py).

The readiness checks run on a connection they are given, so a broken database is a real
connection to a database that is not there; gunicorn is started as a real process.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings

from opspor import gunicorn_conf
from opspor.config import sqlite_database
from opspor.health import latest_migrations, readiness

SRC = Path(__file__).resolve().parents[1] / "src"


def sqlite_connection(path: Path) -> SQLiteWrapper:
    return SQLiteWrapper({**connection.settings_dict, **sqlite_database(path)}, alias="probe")


def test_healthz_answers_ok_without_the_database(client: Client) -> None:
    # No django_db mark: pytest-django refuses any query, so this proves none is made.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_is_ready_on_a_migrated_database(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "queue": "ok"},
        "failed": [],
    }
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_answers_a_probe_over_http_by_address_in_production(
    client: Client, settings: Settings
) -> None:
    """A container probe asks http://<address>/readyz: no 400 for the host, no redirect
    to https, while every other page keeps both."""
    settings.ALLOWED_HOSTS = ["opspor.example"]
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz", "/readyz/"):
        assert client.get(path, HTTP_HOST="10.0.0.5:8000").status_code == 200, path
    assert client.get("/login/", HTTP_HOST="10.0.0.5:8000").status_code == 400
    assert client.get("/login/", HTTP_HOST="opspor.example").status_code == 301


@pytest.mark.django_db
def test_readyz_refuses_anything_but_get_and_head(client: Client) -> None:
    assert client.head("/readyz").status_code == 200
    response = client.post("/readyz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_readyz_is_503_naming_the_migration_not_applied(client: Client) -> None:
    app, name = sorted(latest_migrations())[-1]
    MigrationRecorder.Migration.objects.filter(app=app, name=name).delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["migrations"]
    assert response.json()["checks"]["database"] == "ok"


def test_a_database_that_is_not_there_fails_the_database_check(
    tmp_path: Path, django_db_blocker: DjangoDbBlocker
) -> None:
    broken = sqlite_connection(tmp_path / "no such folder" / "opspor.sqlite3")
    # A connection of its own, not the test database; pytest-django blocks every one.
    with django_db_blocker.unblock():
        assert readiness(broken) == {
            "database": "failed",
            "migrations": "not checked",
            "queue": "not checked",
        }
        broken.close()


def test_an_empty_database_fails_the_migrations_and_the_queue(
    tmp_path: Path, django_db_blocker: DjangoDbBlocker
) -> None:
    empty = sqlite_connection(tmp_path / "empty.sqlite3")
    with django_db_blocker.unblock():
        assert readiness(empty) == {"database": "ok", "migrations": "failed", "queue": "failed"}
        empty.close()


# --- gunicorn ----------------------------------------------------------------------------

FORBIDDEN_ATOMS = {"r", "q", "f", "{referer}i", "{query_string}e"}


def test_the_access_log_has_no_query_string_or_referrer() -> None:
    atoms = set(re.findall(r"%\(([^)]+)\)s", gunicorn_conf.access_log_format))
    assert "U" in atoms  # the path
    assert not atoms & FORBIDDEN_ATOMS
    assert gunicorn_conf.workers >= 1 and gunicorn_conf.timeout > 0


def test_gunicorn_settings_come_from_the_environment() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from opspor import gunicorn_conf as c; print(c.workers, c.bind, c.timeout)",
        ],
        env={
            **os.environ,
            "PYTHONPATH": str(SRC),
            "OPSPOR_WEB_WORKERS": "3",
            "OPSPOR_BIND": "127.0.0.1:9001",
            "OPSPOR_WEB_TIMEOUT": "45",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.stdout.split() == ["3", "['127.0.0.1:9001']", "45"], result.stderr
    bad = subprocess.run(
        [sys.executable, "-c", "import opspor.gunicorn_conf"],
        env={**os.environ, "PYTHONPATH": str(SRC), "OPSPOR_WEB_WORKERS": "many"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert bad.returncode != 0
    assert "OPSPOR_WEB_WORKERS must be a whole number" in bad.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.slow
def test_gunicorn_serves_the_probes_and_logs_no_query_string(tmp_path: Path) -> None:
    """gunicorn with these settings, on a database with one table and no migrations: alive,
    not ready, and a searched CPR number reaches neither log."""
    database = tmp_path / "site.sqlite3"
    sqlite3.connect(database).close()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config=python:opspor.gunicorn_conf", "opspor.wsgi"],
        env={
            **os.environ,
            "PYTHONPATH": str(SRC),
            "DATABASE_URL": f"sqlite:///{database}",
            "OPSPOR_BIND": f"127.0.0.1:{port}",
            "OPSPOR_WEB_WORKERS": "1",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz?cpr=0101701234")
                break
            except OSError:
                assert server.poll() is None, server.communicate(timeout=10)
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.2)
        assert (status, body) == (200, b"ok")
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        assert status == 503
        assert json.loads(body)["failed"] == ["migrations", "queue"]
        assert _get(f"http://127.0.0.1:{port}/login/?q=0101701234&next=/patients/")[0] == 200
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    logs = out + err
    assert '"GET /healthz HTTP/1.1" 200' in logs
    # The master loaded what the workers would have loaded on first use (opspor.warmup).
    assert "Opspor warmed up in" in logs
    assert '"GET /login/ HTTP/1.1" 200' in logs
    assert "0101701234" not in logs
    assert "cpr=" not in logs and "q=" not in logs
