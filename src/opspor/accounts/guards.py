"""The one role guard: every view and every API endpoint asks it first, before anything is
read, so a role that never uses a page or an endpoint is refused the same way everywhere
(403, nothing read, nothing logged)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from opspor.accounts.models import Role, User


class RoleRefused(PermissionDenied):
    """The user's role never uses this page or endpoint."""

    def __init__(self) -> None:
        super().__init__("This role may not use this endpoint.")


def require_role(user: Any, *roles: Role | str) -> User:
    """`user` as a `User` when their role is one of `roles`; `RoleRefused` otherwise."""
    if not isinstance(user, User) or not user.is_active or user.role not in roles:
        raise RoleRefused
    return user
