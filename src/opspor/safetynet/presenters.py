"""Safety-net episodes in words for the screens: what is pending, each item by name, and
the practice's list with what is overdue."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opspor.accounts.models import Role, User
from opspor.records.templatetags.clinical import vocab_label
from opspor.referrals.forms import pathway_label
from opspor.referrals.templatetags.referrals import person
from opspor.referrals.workflow import ReferralState
from opspor.safetynet.aarhus import EpisodeAarhus
from opspor.safetynet.models import (
    EpisodeEvent,
    Investigation,
    InvestigationEvent,
    SafetyNetEpisode,
)
from opspor.safetynet.selectors import workup_pending, workups_pending
from opspor.safetynet.workflow import (
    WORKUP_DONE,
    ConcernKind,
    EpisodeOutcome,
    EpisodeReason,
    EpisodeState,
    InvestigationKind,
    InvestigationState,
    ToldHow,
)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def investigation_name(kind: str, code: str = "", description: str = "") -> str:
    """An investigation as the GP ordered it: the test (a lab test by its result's name),
    and the GP's own description when it adds something."""
    name = vocab_label(code) if kind == InvestigationKind.LAB and code else ""
    name = name or _label(InvestigationKind, kind)
    if description and description.casefold() != name.casefold():
        return f"{name}: {description}"
    return name


def name_of(investigation: Investigation) -> str:
    return investigation_name(investigation.kind, investigation.code, investigation.description)


@dataclass(frozen=True)
class PendingItem:
    """One thing the workup still waits for, as a refusal and a banner list it."""

    what: str  # "investigation" or "referral"
    name: str
    state: str
    url: str


def pending_items(missing: list[dict[str, Any]], *, episode_id: int) -> list[PendingItem]:
    """The service's list of what is pending (`workup_pending`, or a refusal's `missing`)."""
    page = reverse("safetynet:detail", args=[episode_id])
    items = []
    for item in missing:
        if item.get("item") == "referral":
            items.append(
                PendingItem(
                    what="referral",
                    name=gettext("Referral: %(pathway)s")
                    % {"pathway": pathway_label(str(item.get("pathway", "")))},
                    state=_label(ReferralState, str(item.get("state", ""))),
                    url=reverse("referrals:detail", args=[item["id"]]),
                )
            )
        else:
            items.append(
                PendingItem(
                    what="investigation",
                    name=investigation_name(
                        str(item.get("kind", "")),
                        str(item.get("code", "")),
                        str(item.get("description", "")),
                    ),
                    state=_label(InvestigationState, str(item.get("state", ""))),
                    url=f"{page}#investigation-{item.get('id')}",
                )
            )
    return items


def episode_pending(episode: SafetyNetEpisode) -> list[PendingItem]:
    return pending_items(workup_pending(episode), episode_id=episode.pk)


@dataclass(frozen=True)
class EpisodeRow:
    """An open episode on the practice's list."""

    episode: SafetyNetEpisode
    overdue: bool  # its follow-up date has passed
    ended: bool  # its end date has passed: due now, it never closes by itself
    pending: list[PendingItem]


def episode_rows(episodes: Iterable[SafetyNetEpisode], *, today: date) -> list[EpisodeRow]:
    episodes = list(episodes)
    pending = workups_pending(episodes)  # two queries for the whole page
    return [
        EpisodeRow(
            episode=episode,
            overdue=episode.follow_up_on < today,
            ended=episode.ends_on < today,
            pending=pending_items(pending[episode.pk], episode_id=episode.pk),
        )
        for episode in episodes
    ]


_ACTIONS = {
    "open": _("Safety net opened"),
    "order_investigation": _("Investigation ordered"),
    "record_result": _("Result recorded"),
    "mark_seen": _("Result seen by a GP"),
    "mark_told": _("Result told to the patient"),
    "cancel": _("Investigation cancelled"),
    "await_follow_up": _("Awaiting the follow-up"),
    "reschedule": _("Follow-up moved"),
    "close": _("Safety net closed"),
    "close_refused": _("Closing refused"),
    "concern_raised": _("The patient got in touch"),
    "concern_answered": _("The patient's concern answered"),
    "patient_reminded": _("The patient reminded of the follow-up"),
}
# The services write an event's reason for the audit, in a fixed shape per action
# (`services.py`): these turn the codes in it back into words.
_RESCHEDULED = re.compile(r"^follow-up (\d{4}-\d{2}-\d{2}): (.*)$", re.S)
# What `loops.py` writes when a result that arrived fills an order.
_ARRIVED = re.compile(r"^(Lab result|Finding) #\d+ .*arrived$")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    label: str
    actor: str
    subject: str  # the investigation an event is about, by name
    change: str  # from one state to another, in words
    text: str
    # Caused by another event of the same moment, so read after it: the move to awaiting
    # the follow-up that telling the last result makes (`services.WORKUP_DONE`).
    follows: bool = False


def _event_text(action: str, reason: str) -> str:
    if action == "open":
        return _label(EpisodeReason, reason)
    if action == "order_investigation":
        ordered = reason.removeprefix("ordered: ")
        if ordered in InvestigationKind.values:
            return _label(InvestigationKind, ordered)
        return vocab_label(ordered)
    if action == "mark_told":
        return _label(ToldHow, reason)
    if action == "concern_raised":
        return _label(ConcernKind, reason)
    if action == "concern_answered":
        kind, _sep, note = reason.partition(": ")
        return f"{_label(ConcernKind, kind)}: {note}"
    if action == "patient_reminded" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", reason):
        day = formats.date_format(date.fromisoformat(reason), "SHORT_DATE_FORMAT")
        return gettext("Follow-up %(day)s") % {"day": day}
    if action == "close":
        outcome, _sep, note = reason.partition(": ")
        return (
            f"{_label(EpisodeOutcome, outcome)}: {note}"
            if note
            else _label(EpisodeOutcome, outcome)
        )
    if action == "record_result" and _ARRIVED.match(reason):
        return gettext("Arrived in the patient's record and linked automatically")
    if action == "await_follow_up" and reason == WORKUP_DONE:
        return gettext("Every investigation is told or cancelled and no referral is open")
    if action == "close_refused":
        return _refused_close_text(reason)
    moved = _RESCHEDULED.match(reason) if action == "reschedule" else None
    if moved:
        day = formats.date_format(date.fromisoformat(moved[1]), "SHORT_DATE_FORMAT")
        return gettext("New follow-up %(day)s: %(reason)s") % {"day": day, "reason": moved[2]}
    return reason


def _refused_close_text(reason: str) -> str:
    """The guard's refusal in words: the outcome tried and each item still pending."""
    try:
        refused = json.loads(reason)
        outcome, missing = str(refused["outcome"]), list(refused["pending"])
    except (ValueError, KeyError, TypeError):
        return reason  # not written by the service: shown as it stands
    names = [item.name for item in pending_items(missing, episode_id=0)]
    return gettext("Closing as “%(outcome)s” refused: %(items)s still pending") % {
        "outcome": _label(EpisodeOutcome, outcome),
        "items": ", ".join(names),
    }


def _actor(user: User | None) -> str:
    if user is None:
        return gettext("Opspor (automatic)")
    # The patient acts only from their own page; their account name means nothing here.
    return gettext("The patient") if user.role == Role.PATIENT else person(user)


def timeline(episode: SafetyNetEpisode) -> list[TimelineEntry]:
    """The episode's audit trail and its investigations', oldest first."""
    entries = []
    for event in EpisodeEvent.objects.filter(episode=episode).select_related("actor__clinician"):
        states = event.from_state and event.from_state != event.to_state
        entries.append(
            TimelineEntry(
                at=event.at,
                action=event.action,
                label=str(_ACTIONS.get(event.action, event.action)),
                actor=_actor(event.actor),
                subject="",
                change=f"{_label(EpisodeState, event.from_state)} → "
                f"{_label(EpisodeState, event.to_state)}"
                if states
                else "",
                text=_event_text(event.action, event.reason),
                follows=event.reason == WORKUP_DONE,
            )
        )
    investigation_events = InvestigationEvent.objects.filter(
        investigation__episode=episode
    ).exclude(action="order")  # the episode's own event says it was ordered
    for done in investigation_events.select_related("actor__clinician", "investigation"):
        entries.append(
            TimelineEntry(
                at=done.at,
                action=done.action,
                label=str(_ACTIONS.get(done.action, done.action)),
                actor=_actor(done.actor),
                subject=name_of(done.investigation),
                change="",
                text=_event_text(done.action, done.reason),
            )
        )
    return sorted(entries, key=lambda entry: (entry.at, entry.follows))


# The Aarhus statement's time points and intervals in the order the statement names them.
AARHUS_POINTS: tuple[tuple[str, Any], ...] = (
    ("first_symptom", _("First symptom")),
    ("first_presentation", _("First presentation")),
    ("referral", _("Referral")),
    ("diagnosis", _("Diagnosis")),
)
AARHUS_INTERVALS: tuple[tuple[str, Any], ...] = (
    ("patient", _("Patient interval")),
    ("primary_care", _("Primary care interval")),
    ("secondary_care", _("Secondary care interval")),
    ("diagnostic", _("Diagnostic interval")),
    ("total", _("Total interval")),
)


def aarhus_view(figures: EpisodeAarhus) -> dict[str, Any]:
    """An episode's Aarhus figures for its page: each time point and interval by name, the
    dates in an impossible order in words (the record needs checking, not the arithmetic),
    and the 3+ consultations flag."""
    points = [(label, getattr(figures.points, name)) for name, label in AARHUS_POINTS]
    intervals = [(label, getattr(figures.intervals, name)) for name, label in AARHUS_INTERVALS]
    known = [(name, label, getattr(figures.points, name)) for name, label in AARHUS_POINTS]
    # The same pairs as `Intervals.problems`, told in the reader's language.
    problems = [
        gettext("%(later)s (%(later_on)s) is before %(earlier)s (%(earlier_on)s)")
        % {
            "later": later_label,
            "later_on": formats.date_format(end, "SHORT_DATE_FORMAT"),
            "earlier": str(earlier_label).lower(),
            "earlier_on": formats.date_format(start, "SHORT_DATE_FORMAT"),
        }
        for i, (_n, earlier_label, start) in enumerate(known)
        for _m, later_label, end in known[i + 1 :]
        if start is not None and end is not None and end < start
    ]
    repeated = sorted(figures.repeated.items(), key=lambda item: (-item[1], item[0]))
    return {
        "points": points,
        "intervals": intervals,
        "problems": problems,
        "consultations_before_referral": figures.consultations_before_referral,
        "repeated": [(vocab_label(code), count) for code, count in repeated],
    }
