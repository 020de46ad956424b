"""The patient's own pages: their record with what happens next with each referral and
each live safety net, their whole contact history, their pathway as one timeline per open
matter, trustworthy information for their situation, and telling the practice "I have not
heard anything" or "It got worse" about a safety net.

Each view first checks that the user is a patient (403 otherwise, before any record is
read, so nothing is logged); a patient's user without a record is told so (404). The reads
go through the record's selectors, which log them.
"""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role, User
from opspor.casework.errors import WorkflowError, screen_text
from opspor.portal import selectors as portal_selectors
from opspor.portal.answers import my_trusted_links
from opspor.portal.forms import ConcernForm
from opspor.portal.my_information import my_information
from opspor.portal.my_pathway import my_pathway as read_my_pathway
from opspor.portal.my_safety_nets import my_safety_nets
from opspor.portal.patient_status import my_referral_steps
from opspor.portal.selectors import READS_PER_PAGE
from opspor.records import selectors
from opspor.records.models import Patient
from opspor.safetynet import concerns
from opspor.safetynet import selectors as safetynet_selectors
from opspor.safetynet.workflow import ConcernKind

# Where "I have not heard anything" / "It got worse" returns to: a key the page sends, never
# an address, so that no form can send the patient anywhere else.
BACK_TO_RECORD = "record"
BACK_TO_PATHWAY = "pathway"


def _patient_user(request: HttpRequest) -> User:
    return require_role(request.user, Role.PATIENT)


def _own_patient(user: User) -> Patient | None:
    return getattr(user, "patient", None)


def _no_record(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/no_record.html", status=404)


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    user = _patient_user(request)
    patient = _own_patient(user)
    if patient is None:
        return _no_record(request)
    page = selectors.record_page(
        user=user,
        patient_id=patient.pk,
        what="own record",
        all_contacts=request.GET.get("contacts") == "all",
    )
    # What happens next with each referral: who will contact the patient, and by when.
    steps = my_referral_steps(user=user, patient=page.record.patient)
    safety_nets = my_safety_nets(user=user, patient=page.record.patient)
    trusted_links = my_trusted_links(user=user, patient=page.record.patient)
    return render(
        request,
        "portal/my_record.html",
        {
            "page": page,
            "own": True,
            "referral_steps": steps,
            "safety_nets": safety_nets,
            "back": BACK_TO_RECORD,
            "trusted_links": trusted_links,
            "record_url": reverse("portal:my_record"),
            "all_contacts_url": reverse("portal:my_contacts"),
        },
    )


@login_required
def my_contacts(request: HttpRequest) -> HttpResponse:
    """The whole contact history, loaded into the record page on request."""
    user = _patient_user(request)
    patient = _own_patient(user)
    if patient is None:
        return _no_record(request)
    own, contacts = selectors.patient_contacts(user=user, patient_id=patient.pk)
    return render(
        request,
        "records/_contacts.html",
        {"patient": own, "contacts": contacts, "older_contacts": 0},
    )


@login_required
def my_pathway(request: HttpRequest) -> HttpResponse:
    """Every open matter as a timeline: what happened, what happens next, who does it."""
    user = _patient_user(request)
    patient = _own_patient(user)
    if patient is None:
        return _no_record(request)
    pathway = read_my_pathway(user=user, patient=patient)
    return render(
        request,
        "portal/my_pathway.html",
        {"pathway": pathway, "patient": patient, "back": BACK_TO_PATHWAY},
    )


@login_required
def information(request: HttpRequest) -> HttpResponse:
    """Trustworthy pages for the patient's symptoms and pathways, and when searching helps."""
    user = _patient_user(request)
    patient = _own_patient(user)
    if patient is None:
        return _no_record(request)
    shown = my_information(user=user, patient=patient)
    return render(request, "portal/information.html", {"information": shown, "patient": patient})


def _back_to(key: str | None) -> str:
    if key == BACK_TO_PATHWAY:
        return reverse("portal:my_pathway")
    return f"{reverse('portal:my_record')}#my-safety-nets"


@login_required
@require_POST
def concern_raise(request: HttpRequest, episode_id: int) -> HttpResponse:
    """The patient tells the practice about one of their own live safety nets; the page
    then confirms it, or says since when the practice has already had it."""
    user = _patient_user(request)
    # Another patient's safety net, or a closed one: 404, and nothing is read or logged.
    episode = safetynet_selectors.own_live_episode_get(user=user, episode_id=episode_id)
    back = _back_to(request.POST.get("back"))
    form = ConcernForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("That did not go through. Please try again."))
        return redirect(back)
    data = form.cleaned_data
    try:
        raised = concerns.concern_raise(
            episode=episode,
            by=user,
            kind=data["kind"],
            words=data["words"],
            idempotency_key=data["token"],
        )
    except WorkflowError as refusal:
        messages.error(request, screen_text(refusal))
        return redirect(back)
    if raised.new:
        done = (
            gettext("Your practice has been told that it got worse. They will contact you.")
            if raised.concern.kind == ConcernKind.GOT_WORSE
            else gettext("Your practice has been told that you have not heard anything.")
        )
        messages.success(request, done)
    else:
        day = formats.date_format(timezone.localtime(raised.concern.raised_at), "DATE_FORMAT")
        messages.info(
            request,
            gettext("Your practice already has this from you since %(day)s.") % {"day": day},
        )
    return redirect(back)


@login_required
def my_access_log(request: HttpRequest) -> HttpResponse:
    """Who has read the patient's record, and who tried and was refused, newest first."""
    user = _patient_user(request)
    if _own_patient(user) is None:
        return _no_record(request)
    page = Paginator(portal_selectors.own_record_reads(user), READS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    reads = portal_selectors.record_reads_shown(user, page.object_list)
    response = render(request, "portal/access_log.html", {"page": page, "reads": reads})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def my_access_log_csv(request: HttpRequest) -> HttpResponse:
    """The same list, every row, as a CSV file the patient can keep."""
    user = _patient_user(request)
    if _own_patient(user) is None:
        return _no_record(request)
    reads = portal_selectors.record_reads_shown(user, portal_selectors.own_record_reads(user))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            gettext("When"),
            gettext("Who"),
            gettext("Role"),
            gettext("Practice or unit"),
            gettext("What"),
            gettext("Refused"),
        ]
    )
    for read in reads:
        writer.writerow(
            [
                timezone.localtime(read.at).isoformat(timespec="seconds"),
                read.reader,
                read.role,
                read.organisation,
                read.what,
                gettext("yes") if read.refused else gettext("no"),
            ]
        )
    # With a byte order mark, so that a spreadsheet opens the file as UTF-8 (æ, ø, å).
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="who-read-my-record.csv"'
    response["Cache-Control"] = "no-store"
    return response
