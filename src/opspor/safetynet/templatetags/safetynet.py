"""Safety-net codes in the page's language."""

from __future__ import annotations

from django import template

from opspor.safetynet.workflow import (
    ConcernKind,
    EpisodeOutcome,
    EpisodeReason,
    EpisodeState,
    InvestigationState,
    ToldHow,
)

register = template.Library()


def _label(choices: type, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value  # type: ignore[attr-defined]


@register.filter
def episode_state(value: str) -> str:
    return _label(EpisodeState, value)


@register.filter
def episode_reason(value: str) -> str:
    return _label(EpisodeReason, value)


@register.filter
def episode_outcome(value: str) -> str:
    return _label(EpisodeOutcome, value)


@register.filter
def investigation_state(value: str) -> str:
    return _label(InvestigationState, value)


@register.filter
def concern_kind(value: str) -> str:
    return _label(ConcernKind, value)


@register.filter
def told_how(value: str) -> str:
    return _label(ToldHow, value)


_EPISODE_BADGES = {
    EpisodeState.OPEN: "badge-info",
    EpisodeState.INVESTIGATING: "badge-warning",
    EpisodeState.AWAITING_FOLLOW_UP: "badge-info",
    EpisodeState.CLOSED: "badge-success",
}
_INVESTIGATION_BADGES = {
    InvestigationState.ORDERED: "badge-info",
    InvestigationState.RESULTED: "badge-warning",
    InvestigationState.SEEN: "badge-warning",
    InvestigationState.TOLD: "badge-success",
    InvestigationState.CANCELLED: "badge-info",
}


@register.filter
def episode_badge(value: str) -> str:
    return _EPISODE_BADGES.get(value, "badge-info")  # type: ignore[call-overload]


@register.filter
def investigation_badge(value: str) -> str:
    return _INVESTIGATION_BADGES.get(value, "badge-info")  # type: ignore[call-overload]
