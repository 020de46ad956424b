"""The GP's safety-net screens through the test client: opening one from the overview,
the episode page and each of its actions, the practice's list, and who may see them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.records.models import AccessLogEntry, LabResult, Patient, Symptom
from opspor.safetynet import services
from opspor.safetynet.models import (
    EpisodeEvent,
    Investigation,
    InvestigationEvent,
    SafetyNetEpisode,
)
from opspor.safetynet.workflow import EpisodeState, InvestigationState
from tests import factories
from tests.referrals.worlds import World, make_world

pytestmark = pytest.mark.django_db


@dataclass
class Net:
    world: World
    patient: Patient
    gp: User
    client: Client


@pytest.fixture
def net() -> Net:
    world = make_world()
    today = timezone.localdate()
    Symptom.objects.create(
        patient=world.patient,
        code="cough",
        onset=today - timedelta(days=60),
        recorded_on=today - timedelta(days=10),
        persistent=True,
        patient_words="Hosten vil ikke gå væk",
    )
    Symptom.objects.create(
        patient=world.patient,
        code="weight_loss",
        onset=today - timedelta(days=40),
        recorded_on=today - timedelta(days=10),
        patient_words="Bukserne sidder løst",
    )
    client = Client()
    client.force_login(world.gp)
    return Net(world=world, patient=world.patient, gp=world.gp, client=client)


def opened(net: Net) -> SafetyNetEpisode:
    today = timezone.localdate()
    return services.episode_open(
        patient=net.patient,
        by=net.gp,
        reason="pending_investigations",
        follow_up_on=today + timedelta(days=14),
        ends_on=today + timedelta(days=42),
        advice="Kom igen, hvis du hoster blod.",
    )


def xray_of(net: Net, episode: SafetyNetEpisode) -> Investigation:
    return services.investigation_order(
        episode=episode,
        by=net.gp,
        kind="chest_xray",
        description="Røntgen af thorax",
        expected_by=timezone.localdate() + timedelta(days=7),
    )


def snapshot(episode: SafetyNetEpisode) -> tuple[object, ...]:
    episode.refresh_from_db()
    return (
        episode.state,
        episode.outcome,
        episode.follow_up_on,
        EpisodeEvent.objects.filter(episode=episode).count(),
        InvestigationEvent.objects.filter(investigation__episode=episode).count(),
        tuple(episode.investigations.values_list("state", flat=True)),
    )


def detail(episode: SafetyNetEpisode) -> str:
    return reverse("safetynet:detail", args=[episode.pk])


# --- opening from the overview ------------------------------------------------------------


def test_the_overview_offers_a_safety_net_and_lists_the_open_ones(net: Net) -> None:
    overview = reverse("records:patient_overview", args=[net.patient.pk])
    page = net.client.get(overview).content.decode()
    assert reverse("safetynet:episode_open", args=[net.patient.pk]) in page
    assert 'data-testid="no-safetynet"' in page

    episode = opened(net)
    xray_of(net, episode)
    page = net.client.get(overview).content.decode()
    assert detail(episode) in page
    assert "Udredningen er ikke færdig" in page  # "The workup is not complete"
    assert "Røntgen af thorax" in page
    # The panel reads no record of its own: the overview's read is the one logged.
    assert AccessLogEntry.objects.filter(patient=net.patient).count() == 2
    assert set(AccessLogEntry.objects.values_list("what", flat=True)) == {"overview"}


def test_the_form_is_prefilled_with_the_symptoms_in_the_patients_words(net: Net) -> None:
    url = reverse("safetynet:episode_open", args=[net.patient.pk])
    response = net.client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    boxes = re.findall(r'<input class="form-checkbox" type="checkbox" name="symptoms"[^>]*>', page)
    assert len(boxes) == 2 and all(" checked" in box for box in boxes)
    assert "Hosten vil ikke gå væk" in page and "Bukserne sidder løst" in page
    today = timezone.localdate()
    assert f'value="{today + timedelta(days=14):%Y-%m-%d}"' in page
    assert f'value="{today + timedelta(days=42):%Y-%m-%d}"' in page
    assert f'<option value="{net.gp.pk}" selected>' in page
    assert AccessLogEntry.objects.filter(patient=net.patient, what="safety net form").exists()


def _open_form(net: Net, **fields: object) -> dict[str, object]:
    today = timezone.localdate()
    data: dict[str, object] = {
        "symptoms": ["cough"],
        "reason": "wait_and_see",
        "owner": net.world.other_gp.pk,
        "follow_up_on": f"{today + timedelta(days=10):%Y-%m-%d}",
        "ends_on": f"{today + timedelta(days=30):%Y-%m-%d}",
        "advice": "Kom igen, hvis hosten bliver værre.",
        "token": "a" * 32,
    }
    data.update(fields)
    return data


def test_posting_opens_one_episode_and_a_double_submit_still_one(net: Net) -> None:
    url = reverse("safetynet:episode_open", args=[net.patient.pk])
    first = net.client.post(url, _open_form(net))
    again = net.client.post(url, _open_form(net))
    episode = SafetyNetEpisode.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == detail(episode)
    assert (episode.owner, episode.opened_by, episode.reason) == (
        net.world.other_gp,
        net.gp,
        "wait_and_see",
    )
    assert [item["code"] for item in episode.symptoms] == ["cough"]
    assert episode.advice == "Kom igen, hvis hosten bliver værre."


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"follow_up_on": "2001-01-01"}, "Datoen kan ikke ligge i fortiden"),
        ({"ends_on": f"{timezone.localdate() + timedelta(days=5):%Y-%m-%d}"}, "kan ikke slutte"),
        ({"reason": "because"}, "form-error-message"),
        ({"symptoms": ["haemoptysis"]}, "form-error-message"),
    ],
)
def test_a_malformed_form_is_refused_with_its_reason_and_opens_nothing(
    net: Net, fields: dict[str, object], says: str
) -> None:
    url = reverse("safetynet:episode_open", args=[net.patient.pk])
    response = net.client.post(url, _open_form(net, **fields))
    assert response.status_code == 422
    assert says in response.content.decode()
    assert not SafetyNetEpisode.objects.exists()


# --- the episode page -----------------------------------------------------------------------


def test_the_episode_page_shows_the_plan_the_words_and_the_trail(net: Net) -> None:
    episode = opened(net)
    xray_of(net, episode)
    response = net.client.get(detail(episode))
    assert response.status_code == 200
    page = response.content.decode()
    assert net.patient.name in page
    assert "Kom igen, hvis du hoster blod." in page
    assert "Hosten vil ikke gå væk" in page
    assert 'data-testid="workup-pending"' in page and "Røntgen af thorax" in page
    assert 'data-testid="timeline"' in page and 'data-action="order_investigation"' in page
    assert AccessLogEntry.objects.filter(
        patient=net.patient, user=net.gp, what="safety net"
    ).exists()


def test_ordering_an_investigation_from_the_dialog(net: Net) -> None:
    episode = opened(net)
    expected = timezone.localdate() + timedelta(days=5)
    response = net.client.post(
        reverse("safetynet:investigation_order", args=[episode.pk]),
        {"kind": "lab", "code": "haemoglobin", "expected_by": f"{expected:%Y-%m-%d}"},
    )
    assert response.status_code == 302
    investigation = Investigation.objects.get()
    assert (investigation.kind, investigation.code, investigation.expected_by) == (
        "lab",
        "haemoglobin",
        expected,
    )
    episode.refresh_from_db()
    assert episode.state == EpisodeState.INVESTIGATING


def test_a_lab_test_without_its_result_code_is_refused_in_the_dialog(net: Net) -> None:
    episode = opened(net)
    before = snapshot(episode)
    response = net.client.post(
        reverse("safetynet:investigation_order", args=[episode.pk]),
        {"kind": "lab", "code": "", "expected_by": f"{timezone.localdate():%Y-%m-%d}"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(r'id="dialog-order"[^>]* open data-open-modal', page)
    assert "Vælg det svar" in page  # "Choose the result the ... test waits for"
    assert snapshot(episode) == before


def test_result_seen_told_in_turn(net: Net) -> None:
    episode = opened(net)
    xray = xray_of(net, episode)
    lab = LabResult.objects.create(
        patient=net.patient,
        code="haemoglobin",
        value=7.1,
        unit="mmol/L",
        taken_on=timezone.localdate(),
    )
    url = reverse("safetynet:investigation_record_result", args=[xray.pk])
    assert net.client.post(url, {"text": "", "lab_result": str(lab.pk)}).status_code == 302
    xray.refresh_from_db()
    assert (xray.state, xray.lab_result) == (InvestigationState.RESULTED, lab)

    seen = net.client.post(reverse("safetynet:investigation_mark_seen", args=[xray.pk]))
    assert seen.status_code == 302
    xray.refresh_from_db()
    assert (xray.state, xray.seen_by) == (InvestigationState.SEEN, net.gp)

    told = net.client.post(
        reverse("safetynet:investigation_mark_told", args=[xray.pk]), {"how": "phone"}
    )
    assert told.status_code == 302
    xray.refresh_from_db()
    assert (xray.state, xray.told_how) == (InvestigationState.TOLD, "phone")
    assert 'data-testid="workup-pending"' not in net.client.get(detail(episode)).content.decode()


def test_a_result_needs_words_or_a_linked_result(net: Net) -> None:
    episode = opened(net)
    xray = xray_of(net, episode)
    before = snapshot(episode)
    url = reverse("safetynet:investigation_record_result", args=[xray.pk])
    response = net.client.post(url, {"text": "  ", "lab_result": ""})
    assert response.status_code == 422
    assert re.search(
        rf'id="dialog-result-{xray.pk}"[^>]* open data-open-modal', response.content.decode()
    )
    assert snapshot(episode) == before


def test_a_lab_result_of_another_patient_cannot_be_linked(net: Net) -> None:
    episode = opened(net)
    xray = xray_of(net, episode)
    stranger = factories.patient(net.patient.practice)
    other = LabResult.objects.create(
        patient=stranger,
        code="haemoglobin",
        value=7.1,
        unit="mmol/L",
        taken_on=timezone.localdate(),
    )
    before = snapshot(episode)
    url = reverse("safetynet:investigation_record_result", args=[xray.pk])
    response = net.client.post(url, {"text": "", "lab_result": str(other.pk)})
    assert response.status_code == 422
    assert snapshot(episode) == before


def test_cancelling_needs_a_reason_and_records_it(net: Net) -> None:
    episode = opened(net)
    xray = xray_of(net, episode)
    url = reverse("safetynet:investigation_cancel", args=[xray.pk])
    before = snapshot(episode)
    assert net.client.post(url, {"reason": ""}).status_code == 422
    assert snapshot(episode) == before
    assert net.client.post(url, {"reason": "Taget på sygehuset"}).status_code == 302
    xray.refresh_from_db()
    assert (xray.state, xray.cancel_reason) == (InvestigationState.CANCELLED, "Taget på sygehuset")


def test_rescheduling_moves_the_follow_up_with_its_reason(net: Net) -> None:
    episode = opened(net)
    day = timezone.localdate() + timedelta(days=20)
    response = net.client.post(
        reverse("safetynet:episode_reschedule", args=[episode.pk]),
        {"follow_up_on": f"{day:%Y-%m-%d}", "ends_on": "", "reason": "Patienten er bortrejst"},
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.follow_up_on == day
    event = EpisodeEvent.objects.get(episode=episode, action="reschedule")
    assert "Patienten er bortrejst" in event.reason
    assert "Patienten er bortrejst" in net.client.get(detail(episode)).content.decode()


def test_awaiting_the_follow_up(net: Net) -> None:
    episode = opened(net)
    response = net.client.post(reverse("safetynet:episode_await_follow_up", args=[episode.pk]))
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.state == EpisodeState.AWAITING_FOLLOW_UP


def test_no_cancer_found_while_an_xray_is_pending_is_refused_naming_it(net: Net) -> None:
    episode = opened(net)
    xray = xray_of(net, episode)
    before = snapshot(episode)
    url = reverse("safetynet:episode_close", args=[episode.pk])
    response = net.client.post(url, {"outcome": "no_cancer_found", "reason": ""})
    assert response.status_code == 409
    page = response.content.decode()
    assert re.search(r'id="dialog-close"[^>]* open data-open-modal', page)
    refused = re.search(r'data-testid="refused-items">(.*?)</ul>', page, re.S)
    assert refused and "Røntgen af thorax" in refused[1] and "Bestilt" in refused[1]
    # Unchanged, but for the refused attempt kept in the audit trail.
    after = snapshot(episode)
    assert after[:3] == before[:3] and after[4:] == before[4:] and after[3] == before[3] + 1
    assert EpisodeEvent.objects.filter(episode=episode, action="close_refused").count() == 1
    xray.refresh_from_db()
    assert xray.state == InvestigationState.ORDERED


def test_closing_with_an_outcome_once_the_workup_is_done(net: Net) -> None:
    episode = opened(net)
    url = reverse("safetynet:episode_close", args=[episode.pk])
    assert net.client.post(url, {"outcome": "", "reason": ""}).status_code == 422
    response = net.client.post(url, {"outcome": "no_cancer_found", "reason": "Hosten er væk"})
    assert response.status_code == 302
    episode.refresh_from_db()
    assert (episode.state, episode.outcome) == (EpisodeState.CLOSED, "no_cancer_found")
    page = net.client.get(detail(episode)).content.decode()
    assert 'data-testid="closed"' in page and 'data-testid="actions"' not in page


def test_an_action_on_a_closed_episode_is_refused_and_changes_nothing(net: Net) -> None:
    episode = opened(net)
    services.episode_close(episode=episode, by=net.gp, outcome="referred")
    before = snapshot(episode)
    response = net.client.post(
        reverse("safetynet:investigation_order", args=[episode.pk]),
        {"kind": "chest_xray", "expected_by": f"{timezone.localdate():%Y-%m-%d}"},
    )
    assert response.status_code == 409
    assert 'data-testid="error"' in response.content.decode()
    assert snapshot(episode) == before


# --- the practice's list ----------------------------------------------------------------------


def test_the_list_shows_open_episodes_by_follow_up_with_the_overdue_highlighted(net: Net) -> None:
    later = opened(net)
    soon = opened(net)
    closed = opened(net)
    services.episode_close(episode=closed, by=net.gp, outcome="referred")
    # Put one follow-up in the past as time would: the services refuse a past date.
    SafetyNetEpisode.objects.filter(pk=soon.pk).update(
        follow_up_on=timezone.localdate() - timedelta(days=1)
    )
    page = net.client.get(reverse("safetynet:list")).content.decode()
    rows = re.findall(r'<tr class="([^"]*)" data-testid="episode-row".*?href="([^"]+)"', page, re.S)
    assert [href for _cls, href in rows] == [detail(soon), detail(later)]
    assert rows[0][0] == "is-overdue" and rows[1][0] == ""


def test_the_list_filters_by_owner(net: Net) -> None:
    mine = opened(net)
    theirs = services.episode_open(
        patient=net.patient,
        by=net.gp,
        owner=net.world.other_gp,
        reason="patient_concern",
        follow_up_on=timezone.localdate() + timedelta(days=3),
        ends_on=timezone.localdate() + timedelta(days=30),
    )
    page = net.client.get(reverse("safetynet:list"), {"owner": net.world.other_gp.pk})
    text = page.content.decode()
    assert detail(theirs) in text and detail(mine) not in text


# --- who may see them ---------------------------------------------------------------------


def test_a_gp_of_another_practice_gets_404_and_only_the_refusals_are_logged(net: Net) -> None:
    episode = opened(net)
    xray = xray_of(net, episode)
    before = snapshot(episode)
    new_rows = factories.access_log_since_now()
    stranger = Client()
    stranger.force_login(net.world.stranger_gp)
    assert stranger.get(detail(episode)).status_code == 404
    assert stranger.get(reverse("safetynet:episode_open", args=[net.patient.pk])).status_code == 404
    assert (
        stranger.post(reverse("safetynet:investigation_mark_seen", args=[xray.pk])).status_code
        == 404
    )
    response = stranger.post(
        reverse("safetynet:episode_close", args=[episode.pk]), {"outcome": "referred"}
    )
    assert response.status_code == 404
    assert detail(episode) not in stranger.get(reverse("safetynet:list")).content.decode()
    # Nothing was read; each attempt on this patient's record is kept as refused.
    assert not new_rows().filter(refused=False).exists()
    refused = new_rows().filter(refused=True)
    assert refused.exists()
    assert set(refused.values_list("user", "patient")) == {
        (net.world.stranger_gp.pk, net.patient.pk)
    }
    assert snapshot(episode) == before


@pytest.mark.parametrize("role", [Role.UNIT_DOCTOR, Role.PATIENT])
def test_a_unit_doctor_or_a_patient_is_refused_before_anything_is_read(net: Net, role: str) -> None:
    episode = opened(net)
    user = net.world.doctor if role == Role.UNIT_DOCTOR else factories.user(Role.PATIENT)
    client = Client()
    client.force_login(user)
    new_rows = factories.access_log_since_now()
    for url in (
        detail(episode),
        reverse("safetynet:list"),
        reverse("safetynet:episode_open", args=[net.patient.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("safetynet:episode_close", args=[episode.pk])).status_code == 403
    assert not new_rows().exists()


@pytest.mark.parametrize(
    ("language", "says"),
    [("ar", 'dir="rtl"'), ("en", "Safety nets"), ("tr", "Güvenlik ağları")],
)
def test_the_screens_speak_the_chosen_language(net: Net, language: str, says: str) -> None:
    episode = opened(net)
    xray_of(net, episode)
    net.client.cookies["django_language"] = language
    for url in (
        detail(episode),
        reverse("safetynet:list"),
        reverse("safetynet:episode_open", args=[net.patient.pk]),
        reverse("records:patient_overview", args=[net.patient.pk]),
    ):
        response = net.client.get(url)
        assert response.status_code == 200
        assert says in response.content.decode()


# --- a refusal in the form's own words ---------------------------------------------------


@pytest.mark.parametrize(
    ("days", "ends", "says"),
    [
        (20, 10, "Slutdatoen kan ikke ligge før opfølgningsdatoen."),
        (20, 400, "Et sikkerhedsnet løber højst et år: vælg en tidligere slutdato."),
    ],
)
def test_a_refused_reschedule_says_exactly_why_and_changes_nothing(
    net: Net, days: int, ends: int, says: str
) -> None:
    episode = opened(net)
    before = snapshot(episode)
    today = timezone.localdate()
    response = net.client.post(
        reverse("safetynet:episode_reschedule", args=[episode.pk]),
        {
            "follow_up_on": f"{today + timedelta(days=days):%Y-%m-%d}",
            "ends_on": f"{today + timedelta(days=ends):%Y-%m-%d}",
            "reason": "Patienten er bortrejst",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert says in page
    assert "Noget i formularen blev ikke godkendt" not in page  # not the general text
    assert snapshot(episode) == before


def test_a_reason_of_invisible_characters_is_refused_in_words(net: Net) -> None:
    episode = opened(net)
    xray = xray_of(net, episode)
    before = snapshot(episode)
    response = net.client.post(
        reverse("safetynet:investigation_cancel", args=[xray.pk]), {"reason": "\u200b\u200b"}
    )
    assert response.status_code == 422
    assert "En påkrævet tekst er tom" in response.content.decode()
    assert snapshot(episode) == before


def test_the_move_to_the_follow_up_reads_after_the_telling_that_caused_it(net: Net) -> None:
    episode = opened(net)
    xray = xray_of(net, episode)
    services.investigation_record_result(investigation=xray, by=net.gp, text="Normal")
    response = net.client.post(
        reverse("safetynet:investigation_mark_told", args=[xray.pk]), {"how": "phone"}
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.state == EpisodeState.AWAITING_FOLLOW_UP
    page = net.client.get(detail(episode)).content.decode()
    actions = re.findall(r'<li data-action="([a-z_]+)"', page)
    assert actions[-2:] == ["mark_told", "await_follow_up"]
    assert "Patienten har fået svar på alle undersøgelser" in page
