"""The patient's trustworthy-information page: links for their own symptoms first, then for
the pathway of their referrals, then general ones, each with its publisher and the day it
was checked; and when searching helps, and why single results mislead mid-investigation."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.portal.models import Preparation, PreparedSymptom
from opspor.portal.my_information import my_information
from opspor.records.models import AccessLogEntry, Symptom
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState
from opspor.safetynet.advice import rules_out_cancer
from tests import factories

pytestmark = pytest.mark.django_db

R = ReferralState


class Setting:
    def __init__(self) -> None:
        self.practice = factories.practice()
        self.clinician = factories.gp(self.practice)
        assert self.clinician.user is not None
        self.gp: User = self.clinician.user
        self.account = factories.user(Role.PATIENT)
        self.patient = factories.patient(self.practice, user=self.account)

    def symptom(self, code: str, days_ago: int = 5) -> Symptom:
        today = timezone.localdate()
        return Symptom.objects.create(
            patient=self.patient,
            code=code,
            onset=today - timedelta(days=days_ago + 10),
            recorded_on=today - timedelta(days=days_ago),
        )

    def reported(self, *codes: str) -> Preparation:
        now = timezone.now()
        preparation = Preparation.objects.create(
            patient=self.patient, language="da", started_at=now, updated_at=now
        )
        for code in codes:
            PreparedSymptom.objects.create(preparation=preparation, code=code, choice=code)
        return preparation

    def referral(self, state: str, pathway: str, **fields: Any) -> Referral:
        now = timezone.now()
        values: dict[str, Any] = {
            "patient": self.patient,
            "practice": self.practice,
            "unit": self.practice.diagnostic_unit,
            "requester": self.gp,
            "pathway": pathway,
            "state": state,
            "sent_at": now - timedelta(days=1),
            "triage_due_at": now,
        }
        values.update(fields)
        return Referral.objects.create(**values)


@pytest.fixture
def setting() -> Setting:
    return Setting()


def _get(user: User, language: str = "da") -> Any:
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client.get(reverse("portal:information"))


def page(user: User, language: str = "da") -> str:
    response = _get(user, language)
    assert response.status_code == 200
    html = response.content.decode()
    assert rules_out_cancer(visible(html)) is None
    return html


def visible(html: str) -> str:
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def keys(html: str, section: str) -> list[str]:
    found = re.search(rf'data-testid="{section}".*?</section>', html, re.S)
    return re.findall(r'data-key="([^"]+)"', found.group(0)) if found else []


def test_the_patients_own_symptoms_come_first_with_publisher_and_checked_day(
    setting: Setting,
) -> None:
    setting.symptom("haemoptysis", days_ago=3)
    setting.symptom("fatigue", days_ago=10)
    setting.symptom("rectal_bleeding", days_ago=400)  # more than a year ago: not today's
    setting.symptom("cough", days_ago=2)  # no page found for it
    html = page(setting.account)
    assert keys(html, "information-symptoms") == [
        "sundhed-blodigt-ophostet-slim",
        "sundhed-traethed-en-oversigt",
    ]
    text = visible(html)
    assert "Blodigt ophostet slim · sundhed.dk · tjekket 3. december 2026" in text
    assert "Vi har endnu ikke fundet en side, vi kan foreslå, om: Hoste." in text
    assert (
        'href="https://www.sundhed.dk/borger/patienthaandbogen/lunger/symptomer/'
        'blodigt-ophostet-slim" hreflang="da" rel="noreferrer"'
    ) in html
    logged = AccessLogEntry.objects.get()
    assert (logged.user, logged.patient, logged.what) == (
        setting.account,
        setting.patient,
        "own information links",
    )


def test_symptoms_the_patient_reported_in_a_preparation_are_used_too(setting: Setting) -> None:
    setting.reported("rectal_bleeding", "haemoptysis")
    setting.symptom("haemoptysis")
    assert keys(page(setting.account), "information-symptoms") == [
        "sundhed-blodigt-ophostet-slim",
        "sundhed-blod-i-affoeringen",
    ]


def test_pathway_pages_only_for_the_patients_own_referrals(setting: Setting) -> None:
    html = page(setting.account)
    assert 'data-testid="information-pathways"' not in html
    setting.referral(R.SENT, "colorectal")
    earlier = timezone.now() - timedelta(days=2)
    setting.referral(R.ACCEPTED, "dpf", sent_at=earlier, decided_at=timezone.now())
    setting.referral(R.COMPLETED, "melanoma", completed_at=timezone.now())
    html = page(setting.account)
    # The most recently sent referral first, as on the record page.
    assert keys(html, "information-pathways") == [
        "sundhed-tyk-og-endetarmskraeft-symptomer",
        "sst-diagnostisk-pakkeforloeb-pjece",
    ]
    assert "Pakkeforløb for kræft i tyk- og endetarm" in visible(html)
    assert "modermærkekræft" not in html


def test_general_links_and_the_guidance_are_there_for_everyone(setting: Setting) -> None:
    html = page(setting.account)
    assert keys(html, "information-general") == [
        "sst-hvad-er-pakkeforloeb",
        "kb-pakkeforloeb-og-ventetider",
        "sst-anbefalede-forloebstider",
        "sst-maksimale-ventetider",
    ]
    text = visible(html)
    assert "Vi har ingen side om dine egne symptomer at foreslå lige nu." in text
    assert "Når det hjælper at søge" in text
    assert "for at forstå en sygdom, som din læge har fortalt dig, at du har," in text
    assert "for at finde en patientforening" in text
    assert "Ét svar alene, uden de andre, siger ikke ret meget." in text
    assert "Din læge ser på alle dine svar sammen" in text
    assert "før alle svar er kommet" in text
    # Nothing of the record was shown, so nothing is logged as read.
    assert not AccessLogEntry.objects.exists()


def test_headings_are_in_order(setting: Setting) -> None:
    setting.symptom("haemoptysis")
    setting.referral(R.SENT, "colorectal")
    html = page(setting.account)
    main = html[html.index("<main") : html.index("</main>")]
    levels = [int(level) for level in re.findall(r"<h([1-6])", main)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in pairwise(levels))


@pytest.mark.parametrize(
    ("language", "title", "marked"),
    [
        ("en", "Coughing up mucus with blood in it", False),
        ("ar", "Blodigt ophostet slim", True),
        ("tr", "Blodigt ophostet slim", True),
    ],
)
def test_titles_in_the_patients_language_or_danish_marked_as_such(
    setting: Setting, language: str, title: str, marked: bool
) -> None:
    setting.symptom("haemoptysis")
    html = page(setting.account, language)
    link = re.search(r'<a [^>]*data-key="sundhed-blodigt-ophostet-slim"[^>]*>([^<]*)</a>', html)
    assert link is not None and link.group(1) == title
    assert (' lang="da"' in link.group(0)) is marked
    assert (
        "When searching helps" in html if language == "en" else "When searching helps" not in html
    )


@pytest.mark.parametrize("role", [Role.GP, Role.UNIT_DOCTOR, Role.ANALYST, Role.ADMIN])
def test_other_roles_are_refused_before_anything_is_read(setting: Setting, role: str) -> None:
    setting.symptom("haemoptysis")
    assert _get(factories.user(role)).status_code == 403
    assert not AccessLogEntry.objects.exists()


def test_only_the_patient_themself_may_read_it(setting: Setting) -> None:
    setting.symptom("haemoptysis")
    other = factories.user(Role.PATIENT)
    factories.patient(setting.practice, user=other)
    for user in (other, setting.gp):
        with pytest.raises(Http404):
            my_information(user=user, patient=setting.patient)
    assert keys(page(other), "information-symptoms") == []
    assert not AccessLogEntry.objects.exists()


def test_a_patient_without_a_record_is_told_so() -> None:
    response = _get(factories.user(Role.PATIENT))
    assert response.status_code == 404
    assert "ikke knyttet til en patientjournal" in response.content.decode()
