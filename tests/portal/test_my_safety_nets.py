"""The patient's own page shows each live safety net in plain words, in their language, and
lets them tell the practice "I have not heard anything" or "It got worse"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.casework.forms import new_token
from opspor.portal.my_safety_nets import my_safety_nets
from opspor.records.models import AccessLogEntry, Patient, Symptom
from opspor.safetynet import services
from opspor.safetynet.advice import load_advice, rules_out_cancer
from opspor.safetynet.models import EpisodeEvent, PatientConcern, SafetyNetEpisode
from opspor.safetynet.reminders import patients_remind_of_follow_up
from opspor.safetynet.worklist import ItemKind, practice_worklist
from tests import factories
from tests.referrals.worlds import World, make_world

pytestmark = pytest.mark.django_db

ADVICE = "Kom igen, hvis du hoster blod."


class Setting:
    def __init__(self) -> None:
        self.world: World = make_world()
        self.account = factories.user(Role.PATIENT, email="p@example.org")
        self.patient: Patient = self.world.patient
        self.patient.user = self.account
        self.patient.save()
        practice = self.patient.practice
        practice.phone = "33 12 34 56"
        practice.save()
        today = timezone.localdate()
        Symptom.objects.create(
            patient=self.patient,
            code="cough",
            onset=today - timedelta(days=40),
            recorded_on=today - timedelta(days=5),
            persistent=True,
            patient_words="Hosten går ikke væk",
        )
        self.other_account = factories.user(Role.PATIENT)
        self.other_patient = factories.patient(practice, user=self.other_account)

    def open(self, patient: Patient | None = None) -> SafetyNetEpisode:
        today = timezone.localdate()
        return services.episode_open(
            patient=patient or self.patient,
            by=self.world.gp,
            reason="pending_investigations",
            follow_up_on=today + timedelta(days=2),
            ends_on=today + timedelta(days=30),
            advice=ADVICE,
        )

    def client(self, user: User | None = None) -> Client:
        client = Client()
        client.force_login(user or self.account)
        return client


@pytest.fixture
def setting() -> Setting:
    return Setting()


def _page(client: Client, language: str = "da") -> str:
    client.cookies["django_language"] = language
    response = client.get(reverse("portal:my_record"))
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str) -> str:
    found = re.search(r'<section[^>]*data-testid="my-safety-nets".*?</section>', page, re.S)
    assert found is not None
    return found.group(0)


def _visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _raise(client: Client, episode: SafetyNetEpisode, kind: str, token: str = "") -> str:
    response = client.post(
        reverse("portal:concern_raise", args=[episode.pk]),
        {"kind": kind, "words": "", "token": token or new_token()},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def snapshot() -> tuple[object, ...]:
    return (
        tuple(PatientConcern.objects.values_list("pk", "kind", "answered_at")),
        EpisodeEvent.objects.count(),
        AccessLogEntry.objects.filter(refused=False).count(),
    )


def test_the_patient_sees_their_safety_net_in_plain_words(setting: Setting) -> None:
    episode = setting.open()
    services.investigation_order(
        episode=episode,
        by=setting.world.gp,
        kind="chest_xray",
        description="obs. malignitet",  # the GP's words stay on the GP's page
        expected_by=timezone.localdate() + timedelta(days=5),
    )
    section = _section(_page(setting.client()))
    text = _visible_text(section)
    assert ADVICE in text
    assert "Din læge følger op" in text
    assert "Det er om 2 dage." in text
    cough = load_advice().for_symptom("cough")
    assert cough is not None
    assert cough.come_back_if[0].text.da in text
    assert "Røntgen af thorax : venter på svar" in text
    assert "malignitet" not in section
    assert "Din udredning er ikke færdig" in text
    assert "Jeg har ikke hørt noget" in text and "Det er blevet værre" in text
    assert 'href="tel:1813"' in section and 'href="tel:112"' in section
    assert 'href="tel:+4533123456"' in section
    logged = AccessLogEntry.objects.filter(patient=setting.patient, what="own safety nets")
    assert logged.count() == 1


def test_only_live_episodes_of_the_patients_own_are_shown(setting: Setting) -> None:
    other = setting.open(setting.other_patient)
    closed = setting.open()
    services.episode_close(episode=closed, by=setting.world.gp, outcome="referred")
    page = _page(setting.client())
    assert 'data-testid="my-safety-nets"' not in page
    assert not AccessLogEntry.objects.filter(what="own safety nets").exists()
    # The selector itself refuses anyone but the patient.
    with pytest.raises(Http404):
        my_safety_nets(user=setting.other_account, patient=setting.patient)
    with pytest.raises(Http404):
        my_safety_nets(user=setting.world.gp, patient=setting.patient)
    assert other.pk != closed.pk


def test_another_patients_or_a_closed_safety_net_is_404_and_nothing_changes(
    setting: Setting,
) -> None:
    other = setting.open(setting.other_patient)
    closed = setting.open()
    services.episode_close(episode=closed, by=setting.world.gp, outcome="referred")
    before = snapshot()
    new_rows = factories.access_log_since_now()
    for episode in (other, closed):
        response = setting.client().post(
            reverse("portal:concern_raise", args=[episode.pk]),
            {"kind": "not_heard", "token": new_token()},
        )
        assert response.status_code == 404
    assert snapshot() == before
    # The attempt on the other patient's safety net is kept; one's own closed one is not
    # an attempt on anyone else's record.
    assert factories.only_refused(new_rows(), setting.account, setting.other_patient)


@pytest.mark.parametrize("role", ["gp", "doctor"])
def test_other_roles_are_refused_before_anything_is_read(setting: Setting, role: str) -> None:
    episode = setting.open()
    user = setting.world.gp if role == "gp" else setting.world.doctor
    before = snapshot()
    response = setting.client(user).post(
        reverse("portal:concern_raise", args=[episode.pk]),
        {"kind": "got_worse", "token": new_token()},
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_pressing_tells_the_practice_and_confirms_it(setting: Setting) -> None:
    episode = setting.open()
    client = setting.client()
    page = _visible_text(_raise(client, episode, "not_heard"))
    assert "Din lægepraksis har fået besked om, at du ikke har hørt noget." in page
    assert "De kontakter dig." in page
    [item] = [
        item
        for item in practice_worklist(user=setting.world.gp)
        if item.kind == ItemKind.PATIENT_NOT_HEARD
    ]
    assert item.patient_id == setting.patient.pk

    # Again, with a new form: no second item, the page says since when.
    page = _visible_text(_raise(client, episode, "not_heard"))
    assert "Din lægepraksis har allerede fået denne besked fra dig den" in page
    assert PatientConcern.objects.count() == 1

    page = _visible_text(_raise(client, episode, "got_worse"))
    assert "Din lægepraksis har fået besked om, at det er blevet værre." in page
    assert "1813" in page and "112" in page
    assert PatientConcern.objects.count() == 2


def test_a_double_submit_of_one_form_is_one_row(setting: Setting) -> None:
    episode = setting.open()
    client = setting.client()
    token = new_token()
    first = _visible_text(_raise(client, episode, "got_worse", token))
    second = _visible_text(_raise(client, episode, "got_worse", token))
    assert PatientConcern.objects.count() == 1
    assert "det er blevet værre" in first and "det er blevet værre" in second


def test_a_malformed_form_changes_nothing(setting: Setting) -> None:
    episode = setting.open()
    before = snapshot()
    response = setting.client().post(
        reverse("portal:concern_raise", args=[episode.pk]),
        {"kind": "panic", "token": "not a token!"},
        follow=True,
    )
    assert "Det gik ikke igennem" in response.content.decode()
    assert snapshot()[:2] == before[:2]


def test_the_reminder_is_on_the_patients_page(setting: Setting) -> None:
    episode = setting.open()
    assert "Husk:" not in _page(setting.client())
    assert patients_remind_of_follow_up(timezone.now()) == 1
    text = _visible_text(_section(_page(setting.client())))
    assert "Husk: din læge har aftalt at følge op" in text
    assert episode.follow_up_on.strftime("%Y") in text


@pytest.mark.parametrize("language", ["da", "en", "ar", "tr"])
def test_every_text_in_every_language_leaves_cancer_neither_in_nor_out(
    setting: Setting, language: str
) -> None:
    episode = setting.open()
    client = setting.client()
    _raise(client, episode, "got_worse")
    patients_remind_of_follow_up(timezone.now())
    page = _page(client, language)
    text = _visible_text(_section(page))
    assert rules_out_cancer(text) is None
    for word in ["cancer", "kræft", "kanser", "سرطان"]:
        assert word not in text.casefold()
    english = {
        "I have not heard anything",
        "It got worse",
        "Your examination is not finished",
        "Remember: your doctor",
    }
    if language == "en":
        assert all(phrase in text for phrase in english)
    else:
        assert not any(phrase in text for phrase in english)
    if language == "ar":
        assert 'dir="rtl"' in page
