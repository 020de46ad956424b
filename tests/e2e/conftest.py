"""Browser tests: Playwright's sync API driving Debian's chromium against a live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from opspor.accounts.models import User
from opspor.accounts.two_factor import needs_second_factor
from tests.two_factor import give_authenticator, next_code

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


def pass_second_factor(page: Page, user: User | str) -> None:
    """After the password step: a staff user is on the code step, and types the code their
    authenticator shows now (a known key for test users, the seeded one for demo users).
    Call `give_authenticator` before the password step for a user made in the test, or the
    password step leads to enrolment instead."""
    account = user if isinstance(user, User) else User.objects.get(username=user)
    if not needs_second_factor(account) or "/login/?" in page.url or page.url.endswith("/login/"):
        return  # a patient, or the password was refused (a test of that)
    page.wait_for_url("**/login/code/**")
    page.fill("input[name=code]", next_code(give_authenticator(account)))
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("Debian's chromium is not installed: run `make browser`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        # Every context any test opens reports what the policy refused (no_csp_violation).
        launched.new_context = _watched(launched.new_context)  # type: ignore[method-assign]
        yield launched
        launched.close()


def is_csp_violation(message: ConsoleMessage) -> bool:
    """Chromium's console line for whatever the Content-Security-Policy refused."""
    return "Content Security Policy" in message.text


# What the policy refused on any page of any context of the browser during the test.
_csp_violations: list[str] = []


def take_csp_violations() -> list[str]:
    """The violations so far in this test, which then no longer fail it."""
    taken = list(_csp_violations)
    _csp_violations.clear()
    return taken


def _watched(new_context: Callable[..., BrowserContext]) -> Callable[..., BrowserContext]:
    def new_watched_context(*args: Any, **kwargs: Any) -> BrowserContext:
        context = new_context(*args, **kwargs)
        context.on(
            "console", lambda m: _csp_violations.append(m.text) if is_csp_violation(m) else None
        )
        return context

    return new_watched_context


@pytest.fixture(autouse=True)
def no_csp_violation() -> Iterator[None]:
    """Every browser test fails when the Content-Security-Policy refused anything on any of
    its pages (an inline script or style, eval, another origin). Autouse, so set up before
    the page fixture and checked after it has closed its context."""
    _csp_violations.clear()
    yield
    found = take_csp_violations()
    assert not found, "the Content-Security-Policy refused:\n" + "\n".join(found)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="da-DK")
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


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
        if needs_second_factor(user):
            give_authenticator(user)
        page.goto(base + "/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        pass_second_factor(page, user)
        return LoggedIn(page=page, base=base)

    return _login
