"""The referral steps of the worker's sweep: rejections nobody acknowledged escalate, and
the units are told what is overdue.

Registered with `casework.sweep` by the app's `ready()`. Every step is safe to repeat and
to run in two workers at once: it re-checks its condition on the locked row.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models, transaction

from opspor.casework.notifications import notify
from opspor.casework.runner import record_event, retry_when_locked
from opspor.casework.sweep import SWEEP_BATCH
from opspor.records.models import Practice
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.selectors import (
    acknowledgement_overdue,
    advice_overdue,
    first_contact_overdue,
    triage_overdue,
)
from opspor.referrals.workflow import NotificationKind


def referrals_escalate_unacknowledged(now: datetime) -> int:
    """Escalate every rejection still unacknowledged after its escalation deadline."""
    due = (
        Referral.objects.filter(acknowledgement_overdue(now), escalated_at__isnull=True)
        .order_by("escalation_due_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return sum(_escalate(referral_id, now) for referral_id in list(due))


@retry_when_locked
@transaction.atomic
def _escalate(referral_id: int, now: datetime) -> bool:
    """Escalate one rejection to the practice's second contact; False when, on the
    locked row, it was acknowledged or escalated meanwhile.

    The second contact becomes the one who contacts the patient (the patient's page says
    so); the deadline for that contact stays as promised at the rejection. A practice
    without a second contact still gets the escalation, addressed to the practice as a
    whole, and the patient's page then names the practice.
    """
    row = (
        Referral.objects.select_for_update()
        .filter(acknowledgement_overdue(now), escalated_at__isnull=True, pk=referral_id)
        .first()
    )
    if row is None:
        return False
    practice = Practice.objects.select_related("second_contact").get(pk=row.practice_id)
    second = practice.second_contact
    row.escalated_at, row.escalated_to, row.patient_contact_by = now, second, second
    row.save(update_fields=["escalated_at", "escalated_to", "patient_contact_by"])
    if second is not None:
        reason = f"Not acknowledged in time; escalated to the second contact, {second.name}."
    else:
        reason = (
            "Not acknowledged in time; the practice has no second contact, so it is "
            "escalated to the practice as a whole."
        )
    # No actor: Opspor escalated, not a person (see CaseEvent.actor).
    record_event(row, by=None, at=now, action="escalate", from_state=row.state, reason=reason)
    notify(kind=NotificationKind.ESCALATION, at=now, about=row, practice=practice, recipient=second)
    return True


def cases_notify_overdue(now: datetime) -> int:
    """Tell the unit, once per item and kind, that a triage, a first contact with the
    patient or an advice answer is overdue (the same conditions the screens count)."""
    told = 0
    checks: tuple[tuple[type[Referral] | type[AdviceRequest], NotificationKind, models.Q], ...] = (
        (Referral, NotificationKind.TRIAGE_OVERDUE, triage_overdue(now)),
        (Referral, NotificationKind.FIRST_CONTACT_OVERDUE, first_contact_overdue(now)),
        (AdviceRequest, NotificationKind.ADVICE_OVERDUE, advice_overdue(now)),
    )
    for model, kind, condition in checks:
        due = (
            model._default_manager.filter(condition)
            .exclude(notifications__kind=kind)
            .order_by("pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        told += sum(_tell_unit(model, row_id, kind, condition, now) for row_id in list(due))
    return told


@retry_when_locked
@transaction.atomic
def _tell_unit(
    model: type[Referral] | type[AdviceRequest],
    row_id: int,
    kind: NotificationKind,
    condition: models.Q,
    now: datetime,
) -> bool:
    """One overdue notification to the unit; False when, on the locked row, the item is
    no longer overdue or the unit was already told."""
    # The unit is read afterwards, not joined: FOR UPDATE would lock the unit's row too.
    row = (
        model._default_manager.select_for_update()
        .filter(condition, pk=row_id)
        .exclude(notifications__kind=kind)
        .first()
    )
    if row is None:
        return False
    notify(kind=kind, at=now, about=row, unit=row.unit)
    return True
