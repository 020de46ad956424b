"""The GP's list of the practice's referrals and advice requests, and the unit's inbox."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from opspor.records.selectors import unit_of
from opspor.records.services import record_reads_log
from opspor.referrals import selectors
from opspor.referrals.views.common import (
    PAGE_SIZE,
    as_doctor,
    as_gp,
    page_of,
)

# The access log's names for the lists: one row for each patient a page shows.
READ_LIST = "referral list"
READ_INBOX = "unit inbox"


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    """The GP's list: unacknowledged rejections first, then the practice's referrals and
    advice requests with their state and clock."""
    user = as_gp(request)
    now = timezone.now()
    rejections = list(selectors.unacknowledged_rejections(user=user)[:PAGE_SIZE])
    referrals = page_of(selectors.practice_referrals(user=user, now=now), request.GET.get("page"))
    advice = page_of(
        selectors.practice_advice_requests(user=user, now=now), request.GET.get("apage")
    )
    shown = [*rejections, *referrals, *advice]
    record_reads_log(user=user, patient_ids=[row.patient_id for row in shown], what=READ_LIST)
    context = {
        "now": now,
        "counts": selectors.practice_counts(user=user, now=now),
        "rejections": rejections,
        "referrals": referrals,
        "advice": advice,
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
    record_reads_log(user=user, patient_ids=[row.patient_id for row in rows], what=READ_INBOX)
    context = {
        "now": now,
        "tab": tab,
        "rows": rows,
        "counts": selectors.unit_inbox_counts(user=user, now=now),
        "unit": unit_of(user),
    }
    return render(request, "referrals/inbox.html", context)
