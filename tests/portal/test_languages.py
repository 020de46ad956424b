"""The patient's pages in Dari and the other languages: right to left where the language is,
every text a patient reads translated, a calm note where nobody fluent has checked the
translation, and the practice's help in the same place on every page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from opspor.accounts.models import Role
from opspor.engine.vocab import load_vocabulary
from opspor.records.models import AccessLogEntry
from opspor.safetynet.advice import load_advice
from tests import factories
from tests.portal.test_my_safety_nets import Setting

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting() -> Setting:
    return Setting()


def _get(client: Client, url: str, language: str, status: int = 200) -> str:
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


def _html_tag(page: str) -> str:
    found = re.search(r"<html[^>]*>", page)
    assert found is not None
    return found.group(0)


def _note(page: str) -> str:
    found = re.search(r'data-testid="translation-note".*?</div>\s*</div>', page, re.S)
    return found.group(0) if found else ""


@pytest.mark.parametrize(
    ("language", "direction"),
    [("da", "ltr"), ("en", "ltr"), ("tr", "ltr"), ("ar", "rtl"), ("fa-af", "rtl")],
)
def test_the_record_page_is_in_the_patients_language_and_direction(
    setting: Setting, language: str, direction: str
) -> None:
    setting.open()
    page = _get(setting.client(), reverse("portal:my_record"), language)
    assert _html_tag(page) == f'<html lang="{language}" dir="{direction}">'


def test_the_record_page_in_dari_reads_dari(setting: Setting) -> None:
    setting.open()
    page = _get(setting.client(), reverse("portal:my_record"), "fa-af")
    for words in [
        "پروندهٔ صحی من",  # My record
        "پیگیری شما",  # Your follow-up
        "هیچ خبری نشنیده‌ام",  # I have not heard anything
        "معاینهٔ شما هنوز تمام نشده است",  # Your examination is not finished
        "به کلینیک خود زنگ بزنید",  # Call your practice
        "خروج",  # Log out
    ]:
        assert words in page, words
    # Nothing a patient reads is left in the English of the message ids.
    for english in ["Your follow-up", "I have not heard anything", "My record", "Log out"]:
        assert english not in page, english


def test_a_safety_nets_advice_falls_back_to_the_catalogues_english_in_dari(
    setting: Setting,
) -> None:
    """The advice catalogue has no Dari yet: its English source text is shown, as the
    vocabulary's labels are, never an empty item."""
    setting.open()
    cough = load_advice().for_symptom("cough")
    assert cough is not None
    page = _get(setting.client(), reverse("portal:my_record"), "fa-af")
    # Marked as English, so that a screen reader reads it as English (WCAG 3.1.2).
    assert f'<li lang="en" dir="ltr">{cough.come_back_if[0].text.en}</li>' in page
    assert cough.come_back_if[0].text.da not in page


def test_the_vocabularys_english_on_a_dari_page_is_marked_as_english(setting: Setting) -> None:
    cough = load_vocabulary().lookup("cough")
    dari = _get(setting.client(), reverse("portal:my_record"), "fa-af")
    assert f'<strong lang="en" dir="ltr">{cough.label("en")}</strong>' in dari
    danish = _get(setting.client(), reverse("portal:my_record"), "da")
    assert f"<strong>{cough.label('da')}</strong>" in danish
    assert 'lang="en"' not in danish.split('id="main-content"', 1)[1]


@pytest.mark.parametrize(
    ("language", "name", "words"),
    [
        ("ar", "العربيّة", "لم يراجع هذه الترجمةَ بعدُ"),
        ("tr", "Türkçe", "Bu çeviri henüz akıcı"),
        ("fa-af", "دری", "این ترجمه هنوز توسط کسی"),
    ],
)
def test_a_language_not_reviewed_says_so_calmly_on_every_patient_page(
    setting: Setting, language: str, name: str, words: str
) -> None:
    pages = [
        _get(setting.client(), reverse("portal:my_record"), language),
        _get(setting.client(), "/patients/me/no-such-page/", language, status=404),
        _get(_client_without_record(), reverse("portal:my_record"), language, status=404),
    ]
    for page in pages:
        note = _note(page)
        assert words in note and name in note


@pytest.mark.parametrize("language", ["da", "en"])
def test_danish_and_english_pages_carry_no_note(setting: Setting, language: str) -> None:
    """English is the source; Danish is not reviewed either (locale/review.yaml says so),
    but a note on every Danish page, read by nearly every user, would soon be overlooked."""
    page = _get(setting.client(), reverse("portal:my_record"), language)
    assert 'data-testid="translation-note"' not in page


def test_staff_pages_carry_no_translation_note() -> None:
    gp = factories.gp()
    assert gp.user is not None
    client = Client()
    client.force_login(gp.user)
    page = _get(client, reverse("safetynet:worklist"), "ar")
    assert 'data-testid="translation-note"' not in page
    assert 'data-testid="patient-help"' not in page


def _client_without_record() -> Client:
    client = Client()
    client.force_login(factories.user(Role.PATIENT))
    return client


def _help(page: str) -> str:
    found = re.search(r'<footer class="patient-help".*?</footer>', page, re.S)
    assert found is not None, "the patient's help is missing"
    return found.group(0)


def test_the_help_is_in_the_same_place_on_every_patient_page(setting: Setting) -> None:
    """WCAG 2.2, 3.2.6: the practice's phone, 1813 and 112, at the foot of each page, after
    the main content, in the same order."""
    record = _get(setting.client(), reverse("portal:my_record"), "da")
    missing = _get(setting.client(), "/patients/me/no-such-page/", "da", status=404)
    no_record = _get(_client_without_record(), reverse("portal:my_record"), "da", status=404)
    practice = setting.patient.practice
    for page in (record, missing):
        help_ = _help(page)
        assert 'href="tel:+4533123456"' in help_ and practice.name in help_
        assert page.index("</main>") < page.index('<footer class="patient-help"')
    for page in (record, missing, no_record):
        help_ = _help(page)
        assert help_.index('href="tel:1813"') < help_.index('href="tel:112"')
    assert "Ring til din lægepraksis." in _help(no_record)


def test_the_help_reads_no_record_and_is_logged_nowhere(setting: Setting) -> None:
    """The foot names the patient's practice and its public number, nothing of the record:
    a page with no record read (a 404) logs no read."""
    _get(setting.client(), "/patients/me/no-such-page/", "da", status=404)
    assert AccessLogEntry.objects.count() == 0
