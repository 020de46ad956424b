"""Dismissing a signal on the practice's worklist over the JSON API, with the reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from opspor.accounts.models import User
from opspor.casework.endpoints import IDEMPOTENCY_HELP, IdempotencyKey, act, local, responses
from opspor.casework.schemas import BodyIn, RowId
from opspor.casework.text import MAX_TEXT_LENGTH
from opspor.records.selectors import patients_visible_to
from opspor.safetynet.api.common import GP_ONLY
from opspor.safetynet.models import SignalDismissal, SignalKind
from opspor.safetynet.signal_dismissal import signal_dismiss

router = Router(tags=["worklist"])


class DismissalIn(BodyIn):
    patient_id: RowId
    kind: SignalKind
    reason: str = Field(max_length=MAX_TEXT_LENGTH)


class DismissalOut(Schema):
    id: int
    patient_id: int
    kind: SignalKind
    reason: str
    dismissed_by: int
    dismissed_at: datetime
    # The patient's latest contact when dismissed: a later one brings the signal back.
    until_contact_after: datetime


def dismissal_out(dismissal: SignalDismissal) -> DismissalOut:
    return DismissalOut(
        id=dismissal.pk,
        patient_id=dismissal.patient_id,
        kind=SignalKind(dismissal.kind),
        reason=dismissal.reason,
        dismissed_by=dismissal.by_id,
        dismissed_at=local(dismissal.at),  # type: ignore[arg-type]
        until_contact_after=local(dismissal.last_contact_at),  # type: ignore[arg-type]
    )


@router.post(
    "/worklist/dismissals",
    response=responses(201, DismissalOut),
    summary="A GP dismisses a signal on the worklist, with the reason",
    description=(
        "Takes the patient's signal of this kind (`pattern_break`, `long_absence`, "
        "`repeat_symptom`, `low_user_rise`) off the practice's worklist until the patient's "
        "next contact; if it still holds then, it is back. A GP of the patient's practice "
        "only; a patient of another practice is 404. Refused with 409 (`not_allowed`) when "
        "the patient has no such signal now or it is already dismissed, and with 422 "
        f"(`invalid`) when the reason is empty or only invisible characters. {IDEMPOTENCY_HELP}"
    ),
)
def dismissal_create(
    request: HttpRequest, payload: DismissalIn, idempotency_key: str = IdempotencyKey
) -> Status[Any]:
    def action(user: User) -> DismissalOut:
        patient = get_object_or_404(patients_visible_to(user), pk=payload.patient_id)
        return dismissal_out(
            signal_dismiss(
                by=user,
                patient_id=patient.pk,
                kind=payload.kind,
                reason=payload.reason,
                idempotency_key=idempotency_key,
            )
        )

    return act(request, GP_ONLY, action, status=201)
