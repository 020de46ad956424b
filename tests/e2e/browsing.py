"""What the browser tests of the patient's pages share: a browser context at a phone's or
a desktop's size in a given language, logging in, and screenshots into $OPSPOR_SCREENSHOTS."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page
from pytest_django.live_server_helper import LiveServer

from opspor.accounts.models import User
from opspor.accounts.two_factor import needs_second_factor
from tests.e2e.conftest import PASSWORD, pass_second_factor
from tests.two_factor import give_authenticator

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def open_context(
    browser: Browser, live_server: LiveServer, *, viewport: dict[str, int], language: str
) -> BrowserContext:
    context = browser.new_context(viewport=viewport, locale="da-DK", is_mobile=viewport == PHONE)
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    return context


def log_in(page: Page, base: str, user: User, password: str = PASSWORD) -> None:
    if needs_second_factor(user):
        give_authenticator(user)
    page.goto(base + "/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    pass_second_factor(page, user)


def shot(page: Page, name: str) -> None:
    """A full-page screenshot, when $OPSPOR_SCREENSHOTS names a folder."""
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
