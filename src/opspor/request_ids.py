"""A request id on every answer and on every log line written while answering it.

A proxy in front may send one (`X-Request-ID`) so that its log and ours can be joined;
otherwise one is made. The id travels in a context variable, so a log line written anywhere
below the view (a selector, a task queued from it) carries it without being handed it.
"""

from __future__ import annotations

import logging
import re
import secrets
import string
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Short and plain: the id is copied into every log line and back into the answer's headers.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A run of ten digits could be a CPR number (a client putting one there, by mistake or not):
# such an id is not taken, since the log keeps it verbatim.
_TEN_DIGITS = re.compile(r"\d{6}-?\d{4}")
# Letters only, so that a made id never looks like a number of any kind (94 bits).
_ALPHABET = string.ascii_lowercase
_MADE_LENGTH = 20

_current: ContextVar[str | None] = ContextVar("opspor_request_id", default=None)
# Also kept on the request: Django logs a 4xx or 5xx answer (`django.request`) after the
# middleware has returned, with the request on the record.
_META_KEY = "opspor.request_id"


def current() -> str | None:
    """The id of the request being answered in this thread or task, if any."""
    return _current.get()


def make() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_MADE_LENGTH))


def accepted(sent: str | None) -> str | None:
    """The id a client sent, if it is one we keep; None for a missing or unsafe one."""
    if sent is None or not _SAFE_ID.match(sent) or _TEN_DIGITS.search(sent):
        return None
    return sent


class RequestId:
    """Middleware: takes the client's `X-Request-ID` or makes one, and answers with it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted(request.headers.get(HEADER)) or make()
        request.META[_META_KEY] = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class AddRequestId(logging.Filter):
    """Puts the current request id on each record as `request_id` ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request = getattr(record, "request", None)
            kept = request.META.get(_META_KEY) if isinstance(request, HttpRequest) else None
            record.request_id = current() or kept or "-"
        return True
