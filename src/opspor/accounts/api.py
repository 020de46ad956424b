from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["accounts"])


class Me(Schema):
    username: str
    role: str


@router.get("/me", response=Me, summary="The user the bearer token belongs to")
def me(request: HttpRequest) -> Me:
    user = request.user
    return Me(username=user.get_username(), role=getattr(user, "role", ""))
