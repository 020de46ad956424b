"""The patient's word on their safety net ("I have not heard anything", "It got worse") and
the practice's answer; the reminder before the follow-up, on the page and by e-mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from opspor.accounts.models import Role, User
from opspor.casework.delivery import deliver
from opspor.casework.errors import WorkflowError
from opspor.casework.models import IdempotencyRecord, Notification
from opspor.casework.sweep import sweep
from opspor.referrals.workflow import ReferralState
from opspor.safetynet import concerns, services
from opspor.safetynet.advice import rules_out_cancer
from opspor.safetynet.models import EpisodeEvent, PatientConcern, PatientReminder
from opspor.safetynet.reminders import patients_remind_of_follow_up
from opspor.safetynet.workflow import EpisodeState
from opspor.safetynet.worklist import ItemKind, practice_worklist
from tests import factories
from tests.referrals.worlds import referral_in
from tests.safetynet.test_services import NOW, TODAY, Net, net, opened

pytestmark = pytest.mark.django_db
_ = net

INVISIBLE = ["\u200b", "\u200d", "\u2060", "\ufeff", " ", "\t", "\n", "\u00a0", "\u3000"]


@pytest.fixture
def patient_user(net: Net) -> User:
    account = factories.user(Role.PATIENT, email="jens@example.org")
    net.patient.user = account
    net.patient.save()
    return account


def state(episode_id: int) -> tuple[object, ...]:
    """Everything a refused action must leave as it was."""
    return (
        tuple(PatientConcern.objects.values_list("pk", "kind", "answered_at", "answer_note")),
        EpisodeEvent.objects.filter(episode_id=episode_id).count(),
        IdempotencyRecord.objects.count(),
    )


def raise_(episode: object, by: User, kind: str = "not_heard", **kw: object) -> concerns.Raised:
    kw.setdefault("now", NOW)
    return concerns.concern_raise(episode=episode, by=by, kind=kind, **kw)  # type: ignore[arg-type]


# --- raising ------------------------------------------------------------------------------


def test_the_patient_raises_a_concern_and_it_is_an_audit_event(
    net: Net, patient_user: User
) -> None:
    episode = opened(net)
    raised = raise_(episode, patient_user, "got_worse", words="Hosten er værre om natten")
    assert raised.new
    concern = PatientConcern.objects.get()
    assert (concern.kind, concern.raised_by, concern.answered_at) == (
        "got_worse",
        patient_user,
        None,
    )
    event = EpisodeEvent.objects.filter(episode=episode).last()
    assert event is not None
    assert (event.action, event.actor) == ("concern_raised", patient_user)
    assert event.reason == "got_worse"
    # The patient's own words are for the practice's page, not the audit line.
    assert "Hosten" not in event.reason


def test_a_second_press_while_unanswered_makes_no_second_item(net: Net, patient_user: User) -> None:
    episode = opened(net)
    first = raise_(episode, patient_user)
    again = raise_(episode, patient_user, now=NOW + timedelta(days=1))  # type: ignore[arg-type]
    assert not again.new
    assert again.concern.pk == first.concern.pk
    assert again.concern.raised_at == NOW  # "your practice has had this since ..."
    assert PatientConcern.objects.count() == 1
    # The other kind is its own item.
    assert raise_(episode, patient_user, "got_worse").new
    assert PatientConcern.objects.count() == 2


def test_the_same_submission_twice_is_one_row(net: Net, patient_user: User) -> None:
    episode = opened(net)
    key = "a" * 32
    first = raise_(episode, patient_user, idempotency_key=key)
    second = raise_(episode, patient_user, idempotency_key=key)
    assert second.concern.pk == first.concern.pk and second.new
    assert PatientConcern.objects.count() == 1
    # The same key for another request is refused, and nothing changes.
    before = state(episode.pk)
    with pytest.raises(WorkflowError) as refused:
        raise_(episode, patient_user, "got_worse", idempotency_key=key)
    assert refused.value.code == "key_reused"
    assert state(episode.pk) == before


@pytest.mark.parametrize("who", ["gp", "doctor", "stranger_gp", "other_patient", "inactive"])
def test_only_the_episodes_own_patient_may_raise_one(
    net: Net, patient_user: User, who: str
) -> None:
    episode = opened(net)
    other_patient = factories.user(Role.PATIENT)
    factories.patient(net.patient.practice, user=other_patient)
    users = {
        "gp": net.gp,
        "doctor": net.world.doctor,
        "stranger_gp": net.world.stranger_gp,
        "other_patient": other_patient,
        "inactive": patient_user,
    }
    if who == "inactive":
        patient_user.is_active = False
        patient_user.save()
    before = state(episode.pk)
    with pytest.raises(WorkflowError) as refused:
        raise_(episode, users[who])
    assert refused.value.code == "forbidden"
    assert state(episode.pk) == before


def test_a_closed_safety_net_takes_no_concern(net: Net, patient_user: User) -> None:
    episode = opened(net)
    services.episode_close(episode=episode, by=net.gp, outcome="referred", now=NOW)
    before = state(episode.pk)
    with pytest.raises(WorkflowError) as refused:
        raise_(episode, patient_user)
    assert refused.value.code == "not_allowed"
    assert state(episode.pk) == before


@pytest.mark.parametrize("kind", ["", "worse", "answered"])
def test_an_unknown_kind_or_overlong_words_are_refused(
    net: Net, patient_user: User, kind: str
) -> None:
    episode = opened(net)
    before = state(episode.pk)
    with pytest.raises(WorkflowError) as refused:
        raise_(episode, patient_user, kind)
    assert refused.value.code == "invalid"
    with pytest.raises(WorkflowError):
        raise_(episode, patient_user, words="x" * (concerns.MAX_WORDS_LENGTH + 1))
    assert state(episode.pk) == before


# --- the worklist and the answer -------------------------------------------------------------


def test_a_patient_who_says_it_got_worse_is_first_on_the_worklist(
    net: Net, patient_user: User
) -> None:
    episode = opened(net)
    referral_in(net.world, ReferralState.REJECTED, decided_at=NOW - timedelta(days=1))
    raise_(episode, patient_user, "not_heard")
    raise_(episode, patient_user, "got_worse")
    later = NOW + timedelta(days=15)  # the follow-up is due as well
    items = practice_worklist(user=net.gp, now=later)
    assert [item.kind for item in items] == [
        ItemKind.PATIENT_GOT_WORSE,
        ItemKind.REJECTION_UNACKNOWLEDGED,
        ItemKind.PATIENT_NOT_HEARD,
        ItemKind.FOLLOW_UP_DUE,
    ]
    worse = items[0]
    assert worse.since == TODAY
    assert worse.case_url == reverse("safetynet:detail", args=[episode.pk])
    assert (worse.patient_id, worse.owner_id, worse.detail) == (
        net.patient.pk,
        episode.owner_id,
        "got_worse",
    )
    # Another practice's GP sees none of it.
    assert practice_worklist(user=net.world.stranger_gp, now=later) == []


def test_the_item_leaves_only_by_the_gps_answer(net: Net, patient_user: User) -> None:
    episode = opened(net)
    concern = raise_(episode, patient_user).concern

    def waiting(days: int) -> list[ItemKind]:
        return [
            item.kind
            for item in practice_worklist(user=net.gp, now=NOW + timedelta(days=days))
            if item.kind == ItemKind.PATIENT_NOT_HEARD
        ]

    assert waiting(0) == [ItemKind.PATIENT_NOT_HEARD]
    assert waiting(90) == [ItemKind.PATIENT_NOT_HEARD]  # never by a timer
    # Closing the episode does not answer the patient either.
    services.episode_close(episode=episode, by=net.gp, outcome="referred", now=NOW)
    assert waiting(1) == [ItemKind.PATIENT_NOT_HEARD]

    concerns.concern_answer(
        concern=concern, by=net.other_gp, note="Ringet op, tid i morgen", now=NOW
    )
    assert waiting(1) == []
    concern.refresh_from_db()
    assert (concern.answered_by, concern.answer_note) == (net.other_gp, "Ringet op, tid i morgen")
    event = EpisodeEvent.objects.filter(episode=episode).last()
    assert event is not None
    assert (event.action, event.actor) == ("concern_answered", net.other_gp)
    assert event.reason == "not_heard: Ringet op, tid i morgen"
    assert event.from_state == event.to_state == EpisodeState.CLOSED


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=st.text(alphabet=st.sampled_from(INVISIBLE), max_size=12))
def test_an_answer_without_visible_words_is_refused(
    net: Net, patient_user: User, note: str
) -> None:
    episode = opened(net) if not PatientConcern.objects.exists() else None
    concern = raise_(episode, patient_user).concern if episode else PatientConcern.objects.get()
    before = state(concern.episode_id)
    with pytest.raises(WorkflowError) as refused:
        concerns.concern_answer(concern=concern, by=net.gp, note=note, now=NOW)
    assert refused.value.code == "invalid"
    assert state(concern.episode_id) == before
    assert len(practice_worklist(user=net.gp, now=NOW)) == 1


@pytest.mark.parametrize("who", ["stranger_gp", "doctor", "patient"])
def test_only_a_gp_of_the_practice_answers(net: Net, patient_user: User, who: str) -> None:
    concern = raise_(opened(net), patient_user).concern
    users = {"stranger_gp": net.world.stranger_gp, "doctor": net.world.doctor}
    users["patient"] = patient_user
    before = state(concern.episode_id)
    with pytest.raises(WorkflowError) as refused:
        concerns.concern_answer(concern=concern, by=users[who], note="Svaret", now=NOW)
    assert refused.value.code == "forbidden"
    assert state(concern.episode_id) == before


def test_an_answered_concern_is_not_answered_twice(net: Net, patient_user: User) -> None:
    concern = raise_(opened(net), patient_user).concern
    stale = PatientConcern.objects.get(pk=concern.pk)
    concerns.concern_answer(concern=concern, by=net.gp, note="Ringet op", now=NOW)
    before = state(concern.episode_id)
    with pytest.raises(WorkflowError) as refused:
        concerns.concern_answer(concern=stale, by=net.other_gp, note="Også ringet", now=NOW)
    assert refused.value.code == "conflict"
    assert state(concern.episode_id) == before
    # Once answered, the patient can raise the same kind again: a new item.
    assert raise_(concern.episode, patient_user).new


# --- the episode page ----------------------------------------------------------------------


def _gp_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_episode_page_shows_the_concern_and_answers_it_in_a_dialog(
    net: Net, patient_user: User
) -> None:
    episode = opened(net)
    concern = raise_(episode, patient_user, "got_worse", words="Jeg hoster mere").concern
    client = _gp_client(net.gp)
    page = client.get(reverse("safetynet:detail", args=[episode.pk])).content.decode()
    assert 'data-testid="concern" data-kind="got_worse"' in page
    assert "Jeg hoster mere" in page
    assert "Patienten har henvendt sig" in page  # the audit trail names the patient's role
    assert patient_user.username not in page
    answer = reverse("safetynet:concern_answer", args=[concern.pk])
    assert answer in page

    before = state(episode.pk)
    refused = client.post(answer, {"note": "\u200b \u2060"})
    assert refused.status_code == 422
    assert 'data-testid="dialog-answer"' in refused.content.decode()
    assert state(episode.pk) == before

    done = client.post(answer, {"note": "Ringet op; set i dag"})
    assert done.status_code == 302
    concern.refresh_from_db()
    assert concern.answer_note == "Ringet op; set i dag"
    page = client.get(reverse("safetynet:detail", args=[episode.pk])).content.decode()
    assert 'data-testid="concern"' not in page
    assert "Ringet op; set i dag" in page  # in the audit trail


def test_another_practice_answering_gets_404_and_only_the_refusal_is_logged(
    net: Net, patient_user: User
) -> None:
    concern = raise_(opened(net), patient_user).concern
    before = state(concern.episode_id)
    new_rows = factories.access_log_since_now()
    response = _gp_client(net.world.stranger_gp).post(
        reverse("safetynet:concern_answer", args=[concern.pk]), {"note": "Svar"}
    )
    assert response.status_code == 404
    assert state(concern.episode_id) == before
    assert factories.only_refused(new_rows(), net.world.stranger_gp, net.patient)
    # A patient is refused before anything is read.
    response = _gp_client(patient_user).post(
        reverse("safetynet:concern_answer", args=[concern.pk]), {"note": "Svar"}
    )
    assert response.status_code == 403
    assert state(concern.episode_id) == before


# --- the reminder ----------------------------------------------------------------------------


def test_the_reminder_is_written_once_per_follow_up_date(net: Net, patient_user: User) -> None:
    episode = opened(net)  # follow-up in 14 days
    follow_up = episode.follow_up_on
    assert patients_remind_of_follow_up(NOW + timedelta(days=11)) == 0  # 3 days ahead
    assert patients_remind_of_follow_up(NOW + timedelta(days=12)) == 1
    assert patients_remind_of_follow_up(NOW + timedelta(days=13)) == 0
    assert sweep(NOW + timedelta(days=13))["patients_reminded"] == 0
    reminder = PatientReminder.objects.get()
    assert (reminder.episode, reminder.follow_up_on) == (episode, follow_up)
    notification = Notification.objects.get(patient=net.patient)
    assert notification.practice is None and notification.email_to == "jens@example.org"
    assert notification.subject == reminder
    # The practice's own notifications do not list the patient's reminder.
    from opspor.casework.notifications import notifications_for

    assert not notifications_for(net.gp).exists()
    event = EpisodeEvent.objects.filter(episode=episode).last()
    assert event is not None
    assert (event.action, event.actor, event.reason) == (
        "patient_reminded",
        None,
        follow_up.isoformat(),
    )


def test_a_rescheduled_follow_up_gets_a_new_reminder(net: Net, patient_user: User) -> None:
    episode = opened(net)
    assert patients_remind_of_follow_up(NOW + timedelta(days=12)) == 1
    services.episode_reschedule(
        episode=episode,
        by=net.gp,
        follow_up_on=TODAY + timedelta(days=20),
        reason="Venter på røntgen",
        now=NOW + timedelta(days=12),
    )
    assert patients_remind_of_follow_up(NOW + timedelta(days=17)) == 0
    assert patients_remind_of_follow_up(NOW + timedelta(days=18)) == 1
    assert list(PatientReminder.objects.values_list("follow_up_on", flat=True)) == [
        TODAY + timedelta(days=14),
        TODAY + timedelta(days=20),
    ]


def test_closed_episodes_and_patients_without_an_address(net: Net) -> None:
    closed = opened(net)
    services.episode_close(episode=closed, by=net.gp, outcome="referred", now=NOW)
    assert patients_remind_of_follow_up(NOW + timedelta(days=13)) == 0
    # No portal account: the reminder is still stored for the page; no e-mail is sent.
    opened(net)
    assert patients_remind_of_follow_up(NOW + timedelta(days=13)) == 1
    notification = Notification.objects.get()
    assert notification.delivery == Notification.Delivery.NO_ADDRESS


@pytest.mark.parametrize("language", ["da", "en", "ar", "tr"])
def test_the_e_mail_carries_a_link_and_no_patient_data(
    net: Net, patient_user: User, settings: Settings, language: str
) -> None:
    settings.OPSPOR_BASE_URL = "https://opspor.example"
    net.patient.preferred_language = language
    net.patient.save()
    episode = opened(net, advice="Kom igen, hvis du hoster blod.")
    services.investigation_order(
        episode=episode,
        by=net.gp,
        kind="chest_xray",
        description="Røntgen af thorax",
        expected_by=TODAY + timedelta(days=7),
        now=NOW,
    )
    patients_remind_of_follow_up(NOW + timedelta(days=12))
    assert deliver(Notification.objects.get().pk) == "sent"
    [email] = mail.outbox
    assert email.to == ["jens@example.org"]
    text = f"{email.subject}\n{email.body}"
    assert "https://opspor.example/patients/me/" in email.body
    for private in [
        net.patient.name,
        net.patient.cpr,
        net.patient.masked_cpr,
        "hoste",
        "Hosten",
        "røntgen",
        "Røntgen",
        "thorax",
        "X-ray",
        str(episode.follow_up_on.day) + ".",
    ]:
        assert private not in text
    for word in ["cancer", "kræft", "kanser", "سرطان", "sikkerhedsnet", "safety net"]:
        assert word not in text.casefold()
    assert rules_out_cancer(text) is None
    if language != "en":  # the patient's own language, not the site's English source
        assert "A reminder from your practice" not in email.subject
