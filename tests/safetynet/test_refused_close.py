"""A close the guard refuses is kept in the episode's audit trail (design row 5): who, when,
the outcome tried and what was pending, written after the refused change rolled back, so
the episode itself is unchanged; through the service, the API and the page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opspor.casework.errors import WorkflowError
from opspor.safetynet import services
from opspor.safetynet.models import EpisodeEvent, SafetyNetEpisode
from opspor.safetynet.workflow import EpisodeState
from tests.safetynet.test_services import NOW, Net, net, opened, ordered

pytestmark = pytest.mark.django_db
_ = net  # the fixture


def refused_events(episode: SafetyNetEpisode) -> list[EpisodeEvent]:
    return list(EpisodeEvent.objects.filter(episode=episode, action="close_refused"))


def test_a_refused_close_is_one_event_per_attempt_and_changes_no_state(net: Net) -> None:
    episode = opened(net)
    xray = ordered(net, episode)
    for attempt in (1, 2):
        with pytest.raises(WorkflowError) as refused:
            services.episode_close(episode=episode, by=net.gp, outcome="no_cancer_found", now=NOW)
        assert refused.value.code == "workup_incomplete"
        episode.refresh_from_db()
        assert (episode.state, episode.outcome, episode.closed_at) == (
            EpisodeState.INVESTIGATING,
            "",
            None,
        )
        assert len(refused_events(episode)) == attempt
    event = refused_events(episode)[-1]
    assert (event.actor, event.at, event.from_state, event.to_state) == (
        net.gp,
        NOW,
        EpisodeState.INVESTIGATING,
        EpisodeState.INVESTIGATING,
    )
    kept = json.loads(event.reason)
    assert kept["outcome"] == "no_cancer_found"
    assert [(item["item"], item["id"], item["kind"]) for item in kept["pending"]] == [
        ("investigation", xray.pk, "chest_xray")
    ]


def test_only_the_guards_refusal_is_kept_not_other_refusals(net: Net) -> None:
    episode = opened(net)
    ordered(net, episode)
    for call in (
        # Another practice's GP: forbidden before anything is read; nothing is logged.
        lambda: services.episode_close(
            episode=episode, by=net.world.stranger_gp, outcome="no_cancer_found", now=NOW
        ),
        # An outcome that does not exist.
        lambda: services.episode_close(episode=episode, by=net.gp, outcome="cured", now=NOW),
    ):
        with pytest.raises(WorkflowError) as refused:
            call()
        assert refused.value.code in {"forbidden", "invalid"}
    assert refused_events(episode) == []
    # Closing with an outcome that does not wait for the workup is not refused at all.
    services.episode_close(episode=episode, by=net.gp, outcome="referred", now=NOW)
    assert refused_events(episode) == []
    # A closed episode cannot be closed again: not the guard's refusal, nothing kept.
    with pytest.raises(WorkflowError) as refused:
        services.episode_close(episode=episode, by=net.gp, outcome="no_cancer_found", now=NOW)
    assert refused.value.code == "not_allowed" and refused_events(episode) == []


def test_the_refusal_is_written_after_the_refused_change_rolled_back(net: Net) -> None:
    episode = opened(net)
    ordered(net, episode)
    with CaptureQueriesContext(connection) as queries, pytest.raises(WorkflowError):
        services.episode_close(episode=episode, by=net.gp, outcome="symptoms_resolved", now=NOW)
    sql = [query["sql"] for query in queries.captured_queries]
    inserts = [i for i, text in enumerate(sql) if "INSERT" in text and "episodeevent" in text]
    rollbacks = [i for i, text in enumerate(sql) if "ROLLBACK" in text]
    assert len(inserts) == 1 and rollbacks and rollbacks[0] < inserts[0]


def test_the_page_shows_the_refused_close_in_words(net: Net) -> None:
    episode = opened(net)
    services.investigation_order(
        episode=episode,
        by=net.gp,
        kind="chest_xray",
        expected_by=timezone.localdate() + timedelta(days=7),
    )
    url = reverse("safetynet:episode_close", args=[episode.pk])
    stranger = Client()
    stranger.force_login(net.world.stranger_gp)
    assert stranger.post(url, {"outcome": "no_cancer_found"}).status_code == 404
    assert refused_events(episode) == []
    client = Client()
    client.force_login(net.gp)
    response = client.post(url, {"outcome": "no_cancer_found", "reason": ""})
    assert response.status_code == 409
    assert len(refused_events(episode)) == 1
    page = client.get(reverse("safetynet:detail", args=[episode.pk])).content.decode()
    assert 'data-action="close_refused"' in page
    assert "Lukning som “Ingen kræft fundet” afvist: Røntgen af thorax afventer stadig" in page
