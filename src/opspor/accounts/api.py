from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from opspor.api_errors import UnauthorizedOut

router = Router(tags=["accounts"])


class Me(Schema):
    username: str
    role: str


@router.get(
    "/me",
    response={200: Me, 401: UnauthorizedOut},
    summary="The user the bearer token belongs to",
)
def me(request: HttpRequest) -> Me:
    user = request.user
    return Me(username=user.get_username(), role=getattr(user, "role", ""))
