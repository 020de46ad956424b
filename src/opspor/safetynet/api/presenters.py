"""Episodes and their investigations shaped as the API's answers, moments in local time."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from opspor.accounts.models import User
from opspor.casework.endpoints import local
from opspor.safetynet.aarhus import episode_aarhus
from opspor.safetynet.api.schemas import (
    AarhusIntervalsOut,
    AarhusOut,
    AarhusPointsOut,
    EpisodeDetailOut,
    EpisodeOut,
    EventOut,
    InvestigationOut,
    PersonRef,
)
from opspor.safetynet.models import (
    EpisodeEvent,
    Investigation,
    InvestigationEvent,
    SafetyNetEpisode,
)
from opspor.safetynet.selectors import workup_pending
from opspor.safetynet.workflow import WORKUP_DONE


def person_ref(user: User) -> PersonRef:
    clinician = getattr(user, "clinician", None)
    # A user no longer linked to a clinician is still named, by their login.
    name = clinician.name if clinician is not None else user.get_full_name()
    return PersonRef(id=user.pk, name=name or user.get_username())


def episode_out(episode: SafetyNetEpisode) -> EpisodeOut:
    return EpisodeOut(**_episode_fields(episode))


def _episode_fields(episode: SafetyNetEpisode) -> dict[str, Any]:
    return {
        "id": episode.pk,
        "state": episode.state,
        "patient_id": episode.patient_id,
        "practice_id": episode.practice_id,
        "owner": person_ref(episode.owner),
        "opened_by_id": episode.opened_by_id,
        "opened_at": timezone.localtime(episode.opened_at),
        "reason": episode.reason,
        "follow_up_on": episode.follow_up_on,
        "ends_on": episode.ends_on,
        "advice": episode.advice,
        "symptoms": episode.symptoms if isinstance(episode.symptoms, list) else [],
        "findings": episode.findings if isinstance(episode.findings, dict) else {},
        "outcome": episode.outcome,
        "closed_at": local(episode.closed_at),
    }


def investigation_out(investigation: Investigation) -> InvestigationOut:
    return InvestigationOut(
        id=investigation.pk,
        episode_id=investigation.episode_id,
        kind=investigation.kind,
        code=investigation.code,
        description=investigation.description,
        state=investigation.state,
        ordered_by_id=investigation.ordered_by_id,
        ordered_at=timezone.localtime(investigation.ordered_at),
        expected_by=investigation.expected_by,
        resulted_at=local(investigation.resulted_at),
        lab_result_id=investigation.lab_result_id,
        finding_id=investigation.finding_id,
        result_text=investigation.result_text,
        seen_at=local(investigation.seen_at),
        seen_by_id=investigation.seen_by_id,
        told_at=local(investigation.told_at),
        told_how=investigation.told_how,
        cancelled_at=local(investigation.cancelled_at),
        cancel_reason=investigation.cancel_reason,
    )


def _event_out(event: EpisodeEvent | InvestigationEvent) -> EventOut:
    investigation_id = event.investigation_id if isinstance(event, InvestigationEvent) else None
    return EventOut(
        at=timezone.localtime(event.at),
        subject="episode" if investigation_id is None else "investigation",
        investigation_id=investigation_id,
        action=event.action,
        from_state=event.from_state,
        to_state=event.to_state,
        reason=event.reason,
        actor=person_ref(event.actor) if event.actor is not None else None,
    )


def timeline(episode: SafetyNetEpisode) -> list[EventOut]:
    """The episode's events and its investigations' in one line, oldest first."""
    episode_events = EpisodeEvent.objects.filter(episode=episode).select_related("actor__clinician")
    investigation_events = InvestigationEvent.objects.filter(
        investigation__episode=episode
    ).select_related("actor__clinician")
    # An investigation's order is written after the episode's own event of the same moment.
    events: list[EpisodeEvent | InvestigationEvent] = [*episode_events, *investigation_events]
    # ... and the move to awaiting the follow-up that telling the last result makes, after it.
    events.sort(
        key=lambda e: (e.at, e.reason == WORKUP_DONE, isinstance(e, InvestigationEvent), e.pk)
    )
    return [_event_out(event) for event in events]


def episode_detail(episode: SafetyNetEpisode) -> EpisodeDetailOut:
    investigations = episode.investigations.order_by("ordered_at", "pk")
    return EpisodeDetailOut(
        **_episode_fields(episode),
        investigations=[investigation_out(i) for i in investigations],
        pending=workup_pending(episode),
        timeline=timeline(episode),
        aarhus=aarhus_out(episode),
    )


def aarhus_out(episode: SafetyNetEpisode) -> AarhusOut:
    figures = episode_aarhus(episode)
    points = figures.points
    intervals = figures.intervals
    return AarhusOut(
        time_points=AarhusPointsOut(
            first_symptom=points.first_symptom,
            first_presentation=points.first_presentation,
            referral=points.referral,
            diagnosis=points.diagnosis,
        ),
        intervals=AarhusIntervalsOut(
            patient=intervals.patient.days,
            primary_care=intervals.primary_care.days,
            secondary_care=intervals.secondary_care.days,
            diagnostic=intervals.diagnostic.days,
            total=intervals.total.days,
        ),
        problems=list(intervals.problems),
        consultations_before_referral=figures.consultations_before_referral,
        repeated_consultations=dict(sorted(figures.repeated.items())),
        three_or_more_consultations=bool(figures.repeated),
    )
