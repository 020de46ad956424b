"""A GP dismisses a signal on the worklist, with the reason.

The dismissal holds until the patient's next contact: a contact recomputes the signal, and
if it still holds it is back on the worklist for a fresh look. A second dismissal of a
signal that is already dismissed is refused (`not_allowed`), so the record shows one
decision per look, never two that disagree; a repeat of the same request with its
idempotency key returns the first dismissal.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError
from opspor.casework.guards import require_gp_of
from opspor.casework.idempotency import fingerprint, recall, remember
from opspor.casework.runner import retry_when_locked
from opspor.casework.text import require_text
from opspor.records.models import Patient
from opspor.safetynet.models import PatientSignal, SignalDismissal, SignalKind

ACTION = "signal_dismiss"


@retry_when_locked
@transaction.atomic
def signal_dismiss(
    *,
    by: User,
    patient_id: int,
    kind: str,
    reason: str,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> SignalDismissal:
    """Take the patient's `kind` signal off the worklist until their next contact."""
    patient = Patient.objects.filter(pk=patient_id).only("pk", "practice_id").first()
    if patient is None:
        raise WorkflowError("forbidden", "Only a GP of the patient's practice may do this.")
    require_gp_of(by, patient.practice_id)
    digest = fingerprint(patient=patient_id, kind=kind, reason=reason)
    done = recall(SignalDismissal, by=by, key=idempotency_key, action=ACTION, digest=digest)
    if done is not None:
        return done
    if kind not in SignalKind.values:
        raise WorkflowError("invalid", f"Unknown signal {kind!r}.")
    text = require_text(reason, what="The reason")
    # Locked: of two GPs dismissing at once, the second sees the first's dismissal.
    signal = PatientSignal.objects.select_for_update().filter(patient=patient, kind=kind).first()
    if signal is None:
        raise WorkflowError("not_allowed", "The patient has no such signal now.")
    if SignalDismissal.objects.filter(
        patient=patient, kind=kind, last_contact_at__gte=signal.last_contact_at
    ).exists():
        raise WorkflowError(
            "not_allowed",
            "This signal is already dismissed; it returns after the patient's next contact.",
        )
    dismissal = SignalDismissal.objects.create(
        patient=patient,
        practice_id=patient.practice_id,
        kind=kind,
        reason=text,
        by=by,
        at=now or timezone.now(),
        as_of=signal.as_of,
        figures=signal.figures,
        last_contact_at=signal.last_contact_at,
    )
    remember(by=by, key=idempotency_key, action=ACTION, digest=digest, obj=dismissal)
    return dismissal
