"""What every safety-net endpoint shares: who may call it, finding the episode or the
investigation in the caller's practice, running an action, and reading the episode back.

A refusal is never handled here: a role other than a GP raises `RoleRefused` before
anything is read, a row outside the caller's practice is 404, and a service's refusal
raises `WorkflowError`; the API maps them once (`opspor.api`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Status

from opspor.accounts.models import Role, User
from opspor.casework.endpoints import act, responses
from opspor.records.services import record_read_log
from opspor.safetynet import selectors
from opspor.safetynet.api.presenters import episode_detail, investigation_out
from opspor.safetynet.api.schemas import EpisodeDetailOut, InvestigationOut
from opspor.safetynet.models import Investigation, SafetyNetEpisode

GP_ONLY = frozenset({Role.GP})
EPISODE = responses(200, EpisodeDetailOut)
INVESTIGATION = responses(200, InvestigationOut)
# The access log's name for a read of one episode, which shows the patient's symptoms in
# their own words and Opspor's findings from the record.
READ_EPISODE = "safety-net episode"
READ_LIST = "safety-net list"


def episode_rows(user: User) -> QuerySet[SafetyNetEpisode]:
    return selectors.episodes_visible_to(user).select_related("owner__clinician")


def episode_of(user: User, episode_id: int) -> SafetyNetEpisode:
    return selectors.episode_get(user=user, episode_id=episode_id)


def investigation_of(user: User, episode_id: int, investigation_id: int) -> Investigation:
    """An investigation of this episode, the episode of the caller's practice; 404 else."""
    investigation = selectors.investigation_get(user=user, investigation_id=investigation_id)
    if investigation.episode_id != episode_id:
        raise Http404("No such investigation")
    return investigation


def episode_detail_out(user: User, episode_id: int, *, read: bool) -> EpisodeDetailOut:
    """The episode as it is now. `read` is a read of the patient's record, logged."""
    try:
        episode = episode_rows(user).get(pk=episode_id)
    except SafetyNetEpisode.DoesNotExist:
        raise Http404("No such safety-net episode") from None
    if read:
        record_read_log(user=user, patient=episode.patient, what=READ_EPISODE)
    return episode_detail(episode)


def episode_action(
    request: HttpRequest, episode_id: int, change: Callable[[SafetyNetEpisode, User], object]
) -> Status[EpisodeDetailOut]:
    """Change one episode with a service and answer with it as it is now."""

    def action(user: User) -> EpisodeDetailOut:
        change(episode_of(user, episode_id), user)
        return episode_detail_out(user, episode_id, read=False)

    return act(request, GP_ONLY, action)


def investigation_action(
    request: HttpRequest,
    episode_id: int,
    investigation_id: int,
    change: Callable[[Investigation, User], Investigation],
) -> Status[InvestigationOut]:
    """Change one investigation with a service and answer with it as it is now."""
    return act(
        request,
        GP_ONLY,
        lambda user: investigation_out(
            change(investigation_of(user, episode_id, investigation_id), user)
        ),
    )
