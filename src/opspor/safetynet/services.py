"""Every business action on safety-net episodes and their investigations.

Each runs through the casework runner (side checked, row locked, state re-checked, audit
event written in the same transaction, at the moment the service acts at). A refused
action raises `WorkflowError` and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor.accounts.models import Role, User
from opspor.casework.errors import WorkflowError
from opspor.casework.guards import require_gp_of
from opspor.casework.idempotency import fingerprint, recall, remember
from opspor.casework.runner import (
    record_event,
    record_refusal,
    retry_when_locked,
    run_transition,
)
from opspor.casework.text import MAX_LINE_LENGTH, check_length, require_text
from opspor.engine.rules.loader import DEFAULT_RULESET
from opspor.records.context import SYMPTOM_DAYS
from opspor.records.models import ClinicalFinding, LabResult, Patient, Symptom
from opspor.referrals.findings import findings_snapshot
from opspor.referrals.models import Referral
from opspor.safetynet.models import Investigation, SafetyNetEpisode
from opspor.safetynet.selectors import workup_pending
from opspor.safetynet.workflow import (
    EPISODE_TRANSITIONS,
    INVESTIGATION_TRANSITIONS,
    OUTCOMES_THAT_WAIT_FOR_THE_WORKUP,
    WORKUP_DONE,
    EpisodeOutcome,
    EpisodeReason,
    EpisodeState,
    InvestigationKind,
    ToldHow,
)

# The longest a safety net may run before it must be looked at again. A bound of this
# software against a mistyped year, not a guideline figure: no source gives one.
LONGEST_SAFETY_NET = timedelta(days=366)
# A lab order's code is the vocabulary code of the result it waits for (the column's length).
CODE_LENGTH = 60
# The audit event of a close the guard refused; the episode's state is unchanged.
CLOSE_REFUSED = "close_refused"


def _owner_of(patient: Patient, owner: User | None, by: User) -> User:
    """The episode's owner: a GP of the patient's practice (the opener by default)."""
    chosen = owner or by
    clinician = getattr(chosen, "clinician", None)
    if (
        not chosen.is_active
        or chosen.role != Role.GP
        or clinician is None
        or clinician.practice_id != patient.practice_id
    ):
        raise WorkflowError(
            "invalid",
            "The owner must be a GP of the patient's practice.",
            screen=_("The owner must be an active GP of the patient's practice."),
        )
    return chosen


def _check_dates(today: date, follow_up_on: date, ends_on: date) -> None:
    if follow_up_on < today:
        raise WorkflowError(
            "invalid",
            "The follow-up date cannot be in the past.",
            screen=_("The follow-up date cannot be in the past."),
        )
    if ends_on < follow_up_on:
        raise WorkflowError(
            "invalid",
            "The safety net cannot end before its follow-up.",
            screen=_("The end date cannot be before the follow-up date."),
        )
    if ends_on - today > LONGEST_SAFETY_NET:
        raise WorkflowError(
            "invalid",
            "A safety net runs at most a year; choose an earlier end.",
            screen=_("A safety net runs at most a year: choose an earlier end date."),
        )


def _symptoms_now(patient: Patient, today: date, codes: list[str] | None) -> list[dict[str, Any]]:
    """The patient's current symptoms (codes and own words), or those named in `codes`."""
    rows = Symptom.objects.filter(
        patient=patient, recorded_on__gte=today - timedelta(days=SYMPTOM_DAYS), onset__lte=today
    ).order_by("onset", "code")
    picked: dict[str, dict[str, Any]] = {}
    for row in rows:
        if codes is not None and row.code not in codes:
            continue
        item = picked.setdefault(
            row.code, {"code": row.code, "onset": row.onset.isoformat(), "words": []}
        )
        words = row.patient_words.strip()
        if words and words not in item["words"]:
            item["words"].append(words)
    unknown = sorted(set(codes or []) - set(picked))
    if unknown:
        raise WorkflowError(
            "invalid",
            f"Not among the patient's current symptoms: {', '.join(unknown)}.",
            screen=_("A symptom chosen is no longer among the patient's current symptoms."),
        )
    return list(picked.values())


@retry_when_locked
@transaction.atomic
def episode_open(
    *,
    patient: Patient,
    by: User,
    reason: str,
    follow_up_on: date,
    ends_on: date,
    owner: User | None = None,
    advice: str = "",
    symptom_codes: list[str] | None = None,
    ruleset: str = DEFAULT_RULESET,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> SafetyNetEpisode:
    """A GP opens a safety net for an uncertain symptom picture: an owner, a plan, a date.

    The episode takes the patient's current symptoms (codes and their own words) and
    Opspor's findings from the record as they stand now.
    """
    require_gp_of(by, patient.practice_id)
    digest = fingerprint(
        patient=patient.pk,
        reason=reason,
        follow_up_on=follow_up_on,
        ends_on=ends_on,
        owner=owner.pk if owner else None,
        advice=advice,
        symptoms=symptom_codes,
        ruleset=ruleset,
    )
    done = recall(
        SafetyNetEpisode, by=by, key=idempotency_key, action="episode_open", digest=digest
    )
    if done is not None:
        return done
    if reason not in EpisodeReason.values:
        raise WorkflowError(
            "invalid",
            f"Unknown reason {reason!r}.",
            screen=_("Choose why the safety net is opened from the list."),
        )
    now = now or timezone.now()
    today = timezone.localdate(now)
    _check_dates(today, follow_up_on, ends_on)
    episode = SafetyNetEpisode.objects.create(
        patient=patient,
        practice_id=patient.practice_id,
        owner=_owner_of(patient, owner, by),
        opened_by=by,
        opened_at=now,
        reason=reason,
        state=EpisodeState.OPEN,
        follow_up_on=follow_up_on,
        ends_on=ends_on,
        advice=check_length(advice.strip(), what="The advice given"),
        symptoms=_symptoms_now(patient, today, symptom_codes),
        findings=findings_snapshot(patient, on=today, ruleset=ruleset, viewer=by),
    )
    record_event(episode, by=by, at=now, action="open", from_state="", reason=reason)
    remember(by=by, key=idempotency_key, action="episode_open", digest=digest, obj=episode)
    return episode


# How long a safety net opened for a referral runs before it is due (it never closes by
# itself). A working definition of this software, not a guideline figure: the form's default.
REFERRAL_NET_RUNS = timedelta(days=42)


def referral_owner(referral: Referral, sent_by: User) -> User:
    """Who owns the safety net a referral opens: the referring GP when a GP of the
    patient's practice, else the patient's own GP, else the GP who sent it."""
    patient = referral.patient
    own_gp = patient.own_gp.user if patient.own_gp is not None else None
    for candidate in (referral.requester, own_gp):
        if candidate is None:
            continue
        try:
            return _owner_of(patient, candidate, sent_by)
        except WorkflowError:
            continue
    return sent_by


def episode_open_for_referral(
    *, referral: Referral, sent_by: User, at: datetime
) -> SafetyNetEpisode:
    """A referral sent while the patient has no live safety net opens one (Opspor acts, in
    the send's own transaction): its reason is the referral under way, which the guard
    already counts as pending; the follow-up is when the unit is due to have triaged it,
    the symptoms are the patient's current ones and the findings those the referral
    carries."""
    today = timezone.localdate(at)
    due = referral.triage_due_at
    follow_up_on = max(timezone.localdate(due), today) if due is not None else today
    episode = SafetyNetEpisode.objects.create(
        patient=referral.patient,
        practice_id=referral.patient.practice_id,
        owner=referral_owner(referral, sent_by),
        opened_by=sent_by,
        opened_at=at,
        reason=EpisodeReason.REFERRAL_PENDING,
        state=EpisodeState.OPEN,
        follow_up_on=follow_up_on,
        ends_on=max(follow_up_on, today + REFERRAL_NET_RUNS),
        symptoms=_symptoms_now(referral.patient, today, None),
        findings=referral.findings,
    )
    record_event(
        episode,
        by=None,
        at=at,
        action="open",
        from_state="",
        reason=EpisodeReason.REFERRAL_PENDING,
    )
    return episode


def _episode_transition(
    episode: SafetyNetEpisode,
    action: str,
    *,
    by: User,
    reason: str = "",
    apply: Callable[[SafetyNetEpisode, datetime], None] | None = None,
    now: datetime | None = None,
) -> SafetyNetEpisode:
    return run_transition(
        episode,
        transition=EPISODE_TRANSITIONS[action],
        by=by,
        reason=reason,
        apply=apply,
        now=now,
    )


@transaction.atomic
def investigation_order(
    *,
    episode: SafetyNetEpisode,
    by: User,
    kind: str,
    expected_by: date,
    code: str = "",
    description: str = "",
    now: datetime | None = None,
) -> Investigation:
    """Order an investigation the episode then waits for; the episode is investigating."""
    if kind not in InvestigationKind.values:
        raise WorkflowError(
            "invalid",
            f"Unknown kind of investigation {kind!r}.",
            screen=_("Choose the kind of investigation from the list."),
        )
    if kind == InvestigationKind.LAB and not code.strip():
        raise WorkflowError(
            "invalid",
            "A lab test names the result it waits for (its code).",
            screen=_("A blood or urine test needs the test it waits for: choose it from the list."),
        )
    check_length(code, what="The code", limit=CODE_LENGTH)
    check_length(description, what="The description", limit=MAX_LINE_LENGTH)
    made: list[Investigation] = []

    def apply(row: SafetyNetEpisode, now: datetime) -> None:
        if expected_by < timezone.localdate(now):
            raise WorkflowError(
                "invalid",
                "The expected date cannot be in the past.",
                screen=_("The date the result is expected by cannot be in the past."),
            )
        made.append(
            Investigation.objects.create(
                episode=row,
                kind=kind,
                code=code.strip(),
                description=description.strip(),
                ordered_by=by,
                ordered_at=now,
                expected_by=expected_by,
            )
        )

    label = description.strip() or code.strip() or kind
    _episode_transition(
        episode, "order_investigation", by=by, reason=f"ordered: {label}", apply=apply, now=now
    )
    [investigation] = made
    record_event(investigation, by=by, at=investigation.ordered_at, action="order", from_state="")
    return investigation


def _investigation_transition(
    investigation: Investigation,
    action: str,
    *,
    by: User,
    reason: str = "",
    apply: Callable[[Investigation, datetime], None] | None = None,
    now: datetime | None = None,
) -> Investigation:
    return run_transition(
        investigation,
        transition=INVESTIGATION_TRANSITIONS[action],
        by=by,
        reason=reason,
        apply=apply,
        now=now,
    )


def investigation_record_result(
    *,
    investigation: Investigation,
    by: User,
    lab_result: LabResult | None = None,
    finding: ClinicalFinding | None = None,
    text: str = "",
    now: datetime | None = None,
) -> Investigation:
    """The result is in: linked to its row in the record, or written in words."""
    patient_id = investigation.episode.patient_id
    for row in (lab_result, finding):
        if row is not None and row.patient_id != patient_id:
            raise WorkflowError(
                "invalid",
                "The result belongs to another patient.",
                screen=_("The result chosen belongs to another patient."),
            )
    if lab_result is None and finding is None:
        text = require_text(text, what="A result without a linked row needs the result in words;")
    text = check_length(text.strip(), what="The result")

    def apply(row: Investigation, now: datetime) -> None:
        row.resulted_at, row.lab_result, row.finding, row.result_text = (
            now,
            lab_result,
            finding,
            text,
        )

    return _investigation_transition(investigation, "record_result", by=by, apply=apply, now=now)


def investigation_mark_seen(
    *, investigation: Investigation, by: User, now: datetime | None = None
) -> Investigation:
    """A GP of the practice has seen the result."""

    def apply(row: Investigation, now: datetime) -> None:
        row.seen_at, row.seen_by = now, by

    return _investigation_transition(investigation, "mark_seen", by=by, apply=apply, now=now)


def _await_follow_up_when_done(episode_id: int, *, by: User, now: datetime) -> None:
    """Nothing more under way (no investigation pending, no referral open): an episode
    that was investigating now awaits its follow-up, in the same transaction. The workflow
    table's own `await_follow_up` row, so the audit trail shows it like the GP's button."""
    episode = SafetyNetEpisode.objects.select_for_update().get(pk=episode_id)
    if episode.state != EpisodeState.INVESTIGATING or workup_pending(episode):
        return
    _episode_transition(episode, "await_follow_up", by=by, reason=WORKUP_DONE, now=now)


@retry_when_locked
@transaction.atomic
def investigation_mark_told(
    *, investigation: Investigation, by: User, how: str, now: datetime | None = None
) -> Investigation:
    """The patient has been told the result, and how; telling means a GP has seen it.
    When it was the last thing under way, the episode awaits its follow-up."""
    if how not in ToldHow.values:
        raise WorkflowError(
            "invalid",
            f"Unknown way of telling {how!r}.",
            screen=_("Choose how the patient was told from the list."),
        )

    def apply(row: Investigation, now: datetime) -> None:
        row.told_at, row.told_how = now, how
        if row.seen_at is None:
            row.seen_at, row.seen_by = now, by

    told = _investigation_transition(
        investigation, "mark_told", by=by, reason=how, apply=apply, now=now
    )
    assert told.told_at is not None
    _await_follow_up_when_done(told.episode_id, by=by, now=told.told_at)
    return told


@retry_when_locked
@transaction.atomic
def investigation_cancel(
    *, investigation: Investigation, by: User, reason: str, now: datetime | None = None
) -> Investigation:
    """Cancel an investigation not yet resulted; the reason is required and recorded.
    When it was the last thing under way, the episode awaits its follow-up."""
    reason = require_text(reason, what="A cancellation's reason")

    def apply(row: Investigation, now: datetime) -> None:
        row.cancelled_at, row.cancel_reason = now, reason

    cancelled = _investigation_transition(
        investigation, "cancel", by=by, reason=reason, apply=apply, now=now
    )
    assert cancelled.cancelled_at is not None
    _await_follow_up_when_done(cancelled.episode_id, by=by, now=cancelled.cancelled_at)
    return cancelled


def episode_await_follow_up(
    *, episode: SafetyNetEpisode, by: User, now: datetime | None = None
) -> SafetyNetEpisode:
    return _episode_transition(episode, "await_follow_up", by=by, now=now)


def episode_reschedule(
    *,
    episode: SafetyNetEpisode,
    by: User,
    follow_up_on: date,
    reason: str,
    ends_on: date | None = None,
    now: datetime | None = None,
) -> SafetyNetEpisode:
    """A new follow-up date (and end date), with the reason: an item on the worklist is
    never done by a timer, only by an action like this one."""
    reason = require_text(reason, what="A reschedule's reason")

    def apply(row: SafetyNetEpisode, now: datetime) -> None:
        _check_dates(timezone.localdate(now), follow_up_on, ends_on or row.ends_on)
        row.follow_up_on, row.ends_on = follow_up_on, ends_on or row.ends_on

    return _episode_transition(
        episode,
        "reschedule",
        by=by,
        reason=f"follow-up {follow_up_on.isoformat()}: {reason}",
        apply=apply,
        now=now,
    )


def episode_close(
    *,
    episode: SafetyNetEpisode,
    by: User,
    outcome: str,
    reason: str = "",
    now: datetime | None = None,
) -> SafetyNetEpisode:
    """Close the episode with its outcome.

    "No cancer found" and "symptoms resolved" wait for the whole workup: while any
    investigation is not resulted and told to the patient, or the patient has an open
    referral, they are refused with each item named. There is no override. A refused
    attempt is kept as a `close_refused` event (no change of state): who, when, the
    outcome tried and the pending items, as JSON in its reason.
    """
    if outcome not in EpisodeOutcome.values:
        raise WorkflowError(
            "invalid",
            f"Unknown outcome {outcome!r}.",
            screen=_("Choose the outcome from the list."),
        )
    reason = check_length(reason.strip(), what="A reason")

    def apply(row: SafetyNetEpisode, now: datetime) -> None:
        if outcome in OUTCOMES_THAT_WAIT_FOR_THE_WORKUP:
            pending = workup_pending(row)
            if pending:
                raise WorkflowError(
                    "workup_incomplete",
                    "The workup is not complete: every result must be in and told to the "
                    "patient, and no referral open, before the episode can be closed as "
                    f"{outcome!r}.",
                    missing=pending,
                )
        row.outcome, row.closed_at = outcome, now

    try:
        return _episode_transition(
            episode,
            "close",
            by=by,
            reason=f"{outcome}: {reason}" if reason else outcome,
            apply=apply,
            now=now,
        )
    except WorkflowError as refusal:
        if refusal.code == "workup_incomplete":
            # The attempt stays in the audit trail (design row 5: the guard is seen working).
            record_refusal(
                episode,
                by=by,
                at=now or timezone.now(),
                action=CLOSE_REFUSED,
                reason=json.dumps({"outcome": outcome, "pending": refusal.missing}),
            )
        raise
