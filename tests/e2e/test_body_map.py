"""The body map include (portal/_body_map.html) in chromium, on a page that exists only here.

The keyboard reaches every area once, in the catalogue's order, first in the picture and
then in the list; Enter picks it without JavaScript (?area=KEY, aria-current); every
region has its area's name; on a phone every region and button is at least 44 x 44 CSS
pixels, every piece of a region included.

Screenshots (Danish and Arabic, 390x844 and 1280x900) are written to $OPSPOR_SCREENSHOTS
when set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path
from django.utils.translation import get_language
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from opspor.portal.words import load_words

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.urls(__name__),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
DEMO_PATH = "/body-map-demo/"
DEMO_PAGE = """{% extends "base.html" %}{% load i18n %}
{% block title %}Body map{% endblock %}
{% block content %}<h1>Where do you feel it?</h1>{% include "portal/_body_map.html" %}
{% endblock %}"""


def body_map_demo(request: HttpRequest) -> HttpResponse:
    words = load_words()
    area = words.area(request.GET.get("area"))
    context = {
        "areas": words.labelled_areas(get_language()),
        "selected_area": area.key if area else "",
        "base_url": request.path,
    }
    return HttpResponse(engines["django"].from_string(DEMO_PAGE).render(context, request))


# This module is the URL configuration of its own tests: the demo page and the project's.
urlpatterns = [path(DEMO_PATH.strip("/") + "/", body_map_demo), path("", include("opspor.urls"))]

AREAS = [area.key for area in load_words().areas]


def _page(browser: Browser, live_server: LiveServer, viewport: dict[str, int], lang: str) -> Page:
    context = browser.new_context(viewport=viewport, locale="da-DK", is_mobile=viewport == PHONE)
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    return context.new_page()


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    page = _page(browser, live_server, PHONE, "da")
    yield page
    page.context.close()


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"body-map-{name}.png"), full_page=True)


def _focused_testid(page: Page) -> str:
    return str(page.evaluate("document.activeElement?.getAttribute('data-testid') || ''"))


def test_tab_reaches_every_area_once_in_order_then_the_list(
    phone: Page, live_server: LiveServer
) -> None:
    phone.goto(live_server.url + DEMO_PATH)
    reached: list[str] = []
    listed: list[str] = []
    # Bounded: the header's few links, one stop per area in the picture and in the list.
    for _ in range(len(AREAS) * 2 + 30):
        phone.keyboard.press("Tab")
        testid = _focused_testid(phone)
        if testid.startswith("body-map-region-"):
            reached.append(testid.removeprefix("body-map-region-"))
        elif phone.evaluate("!!document.activeElement?.closest('[data-testid=body-map-list]')"):
            listed.append(str(phone.evaluate("document.activeElement.getAttribute('href')")))
            if len(listed) == len(AREAS):
                break
    assert reached == AREAS  # no "-copy" of an area drawn twice, nothing twice
    assert listed == [f"{DEMO_PATH}?area={key}" for key in AREAS]


@pytest.mark.parametrize("key", AREAS)
def test_enter_on_a_region_picks_its_area(phone: Page, live_server: LiveServer, key: str) -> None:
    phone.goto(live_server.url + DEMO_PATH)
    region = phone.get_by_test_id(f"body-map-region-{key}")
    region.focus()
    phone.keyboard.press("Enter")
    phone.wait_for_url(f"**{DEMO_PATH}?area={key}")
    region = phone.get_by_test_id(f"body-map-region-{key}")
    expect(region).to_have_attribute("aria-current", "true")
    label = load_words().area(key).text("da")  # type: ignore[union-attr]
    expect(phone.get_by_test_id("body-map-chosen")).to_contain_text(label)
    current = phone.locator("[data-testid=body-map] [aria-current=true]")
    expect(current).to_have_count(2)  # the region and its list item, nothing else
    expect(
        phone.get_by_test_id("body-map-list").get_by_role("link", name=label, exact=True)
    ).to_have_attribute("aria-current", "true")


@pytest.mark.parametrize("lang", ["da", "ar"])
def test_every_region_is_named_by_its_area_in_the_page_language(
    browser: Browser, live_server: LiveServer, lang: str
) -> None:
    page = _page(browser, live_server, PHONE, lang)
    try:
        page.goto(live_server.url + DEMO_PATH)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        picture = page.locator(".body-map__picture")
        listed = page.get_by_test_id("body-map-list")
        for area in load_words().areas:
            label = area.text(lang)
            # The accessibility tree's name: exactly one link of that name in the picture
            # (the copy in the other view is hidden from it) and one in the list.
            expect(picture.get_by_role("link", name=label, exact=True)).to_have_count(1)
            expect(listed.get_by_role("link", name=label, exact=True)).to_have_count(1)
            link = picture.get_by_role("link", name=label, exact=True)
            expect(link).to_have_attribute("href", f"{DEMO_PATH}?area={area.key}")
    finally:
        page.context.close()


# Every piece of every region in the picture (each subpath of its SVG path, measured on
# the screen) and every button and list item, as [testid or text, width, height].
_MEASURE = """() => {
  const out = [];
  for (const a of document.querySelectorAll('.body-map__region:not([tabindex="-1"])')) {
    const shape = a.querySelector('path');
    for (const piece of shape.getAttribute('d').split(/(?=M)/)) {
      const probe = document.createElementNS('http://www.w3.org/2000/svg', 'path');
      probe.setAttribute('d', piece);
      shape.parentNode.appendChild(probe);
      const box = probe.getBoundingClientRect();
      out.push([a.dataset.testid, box.width, box.height]);
      probe.remove();
    }
  }
  for (const a of document.querySelectorAll('.body-map__pill, .body-map__item')) {
    const box = a.getBoundingClientRect();
    out.push([a.textContent.trim(), box.width, box.height]);
  }
  return out;
}"""


@pytest.mark.parametrize("lang", ["da", "ar"])
def test_every_target_is_at_least_44_by_44_on_a_phone(
    browser: Browser, live_server: LiveServer, lang: str
) -> None:
    page = _page(browser, live_server, PHONE, lang)
    try:
        page.goto(live_server.url + DEMO_PATH)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        sizes = page.evaluate(_MEASURE)
        regions = {name for name, _, _ in sizes if name.startswith("body-map-region-")}
        assert len(regions) == len(AREAS) - len(page.locator(".body-map__pill").all())
        too_small = [(name, round(w), round(h)) for name, w, h in sizes if w < 44 or h < 44]
        assert too_small == []
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["da", "ar"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_screenshots_with_an_area_chosen_and_one_in_focus(
    browser: Browser, live_server: LiveServer, lang: str, viewport: dict[str, int]
) -> None:
    page = _page(browser, live_server, viewport, lang)
    try:
        page.goto(live_server.url + DEMO_PATH + "?area=belly")
        expect(page.get_by_test_id("body-map-region-belly")).to_have_attribute(
            "aria-current", "true"
        )
        # Keyboard focus on the chest, to show the focus style beside the chosen area.
        page.get_by_test_id("body-map-region-whole_body").focus()
        for _ in range(AREAS.index("chest") - AREAS.index("whole_body")):
            page.keyboard.press("Tab")
        assert _focused_testid(page) == "body-map-region-chest"
        _shot(page, f"{lang}-{viewport['width']}")
    finally:
        page.context.close()
