"""The quality unit's dashboard, a practice's mirror, and the exports of their figures."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role
from opspor.quality import exports, pages, selectors
from opspor.quality.figures import YEAR_DAYS
from opspor.records.selectors import practice_of


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The region's figures: aggregates only, practices compared on funnel plots."""
    require_role(request.user, Role.ANALYST)
    figures = selectors.region_figures()
    sections, equity = pages.build(figures, mirror=False)
    context = {"figures": figures, "sections": sections, "equity": equity, "mirror": False}
    return render(request, "quality/dashboard.html", context)


@login_required
def mirror(request: HttpRequest) -> HttpResponse:
    """The GP's own practice against the region, its rejections and its pathways' ends."""
    user = require_role(request.user, Role.GP)
    practice = practice_of(user)
    if practice is None:
        raise PermissionDenied
    figures = selectors.mirror_figures(practice)
    sections, equity = pages.build(figures, mirror=True)
    since = timezone.now() - timedelta(days=YEAR_DAYS)
    context = {
        "figures": figures,
        "sections": sections,
        "equity": equity,
        "mirror": True,
        "practice": practice,
        "rejections": selectors.practice_rejections(user=user, since=since),
        "pathway_ends": selectors.practice_pathway_ends(user=user, since=since),
    }
    return render(request, "quality/mirror.html", context)


@login_required
def export(request: HttpRequest, indicator: str, fmt: str) -> HttpResponse:
    """One indicator's published rows: the analyst's all practices, a GP's own only."""
    user = require_role(request.user, Role.ANALYST, Role.GP)
    practice = None
    if user.role == Role.GP:
        practice = practice_of(user)
        if practice is None:
            raise PermissionDenied
    try:
        rows = selectors.export_rows(indicator=indicator, practice=practice)
    except KeyError:
        raise Http404("No such indicator") from None
    if fmt == "csv":
        response = HttpResponse(exports.as_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.as_parquet(rows), content_type="application/vnd.apache.parquet"
        )
    response["Content-Disposition"] = f'attachment; filename="{indicator}.{fmt}"'
    return response
