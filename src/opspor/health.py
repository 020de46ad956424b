"""Health and readiness for a process manager, a container runtime or a load balancer.

`/healthz`: the process is alive and answers (no database): 200 "ok".
`/readyz`: it can serve: the database answers a trivial query, every migration of this code
is applied, and the task queue's table is reachable; 200, or 503 naming the check that
failed, as JSON. Neither needs a login or shows anything about a patient.

They are answered by a middleware at the top of the stack, before the host check, the
HTTPS redirect, sessions and the language: a probe asks by the container's address over
plain HTTP, and must get the answer, not a 400 or a redirect to https; and it stays cheap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("opspor.health")

OK = "ok"
FAILED = "failed"
NOT_CHECKED = "not checked"


@cache
def latest_migrations() -> frozenset[tuple[str, str]]:
    """The latest migration of every app, as this code has them (read from disk once)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.leaf_nodes())


def readiness(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """Each check's outcome on `connection`: "ok", "failed" or "not checked" (after the
    database itself failed). Why one failed goes to the log, not to the answer."""
    checks = {"database": NOT_CHECKED, "migrations": NOT_CHECKED, "queue": NOT_CHECKED}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver's error means the same: not ready
        logger.warning("readiness: the database does not answer (%s)", type(error).__name__)
        checks["database"] = FAILED
        return checks
    checks["database"] = OK
    try:
        applied = MigrationRecorder(connection).applied_migrations()
        missing = sorted(latest_migrations() - set(applied))
    except Exception as error:
        logger.warning("readiness: the migrations cannot be read (%s)", type(error).__name__)
        missing = [("?", "?")]
    if missing:
        logger.warning("readiness: migrations not applied: %s", missing)
    checks["migrations"] = FAILED if missing else OK
    try:
        table = connection.ops.quote_name(DBTaskResult._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608
            cursor.fetchall()
        checks["queue"] = OK
    except Exception as error:
        logger.warning("readiness: the task queue is unreachable (%s)", type(error).__name__)
        checks["queue"] = FAILED
    return checks


def healthz(request: HttpRequest) -> HttpResponse:
    return _no_store(HttpResponse("ok", content_type="text/plain; charset=utf-8"))


def readyz(request: HttpRequest) -> HttpResponse:
    checks = readiness(connections[DEFAULT_DB_ALIAS])
    failed = [name for name, outcome in checks.items() if outcome == FAILED]
    body = {"status": "unavailable" if failed else "ready", "checks": checks, "failed": failed}
    return _no_store(JsonResponse(body, status=503 if failed else 200))


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
}


class HealthChecks:
    """Answers the probes before any other middleware; passes every other request on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is None:
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        return probe(request)
