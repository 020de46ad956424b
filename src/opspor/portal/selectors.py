"""Reads of the patient's own preparations, for the portal's pages.

Every read is the patient's own: an id that belongs to another patient answers 404, and
that attempt is kept in the access log as a refused read (who tried, whose record it was).
An id that does not exist answers 404 too, with nothing to log.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404

from opspor.accounts.models import Role, User
from opspor.portal.models import (
    OnlineReading,
    Preparation,
    PreparationState,
    PreparedRiskFactor,
    PreparedSymptom,
)
from opspor.records.models import Patient
from opspor.records.services import record_read_log, record_read_refused


def own_patient(user: User) -> Patient:
    patient = getattr(user, "patient", None)
    if not (user.is_active and user.role == Role.PATIENT and patient is not None):
        raise Http404("No record")
    return patient


def own_draft(user: User) -> Preparation | None:
    """The patient's draft, if they have one (not logged: the pages that show what it
    holds log their read)."""
    return (
        Preparation.objects.filter(patient=own_patient(user), state=PreparationState.DRAFT)
        .prefetch_related("symptoms__diary", "risk_factors", "readings")
        .first()
    )


def own_preparation_read(user: User, preparation: Preparation, *, what: str) -> None:
    record_read_log(user=user, patient=preparation.patient, what=what)


def own_sent(user: User) -> list[Preparation]:
    """The patient's sent preparations, newest first."""
    return list(
        Preparation.objects.filter(patient=own_patient(user), state=PreparationState.SENT).order_by(
            "-sent_at", "-pk"
        )
    )


def _owned(
    user: User, model: type[models.Model], pk: int, *, patient_path: str, what: str
) -> models.Model:
    patient = own_patient(user)
    row = model._default_manager.select_related(patient_path).filter(pk=pk).first()
    if row is None:
        raise Http404("Not found")
    owner: Any = row
    for part in patient_path.split("__"):
        owner = getattr(owner, part)
    assert isinstance(owner, Patient)
    if owner.pk != patient.pk:
        record_read_refused(user=user, patient=owner, what=what)
        raise Http404("Not found")
    return row


def own_item[Item: (PreparedSymptom, PreparedRiskFactor, OnlineReading)](
    user: User, model: type[Item], pk: int
) -> Item:
    """One symptom, risk factor or reading of the patient's own preparations."""
    row = _owned(
        user,
        model,
        pk,
        patient_path="preparation__patient",
        what=f"preparation {model._meta.model_name}",
    )
    assert isinstance(row, model)
    return row


def own_preparation(user: User, pk: int) -> Preparation:
    row = _owned(user, Preparation, pk, patient_path="patient", what="preparation")
    assert isinstance(row, Preparation)
    return row
