from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from opspor.accounts.models import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own start page."""
    role = getattr(request.user, "role", "")
    if role == Role.GP:
        return redirect("records:practice_patients")
    if role == Role.PATIENT:
        return redirect("records:my_record")
    if role == Role.ADMIN:
        return redirect("admin:index")
    return redirect("records:practice_patients")
