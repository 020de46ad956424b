"""Browser tests: Playwright's sync API driving Debian's chromium against a live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from opspor.accounts.models import User

# Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
# from a thread with a running loop unless told that it is safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PASSWORD = "correct horse battery"  # tests/factories.py gives every user this one


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("Debian's chromium is not installed: run `make browser`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def is_csp_violation(message: ConsoleMessage) -> bool:
    """Chromium's console line for whatever the Content-Security-Policy refused."""
    return "Content Security Policy" in message.text


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page; every browser test fails when the Content-Security-Policy refused
    anything on it (an inline script or style, eval, another origin)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="da-DK")
    context.set_default_timeout(10_000)
    violations: list[str] = []
    context.on("console", lambda m: violations.append(m.text) if is_csp_violation(m) else None)
    opened = context.new_page()
    yield opened
    context.close()
    assert not violations, "the Content-Security-Policy refused:\n" + "\n".join(violations)


@dataclass
class LoggedIn:
    page: Page
    base: str

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)


Login = Callable[..., LoggedIn]


@pytest.fixture
def login(page: Page, live_server: LiveServer) -> Login:
    base = live_server.url

    def _login(user: User, password: str = PASSWORD) -> LoggedIn:
        page.goto(base + "/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        return LoggedIn(page=page, base=base)

    return _login
