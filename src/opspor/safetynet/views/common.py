"""What the safety-net screens share."""

from __future__ import annotations

from django.http import HttpRequest

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role, User


def as_gp(request: HttpRequest) -> User:
    return require_role(request.user, Role.GP)
