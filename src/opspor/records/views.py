"""The pages of the clinical record and of each role's start page.

Each view first checks that the page is meant for the user's role (403 otherwise, before
any record is read; on a patient's page the attempt is kept in the access log as refused),
then asks a selector for the data.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from opspor import htmx
from opspor.accounts.guards import require_role
from opspor.accounts.models import Role, User
from opspor.engine.assess import assess
from opspor.engine.rules.loader import DEFAULT_RULESET, RULESETS
from opspor.records import overview_panels, selectors
from opspor.records.models import Patient
from opspor.records.presenters import contact_timeline, symptom_groups
from opspor.records.services import record_read_refused_of, record_reads_log

PATIENTS_PER_PAGE = 50

PatientView = Callable[..., HttpResponse]


def refusal_logged(what: str) -> Callable[[PatientView], PatientView]:
    """A patient's page refused to the user's role is a refused read of that patient's
    record: who tried, and whose record it was (an id that names no patient leaves none)."""

    def decorate(view: PatientView) -> PatientView:
        @wraps(view)
        def checked(request: HttpRequest, patient_id: int, **kwargs: object) -> HttpResponse:
            try:
                return view(request, patient_id, **kwargs)
            except PermissionDenied:
                user = request.user
                if isinstance(user, User) and Patient.objects.filter(pk=patient_id).exists():
                    record_read_refused_of(user=user, patient_id=patient_id, what=what)
                raise

        return checked

    return decorate


SEARCH_MAX_LENGTH = 100
PATIENT_SEARCH_KEY = "records.patient_search"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def practice_patients(request: HttpRequest) -> HttpResponse:
    """The GP's patient list, searched by name.

    The search is sent by POST and kept in the session, never in the address: an address
    ends up in the server's request log, the browser's history and a proxy's log, and a
    patient's name or CPR number must not. A search answers htmx with the table, and a
    browser without it with a redirect to the list (page 1); the pages of the list are GETs
    that read the search from the session.
    """
    user = require_role(request.user, Role.GP)
    if request.method == "POST":
        request.session[PATIENT_SEARCH_KEY] = {
            "q": request.POST.get("q", "").strip()[:SEARCH_MAX_LENGTH],
            "stories": request.POST.get("stories") == "1",
        }
        if not htmx.is_htmx(request):
            return redirect("records:practice_patients")
    kept = request.session.get(PATIENT_SEARCH_KEY, {})
    search = str(kept.get("q", ""))
    stories_only = kept.get("stories") is True
    patients = selectors.practice_patient_search(
        user=user, search=search, stories_only=stories_only
    )
    paginator = Paginator(patients, PATIENTS_PER_PAGE)
    # A new search starts at the first page.
    page = paginator.get_page(None if request.method == "POST" else request.GET.get("page"))
    record_reads_log(user=user, patient_ids=[p.pk for p in page], what="patient list")
    context = {
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "search": search,
        "stories_only": stories_only,
        "practice": selectors.practice_of(user),
    }
    return htmx.render(
        request, "records/practice_patients.html", "records/_patient_table.html", context
    )


@login_required
@refusal_logged("record")
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = require_role(request.user, Role.GP)
    page = selectors.record_page(
        user=user, patient_id=patient_id, all_contacts=request.GET.get("contacts") == "all"
    )
    return render(
        request,
        "records/patient_detail.html",
        {
            "page": page,
            "own": False,
            "record_url": reverse("records:patient_detail", args=[patient_id]),
            "all_contacts_url": reverse("records:patient_contacts", args=[patient_id]),
        },
    )


@login_required
@refusal_logged("overview")
def patient_overview(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The GP's patient overview: signals, criteria met and their sources, at a glance.

    `?ruleset=` picks the rule set; an unknown name falls back to the default with a
    message rather than failing, since the link may come from an old bookmark.
    """
    user = require_role(request.user, Role.GP)
    asked = request.GET.get("ruleset", "")
    ruleset = asked if asked in RULESETS else DEFAULT_RULESET
    overview = selectors.patient_overview(user=user, patient_id=patient_id)
    patient, context = overview.patient, overview.context
    assessment = assess(context, ruleset=ruleset)
    return render(
        request,
        "records/patient_overview.html",
        {
            "patient": patient,
            "age": patient.age_on(context.as_of),
            "context": context,
            "assessment": assessment,
            "record": overview,
            "timeline": contact_timeline(context, assessment),
            "symptoms": symptom_groups(overview.symptoms),
            "rulesets": RULESETS,
            "unknown_ruleset": asked if asked and asked not in RULESETS else "",
            "panels": overview_panels.panels_for(request, patient, context, assessment),
        },
    )


@login_required
@refusal_logged("contacts")
def patient_contacts(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The whole contact history, loaded into the record page on request."""
    user = require_role(request.user, Role.GP)
    patient, contacts = selectors.patient_contacts(user=user, patient_id=patient_id)
    return render(
        request,
        "records/_contacts.html",
        {"patient": patient, "contacts": contacts, "older_contacts": 0},
    )


@login_required
def unit_page(request: HttpRequest) -> HttpResponse:
    user = require_role(request.user, Role.UNIT_DOCTOR)
    return render(request, "records/unit.html", {"overview": selectors.unit_overview(user=user)})
