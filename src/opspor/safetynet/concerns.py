"""The patient's word on their own safety net, and the practice's answer.

From their page the patient can say "I have not heard anything" or "It got worse". Each
puts one item on the practice's worklist (`worklist.py`), which only a GP's answer takes
off; both the word and the answer are audit events on the episode. A second press while
the first is unanswered adds nothing: the patient is told since when the practice has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.casework.errors import WorkflowError
from opspor.casework.guards import require_gp_of
from opspor.casework.idempotency import fingerprint, recall, remember
from opspor.casework.runner import lock, record_event, retry_when_locked
from opspor.casework.text import check_length, require_text
from opspor.safetynet.models import PatientConcern, SafetyNetEpisode
from opspor.safetynet.workflow import LIVE, ConcernKind

# The patient's optional words: a few lines, not a letter; the consultation is for more.
MAX_WORDS_LENGTH = 500


@dataclass(frozen=True)
class Raised:
    concern: PatientConcern
    new: bool  # False: the practice already had an unanswered one of this kind


def _require_own_patient(user: User, episode: SafetyNetEpisode) -> None:
    patient_user_id = episode.patient.user_id
    if not (user.is_active and user.role == Role.PATIENT and patient_user_id == user.pk):
        raise WorkflowError("forbidden", "Only the patient themself may do this.")


def _waiting(episode: SafetyNetEpisode, kind: str) -> PatientConcern | None:
    return PatientConcern.objects.filter(
        episode=episode, kind=kind, answered_at__isnull=True
    ).first()


@retry_when_locked
@transaction.atomic
def concern_raise(
    *,
    episode: SafetyNetEpisode,
    by: User,
    kind: str,
    words: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Raised:
    """The patient tells the practice they have not heard anything, or that it got worse.

    Only the episode's own patient, only while the safety net is live. While an unanswered
    concern of the same kind exists, that one is returned and nothing is written.
    """
    _require_own_patient(by, episode)
    if kind not in ConcernKind.values:
        raise WorkflowError("invalid", f"Unknown kind of concern {kind!r}.")
    words = check_length(words.strip(), what="Your words", limit=MAX_WORDS_LENGTH)
    digest = fingerprint(episode=episode.pk, kind=kind, words=words)
    done = recall(PatientConcern, by=by, key=idempotency_key, action="concern_raise", digest=digest)
    if done is not None:  # the same form sent twice: the first answer again
        return Raised(concern=done, new=True)
    # The episode's row serialises two presses: the second sees the first's concern.
    row = lock(episode)
    if row.state not in LIVE:
        raise WorkflowError("not_allowed", "The safety net is closed.")
    waiting = _waiting(row, kind)
    if waiting is not None:
        return Raised(concern=waiting, new=False)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            concern = PatientConcern.objects.create(
                episode=row, kind=kind, raised_at=now, raised_by=by, words=words
            )
    except IntegrityError:  # another request got there between the check and the insert
        waiting = _waiting(row, kind)
        if waiting is None:
            raise
        return Raised(concern=waiting, new=False)
    # The kind only: the patient's words are the practice's to read on the episode page.
    record_event(row, by=by, at=now, action="concern_raised", from_state=row.state, reason=kind)
    remember(by=by, key=idempotency_key, action="concern_raise", digest=digest, obj=concern)
    return Raised(concern=concern, new=True)


@retry_when_locked
@transaction.atomic
def concern_answer(
    *, concern: PatientConcern, by: User, note: str, now: datetime | None = None
) -> PatientConcern:
    """A GP of the practice answers the patient's concern, with a note of what was done.

    This, and nothing else, takes the item off the practice's worklist.
    """
    require_gp_of(by, concern.episode.practice_id)
    note = require_text(note, what="The answer's note")
    locked = lock(concern)
    if locked.answered_at is not None:
        raise WorkflowError("conflict", "Someone has answered this already; reload the page.")
    now = now or timezone.now()
    locked.answered_at, locked.answered_by, locked.answer_note = now, by, note
    locked.save(update_fields=["answered_at", "answered_by", "answer_note"])
    episode = locked.episode
    record_event(
        episode,
        by=by,
        at=now,
        action="concern_answered",
        from_state=episode.state,
        reason=f"{locked.kind}: {note}",
    )
    concern.__dict__.update(answered_at=locked.answered_at, answered_by_id=by.pk, answer_note=note)
    return concern
