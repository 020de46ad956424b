"""What the JSON API takes as a request body, and how it answers what it cannot take.

Every request under /api/ is held to the same rules, whichever endpoint it reaches:

- a body of at most `settings.OPSPOR_API_MAX_BODY_BYTES` (`OPSPOR_API_MAX_BODY_BYTES`,
  1 MiB unless set); a longer one is answered 413 before any endpoint sees it;
- JSON nested at most `MAX_JSON_DEPTH` arrays and objects deep, and no lone surrogate
  (`"\\ud800"`) in any string or key: the first would exhaust the stack of whatever walks
  the value, the second is a character no database can store. Both are answered 400;
- every answer of 400 or more under /api/ is JSON with a `detail`, also when Django
  itself answers (an unknown address, an unexpected error in development or in
  production), never an HTML page or a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import UnreadablePostError
from ninja.parser import Parser

API_PREFIX = "/api/"
# Far deeper than any body the API documents (a PatientContext is about five levels).
MAX_JSON_DEPTH = 32

_SURROGATE = re.compile("[\ud800-\udfff]")


class UnreadableBody(ValueError):
    """A body that is not JSON the API can read; the message says why, for the caller."""


def _check(value: Any) -> None:
    # Without recursion: the point is to refuse what would exhaust the stack.
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise UnreadableBody(
                    "The body holds a lone surrogate (\\ud800-\\udfff), which is not a "
                    "character: send text as UTF-8 or as surrogate pairs."
                )
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise UnreadableBody(
                    f"The body is nested more than {MAX_JSON_DEPTH} arrays and objects deep."
                )
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


def read_json(body: bytes) -> Any:
    """The JSON value of `body`, or `UnreadableBody` saying what is wrong with it."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise UnreadableBody(
            f"The body is nested more than {MAX_JSON_DEPTH} arrays and objects deep."
        ) from None
    except ValueError as error:  # not UTF-8, or not JSON; the message gives the position
        raise UnreadableBody(f"The body is not JSON: {error}") from None
    _check(value)
    return value


class JsonBodyParser(Parser):
    """Ninja's parser with the checks above; Ninja answers its refusal with 400."""

    def parse_body(self, request: HttpRequest) -> Any:
        return read_json(request.body)


def _json(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    return content_type == "application/json" or content_type.endswith("+json")


class ApiRequestGuard:
    """The body limit and JSON-only refusals for every request under /api/.

    Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE) would answer with an HTML page, or
    an error inside Ninja, and is checked only when something reads the body; here the
    body is measured, and read, before any endpoint runs. It is first in MIDDLEWARE so
    that it also sees the answers Django gives for errors in the other middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        refusal = self._refuse_body(request)
        response = refusal or self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            # An HTML error page or a plain-text traceback from Django: the caller is a
            # program, and a traceback is for the log (Django has written it there).
            status = response.status_code
            detail = "Internal server error" if status >= 500 else _phrase(status)
            response = _json(status, detail)
        return response

    @staticmethod
    def _refuse_body(request: HttpRequest) -> HttpResponse | None:
        limit: int = settings.OPSPOR_API_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _json(400, "The Content-Length header is not a number.")
        if declared > limit:
            return _too_large(limit)  # refused before reading a byte of it
        try:
            # At most `declared` bytes (or, without a length, what the server buffered).
            size = len(request.body)
        except RequestDataTooBig:
            return _too_large(limit)
        except UnreadablePostError:
            return _json(400, "The request body could not be read.")
        return _too_large(limit) if size > limit else None


def _too_large(limit: int) -> JsonResponse:
    return _json(413, f"The request body is larger than this API accepts ({limit} bytes).")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
