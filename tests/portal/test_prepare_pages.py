"""The preparation's pages over real HTTP: who may open them, what each saves, and that
another patient's ids answer 404 and are logged as refused reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.casework.forms import new_token
from opspor.portal.models import (
    OWN_WORDS_LENGTH,
    OnlineReading,
    Preparation,
    PreparationState,
    PreparedRiskFactor,
    PreparedSymptom,
)
from opspor.portal.services import preparation as services
from opspor.records.models import AccessLogEntry, Patient
from tests import factories
from tests.portal.test_preparation_services import offered, patient_user

pytestmark = pytest.mark.django_db

PAGES = [
    "portal:prepare",
    "portal:prepare_symptoms",
    "portal:prepare_worries",
    "portal:prepare_reading",
    "portal:prepare_questions",
    "portal:prepare_send",
]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner() -> tuple[User, Patient]:
    return patient_user()


@pytest.fixture
def client(owner: tuple[User, Patient]) -> Client:
    return client_for(owner[0])


def start(client: Client) -> Preparation:
    response = client.post(reverse("portal:prepare"))
    assert response.status_code == 302
    return Preparation.objects.get(state=PreparationState.DRAFT)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", [Role.GP, Role.UNIT_DOCTOR, Role.ANALYST])
def test_only_patients_open_the_preparation(name: str, role: str) -> None:
    response = client_for(factories.user(role)).get(reverse(name))
    assert response.status_code == 403
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_users_are_sent_to_the_login(name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("name", PAGES[1:])
def test_without_a_draft_the_pages_lead_to_the_start(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"] == reverse("portal:prepare")


def test_the_whole_preparation_through_the_pages(
    client: Client, owner: tuple[User, Patient]
) -> None:
    user, patient = owner
    draft = start(client)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    choice, area = offered(patient, code=None)
    page = client.get(reverse("portal:prepare_symptoms"), {"area": area})
    assert f'value="{choice}"'.encode() in page.content
    response = client.post(reverse("portal:prepare_symptoms"), {"choice": choice, "area": area})
    symptom = PreparedSymptom.objects.get(preparation=draft)
    assert response["Location"] == reverse("portal:prepare_symptom", args=[symptom.pk])
    response = client.post(
        reverse("portal:prepare_symptom", args=[symptom.pk]),
        {
            "own_words": "Det gør ondt",
            "started": "months",
            "comes_and_goes": "yes",
            "daily_life": "a_lot",
            "next": "diary",
        },
    )
    assert response["Location"] == reverse("portal:prepare_diary", args=[symptom.pk])
    today = timezone.localdate()
    client.post(
        reverse("portal:prepare_diary", args=[symptom.pk]),
        {"day": today.isoformat(), "severity": "6"},
    )
    client.post(
        reverse("portal:prepare_worries"),
        {"action": "work", "work-exposure": "asbestos", "work-years": "12"},
    )
    client.post(
        reverse("portal:prepare_worries"),
        {"action": "worries", "worries-worry_words": "Min far havde kræft"},
    )
    client.post(
        reverse("portal:prepare_reading"),
        {"source": "website", "url": "https://example.org/cough", "text": ""},
    )
    response = client.post(
        reverse("portal:prepare_questions"),
        {"question_1": "Hvad kan det være?", "interpreter": "no"},
    )
    assert response["Location"] == reverse("portal:prepare_send")
    summary = client.get(reverse("portal:prepare_send")).content.decode()
    assert "Det gør ondt" in summary and "Hvad kan det være?" in summary
    response = client.post(reverse("portal:prepare_send"), {"token": new_token()})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == PreparationState.SENT
    symptom.refresh_from_db()
    assert (symptom.started, symptom.comes_and_goes) == ("months", True)
    assert symptom.diary.get().severity == 6
    assert PreparedRiskFactor.objects.get(preparation=draft).exposure == "asbestos"
    assert draft.worry_words == "Min far havde kræft"
    assert OnlineReading.objects.get(preparation=draft).url == "https://example.org/cough"
    assert AccessLogEntry.objects.filter(user=user, patient=patient, refused=False).exists()


def test_markup_in_free_text_is_shown_as_text(client: Client) -> None:
    draft = start(client)
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    client.post(
        reverse("portal:prepare_worries"), {"action": "worries", "worries-worry_words": attack}
    )
    draft.refresh_from_db()
    assert draft.worry_words == attack
    page = client.get(reverse("portal:prepare_send")).content.decode()
    assert attack not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_over_long_text_is_refused_and_nothing_saved(client: Client) -> None:
    draft = start(client)
    response = client.post(
        reverse("portal:prepare_worries"),
        {"action": "worries", "worries-worry_words": "x" * (OWN_WORDS_LENGTH + 1)},
    )
    assert response.status_code == 200  # the form again, with its error
    assert "form-error-message" in response.content.decode()
    draft.refresh_from_db()
    assert draft.worry_words == ""


def test_a_future_diary_day_is_refused_on_the_page(
    client: Client, owner: tuple[User, Patient]
) -> None:
    draft = start(client)
    choice, area = offered(owner[1])
    symptom = services.prepared_symptom_add(
        preparation=draft, by=owner[0], choice=choice, area=area
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("portal:prepare_diary", args=[symptom.pk]),
        {"day": tomorrow.isoformat(), "severity": "4"},
        follow=True,
    )
    assert "alert-error" in response.content.decode()
    assert not symptom.diary.exists()


def test_another_patients_symptom_is_404_and_logged_as_refused(
    client: Client, owner: tuple[User, Patient]
) -> None:
    other_user, other_patient = patient_user()
    other_draft = services.preparation_start(by=other_user, language="da")
    choice, area = offered(other_patient)
    theirs = services.prepared_symptom_add(
        preparation=other_draft, by=other_user, choice=choice, area=area
    )
    for name in ("portal:prepare_symptom", "portal:prepare_diary"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        response = client.post(reverse(name, args=[theirs.pk]), {"action": "remove"})
        assert response.status_code == 404
    assert PreparedSymptom.objects.filter(pk=theirs.pk).exists()
    refusals = AccessLogEntry.objects.filter(user=owner[0], refused=True)
    assert refusals.count() == 4
    assert {r.patient_id for r in refusals} == {other_patient.pk}
    # An id nobody has is 404 too, with nothing to log.
    assert client.get(reverse("portal:prepare_symptom", args=[10**6])).status_code == 404
    assert refusals.count() == 4


def test_another_patients_reading_cannot_be_removed(
    client: Client, owner: tuple[User, Patient]
) -> None:
    start(client)
    other_user, _ = patient_user()
    other_draft = services.preparation_start(by=other_user, language="da")
    theirs = services.reading_add(preparation=other_draft, by=other_user, source="ai", text="x")
    response = client.post(
        reverse("portal:prepare_reading"), {"action": "remove", "reading": theirs.pk}
    )
    assert response.status_code == 404
    assert OnlineReading.objects.filter(pk=theirs.pk).exists()
    assert AccessLogEntry.objects.filter(user=owner[0], refused=True).count() == 1


def test_sending_twice_with_the_same_form_sends_once(client: Client) -> None:
    draft = start(client)
    client.post(reverse("portal:prepare_questions"), {"question_1": "?", "interpreter": "no"})
    token = new_token()
    for _ in range(2):
        assert client.post(reverse("portal:prepare_send"), {"token": token}).status_code == 302
    draft.refresh_from_db()
    assert draft.state == PreparationState.SENT
    assert draft.events.filter(action="send").count() == 1
    assert Preparation.objects.count() == 1


def test_an_empty_draft_cannot_be_sent(client: Client) -> None:
    draft = start(client)
    page = client.get(reverse("portal:prepare_send")).content.decode()
    assert 'data-testid="send-missing"' in page and 'data-testid="send"' not in page
    response = client.post(reverse("portal:prepare_send"), {"token": new_token()}, follow=True)
    assert "alert-error" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == PreparationState.DRAFT
