"""The notifications page of a practice or a unit, for every kind of case."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role
from opspor.casework import notifications as notices
from opspor.casework.schemas import MAX_ID
from opspor.records.services import record_reads_log

PAGE_SIZE = 50


def _is_number(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 19


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The practice's or unit's notifications, newest first, the unread ones highlighted.

    Reading the list changes nothing (a link preview or a prefetch must not mark them read
    for the whole practice); the page's button marks the ones shown, by POST."""
    user = require_role(request.user, Role.GP, Role.UNIT_DOCTOR)
    rows = notices.with_subjects(notices.notifications_for(user))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    unread = [n.pk for n in page if n.read_at is None]
    # The list names each case's patient: a read of those patients, one row each.
    record_reads_log(
        user=user,
        patient_ids=[pk for n in page if (pk := getattr(n.subject, "patient_id", None))],
        what="notifications",
    )
    return render(request, "casework/notifications.html", {"page": page, "new": unread})


@login_required
@require_POST
def notifications_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark the notifications the page showed as read; only the reader's own practice's or
    unit's are marked (the service's filter), whatever ids are sent."""
    user = require_role(request.user, Role.GP, Role.UNIT_DOCTOR)
    numbers = [v for v in request.POST.getlist("ids")[:PAGE_SIZE] if _is_number(v)]
    ids = [pk for pk in map(int, numbers) if 0 < pk <= MAX_ID]
    if ids:
        notices.notifications_mark_read(by=user, notification_ids=ids)
    page = request.POST.get("page", "")
    query = f"?page={page}" if _is_number(page) else ""
    return redirect(reverse("casework:notifications") + query)
