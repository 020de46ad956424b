"""The GP's list of the practice's referrals and advice requests, and the unit's inbox."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from opspor.records.selectors import unit_of
from opspor.referrals import selectors
from opspor.referrals.views.common import (
    PAGE_SIZE,
    as_doctor,
    as_gp,
    page_of,
)


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    """The GP's list: unacknowledged rejections first, then the practice's referrals and
    advice requests with their state and clock."""
    user = as_gp(request)
    now = timezone.now()
    context = {
        "now": now,
        "counts": selectors.practice_counts(user=user, now=now),
        "rejections": list(selectors.unacknowledged_rejections(user=user)[:PAGE_SIZE]),
        "referrals": page_of(
            selectors.practice_referrals(user=user, now=now), request.GET.get("page")
        ),
        "advice": page_of(
            selectors.practice_advice_requests(user=user, now=now), request.GET.get("apage")
        ),
    }
    return render(request, "referrals/gp_list.html", context)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The unit's inbox, one tab at a time, sorted by the deadline each row waits on.

    A page is 50 rows; the counts are aggregates. The number of queries is the same for
    ten open referrals and for ten thousand.
    """
    user = as_doctor(request)
    now = timezone.now()
    tab = request.GET.get("tab", "triage")
    if tab not in selectors.INBOX_TABS:
        tab = "triage"
    rows = page_of(selectors.unit_inbox(user=user, tab=tab, now=now), request.GET.get("page"))
    context = {
        "now": now,
        "tab": tab,
        "rows": rows,
        "counts": selectors.unit_inbox_counts(user=user, now=now),
        "unit": unit_of(user),
    }
    return render(request, "referrals/inbox.html", context)
