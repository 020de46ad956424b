"""The record as the engine sees it: a `PatientContext` built from the database.

This is the one place where the clinical record and the engine meet, so the choices made
here are the engine's view of the patient:
- contacts: every contact up to today, the clinician as an opaque id (continuity compares
  ids, never names);
- symptoms: those recorded within `SYMPTOM_DAYS`, since a symptom recorded years ago says
  little about today (the rules add their own windows on top);
- labs: results within `LAB_DAYS`; the rules read the newest result within their window;
- conditions: those not resolved, in ICD-10 or ICPC-2; medications: those with an ATC code,
  with their stop dates.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from opspor.accounts.models import User
from opspor.engine.context import PatientContext
from opspor.records.models import (
    ClinicalFinding,
    Condition,
    Contact,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    Symptom,
)

SYMPTOM_DAYS = 365
# The engine's rules name conditions in these systems; a SNOMED CT or other code, kept from
# an import, is shown in the record but says nothing to a rule. A medicine known only by
# another code (RxNorm) has no ATC code for the engine either.
ENGINE_CONDITION_SYSTEMS = (Condition.System.ICD10, Condition.System.ICPC2)
LAB_DAYS = 3 * 365
_COPENHAGEN = ZoneInfo("Europe/Copenhagen")
_RELATIONS = {r.value for r in FamilyHistory.Relation}


def clinician_key(clinician_id: int | None) -> str | None:
    return None if clinician_id is None else f"clinician-{clinician_id}"


def patient_context_for(
    patient: Patient, *, as_of: date, viewer: User | None = None
) -> PatientContext:
    """The engine's view of `patient` on `as_of`, as seen by `viewer`.

    The one way the apps build a context from the record: continuity and "you have not
    seen this patient before" are judged for the clinician looking at it (`viewer`), and
    for nobody in particular when Opspor computes a snapshot for a referral.
    """
    clinician = getattr(viewer, "clinician", None) if viewer is not None else None
    return build_patient_context(
        patient, as_of=as_of, current_clinician_id=clinician.pk if clinician else None
    )


def build_patient_context(
    patient: Patient, *, as_of: date, current_clinician_id: int | None
) -> PatientContext:
    """Build the context from rows already access-checked by the caller."""
    contacts = []
    for at, cid, kind in Contact.objects.filter(patient=patient).values_list(
        "at", "clinician_id", "kind"
    ):
        day = at.astimezone(_COPENHAGEN).date()
        if day <= as_of:
            contacts.append({"date": day, "clinician": clinician_key(cid), "kind": kind})
    symptoms = Symptom.objects.filter(
        patient=patient, recorded_on__gte=as_of - timedelta(days=SYMPTOM_DAYS), onset__lte=as_of
    ).values("code", "onset", "persistent", "recurrent")
    labs = LabResult.objects.filter(
        patient=patient, taken_on__gte=as_of - timedelta(days=LAB_DAYS), taken_on__lte=as_of
    ).values("code", "value", "unit", "taken_on")
    data = {
        "as_of": as_of,
        "patient": {
            "birth_date": patient.birth_date,
            "sex": patient.sex,
            "smoking": patient.smoking,
            "lives_alone": patient.lives_alone,
            "interpreter_needed": patient.interpreter_needed,
            "language": patient.preferred_language or "da",
            "occupational_exposures": sorted(
                set(
                    OccupationalExposure.objects.filter(patient=patient).values_list(
                        "code", flat=True
                    )
                )
            ),
            "family_history": [
                {"relation": r if r in _RELATIONS else "other", "cancer_site": site}
                for r, site in FamilyHistory.objects.filter(patient=patient).values_list(
                    "relation", "cancer_site"
                )
            ],
            "registered_from": patient.registered_from,
        },
        "current_clinician": clinician_key(current_clinician_id),
        "contacts": contacts,
        "symptoms": [
            {
                "code": s["code"],
                "onset": s["onset"],
                "persistent": s["persistent"],
                "recurrent": s["recurrent"],
            }
            for s in symptoms
        ],
        "findings": [
            {"code": code, "date": day}
            for code, day in ClinicalFinding.objects.filter(
                patient=patient, found_on__lte=as_of
            ).values_list("code", "found_on")
        ],
        "labs": [
            {
                "code": lab["code"],
                "value": lab["value"],
                "unit": lab["unit"],
                "date": lab["taken_on"],
            }
            for lab in labs
        ],
        "conditions": [
            {"code": code, "system": system, "chronic": chronic}
            for code, system, chronic in Condition.objects.filter(
                patient=patient, resolved__isnull=True, system__in=ENGINE_CONDITION_SYSTEMS
            ).values_list("code", "system", "chronic")
        ],
        "medications": [
            {"atc": atc, "start": start, "stop": stop}
            for atc, start, stop in Medication.objects.filter(patient=patient, start__lte=as_of)
            .exclude(atc="")
            .values_list("atc", "start", "stop")
        ],
    }
    return PatientContext.model_validate(data)
