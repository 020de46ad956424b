"""The notifications of the caller's practice or unit over the JSON API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role
from opspor.api_errors import (
    BadRequestOut,
    ErrorOut,
    UnauthorizedOut,
    Unprocessable,
    ValidationErrorOut,
)
from opspor.casework.models import Notification
from opspor.casework.notifications import notifications_for, notifications_mark_read
from opspor.casework.schemas import MarkedOut, NotificationOut, NotificationsReadIn

router = Router(tags=["notifications"])

CLINICIANS = (Role.GP, Role.UNIT_DOCTOR)


def notification_out(notification: Notification) -> NotificationOut:
    return NotificationOut(
        id=notification.pk,
        kind=notification.kind,
        label=notification.kind_label,
        created_at=timezone.localtime(notification.created_at),
        read_at=timezone.localtime(notification.read_at) if notification.read_at else None,
        subject_kind=notification.subject_type.model,
        subject_id=notification.subject_id,
    )


LimitQuery = Query(100, ge=1, le=500)


@router.get(
    "/notifications",
    response={
        200: list[NotificationOut],
        401: UnauthorizedOut,
        403: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="The notifications of the caller's practice or unit, newest first",
)
def notification_list(
    request: HttpRequest,
    unread: bool = False,
    limit: int = LimitQuery,
) -> Status[Any]:
    user = require_role(request.user, *CLINICIANS)
    rows = notifications_for(user)
    if unread:
        rows = rows.filter(read_at=None)
    return Status(200, [notification_out(n) for n in rows[:limit]])


@router.post(
    "/notifications/mark-read",
    response={
        200: MarkedOut,
        400: BadRequestOut,
        401: UnauthorizedOut,
        403: ErrorOut,
        422: Unprocessable,
    },
    summary="Mark notifications as read",
    description=(
        "Only unread notifications of the caller's own practice or unit are marked; "
        "`marked` says how many. Other ids are left as they are."
    ),
)
def notifications_read(request: HttpRequest, payload: NotificationsReadIn) -> Status[Any]:
    user = require_role(request.user, *CLINICIANS)
    marked = notifications_mark_read(by=user, notification_ids=payload.ids)
    return Status(200, MarkedOut(marked=marked))
