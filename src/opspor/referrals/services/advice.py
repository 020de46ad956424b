"""Advice requests (*sparring*): the GP's written question and the unit's written answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from opspor.accounts.models import User
from opspor.casework.guards import require_gp_of
from opspor.casework.idempotency import fingerprint, recall, remember
from opspor.casework.notifications import notify
from opspor.casework.runner import record_event, retry_when_locked, run_transition
from opspor.casework.text import check_length, require_text
from opspor.engine.rules.loader import DEFAULT_RULESET
from opspor.records.models import DiagnosticUnit, Patient
from opspor.referrals.deadlines import advice_deadline
from opspor.referrals.findings import findings_snapshot, gp_text
from opspor.referrals.models import AdviceRequest
from opspor.referrals.workflow import ADVICE_TRANSITIONS, AdviceState, NotificationKind


@retry_when_locked
@transaction.atomic
def advice_request_send(
    *,
    patient: Patient,
    by: User,
    question: str,
    unit: DiagnosticUnit | None = None,
    gp_findings: Any = None,
    ruleset: str = DEFAULT_RULESET,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> AdviceRequest:
    """A GP asks the patient's diagnostic unit (or another) a written question.

    Opspor's findings are computed here from the record; what the GP's system sends as
    findings (`gp_findings`) is kept as the GP's own text.
    """
    require_gp_of(by, patient.practice_id)
    target = unit or patient.practice.diagnostic_unit
    digest = fingerprint(
        patient=patient.pk, unit=target.pk, question=question, gp_findings=gp_findings
    )
    done = recall(
        AdviceRequest, by=by, key=idempotency_key, action="advice_request_send", digest=digest
    )
    if done is not None:
        return done
    question = require_text(question, what="An advice request's question")
    now = now or timezone.now()
    advice = AdviceRequest.objects.create(
        patient=patient,
        practice_id=patient.practice_id,
        unit=target,
        asked_by=by,
        question=question,
        patient_summary=findings_snapshot(
            patient, on=timezone.localdate(now), ruleset=ruleset, viewer=by
        ),
        gp_findings=check_length(gp_text(gp_findings), what="The GP's own findings"),
        state=AdviceState.SENT,
        sent_at=now,
        answer_due_at=advice_deadline(target, now),
    )
    record_event(advice, by=by, at=now, action="send", from_state="")
    remember(by=by, key=idempotency_key, action="advice_request_send", digest=digest, obj=advice)
    return advice


def advice_request_answer(
    *, advice: AdviceRequest, by: User, answer: str, now: datetime | None = None
) -> AdviceRequest:
    """A doctor of the unit answers in writing."""
    answer = require_text(answer, what="An answer")

    def apply(row: AdviceRequest, now: datetime) -> None:
        row.answer, row.answered_by, row.answered_at = answer, by, now
        notify(kind=NotificationKind.ADVICE_ANSWERED, at=now, about=row, practice=row.practice)

    return run_transition(
        advice, transition=ADVICE_TRANSITIONS["answer"], by=by, apply=apply, now=now
    )


def advice_request_close(
    *, advice: AdviceRequest, by: User, reason: str = "", now: datetime | None = None
) -> AdviceRequest:
    """The GP closes the request: the answer was read, or the question is no longer needed."""
    reason = check_length(reason.strip(), what="A reason")

    def apply(row: AdviceRequest, now: datetime) -> None:
        row.closed_at = now

    return run_transition(
        advice, transition=ADVICE_TRANSITIONS["close"], by=by, reason=reason, apply=apply, now=now
    )
