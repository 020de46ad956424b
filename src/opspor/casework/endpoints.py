"""What every case's JSON endpoints share: who may call them, running an action, the
refusals they document, the Idempotency-Key header, and local times in answers.

A refusal is never handled here: a role that never uses the endpoint raises `RoleRefused`
and a service's refusal raises `WorkflowError`; the API maps both once (`opspor.api`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Status

from opspor.accounts.guards import require_role
from opspor.accounts.models import User
from opspor.api_errors import (
    BadRequestOut,
    ErrorOut,
    NotFoundOut,
    UnauthorizedOut,
    Unprocessable,
)

IDEMPOTENCY_HELP = (
    "A repeat with the same key returns the first result and creates nothing; the same key "
    "with a different request (another case or body) is refused with 422 (`key_reused`)."
)
IdempotencyKey = Header("", alias="Idempotency-Key", max_length=200)


def caller(request: HttpRequest, roles: Collection[str]) -> User:
    """The authenticated caller, when their role may use the endpoint."""
    return require_role(request.user, *roles)


def act[T](
    request: HttpRequest,
    roles: Collection[str],
    action: Callable[[User], T],
    *,
    shape: Callable[[T], Any] = lambda out: out,
    status: int = 200,
) -> Status[Any]:
    """Run one action for the caller and answer with its result."""
    return Status(status, shape(action(caller(request, roles))))


def responses(ok: int, out: Any) -> dict[int, Any]:
    return {
        ok: out,
        400: BadRequestOut,
        401: UnauthorizedOut,
        403: ErrorOut,
        404: NotFoundOut,
        409: ErrorOut,
        422: Unprocessable,
    }


def local(moment: datetime | None) -> datetime | None:
    # Deadlines are Danish working days; the offset shows which local time they mean.
    return timezone.localtime(moment) if moment is not None else None
