"""The patient's pathway and trustworthy-information pages in a real browser, as demo
patients of the seeded region: Bo, whose safety net waits for his pathway, and the patient
of the fresh rejection (`patient.afvist`), whose page says who calls and by when. On a phone
(390x844) and a desktop screen: headings in order, landmarks, every link and button named,
buttons and menu links at least 24 px tall (WCAG 2.2, 2.5.8), no sideways scrolling at 375 px.

Screenshots (phone and desktop, Danish; the pathway also in Arabic) are written to
$OPSPOR_SCREENSHOTS when set.
"""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.e2e.conftest import pass_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PHONE = {"width": 390, "height": 844}
NARROW = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 900}

# Headings, landmarks, names and target sizes, measured in the page.
CHECKS = """() => {
  const main = document.querySelector('main');
  const levels = [...main.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]);
  const unnamed = [...document.querySelectorAll('a[href], button')]
    .filter(el => el.offsetParent !== null)
    .filter(el => !(el.innerText.trim() || el.getAttribute('aria-label')))
    .map(el => el.outerHTML.slice(0, 80));
  const small = [...document.querySelectorAll('main button, nav.nav a, main a.d-inline-block')]
    .filter(el => el.offsetParent !== null)
    .map(el => [el.innerText.trim().slice(0, 40), el.getBoundingClientRect().height])
    .filter(([, height]) => height < 24);
  return {
    levels,
    mains: document.querySelectorAll('main').length,
    navs: document.querySelectorAll('nav').length,
    unnamed,
    small,
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
  };
}"""


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"patient-{name}.png"), full_page=True)


def _context(
    browser: Browser, live_server: LiveServer, viewport: dict[str, int], language: str = "da"
) -> BrowserContext:
    context = browser.new_context(
        viewport=viewport, locale="da-DK", is_mobile=viewport["width"] < 500
    )
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    return context


def _login(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", settings.OPSPOR_DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    pass_second_factor(page, username)


def _accessible(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(CHECKS)
    levels = found["levels"]
    assert levels and levels[0] == 1, levels
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    assert found["mains"] == 1 and found["navs"] >= 1
    assert found["unnamed"] == []
    assert found["small"] == []
    assert found["scrollWidth"] <= found["width"], found
    return found


def test_demo_patients_see_their_pathway_and_trustworthy_information(
    browser: Browser, live_server: LiveServer
) -> None:
    call_command("seed", "--patients", "120", "--seed", "2026", "--no-progress")
    base = live_server.url

    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = _context(browser, live_server, viewport)
        page = context.new_page()
        _login(page, base, "patient.bo")
        # From the record page, one link to the pathway.
        page.get_by_test_id("pathway-link").click()
        page.wait_for_url(base + "/patients/me/pathway/")
        net = page.get_by_test_id("pathway-safety-net")
        expect(net).to_have_count(1)
        expect(net.get_by_test_id("pathway-timeline")).to_contain_text("Du og din læge lavede")
        expect(net.get_by_test_id("my-not-concluded")).to_contain_text("ikke færdig")
        expect(net.get_by_test_id("not-heard")).to_be_visible()
        expect(net.get_by_test_id("got-worse")).to_be_visible()
        expect(net.get_by_test_id("pathway-responsible")).to_contain_text("har ansvaret")
        _accessible(page)
        _shot(page, f"pathway-{name}")

        if viewport is DESKTOP:  # on a phone the menu is folded away
            expect(page.get_by_test_id("nav-pathway")).to_have_attribute("aria-current", "page")
        page.get_by_test_id("information-link").click()
        page.wait_for_url(base + "/patients/me/information/")
        expect(page.get_by_test_id("information-symptoms")).to_contain_text("Træthed")
        expect(page.get_by_test_id("guidance-results")).to_contain_text("Ét svar alene")
        expect(page.get_by_test_id("trusted-link").first).to_have_attribute("hreflang", "da")
        _accessible(page)
        _shot(page, f"information-{name}")
        context.close()

    # The patient of the fresh rejection: who calls, and by when; the unit's public number.
    context = _context(browser, live_server, PHONE)
    page = context.new_page()
    _login(page, base, "patient.afvist")
    page.goto(base + "/patients/me/pathway/")
    referral = page.get_by_test_id("pathway-referral")
    expect(referral).to_have_count(1)
    expect(referral).to_have_attribute("data-step", "practice_contacts")
    expect(referral.get_by_test_id("my-referral")).to_contain_text("kontakter dig")
    expect(referral.get_by_test_id("pathway-contacts").locator("a[href^='tel:']")).to_have_count(2)
    _accessible(page)
    _shot(page, "pathway-rejected-phone")
    context.close()

    # Narrow phones: nothing runs off the side; right to left in Arabic.
    context = _context(browser, live_server, NARROW, "ar")
    page = context.new_page()
    _login(page, base, "patient.bo")
    page.goto(base + "/patients/me/pathway/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_test_id("pathway-safety-net")).to_contain_text("لم أسمع شيئًا")
    _accessible(page)
    _shot(page, "pathway-ar-375")
    context.close()


def test_telling_the_practice_from_the_pathway_stays_on_the_pathway(
    browser: Browser, live_server: LiveServer
) -> None:
    call_command("seed", "--patients", "120", "--seed", "2026", "--no-progress")
    base = live_server.url
    context = _context(browser, live_server, PHONE)
    page = context.new_page()
    _login(page, base, "patient.bo")
    page.goto(base + "/patients/me/pathway/")
    page.get_by_test_id("pathway-safety-net").get_by_test_id("got-worse").click()
    page.wait_for_url(base + "/patients/me/pathway/")
    expect(page.get_by_test_id("flash")).to_contain_text("det er blevet værre")
    expect(page.get_by_test_id("my-concern")).to_be_visible()
    _shot(page, "pathway-told-phone")
    context.close()
