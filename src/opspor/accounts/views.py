from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from opspor.accounts.models import Role, User

START_PAGES = {
    Role.GP: "safetynet:worklist",
    Role.PATIENT: "portal:my_record",
    Role.UNIT_DOCTOR: "referrals:unit_inbox",
    Role.ANALYST: "quality:dashboard",
    Role.ADMIN: "admin:index",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own start page."""
    user = request.user
    start = START_PAGES.get(Role(user.role)) if isinstance(user, User) else None
    if start is None:
        raise PermissionDenied
    return redirect(start)
