"""The practice's worklist: the GP's start page.

The list is sorted across the whole practice (the most urgent kind first, then the longest
waiting), so it is built whole and then cut into pages; only the page's patients are shown,
and only their reads are logged, in one query.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from opspor.records.selectors import practice_of
from opspor.records.services import record_reads_log
from opspor.safetynet.forms import practice_gps
from opspor.safetynet.signal_items import signals_dated
from opspor.safetynet.views.common import as_gp
from opspor.safetynet.worklist import practice_worklist
from opspor.safetynet.worklist_rows import kind_counts, kind_of, owner_names, worklist_rows

PAGE_SIZE = 50
# The access log's name for a read of the worklist: a patient's name and what waits.
READ_WORKLIST = "worklist"


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """What waits for the practice's GPs, most urgent first; narrowed by owner or kind."""
    user = as_gp(request)
    now = timezone.now()
    practice = practice_of(user)
    gps = practice_gps(practice) if practice is not None else []
    owners = {str(gp.pk): gp for gp in gps}
    owner = owners.get(request.GET.get("owner", ""))
    items = practice_worklist(user=user, now=now, owner_id=owner.pk if owner else None)
    counts = kind_counts(items)
    kind = kind_of(request.GET.get("kind", ""))
    if kind is not None:
        items = [item for item in items if item.kind == kind]
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    record_reads_log(user=user, patient_ids=[item.patient_id for item in shown], what=READ_WORKLIST)
    filters = {
        name: value
        for name, value in (
            ("owner", str(owner.pk) if owner else ""),
            ("kind", kind.name.lower() if kind is not None else ""),
        )
        if value
    }
    return render(
        request,
        "safetynet/worklist.html",
        {
            "page": page,
            "rows": worklist_rows(shown, owners=owner_names(gps), today=timezone.localdate(now)),
            "dismissable": any(item.dismiss_url for item in shown),
            "total": sum(count.count for count in counts),
            "counts": counts,
            "kind": kind.name.lower() if kind is not None else "",
            "gps": gps,
            "owner": owner,
            "mine": owner is not None and owner.pk == user.pk,
            "owner_query": f"owner={owner.pk}&" if owner else "",
            "extra": f"&{urlencode(filters)}" if filters else "",
            "here": request.get_full_path(),
            "signals_run": signals_dated(practice),
        },
    )
