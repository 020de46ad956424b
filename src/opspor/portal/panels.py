"""The patient's preparation on the GP's patient overview (registered in `apps.py`).

Two panels: the summary of the latest sent preparation beside the record (side column),
with a button per item to confirm it into the record and the trusted links to answer what
the patient read; and, below the guideline criteria the record meets, the criteria met only
with what the patient reported and no GP has confirmed yet (main column), which the
summary points to at its top, since the main column may put them below the first screen.

The overview has checked that the user is a GP who may see the patient, and logged its
read; the summary logs one more read ("preparation"), since the patient's own report is
not part of the record the overview's entry names.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from opspor.accounts.models import User
from opspor.engine.assessment import Assessment
from opspor.engine.context import PatientContext
from opspor.portal.models import Preparation
from opspor.portal.reassessment import Reassessment, reassess
from opspor.portal.summary import latest_sent, summary
from opspor.records.models import Patient
from opspor.records.services import record_read_log

# Both panels show the same preparation and the same re-assessment; each is made once per
# request, whichever panel asks first.
_CACHE = "_opspor_preparation_panels"


def _cached(request: HttpRequest) -> dict[tuple[str, int], Any]:
    cache: dict[tuple[str, int], Any] = request.__dict__.setdefault(_CACHE, {})
    return cache


def _latest(request: HttpRequest, patient: Patient) -> Preparation | None:
    cache = _cached(request)
    if ("latest", patient.pk) not in cache:
        cache["latest", patient.pk] = latest_sent(patient)
    found: Preparation | None = cache["latest", patient.pk]
    return found


def _reassessment(
    request: HttpRequest, context: PatientContext, assessment: Assessment, preparation: Preparation
) -> Reassessment | None:
    cache = _cached(request)
    if ("reassessment", preparation.pk) not in cache:
        cache["reassessment", preparation.pk] = reassess(
            context, assessment, preparation=preparation
        )
    found: Reassessment | None = cache["reassessment", preparation.pk]
    return found


def preparation_panel(
    request: HttpRequest, patient: Patient, context: PatientContext, assessment: Assessment
) -> tuple[str, dict[str, Any]] | None:
    preparation = _latest(request, patient)
    if preparation is None:
        return None
    user = request.user
    assert isinstance(user, User)
    record_read_log(user=user, patient=patient, what="preparation")
    found = _reassessment(request, context, assessment, preparation)
    return (
        "portal/_preparation_panel.html",
        {
            "summary": summary(preparation),
            "back": request.get_full_path(),
            "reported_criteria": len(found.criteria) if found is not None else 0,
        },
    )


def reassessment_panel(
    request: HttpRequest, patient: Patient, context: PatientContext, assessment: Assessment
) -> tuple[str, dict[str, Any]] | None:
    preparation = _latest(request, patient)
    if preparation is None:
        return None
    found = _reassessment(request, context, assessment, preparation)
    if found is None:
        return None
    return ("portal/_preparation_criteria.html", {"reassessment": found})
