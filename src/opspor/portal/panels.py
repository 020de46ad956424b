"""The patient's preparation on the GP's patient overview (registered in `apps.py`).

Two panels: the summary of the latest sent preparation beside the record (side column),
with a button per item to confirm it into the record and the trusted links to answer what
the patient read; and, below the guideline criteria the record meets, the criteria met only
with what the patient reported and no GP has confirmed yet (main column).

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
from opspor.portal.reassessment import reassess
from opspor.portal.summary import latest_sent, summary
from opspor.records.models import Patient
from opspor.records.services import record_read_log

# Both panels show the same preparation; it is read once per request.
_CACHE = "_opspor_latest_preparation"


def _latest(request: HttpRequest, patient: Patient) -> Preparation | None:
    cached: dict[int, Preparation | None] = request.__dict__.setdefault(_CACHE, {})
    if patient.pk not in cached:
        cached[patient.pk] = latest_sent(patient)
    return cached[patient.pk]


def preparation_panel(
    request: HttpRequest, patient: Patient, context: PatientContext, assessment: Assessment
) -> tuple[str, dict[str, Any]] | None:
    preparation = _latest(request, patient)
    if preparation is None:
        return None
    user = request.user
    assert isinstance(user, User)
    record_read_log(user=user, patient=patient, what="preparation")
    return (
        "portal/_preparation_panel.html",
        {"summary": summary(preparation), "back": request.get_full_path()},
    )


def reassessment_panel(
    request: HttpRequest, patient: Patient, context: PatientContext, assessment: Assessment
) -> tuple[str, dict[str, Any]] | None:
    preparation = _latest(request, patient)
    if preparation is None:
        return None
    found = reassess(context, assessment, preparation=preparation)
    if found is None:
        return None
    return ("portal/_preparation_criteria.html", {"reassessment": found})
