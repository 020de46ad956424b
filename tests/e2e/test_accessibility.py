"""Every portal page, the login page and the GP's patient overview pass axe-core's WCAG 2.0,
2.1 and 2.2 A and AA rules with no serious or critical violation, in Danish and in the
languages written right to left, on the demo's own data.

A new page is one line in PAGES: who is logged in (a demo user from README's table, or None
before login), the address (or a function that finds it in the seeded data), the language,
and the screen. Screenshots of each page are written to $OPSPOR_SCREENSHOTS when set.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from opspor.accounts.models import Role, User
from opspor.portal.services import preparation
from opspor.records.models import Patient
from tests import factories
from tests.e2e.accessibility import assert_accessible, assert_target_size
from tests.e2e.conftest import pass_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# A patient's login without a record (the portal's "not linked" page), beside the demo's users.
NO_RECORD_USER = "patient.uden-journal"
# A demo patient with a live safety net and a rejected referral; here also a draft preparation.
AFVIST = "patient.afvist"
RIGHT_TO_LEFT = {"ar", "fa-af"}


def overview_of(username: str) -> Callable[[], str]:
    """The GP's overview of the patient whose portal login is `username`."""

    def url() -> str:
        patient = Patient.objects.get(user__username=username)
        return reverse("records:patient_overview", args=[patient.pk])

    return url


def preparing(username: str, page: str, **query: str) -> Callable[[], str]:
    """A page of the preparation of `username`, who has a draft with one symptom and a day of
    its diary (made here, through the services, the first time it is asked for)."""

    def url() -> str:
        user = User.objects.get(username=username)
        draft = preparation.preparation_start(by=user, language="da")
        if not draft.symptoms.exists():
            symptom = preparation.prepared_symptom_add(
                preparation=draft, by=user, choice="cough", area="chest"
            )
            preparation.diary_record(symptom=symptom, by=user, day=timezone.localdate(), severity=4)
        symptom = draft.symptoms.get()
        args = [symptom.pk] if page in ("portal:prepare_symptom", "portal:prepare_diary") else []
        return reverse(page, args=args) + (f"?{urlencode(query)}" if query else "")

    return url


def _afvist(page: str, **query: str) -> Callable[[], str]:
    return preparing(AFVIST, f"portal:{page}", **query)


@dataclass(frozen=True)
class Case:
    id: str
    user: str | None
    url: str | Callable[[], str]
    language: str
    screen: str = "phone"

    def address(self) -> str:
        return self.url if isinstance(self.url, str) else self.url()


PAGES = [
    Case("login-da", None, "/login/", "da"),
    Case("login-ar", None, "/login/", "ar"),
    Case("login-fa-af", None, "/login/", "fa-af"),
    # A rejected referral (who calls the patient, and by when) and a live safety net.
    Case("record-da", "patient.afvist", "/patients/me/", "da"),
    Case("record-en", "patient.afvist", "/patients/me/", "en"),
    Case("record-tr", "patient.afvist", "/patients/me/", "tr"),
    Case("record-ar", "patient.afvist", "/patients/me/", "ar"),
    Case("record-fa-af", "patient.afvist", "/patients/me/", "fa-af"),
    Case("record-desktop-fa-af", "patient.afvist", "/patients/me/", "fa-af", "desktop"),
    # Zahra speaks Dari: lab results, conditions and the whole contact history.
    Case("record-zahra-fa-af", "patient.zahra", "/patients/me/?contacts=all", "fa-af"),
    Case("no-record-fa-af", NO_RECORD_USER, "/patients/me/", "fa-af"),
    # The preparation, every page of it, and the patient's pathway and information pages.
    Case("prepare-sent-fa-af", "patient.zahra", "/patients/me/prepare/", "fa-af"),
    Case(
        "prepare-symptoms-ar",
        "patient.afvist",
        _afvist("prepare_symptoms", area="chest"),
        "ar",
    ),
    Case(
        "prepare-symptoms-desktop-da",
        "patient.afvist",
        _afvist("prepare_symptoms", area="belly"),
        "da",
        "desktop",
    ),
    Case(
        "prepare-symptom-fa-af",
        "patient.afvist",
        _afvist("prepare_symptom"),
        "fa-af",
    ),
    Case(
        "prepare-diary-tr",
        "patient.afvist",
        _afvist("prepare_diary"),
        "tr",
    ),
    Case(
        "prepare-worries-fa-af",
        "patient.afvist",
        _afvist("prepare_worries"),
        "fa-af",
    ),
    Case(
        "prepare-reading-en",
        "patient.afvist",
        _afvist("prepare_reading"),
        "en",
    ),
    Case(
        "prepare-questions-ar",
        "patient.afvist",
        _afvist("prepare_questions"),
        "ar",
    ),
    Case(
        "prepare-send-da",
        "patient.afvist",
        _afvist("prepare_send"),
        "da",
    ),
    Case("pathway-ar", AFVIST, "/patients/me/pathway/", "ar"),
    Case("pathway-desktop-da", AFVIST, "/patients/me/pathway/", "da", "desktop"),
    Case("information-fa-af", AFVIST, "/patients/me/information/", "fa-af"),
    Case("gp-overview-da", "laege.lund", overview_of("patient.zahra"), "da", "desktop"),
    Case("gp-overview-ar", "laege.lund", overview_of("patient.zahra"), "ar", "desktop"),
]


@pytest.fixture
def demo() -> None:
    call_command("seed", "--patients", "120", "--seed", "2026", "--no-progress")
    account = factories.user(Role.PATIENT, username=NO_RECORD_USER)
    account.set_password(settings.OPSPOR_DEMO_PASSWORD)
    account.save()


def open_page(browser: Browser, live_server: LiveServer, case: Case) -> tuple[BrowserContext, Page]:
    """The case's page in its language and on its screen, logged in as its user."""
    phone = case.screen == "phone"
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP, locale="da-DK", is_mobile=phone
    )
    context.set_default_timeout(10_000)
    context.add_cookies(
        [{"name": "django_language", "value": case.language, "url": live_server.url}]
    )
    page = context.new_page()
    if case.user is not None:
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", case.user)
        page.fill("input[name=password]", settings.OPSPOR_DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        pass_second_factor(page, case.user)
    response = page.goto(live_server.url + case.address())
    assert response is not None
    # The portal's "not linked to a record" page answers 404 on purpose.
    assert response.status == (404 if case.user == NO_RECORD_USER else 200), case.id
    return context, page


def _shot(page: Page, case: Case) -> None:
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"accessibility-{case.id}.png"), full_page=True)


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("case", PAGES, ids=[case.id for case in PAGES])
def test_the_page_has_no_serious_or_critical_wcag_violation(
    browser: Browser, live_server: LiveServer, case: Case
) -> None:
    context, page = open_page(browser, live_server, case)
    try:
        html = page.locator("html")
        expect(html).to_have_attribute("lang", case.language)
        expect(html).to_have_attribute("dir", "rtl" if case.language in RIGHT_TO_LEFT else "ltr")
        _shot(page, case)
        assert_accessible(page, what=f"{case.id} ({page.url})")
        assert_target_size(page, what=f"{case.id} ({page.url})")
    finally:
        context.close()


_PASTE = """(field) => {
    const data = new DataTransfer();
    data.setData("text/plain", "pasted");
    return field.dispatchEvent(
        new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""


def test_the_login_takes_a_pasted_password_and_a_password_managers_fill(
    browser: Browser, live_server: LiveServer
) -> None:
    """WCAG 2.2, 3.3.8 accessible authentication: no puzzle to solve, the fields say what
    they hold so that a password manager fills them, and nothing stops a paste."""
    account = factories.user(Role.PATIENT)
    context, page = open_page(browser, live_server, Case("login", None, "/login/", "fa-af"))
    try:
        for name, autocomplete in (("username", "username"), ("password", "current-password")):
            field = page.locator(f"input[name={name}]")
            expect(field).to_have_attribute("autocomplete", autocomplete)
            assert field.evaluate(_PASTE) is True, f"a paste into {name} is cancelled"
        assert page.locator("form[action='/login/'] input").count() == 4  # csrf, next, two
        page.fill("input[name=username]", account.username)
        page.fill("input[name=password]", "correct horse battery")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/patients/me/")
    finally:
        context.close()
