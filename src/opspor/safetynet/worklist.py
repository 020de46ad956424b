"""The practice's worklist: what waits for a GP of the practice today, most urgent first.

Every item is derived from the state of a case, so an item is done only by the action that
changes that state (a result marked seen, a patient told, a follow-up rescheduled with a
reason, a rejection acknowledged), never by a timer. The list is a handful of queries
whatever the practice's size: one per kind of item, each on an index.

The order of the kinds is this software's judgement of urgency, not a guideline's. A
patient who says it got worse comes first: it is the one item where the patient's state
may be changing now, and only a person can tell how fast. Then what the unit has sent back
and nobody has read, then a patient who says they have not heard anything (the loop has
already failed them once), then a patient the unit has not reached in time, results nobody
has seen, results the patient has not been told, investigations past their expected date,
follow-ups due, and safety nets at their end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import User
from opspor.records.selectors import practice_of
from opspor.referrals.models import Referral
from opspor.referrals.selectors import first_contact_overdue
from opspor.referrals.workflow import ReferralState
from opspor.safetynet.models import Investigation, PatientConcern, SafetyNetEpisode
from opspor.safetynet.workflow import ConcernKind, EpisodeState, InvestigationState

LIVE = (EpisodeState.OPEN, EpisodeState.INVESTIGATING, EpisodeState.AWAITING_FOLLOW_UP)


class ItemKind(IntEnum):
    """The kinds of item, most urgent first (the value is the rank)."""

    PATIENT_GOT_WORSE = 1
    REJECTION_UNACKNOWLEDGED = 2
    PATIENT_NOT_HEARD = 3
    PATIENT_NOT_CONTACTED = 4
    RESULT_UNSEEN = 5
    RESULT_NOT_TOLD = 6
    INVESTIGATION_OVERDUE = 7
    FOLLOW_UP_DUE = 8
    SAFETY_NET_ENDED = 9


@dataclass(frozen=True)
class WorklistItem:
    kind: ItemKind
    patient_id: int
    patient_name: str
    owner_id: int | None  # the episode's owner, or the referral's requester
    since: date  # since when it has waited (its due date, or when it arrived)
    case_url: str
    detail: str  # a name for the item: the test, the pathway (never clinical free text)

    @property
    def code(self) -> str:
        return self.kind.name.lower()


def _referral_items(referrals: QuerySet[Referral], now: datetime) -> list[WorklistItem]:
    items = []
    waiting = referrals.filter(
        Q(state=ReferralState.REJECTED, acknowledged_at__isnull=True) | first_contact_overdue(now)
    ).select_related("patient")
    for referral in waiting:
        rejected = referral.state == ReferralState.REJECTED
        moment = referral.decided_at if rejected else referral.first_contact_due_at
        items.append(
            WorklistItem(
                kind=ItemKind.REJECTION_UNACKNOWLEDGED
                if rejected
                else ItemKind.PATIENT_NOT_CONTACTED,
                patient_id=referral.patient_id,
                patient_name=referral.patient.name,
                owner_id=referral.requester_id,
                since=timezone.localdate(moment or now),
                case_url=referral.get_absolute_url(),
                detail=referral.pathway,
            )
        )
    return items


def _investigation_items(
    investigations: QuerySet[Investigation], today: date
) -> list[WorklistItem]:
    items = []
    waiting = investigations.filter(
        Q(state__in=[InvestigationState.RESULTED, InvestigationState.SEEN])
        | Q(state=InvestigationState.ORDERED, expected_by__lt=today)
    ).select_related("episode__patient")
    kinds = {
        InvestigationState.RESULTED: ItemKind.RESULT_UNSEEN,
        InvestigationState.SEEN: ItemKind.RESULT_NOT_TOLD,
        InvestigationState.ORDERED: ItemKind.INVESTIGATION_OVERDUE,
    }
    for investigation in waiting:
        episode = investigation.episode
        moment = (
            investigation.resulted_at
            if investigation.state == InvestigationState.RESULTED
            else investigation.seen_at
            if investigation.state == InvestigationState.SEEN
            else None
        )
        items.append(
            WorklistItem(
                kind=kinds[InvestigationState(investigation.state)],
                patient_id=episode.patient_id,
                patient_name=episode.patient.name,
                owner_id=episode.owner_id,
                since=timezone.localdate(moment) if moment else investigation.expected_by,
                case_url=_episode_url(episode),
                detail=investigation.code or investigation.kind,
            )
        )
    return items


def _episode_items(episodes: QuerySet[SafetyNetEpisode], today: date) -> list[WorklistItem]:
    items = []
    due = episodes.filter(Q(follow_up_on__lte=today) | Q(ends_on__lte=today)).select_related(
        "patient"
    )
    for episode in due:
        ended = episode.ends_on <= today
        items.append(
            WorklistItem(
                kind=ItemKind.SAFETY_NET_ENDED if ended else ItemKind.FOLLOW_UP_DUE,
                patient_id=episode.patient_id,
                patient_name=episode.patient.name,
                owner_id=episode.owner_id,
                since=episode.ends_on if ended else episode.follow_up_on,
                case_url=_episode_url(episode),
                detail=episode.reason,
            )
        )
    return items


def _concern_items(concerns: QuerySet[PatientConcern]) -> list[WorklistItem]:
    # Whatever the episode's state: a concern leaves the list only when a GP answers it.
    items = []
    for concern in concerns.filter(answered_at__isnull=True).select_related("episode__patient"):
        episode = concern.episode
        items.append(
            WorklistItem(
                kind=ItemKind.PATIENT_GOT_WORSE
                if concern.kind == ConcernKind.GOT_WORSE
                else ItemKind.PATIENT_NOT_HEARD,
                patient_id=episode.patient_id,
                patient_name=episode.patient.name,
                owner_id=episode.owner_id,
                since=timezone.localdate(concern.raised_at),
                case_url=_episode_url(episode),
                detail=concern.kind,
            )
        )
    return items


def _episode_url(episode: SafetyNetEpisode) -> str:
    # The episode's page where the screens provide one; the patient's overview otherwise.
    try:
        return reverse("safetynet:detail", args=[episode.pk])
    except Exception:
        return reverse("records:patient_overview", args=[episode.patient_id])


def practice_worklist(
    *, user: User, now: datetime | None = None, owner_id: int | None = None
) -> list[WorklistItem]:
    """What waits for the GP's practice, most urgent first, then the longest waiting."""
    practice = practice_of(user) if user.is_authenticated and user.is_active else None
    if practice is None:
        return []
    now = now or timezone.now()
    today = timezone.localdate(now)
    episodes = SafetyNetEpisode.objects.filter(practice=practice, state__in=LIVE)
    items = (
        _referral_items(Referral.objects.filter(practice=practice), now)
        + _investigation_items(
            Investigation.objects.filter(episode__practice=practice, episode__state__in=LIVE),
            today,
        )
        + _episode_items(episodes, today)
        + _concern_items(PatientConcern.objects.filter(episode__practice=practice))
    )
    if owner_id is not None:
        items = [item for item in items if item.owner_id == owner_id]
    return sorted(items, key=lambda item: (item.kind, item.since, item.patient_name))
