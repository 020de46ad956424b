"""Safety-net episodes through their services: opened with an owner, a plan and a date;
investigations ordered, resulted, seen, told or cancelled; and no "no cancer found" while
anything is pending (design row 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError
from opspor.records.models import LabResult, Patient, Symptom
from opspor.referrals.workflow import ReferralState
from opspor.safetynet import services
from opspor.safetynet.models import (
    EpisodeEvent,
    Investigation,
    InvestigationEvent,
    SafetyNetEpisode,
)
from opspor.safetynet.workflow import (
    EPISODE_TRANSITIONS,
    INVESTIGATION_TRANSITIONS,
    WORKUP_DONE,
    EpisodeOutcome,
    EpisodeState,
    InvestigationState,
)
from tests import factories
from tests.referrals.worlds import World, make_world, referral_in

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 11)


@dataclass
class Net:
    world: World
    patient: Patient
    gp: User
    other_gp: User


@pytest.fixture
def net() -> Net:
    world = make_world()
    patient = world.patient
    Symptom.objects.create(
        patient=patient,
        code="cough",
        onset=TODAY - timedelta(days=60),
        recorded_on=TODAY - timedelta(days=10),
        persistent=True,
        patient_words="Hosten vil ikke gå væk",
    )
    Symptom.objects.create(
        patient=patient,
        code="weight_loss",
        onset=TODAY - timedelta(days=40),
        recorded_on=TODAY - timedelta(days=10),
        patient_words="Bukserne sidder løst",
    )
    return Net(world=world, patient=patient, gp=world.gp, other_gp=world.other_gp)


def opened(net: Net, **fields: object) -> SafetyNetEpisode:
    values: dict[str, object] = {
        "patient": net.patient,
        "by": net.gp,
        "reason": "pending_investigations",
        "follow_up_on": TODAY + timedelta(days=14),
        "ends_on": TODAY + timedelta(days=42),
        "advice": "Kom igen, hvis du hoster blod eller taber dig mere.",
        "now": NOW,
    }
    values.update(fields)
    return services.episode_open(**values)  # type: ignore[arg-type]


def ordered(net: Net, episode: SafetyNetEpisode, **fields: object) -> Investigation:
    values: dict[str, object] = {
        "episode": episode,
        "by": net.gp,
        "kind": "chest_xray",
        "description": "Røntgen af thorax",
        "expected_by": TODAY + timedelta(days=7),
        "now": NOW,
    }
    values.update(fields)
    return services.investigation_order(**values)  # type: ignore[arg-type]


def snapshot(episode: SafetyNetEpisode) -> tuple[str, str, int, int]:
    episode.refresh_from_db()
    return (
        episode.state,
        episode.outcome,
        EpisodeEvent.objects.filter(episode=episode).count(),
        InvestigationEvent.objects.filter(investigation__episode=episode).count(),
    )


# --- opening ---------------------------------------------------------------------------


def test_an_episode_opens_with_the_current_symptoms_in_the_patients_words(net: Net) -> None:
    episode = opened(net)
    assert (episode.state, episode.owner, episode.opened_by) == (EpisodeState.OPEN, net.gp, net.gp)
    assert episode.practice == net.patient.practice
    assert [s["code"] for s in episode.symptoms] == ["cough", "weight_loss"]
    assert episode.symptoms[0]["words"] == ["Hosten vil ikke gå væk"]
    assert episode.findings["ruleset"] and "findings" in episode.findings
    [event] = EpisodeEvent.objects.filter(episode=episode)
    assert (event.action, event.actor, event.to_state) == ("open", net.gp, EpisodeState.OPEN)


def test_the_owner_may_be_another_gp_of_the_practice_but_no_one_else(net: Net) -> None:
    assert opened(net, owner=net.other_gp).owner == net.other_gp
    stranger = net.world.stranger_gp
    for owner in (stranger, net.world.doctor):
        with pytest.raises(WorkflowError) as refused:
            opened(net, owner=owner)
        assert refused.value.code == "invalid"
    assert SafetyNetEpisode.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"reason": "because"}, "Unknown reason"),
        ({"follow_up_on": TODAY - timedelta(days=1)}, "past"),
        ({"ends_on": TODAY + timedelta(days=7)}, "cannot end before"),
        ({"ends_on": TODAY + timedelta(days=400)}, "at most a year"),
        ({"symptom_codes": ["haemoptysis"]}, "Not among the patient's current symptoms"),
        ({"advice": "x" * 10_001}, "at most"),
    ],
)
def test_a_malformed_episode_is_refused_and_nothing_is_made(
    net: Net, fields: dict[str, object], says: str
) -> None:
    with pytest.raises(WorkflowError) as refused:
        opened(net, **fields)
    assert refused.value.code == "invalid" and says in refused.value.message
    assert not SafetyNetEpisode.objects.exists() and not EpisodeEvent.objects.exists()


def test_only_a_gp_of_the_patients_practice_opens_one(net: Net) -> None:
    for outsider in (net.world.stranger_gp, net.world.doctor):
        with pytest.raises(WorkflowError) as refused:
            opened(net, by=outsider)
        assert refused.value.code == "forbidden"
    assert not SafetyNetEpisode.objects.exists()


def test_opening_twice_with_one_key_opens_one_and_another_request_is_refused(net: Net) -> None:
    first = opened(net, idempotency_key="k")
    assert opened(net, idempotency_key="k") == first
    with pytest.raises(WorkflowError) as refused:
        opened(net, idempotency_key="k", reason="wait_and_see")
    assert refused.value.code == "key_reused"
    assert SafetyNetEpisode.objects.count() == 1


# --- the guard -------------------------------------------------------------------------


def test_no_cancer_found_is_refused_while_a_result_is_pending_and_names_it(net: Net) -> None:
    episode = opened(net)
    xray = ordered(net, episode)
    before = snapshot(episode)
    for outcome in (EpisodeOutcome.NO_CANCER_FOUND, EpisodeOutcome.SYMPTOMS_RESOLVED):
        with pytest.raises(WorkflowError) as refused:
            services.episode_close(episode=episode, by=net.gp, outcome=outcome, now=NOW)
        assert refused.value.code == "workup_incomplete"
        assert refused.value.missing == [
            {
                "item": "investigation",
                "id": xray.pk,
                "kind": "chest_xray",
                "code": "",
                "description": "Røntgen af thorax",
                "state": InvestigationState.ORDERED,
            }
        ]
    # Nothing changed but the audit trail: each refused attempt is kept there.
    assert snapshot(episode)[:2] == before[:2]
    assert snapshot(episode)[2:] == (before[2] + 2, before[3])
    assert EpisodeEvent.objects.filter(episode=episode, action="close_refused").count() == 2

    # In, seen: still not told to the patient, still refused.
    services.investigation_record_result(
        investigation=xray, by=net.gp, text="Ingen fortætning", now=NOW
    )
    services.investigation_mark_seen(investigation=xray, by=net.other_gp, now=NOW)
    with pytest.raises(WorkflowError):
        services.episode_close(episode=episode, by=net.gp, outcome="no_cancer_found", now=NOW)
    services.investigation_mark_told(investigation=xray, by=net.gp, how="phone", now=NOW)
    # Told, and nothing else under way: the episode awaits its follow-up by itself.
    episode.refresh_from_db()
    assert episode.state == EpisodeState.AWAITING_FOLLOW_UP
    closed = services.episode_close(
        episode=episode, by=net.gp, outcome="no_cancer_found", reason="X-ray normal", now=NOW
    )
    assert (closed.state, closed.outcome) == (EpisodeState.CLOSED, "no_cancer_found")
    event = EpisodeEvent.objects.filter(episode=episode).last()
    assert event is not None
    assert (event.action, event.from_state, event.to_state) == (
        "close",
        EpisodeState.AWAITING_FOLLOW_UP,
        EpisodeState.CLOSED,
    )
    assert event.reason == "no_cancer_found: X-ray normal"


def test_an_open_referral_keeps_the_workup_incomplete(net: Net) -> None:
    episode = opened(net)
    referral = referral_in(net.world, ReferralState.ACCEPTED)
    with pytest.raises(WorkflowError) as refused:
        services.episode_close(episode=episode, by=net.gp, outcome="no_cancer_found", now=NOW)
    assert refused.value.missing == [
        {"item": "referral", "id": referral.pk, "pathway": "kidney", "state": "accepted"}
    ]
    referral.state = ReferralState.COMPLETED
    referral.save()
    assert services.episode_close(
        episode=episode, by=net.gp, outcome="no_cancer_found", now=NOW
    ).outcome == ("no_cancer_found")


def test_a_cancelled_investigation_does_not_wait_and_other_outcomes_never_do(net: Net) -> None:
    episode = opened(net)
    cancelled = ordered(net, episode)
    services.investigation_cancel(
        investigation=cancelled, by=net.gp, reason="Patienten fik taget det privat", now=NOW
    )
    pending = ordered(net, episode, kind="lab", code="haemoglobin", description="")
    # Referring is not concluding: it closes the safety net while the test is pending.
    closed = services.episode_close(episode=episode, by=net.gp, outcome="referred", now=NOW)
    assert closed.outcome == "referred"
    pending.refresh_from_db()
    assert pending.state == InvestigationState.ORDERED


# --- investigations --------------------------------------------------------------------


def test_a_lab_result_links_only_from_the_patients_own_record(net: Net) -> None:
    episode = opened(net)
    test = ordered(net, episode, kind="lab", code="haemoglobin", description="")
    other = factories.patient(net.patient.practice)
    theirs = LabResult.objects.create(
        patient=other, code="haemoglobin", value=6.1, unit="mmol/L", taken_on=TODAY
    )
    with pytest.raises(WorkflowError):
        services.investigation_record_result(investigation=test, by=net.gp, lab_result=theirs)
    # Taken the day before the order, so no loop links it: the GP links it by hand.
    mine = LabResult.objects.create(
        patient=net.patient,
        code="haemoglobin",
        value=6.1,
        unit="mmol/L",
        taken_on=TODAY - timedelta(days=1),
    )
    done = services.investigation_record_result(
        investigation=test, by=net.gp, lab_result=mine, now=NOW
    )
    assert (done.state, done.lab_result) == (InvestigationState.RESULTED, mine)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (
            lambda n, i: services.investigation_cancel(investigation=i, by=n.gp, reason="\u200b"),
            "invalid",
        ),
        (
            lambda n, i: services.investigation_record_result(investigation=i, by=n.gp, text=" "),
            "invalid",
        ),
        (
            lambda n, i: services.investigation_mark_told(investigation=i, by=n.gp, how="osmosis"),
            "invalid",
        ),
        (lambda n, i: services.investigation_mark_seen(investigation=i, by=n.gp), "not_allowed"),
        (
            lambda n, i: services.investigation_mark_seen(investigation=i, by=n.world.stranger_gp),
            "forbidden",
        ),
        (
            lambda n, i: services.investigation_mark_seen(investigation=i, by=n.world.doctor),
            "forbidden",
        ),
    ],
)
def test_a_refused_investigation_action_changes_nothing(net: Net, call: object, code: str) -> None:
    episode = opened(net)
    investigation = ordered(net, episode)
    before = snapshot(episode)
    with pytest.raises(WorkflowError) as refused:
        call(net, investigation)  # type: ignore[operator]
    assert refused.value.code == code
    assert snapshot(episode) == before
    investigation.refresh_from_db()
    assert investigation.state == InvestigationState.ORDERED


def test_a_lab_order_names_the_result_it_waits_for(net: Net) -> None:
    episode = opened(net)
    with pytest.raises(WorkflowError):
        ordered(net, episode, kind="lab", code="")
    with pytest.raises(WorkflowError):
        ordered(net, episode, kind="x-ray")
    with pytest.raises(WorkflowError):
        ordered(net, episode, expected_by=TODAY - timedelta(days=1))
    assert not Investigation.objects.exists()
    assert snapshot(episode)[0] == EpisodeState.OPEN


# --- every row of the tables -----------------------------------------------------------


def _episode_in(net: Net, state: str) -> SafetyNetEpisode:
    episode = opened(net)
    SafetyNetEpisode.objects.filter(pk=episode.pk).update(
        state=state,
        outcome="referred" if state == EpisodeState.CLOSED else "",
        closed_at=NOW if state == EpisodeState.CLOSED else None,
    )
    episode.refresh_from_db()
    return episode


EPISODE_ACTIONS = {
    "order_investigation": lambda n, e: ordered(n, e),
    "await_follow_up": lambda n, e: services.episode_await_follow_up(episode=e, by=n.gp, now=NOW),
    "reschedule": lambda n, e: services.episode_reschedule(
        episode=e, by=n.gp, follow_up_on=TODAY + timedelta(days=21), reason="Ferie", now=NOW
    ),
    "close": lambda n, e: services.episode_close(episode=e, by=n.gp, outcome="referred", now=NOW),
}


@pytest.mark.parametrize("state", EpisodeState.values)
@pytest.mark.parametrize("action", sorted(EPISODE_TRANSITIONS))
def test_every_episode_action_in_every_state(net: Net, state: str, action: str) -> None:
    episode = _episode_in(net, state)
    transition = EPISODE_TRANSITIONS[action]
    before = snapshot(episode)
    if state in transition.sources:
        EPISODE_ACTIONS[action](net, episode)
        episode.refresh_from_db()
        assert episode.state == (transition.target or state)
        assert snapshot(episode)[2] == before[2] + 1
    else:
        with pytest.raises(WorkflowError) as refused:
            EPISODE_ACTIONS[action](net, episode)
        assert refused.value.code == "not_allowed"
        assert snapshot(episode) == before


INVESTIGATION_ACTIONS = {
    "record_result": lambda n, i: services.investigation_record_result(
        investigation=i, by=n.gp, text="Normal", now=NOW
    ),
    "mark_seen": lambda n, i: services.investigation_mark_seen(investigation=i, by=n.gp, now=NOW),
    "mark_told": lambda n, i: services.investigation_mark_told(
        investigation=i, by=n.gp, how="consultation", now=NOW
    ),
    "cancel": lambda n, i: services.investigation_cancel(
        investigation=i, by=n.gp, reason="Ikke længere nødvendig", now=NOW
    ),
}


@pytest.mark.parametrize("state", InvestigationState.values)
@pytest.mark.parametrize("action", sorted(INVESTIGATION_TRANSITIONS))
def test_every_investigation_action_in_every_state(net: Net, state: str, action: str) -> None:
    investigation = ordered(net, opened(net))
    Investigation.objects.filter(pk=investigation.pk).update(
        state=state,
        cancel_reason="x" if state == InvestigationState.CANCELLED else "",
        told_how="phone" if state == InvestigationState.TOLD else "",
    )
    investigation.refresh_from_db()
    transition = INVESTIGATION_TRANSITIONS[action]
    events = InvestigationEvent.objects.filter(investigation=investigation).count()
    if state in transition.sources:
        INVESTIGATION_ACTIONS[action](net, investigation)
        investigation.refresh_from_db()
        assert investigation.state == transition.target
        assert InvestigationEvent.objects.filter(investigation=investigation).count() == events + 1
    else:
        with pytest.raises(WorkflowError) as refused:
            INVESTIGATION_ACTIONS[action](net, investigation)
        assert refused.value.code == "not_allowed"
        investigation.refresh_from_db()
        assert investigation.state == state


def test_telling_the_patient_means_a_gp_has_seen_it(net: Net) -> None:
    investigation = ordered(net, opened(net))
    services.investigation_record_result(investigation=investigation, by=net.gp, text="Normal")
    told = services.investigation_mark_told(
        investigation=investigation, by=net.other_gp, how="phone", now=NOW
    )
    assert (told.state, told.seen_by, told.seen_at, told.told_at) == (
        InvestigationState.TOLD,
        net.other_gp,
        NOW,
        NOW,
    )


def test_a_code_longer_than_the_column_is_refused_not_a_server_error(net: Net) -> None:
    episode = opened(net)
    with pytest.raises(WorkflowError) as refused:
        ordered(net, episode, kind="lab", code="x" * 61)
    assert refused.value.code == "invalid"
    assert not Investigation.objects.exists()


# --- nothing more under way ------------------------------------------------------------


def test_the_last_investigation_told_or_cancelled_moves_the_episode_to_its_follow_up(
    net: Net,
) -> None:
    episode = opened(net)
    xray = ordered(net, episode)
    test = ordered(net, episode, kind="lab", code="haemoglobin", description="")
    services.investigation_record_result(investigation=xray, by=net.gp, text="Normal", now=NOW)
    services.investigation_mark_told(investigation=xray, by=net.gp, how="phone", now=NOW)
    episode.refresh_from_db()
    assert episode.state == EpisodeState.INVESTIGATING  # the blood test is still under way
    services.investigation_cancel(investigation=test, by=net.gp, reason="Taget privat", now=NOW)
    episode.refresh_from_db()
    assert episode.state == EpisodeState.AWAITING_FOLLOW_UP
    event = EpisodeEvent.objects.filter(episode=episode).last()
    assert event is not None
    assert (event.action, event.actor, event.reason, event.from_state) == (
        "await_follow_up",
        net.gp,
        WORKUP_DONE,
        EpisodeState.INVESTIGATING,
    )
    assert EpisodeEvent.objects.filter(episode=episode, action="await_follow_up").count() == 1


def test_an_open_referral_keeps_the_episode_investigating(net: Net) -> None:
    episode = opened(net)
    xray = ordered(net, episode)
    referral_in(net.world, ReferralState.ACCEPTED)
    services.investigation_record_result(investigation=xray, by=net.gp, text="Normal", now=NOW)
    services.investigation_mark_told(investigation=xray, by=net.gp, how="phone", now=NOW)
    episode.refresh_from_db()
    assert episode.state == EpisodeState.INVESTIGATING


def test_a_refused_telling_moves_nothing(net: Net) -> None:
    episode = opened(net)
    xray = ordered(net, episode)  # not resulted yet: it cannot be told
    before = snapshot(episode)
    with pytest.raises(WorkflowError) as refused:
        services.investigation_mark_told(investigation=xray, by=net.gp, how="phone", now=NOW)
    assert refused.value.code == "not_allowed"
    assert snapshot(episode) == before
    assert episode.state == EpisodeState.INVESTIGATING
