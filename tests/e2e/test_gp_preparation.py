"""A GP opens the overview of a patient who prepared the consultation in Arabic, in a real
browser: the symptoms under their Danish labels with the patient's Arabic words beside
them (right to left), the criterion met only with what the patient reported, and one
symptom added to the record with one click.

Screenshots at 1280 pixels wide are written to $OPSPOR_SCREENSHOTS when set.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from opspor.portal.models import DailyLife, PreparedSymptom, ReadingSource, Started
from opspor.records.models import Patient, Practice, Symptom
from tests import factories
from tests.e2e.conftest import Login
from tests.portal import factories as preparations

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

HAEMATURIA_WORDS = "أرى دماً في البول منذ شهر تقريباً"
TIRED_WORDS = "أنا متعبة طوال الوقت"
RULE = "dk-pkf-blaere-nyre-synligt-blod-i-urinen"


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"preparation-{name}.png"), full_page=True)


def _patient_with_arabic_preparation(practice: Practice) -> tuple[Patient, PreparedSymptom]:
    today = timezone.localdate()
    patient = factories.patient(
        practice,
        name="Samira Haddad",
        birth_date=date(today.year - 62, 3, 9),
        registered_from=today - timedelta(days=12 * 365),
        preferred_language="ar",
    )
    visit = factories.contact(patient, on=today - timedelta(days=40))
    Symptom.objects.create(
        patient=patient,
        contact=visit,
        code="fatigue",
        onset=today - timedelta(days=60),
        recorded_on=today - timedelta(days=40),
        patient_words="Træt hele tiden (via tolk).",
    )
    prep = preparations.preparation(
        patient,
        language="ar",
        question_1="هل يمكن أن يكون هذا شيئاً خطيراً؟",
        question_2="هل أحتاج إلى فحص الدم؟",
        question_3="متى سأعرف النتيجة؟",
        interpreter_needed=True,
        interpreter_language="ar",
        worry_words="أختي أصيبت بسرطان الثدي، وأنا خائفة.",
    )
    blood = preparations.prepared_symptom(
        prep,
        "visible_haematuria",
        started=Started.MONTHS,
        comes_and_goes=True,
        own_words=HAEMATURIA_WORDS,
        better_or_worse="أسوأ في الصباح",
        daily_life=DailyLife.A_LITTLE,
    )
    preparations.diary(blood, {0: 4, 1: 6, 2: 5, 5: 3, 6: 2})
    tired = preparations.prepared_symptom(
        prep,
        "fatigue",
        started=Started.LONG_AGO,
        comes_and_goes=False,
        own_words=TIRED_WORDS,
        daily_life=DailyLife.A_LOT,
    )
    preparations.diary(tired, {d: 7 + d % 2 for d in range(0, 14)})
    preparations.family_risk(prep, relation="sister", cancer_site="breast", own_words="أختي")
    preparations.reading(
        prep,
        source=ReadingSource.AI,
        text="سألت الذكاء الاصطناعي وقال إن الدم في البول قد يكون علامة على السرطان.",
    )
    preparations.reading(prep, url="https://www.example.org/blod-i-urinen")
    return patient, blood


def test_gp_reads_an_arabic_preparation_and_adds_a_symptom_to_the_record(login: Login) -> None:
    gp = factories.gp()
    assert gp.practice is not None and gp.user is not None
    patient, blood = _patient_with_arabic_preparation(gp.practice)
    session = login(gp.user)
    page = session.page
    page.set_viewport_size({"width": 1280, "height": 900})
    session.goto(reverse("records:patient_overview", args=[patient.pk]))

    panel = page.get_by_test_id("preparation-panel")
    expect(panel).to_contain_text("Patientens forberedelse")
    symptom = panel.locator('[data-testid="prepared-symptom"][data-code="visible_haematuria"]')
    expect(symptom).to_contain_text("Synligt blod i urinen")
    words = symptom.get_by_test_id("own-words")
    expect(words).to_have_text(HAEMATURIA_WORDS)
    expect(words).to_have_attribute("dir", "rtl")
    expect(words).to_have_attribute("lang", "ar")
    expect(panel.get_by_test_id("preparation-interpreter")).to_contain_text("Arabisk")
    expect(panel.get_by_test_id("diary-chart")).to_be_visible()

    expect(panel.get_by_test_id("reported-criteria-link")).to_contain_text(": 1")
    reported = page.get_by_test_id("reported-criteria")
    expect(reported.locator(f'[data-rule="{RULE}"]').first).to_be_visible()
    expect(reported).to_contain_text("Patientrapporteret, endnu ikke i journalen")
    record_criteria = page.get_by_test_id("criteria")
    expect(record_criteria.locator(f'[data-rule="{RULE}"]')).to_have_count(0)
    _shot(page, "overview-da")

    symptom.get_by_test_id("confirm-symptom").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("flash").first).to_contain_text("Synligt blod i urinen")
    symptom = page.locator('[data-testid="prepared-symptom"][data-code="visible_haematuria"]')
    expect(symptom.get_by_test_id("confirmed")).to_be_visible()
    expect(page.get_by_test_id("criteria").locator(f'[data-rule="{RULE}"]')).to_have_count(1)
    expect(page.locator(f'[data-testid="reported-criterion"][data-rule="{RULE}"]')).to_have_count(0)
    expect(page.get_by_test_id("symptoms")).to_contain_text(HAEMATURIA_WORDS)
    _shot(page, "confirmed-da")

    # A GP who reads the interface in Arabic gets the vocabulary's Arabic labels, the page
    # right to left, and the patient's words unchanged beside them.
    page.get_by_test_id("language-ar").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    tired = page.locator('[data-testid="prepared-symptom"][data-code="fatigue"]')
    expect(tired).to_contain_text("إرهاق")
    expect(tired.get_by_test_id("own-words")).to_have_attribute("dir", "rtl")
    _shot(page, "overview-ar")

    blood.refresh_from_db()
    assert blood.confirmed_as is not None
    assert Symptom.objects.filter(patient=patient, code="visible_haematuria").count() == 1
