"""Preparing a consultation in a real browser: in Danish on a desktop, in Arabic and in Dari
on a phone; by keyboard alone on the body map; and a half-filled page that survives a
reload after the connection dropped.

Screenshots of every preparation page (phone and desktop) are written to
$OPSPOR_SCREENSHOTS when set.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from opspor.accounts.models import Role, User
from opspor.portal.models import Preparation, PreparationState
from opspor.records.models import Patient
from tests import factories
from tests.e2e.browsing import DESKTOP, PHONE, log_in, open_context, shot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def _patient() -> tuple[User, Patient]:
    user = factories.user(Role.PATIENT)
    practice = factories.practice(phone="33 12 34 56")
    patient = factories.patient(practice, user=user, sex="male")
    return user, patient


def _open(
    browser: Browser,
    live_server: LiveServer,
    user: User,
    *,
    viewport: dict[str, int],
    language: str,
) -> Page:
    page = open_context(browser, live_server, viewport=viewport, language=language).new_page()
    log_in(page, live_server.url, user)
    return page


@pytest.fixture
def closing() -> Iterator[list[Page]]:
    pages: list[Page] = []
    yield pages
    for page in pages:
        page.context.close()


def _pick(page: Page, name: str, value: str) -> None:
    radio = page.locator(f"input[name={name}][value={value}]")
    radio.check()
    expect(radio).to_be_checked()


def _fill_in(page: Page, base: str, *, words: str, worry: str, question: str, name: str) -> None:
    """The whole preparation through the pages, as a patient would, with screenshots."""
    page.goto(base + "/patients/me/prepare/")
    shot(page, f"prepare-{name}-1-start")
    page.get_by_test_id("prepare-start").click()
    page.get_by_test_id("body-map-region-chest").first.click()
    expect(page.get_by_test_id("symptom-choices")).to_be_visible()
    shot(page, f"prepare-{name}-2-symptoms")
    page.get_by_test_id("choice-cough").click()
    page.fill("textarea[name=own_words]", words)
    shot(page, f"prepare-{name}-3-symptom-empty")
    _pick(page, "started", "months")
    _pick(page, "comes_and_goes", "no")
    _pick(page, "daily_life", "a_lot")
    shot(page, f"prepare-{name}-3-symptom")
    page.get_by_test_id("save-diary").click()
    shot(page, f"prepare-{name}-4-diary")
    page.locator("#id_severity_7").check()
    page.get_by_test_id("diary-save").click()
    expect(page.get_by_test_id("diary-entries")).to_contain_text("7")
    page.get_by_test_id("step-worries").click()
    page.fill("textarea[name=worries-worry_words]", worry)
    page.get_by_test_id("worries-save").click()
    page.select_option("select[name=work-exposure]", "firefighting_smoke")
    page.fill("input[name=work-years]", "20")
    page.get_by_test_id("work-add").click()
    expect(page.get_by_test_id("risk-factor")).to_have_count(1)
    shot(page, f"prepare-{name}-5-worries")
    page.get_by_test_id("step-reading").click()
    _pick(page, "source", "ai")
    page.fill("textarea[name=text]", "<b>Is a cough for two months cancer?</b>")
    page.get_by_test_id("reading-add").click()
    expect(page.get_by_test_id("reading")).to_have_count(1)
    shot(page, f"prepare-{name}-6-reading")
    page.get_by_test_id("step-questions").click()
    page.fill("input[name=question_1]", question)
    _pick(page, "interpreter", "no")
    shot(page, f"prepare-{name}-7-questions")
    page.get_by_test_id("questions-save").click()
    expect(page.get_by_test_id("send")).to_be_visible()
    shot(page, f"prepare-{name}-8-send")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("prepare-sent")).to_be_visible()


WRITTEN = {
    "da": ("ltr", "Hoster hver morgen", "Jeg var brandmand", "Hvad kan det være?"),
    "ar": ("rtl", "أسعل كل صباح", "كنت رجل إطفاء", "ما الذي يمكن أن يكون؟"),
    "fa-af": ("rtl", "هر صبح سرفه می‌کنم", "آتش‌نشان بودم", "این چه شده می‌تواند؟"),
}


@pytest.mark.parametrize("screen", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["da", "ar", "fa-af"])
def test_a_patient_prepares_in_their_language_and_the_gp_reads_it_in_danish(
    browser: Browser, live_server: LiveServer, closing: list[Page], language: str, screen: str
) -> None:
    direction, words, worry, question = WRITTEN[language]
    viewport = PHONE if screen == "phone" else DESKTOP
    user, patient = _patient()
    page = _open(browser, live_server, user, viewport=viewport, language=language)
    closing.append(page)
    page.goto(live_server.url + "/patients/me/prepare/")
    expect(page.locator("html")).to_have_attribute("dir", direction)
    expect(page.locator("html")).to_have_attribute("lang", language)
    _fill_in(
        page,
        live_server.url,
        words=words,
        worry=worry,
        question=question,
        name=f"{language}-{screen}",
    )
    sent = Preparation.objects.get(patient=patient)
    assert sent.state == PreparationState.SENT and sent.language == language
    symptom = sent.symptoms.get()
    assert (symptom.code, symptom.own_words, symptom.started) == ("cough", words, "months")
    assert symptom.diary.get().severity == 7
    assert sent.risk_factors.get().exposure == "firefighting_smoke"
    assert sent.worry_words == worry and sent.questions == [question]
    assert sent.readings.get().text == "<b>Is a cough for two months cancer?</b>"
    # The GP of the practice reads it in Danish, the patient's words beside the labels.
    gp = factories.gp(patient.practice).user
    assert gp is not None
    overview = _open(browser, live_server, gp, viewport=DESKTOP, language="da")
    closing.append(overview)
    overview.goto(live_server.url + reverse("records:patient_overview", args=[patient.pk]))
    expect(overview.locator("html")).to_have_attribute("lang", "da")
    item = overview.get_by_test_id("prepared-symptom")
    expect(item).to_have_attribute("data-code", "cough")
    expect(item).to_contain_text("Hoste")
    own = item.get_by_test_id("own-words")
    expect(own).to_have_text(words)
    expect(own).to_have_attribute("dir", direction)
    expect(overview.get_by_test_id("preparation-questions")).to_contain_text(question)
    expect(overview.get_by_test_id("prepared-risk-factor")).to_contain_text("Brandmand")
    shot(overview, f"prepare-{language}-{screen}-9-gp-overview")


def test_the_body_map_and_a_symptom_by_keyboard_alone(
    browser: Browser, live_server: LiveServer, closing: list[Page]
) -> None:
    user, patient = _patient()
    page = _open(browser, live_server, user, viewport=PHONE, language="da")
    closing.append(page)
    page.goto(live_server.url + "/patients/me/prepare/")
    page.get_by_test_id("prepare-start").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/prepare/symptoms/")
    chest = page.get_by_test_id("body-map-region-chest").first
    for _ in range(80):  # Tab through the page until the chest region has the focus
        page.keyboard.press("Tab")
        if chest.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the chest on the body map")
    page.keyboard.press("Enter")
    page.wait_for_url("**area=chest**")
    choice = page.get_by_test_id("choice-cough")
    for _ in range(80):
        page.keyboard.press("Tab")
        if choice.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the cough choice")
    page.keyboard.press("Enter")
    page.wait_for_url("**/prepare/symptoms/*/")
    draft = Preparation.objects.get(patient=patient)
    assert list(draft.symptoms.values_list("code", "body_area")) == [("cough", "chest")]


def test_a_half_filled_page_survives_a_dropped_connection_and_a_reload(
    browser: Browser, live_server: LiveServer, closing: list[Page]
) -> None:
    user, patient = _patient()
    page = _open(browser, live_server, user, viewport=PHONE, language="da")
    closing.append(page)
    base = live_server.url
    page.goto(base + "/patients/me/prepare/")
    page.get_by_test_id("prepare-start").click()
    page.goto(base + "/patients/me/prepare/questions/")
    page.fill("input[name=question_1]", "Hvornår får jeg svar?")
    page.fill("input[name=question_2]", "Skal jeg tage fri fra arbejde?")
    _pick(page, "interpreter", "yes")
    page.select_option("select[name=interpreter_language]", "ar")
    # The phone loses its connection as the patient presses save.
    page.context.set_offline(True)
    with page.expect_event("requestfailed"):
        page.get_by_test_id("questions-save").click(no_wait_after=True)
    page.context.set_offline(False)
    page.goto(base + "/patients/me/prepare/questions/")
    expect(page.get_by_test_id("kept-draft")).to_be_visible()
    expect(page.locator("input[name=question_1]")).to_have_value("Hvornår får jeg svar?")
    expect(page.locator("input[name=question_2]")).to_have_value("Skal jeg tage fri fra arbejde?")
    expect(page.locator("input[name=interpreter][value=yes]")).to_be_checked()
    expect(page.locator("select[name=interpreter_language]")).to_have_value("ar")
    shot(page, "prepare-da-phone-kept-after-reload")
    draft = Preparation.objects.get(patient=patient)
    assert draft.questions == []  # nothing reached the server
    page.get_by_test_id("questions-save").click()
    page.wait_for_url("**/prepare/send/")
    draft.refresh_from_db()
    assert draft.questions == ["Hvornår får jeg svar?", "Skal jeg tage fri fra arbejde?"]
    assert (draft.interpreter_needed, draft.interpreter_language) == (True, "ar")
    # Saved: the next visit to the page shows the server's values and no kept-draft notice.
    page.goto(base + "/patients/me/prepare/questions/")
    expect(page.get_by_test_id("kept-draft")).to_have_count(0)
