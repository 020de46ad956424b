"""Where a read of a record came from: the request behind it, captured once.

`RequestContext` (a middleware) keeps the request being answered in a context variable, so
that the access log's services (`records.services`) find the client's address, the path,
the channel and the session or API token of every read without each view passing them on.
A read outside a request (a management command, the task worker) is logged with the
channel "system" and no address.

The session and the token are kept as references that cannot be turned back into them:
the first characters of a SHA-256 digest. A token's reference is the start of the digest
`accounts.ApiToken.digest` stores, so an administrator can tell which token it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from opspor.accounts.addresses import client_address
from opspor.accounts.tokens import bearer_of

REFERENCE_LENGTH = 12


class Channel(models.TextChoices):
    WEB = "web", _("Web page")
    API = "api", _("API")
    FHIR = "fhir", _("FHIR API")
    CDS_HOOKS = "cds-hooks", _("CDS Hooks")
    SYSTEM = "system", _("System")


@dataclass(frozen=True)
class ReadContext:
    channel: str
    address: str | None = None
    method: str = ""
    path: str = ""
    credential: str = ""  # "session:<ref>" or "token:<ref>", or empty


SYSTEM = ReadContext(channel=Channel.SYSTEM)

_request: ContextVar[HttpRequest | None] = ContextVar("access_log_request", default=None)
_outside: ContextVar[ReadContext] = ContextVar("access_log_outside", default=SYSTEM)


def _reference(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:REFERENCE_LENGTH]


def channel_of(path: str) -> str:
    if path.startswith("/api/v1/fhir/"):
        return Channel.FHIR
    if path.startswith("/api/"):
        return Channel.API
    if path.startswith("/cds-services"):
        return Channel.CDS_HOOKS
    return Channel.WEB


def credential_of(request: HttpRequest) -> str:
    """The API token (a bearer token) or else the session the request came with."""
    token = bearer_of(request)
    if token is not None:
        return f"token:{_reference(token)}"
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    return f"session:{_reference(key)}" if key else ""


def current() -> ReadContext:
    """Where the read now being logged comes from. Worked out when the row is written, so
    that a session begun during the request (a login) is the one recorded."""
    request = _request.get()
    if request is None:
        return _outside.get()
    return ReadContext(
        channel=channel_of(request.path),
        address=client_address(request),
        method=request.method or "",
        path=request.path[:300],
        credential=credential_of(request),
    )


@contextmanager
def outside_request(*, channel: str = Channel.SYSTEM, path: str = "") -> Iterator[None]:
    """Name the work that reads records outside a request (a command: `path` its name)."""
    token = _outside.set(ReadContext(channel=channel, path=path[:300]))
    try:
        yield
    finally:
        _outside.reset(token)


class RequestContext:
    """Middleware: keeps the request for the access log while it is answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
