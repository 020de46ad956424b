"""The practice's worklist: what waits for a GP of the practice today, most urgent first.

Every item is derived from the state of a case, so an item is done only by the action that
changes that state (a result marked seen, a patient told, a follow-up rescheduled with a
reason, a rejection acknowledged, an episode opened, a signal dismissed with a reason),
never by a timer. The list is a handful of queries
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

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from functools import lru_cache

from django.db.models import Q, QuerySet
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from opspor.accounts.models import User
from opspor.records.models import Practice
from opspor.records.selectors import practice_of
from opspor.referrals.models import Referral
from opspor.referrals.selectors import first_contact_overdue
from opspor.referrals.workflow import ReferralState
from opspor.safetynet.models import Investigation, PatientConcern, SafetyNetEpisode
from opspor.safetynet.signal_items import signal_detail, waiting_signals
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
    # The engine's signals, for patients without a live safety net: after every case item,
    # since nothing has been decided for these patients yet (`signal_items.py`).
    PATTERN_BREAK = 10
    LONG_ABSENCE = 11
    REPEAT_SYMPTOM = 12
    LOW_USER_RISE = 13


@dataclass(frozen=True)
class WorklistItem:
    kind: ItemKind
    patient_id: int
    patient_name: str
    owner_id: int | None  # the episode's owner, or the referral's requester
    since: date  # since when it has waited (its due date, or when it arrived)
    case_url: str
    detail: str  # a name for the item: the test, the pathway (never clinical free text)
    # One click to the patient: their overview. Left out, it is made from `patient_id`.
    patient_url: str = ""
    # Where an item that is done by dismissing it takes the POST, with a required `reason`.
    dismiss_url: str | None = None

    def __post_init__(self) -> None:
        if not self.patient_url:
            object.__setattr__(self, "patient_url", patient_overview_url(self.patient_id))

    @property
    def code(self) -> str:
        return self.kind.name.lower()


def _url_of(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for many ids: one reverse, then each id put in its place.

    A practice's worklist has thousands of items, and a reverse per item costs more than
    the rest of the item together."""
    head, _, tail = _url_parts(name, get_script_prefix(), get_urlconf())
    return lambda pk: f"{head}{pk}{tail}"


@lru_cache(maxsize=32)
def _url_parts(name: str, prefix: str, urlconf: object) -> tuple[str, str, str]:
    # The prefix and the URLconf are part of the key: a reverse depends on them.
    return reverse(name, args=[_MARKER]).partition(str(_MARKER))


_MARKER = 918_273_645_546_372_819


def patient_overview_url(patient_id: int) -> str:
    return _url_of("records:patient_overview")(patient_id)


def _referral_items(referrals: QuerySet[Referral], now: datetime) -> list[WorklistItem]:
    waiting = (
        referrals.filter(
            Q(state=ReferralState.REJECTED, acknowledged_at__isnull=True)
            | first_contact_overdue(now)
        )
        .order_by()
        .values_list(
            "pk",
            "state",
            "patient_id",
            "patient__name",
            "requester_id",
            "decided_at",
            "first_contact_due_at",
            "pathway",
        )
    )
    case_url, patient_url = _url_of("referrals:detail"), _url_of("records:patient_overview")
    items = []
    for pk, state, patient_id, name, requester_id, decided_at, contact_due, pathway in waiting:
        rejected = state == ReferralState.REJECTED
        moment = decided_at if rejected else contact_due
        items.append(
            WorklistItem(
                kind=ItemKind.REJECTION_UNACKNOWLEDGED
                if rejected
                else ItemKind.PATIENT_NOT_CONTACTED,
                patient_id=patient_id,
                patient_name=name,
                owner_id=requester_id,
                since=timezone.localdate(moment or now),
                case_url=case_url(pk),
                detail=pathway,
                patient_url=patient_url(patient_id),
            )
        )
    return items


def _investigation_items(
    investigations: QuerySet[Investigation], today: date
) -> list[WorklistItem]:
    waiting = (
        investigations.filter(
            Q(state__in=[InvestigationState.RESULTED, InvestigationState.SEEN])
            | Q(state=InvestigationState.ORDERED, expected_by__lt=today)
        )
        .order_by()
        .values_list(
            "state",
            "resulted_at",
            "seen_at",
            "expected_by",
            "code",
            "kind",
            "episode_id",
            "episode__patient_id",
            "episode__patient__name",
            "episode__owner_id",
        )
    )
    kinds = {
        InvestigationState.RESULTED: ItemKind.RESULT_UNSEEN,
        InvestigationState.SEEN: ItemKind.RESULT_NOT_TOLD,
        InvestigationState.ORDERED: ItemKind.INVESTIGATION_OVERDUE,
    }
    case_url, patient_url = _url_of("safetynet:detail"), _url_of("records:patient_overview")
    items = []
    for row in waiting:
        state, resulted_at, seen_at, expected_by, code, kind = row[:6]
        episode_id, patient_id, name, owner_id = row[6:]
        moment = (
            resulted_at
            if state == InvestigationState.RESULTED
            else seen_at
            if state == InvestigationState.SEEN
            else None
        )
        items.append(
            WorklistItem(
                kind=kinds[InvestigationState(state)],
                patient_id=patient_id,
                patient_name=name,
                owner_id=owner_id,
                since=timezone.localdate(moment) if moment else expected_by,
                case_url=case_url(episode_id),
                detail=code or kind,
                patient_url=patient_url(patient_id),
            )
        )
    return items


def _episode_items(episodes: QuerySet[SafetyNetEpisode], today: date) -> list[WorklistItem]:
    due = (
        episodes.filter(Q(follow_up_on__lte=today) | Q(ends_on__lte=today))
        .order_by()
        .values_list(
            "pk", "patient_id", "patient__name", "owner_id", "follow_up_on", "ends_on", "reason"
        )
    )
    case_url, patient_url = _url_of("safetynet:detail"), _url_of("records:patient_overview")
    items = []
    for pk, patient_id, name, owner_id, follow_up_on, ends_on, reason in due:
        ended = ends_on <= today
        items.append(
            WorklistItem(
                kind=ItemKind.SAFETY_NET_ENDED if ended else ItemKind.FOLLOW_UP_DUE,
                patient_id=patient_id,
                patient_name=name,
                owner_id=owner_id,
                since=ends_on if ended else follow_up_on,
                case_url=case_url(pk),
                detail=reason,
                patient_url=patient_url(patient_id),
            )
        )
    return items


def _signal_items(practice: Practice) -> list[WorklistItem]:
    rows = waiting_signals(practice).values_list(
        "patient_id", "patient__name", "patient__own_gp__user_id", "kind", "figures", "as_of"
    )
    patient_url = _url_of("records:patient_overview")
    return [
        WorklistItem(
            kind=ItemKind[kind.upper()],
            patient_id=patient_id,
            patient_name=name,
            owner_id=owner_id,  # the patient's own GP: a signal has no case owner yet
            since=as_of,
            case_url=patient_url(patient_id),
            detail=signal_detail(kind, figures),
            patient_url=patient_url(patient_id),
            dismiss_url=reverse("safetynet:signal_dismiss", args=[patient_id, kind]),
        )
        for patient_id, name, owner_id, kind, figures, as_of in rows
    ]


def _concern_items(concerns: QuerySet[PatientConcern]) -> list[WorklistItem]:
    # Whatever the episode's state: a concern leaves the list only when a GP answers it.
    waiting = (
        concerns.filter(answered_at__isnull=True)
        .order_by()
        .values_list(
            "kind",
            "raised_at",
            "episode_id",
            "episode__patient_id",
            "episode__patient__name",
            "episode__owner_id",
        )
    )
    case_url, patient_url = _url_of("safetynet:detail"), _url_of("records:patient_overview")
    return [
        WorklistItem(
            kind=ItemKind.PATIENT_GOT_WORSE
            if kind == ConcernKind.GOT_WORSE
            else ItemKind.PATIENT_NOT_HEARD,
            patient_id=patient_id,
            patient_name=name,
            owner_id=owner_id,
            since=timezone.localdate(raised_at),
            case_url=case_url(episode_id),
            detail=kind,
            patient_url=patient_url(patient_id),
        )
        for kind, raised_at, episode_id, patient_id, name, owner_id in waiting
    ]


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
        + _signal_items(practice)
    )
    if owner_id is not None:
        items = [item for item in items if item.owner_id == owner_id]
    return sorted(items, key=lambda item: (item.kind, item.since, item.patient_name))
