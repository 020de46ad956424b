"""The API's rate limit (the JSON API under /api/ and the CDS Hooks service): at most
`OPSPOR_API_RATE_LIMIT` requests per client in each fixed window of
`OPSPOR_API_RATE_WINDOW_SECONDS` seconds, the next one answered 429 with `Retry-After` (the
seconds until the window ends).

A client is the token a request presents (any stored token, also an expired or revoked one,
so that trying it again and again is limited too), or, without a known token, the address
the request comes from: guessing tokens is limited per address. The counts are rows of
`ApiRateWindow`, one per client and window, raised by one atomic upsert, so that every
worker process of the deployment counts against the same limit (a per-process count would
let N workers take N times the limit). Rows of ended windows are deleted by the first
request of a new window.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from opspor.accounts.addresses import client_address
from opspor.accounts.models import ApiRateWindow
from opspor.accounts.tokens import presented_token
from opspor.api_requests import API_PREFIX

# The JSON API and the CDS Hooks service (interop/cds_hooks), which takes the same tokens.
LIMITED_PREFIXES = (API_PREFIX, "/cds-services")


def client_of(request: HttpRequest) -> str:
    token = presented_token(request)
    if token is not None:
        return f"token:{token.pk}"
    # The client's address, read through the trusted proxies as the login trail reads it.
    return f"address:{client_address(request) or 'unknown'}"


def _count(client: str, window_start: int) -> int:
    """Add one request to `client`'s count in the window and return the new count."""
    table = connection.ops.quote_name(ApiRateWindow._meta.db_table)
    client_column, window_column, hits_column = (
        connection.ops.quote_name(name) for name in ("client", "window_start", "hits")
    )
    # ON CONFLICT ... RETURNING: PostgreSQL and SQLite (3.35 and later) alike; one statement,
    # so two workers counting at once both count. The names are quoted identifiers of our
    # own table, the values parameters.
    sql = (
        f"INSERT INTO {table} ({client_column}, {window_column}, {hits_column}) "  # noqa: S608
        f"VALUES (%s, %s, 1) ON CONFLICT ({client_column}, {window_column}) "
        f"DO UPDATE SET {hits_column} = {table}.{hits_column} + 1 RETURNING {hits_column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [client, window_start])
        row = cursor.fetchone()
    hits = int(row[0])
    if hits == 1:
        ApiRateWindow.objects.filter(window_start__lt=window_start).delete()
    return hits


def retry_after(request: HttpRequest) -> int | None:
    """Count the request; None if it is within the limit, otherwise the whole seconds
    (at least 1) until the client's window ends."""
    limit: int = settings.OPSPOR_API_RATE_LIMIT
    if limit <= 0:
        return None
    seconds: int = settings.OPSPOR_API_RATE_WINDOW_SECONDS
    now = timezone.now().timestamp()
    window_start = int(now // seconds) * seconds
    if _count(client_of(request), window_start) <= limit:
        return None
    return max(1, math.ceil(window_start + seconds - now))


def too_many_requests(wait: int) -> JsonResponse:
    limit: int = settings.OPSPOR_API_RATE_LIMIT
    seconds: int = settings.OPSPOR_API_RATE_WINDOW_SECONDS
    response = JsonResponse(
        {
            "code": "rate_limited",
            "detail": (
                f"Too many requests: at most {limit} every {seconds} seconds per token (or "
                f"per address without one). Try again in {wait} seconds."
            ),
            "missing": [],
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


class ApiRateLimit:
    """Counts every request to the API (and the CDS service) and answers one over the
    limit with 429 before anything else runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(LIMITED_PREFIXES):
            wait = retry_after(request)
            if wait is not None:
                return too_many_requests(wait)
        return self.get_response(request)
