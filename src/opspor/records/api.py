from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role, User
from opspor.api_errors import ErrorOut, NotFoundOut, UnauthorizedOut, ValidationErrorOut
from opspor.records import selectors

router = Router(tags=["records"])

# A patient outside the caller's reach is 404 like a missing one; a role that never reads
# records here (a unit doctor, an analyst, an administrator) is 403.
REFUSALS: dict[int, Any] = {
    401: UnauthorizedOut,
    403: ErrorOut,
    404: NotFoundOut,
    422: ValidationErrorOut,
}


class PatientOut(Schema):
    id: int
    name: str
    birth_date: date
    sex: str
    practice_id: int
    preferred_language: str
    interpreter_needed: bool
    lives_alone: bool
    smoking: str
    is_fictional: bool


class ContactOut(Schema):
    at: datetime
    kind: str
    clinician: str | None
    reason_codes: list[str]


def _user(request: HttpRequest) -> User:
    # The role first, before anything is read: a GP reads the practice's patients, a
    # patient their own record; the selector then decides which patient.
    return require_role(request.user, Role.GP, Role.PATIENT)


@router.get(
    "/patients/{patient_id}",
    response={200: PatientOut, **REFUSALS},
    summary="One patient's demographics",
)
def patient_detail(request: HttpRequest, patient_id: int) -> PatientOut:
    patient = selectors.patient_get(
        user=_user(request), patient_id=patient_id, what="demographics", channel="api"
    )
    return PatientOut(
        id=patient.pk,
        name=patient.name,
        birth_date=patient.birth_date,
        sex=patient.sex,
        practice_id=patient.practice_id,
        preferred_language=patient.preferred_language,
        interpreter_needed=patient.interpreter_needed,
        lives_alone=patient.lives_alone,
        smoking=patient.smoking,
        is_fictional=patient.is_fictional,
    )


@router.get(
    "/patients/{patient_id}/contacts",
    response={200: list[ContactOut], **REFUSALS},
    summary="A patient's contacts",
)
def patient_contacts(request: HttpRequest, patient_id: int) -> list[ContactOut]:
    record = selectors.patient_record(
        user=_user(request), patient_id=patient_id, what="contacts", channel="api"
    )
    return [
        ContactOut(
            at=contact.at,
            kind=contact.kind,
            clinician=contact.clinician.name if contact.clinician else None,
            reason_codes=list(contact.reason_codes),
        )
        for contact in record.contacts
    ]
