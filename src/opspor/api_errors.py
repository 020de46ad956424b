"""The error bodies the JSON API documents, shared by every router.

Django Ninja answers these itself (an unknown bearer token, a body that is not JSON, a
parameter of the wrong type) or from `HttpError`/`Http404`; documenting them in the OpenAPI
schema lets a client rely on the shape.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema


class DetailOut(Schema):
    detail: str


class NotFoundOut(Schema):
    detail: str  # the same for a missing row and one outside the caller's reach


class UnauthorizedOut(Schema):
    """No bearer token, or one that is unknown (`detail` only), or one that may no longer
    be used: `code` says `token_expired` or `token_revoked` (accounts/tokens.py)."""

    detail: str
    code: str | None = None


class BadRequestOut(Schema):
    detail: str  # a body that is not JSON at all


class ValidationErrorOut(Schema):
    """A request refused before anything is read: a parameter or a body field of the
    wrong type or out of range, one item per problem (`type`, `loc`, `msg`)."""

    detail: list[dict[str, Any]]


class ErrorOut(Schema):
    """A refused action (`casework.errors.WorkflowError`, or a role that never uses the
    endpoint): a stable `code`, a `detail` for the client's developer, and, for an
    incomplete referral, what is `missing`."""

    code: str
    detail: str
    missing: list[dict[str, Any]] = []


# A 422 is either the schema's refusal (`ValidationErrorOut`) or the service's (`ErrorOut`,
# with a `code`).
Unprocessable = ErrorOut | ValidationErrorOut
