"""The patient's side of a safety net in a real browser, on a phone-sized screen: the
patient sees what was agreed and what is pending, presses "Jeg har ikke hørt noget", and is
told the practice has it; a GP of the practice then finds it on the worklist and answers it
from the episode page.

Screenshots (Danish and Arabic, 390x844) are written to $OPSPOR_SCREENSHOTS when set.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from opspor.accounts.models import Role, User
from opspor.records.models import Patient, Symptom
from opspor.safetynet import services
from opspor.safetynet.models import PatientConcern, SafetyNetEpisode
from opspor.safetynet.reminders import patients_remind_of_follow_up
from opspor.safetynet.worklist import ItemKind, practice_worklist
from tests import factories
from tests.e2e.conftest import PASSWORD, pass_second_factor
from tests.two_factor import give_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PHONE = {"width": 390, "height": 844}


def _shot(page: Page, name: str, testid: str = "") -> None:
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        path = str(Path(folder) / f"patient-safety-net-{name}.png")
        if testid:  # the part of a long page this is about
            page.get_by_test_id(testid).screenshot(path=path)
        else:
            page.screenshot(path=path, full_page=True)


def _context(browser: Browser, live_server: LiveServer, language: str) -> BrowserContext:
    context = browser.new_context(viewport=PHONE, locale="da-DK", is_mobile=True)
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    return context


def _login(page: Page, base: str, user: User) -> None:
    if user.role == Role.GP:
        give_authenticator(user)
    page.goto(base + "/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    pass_second_factor(page, user)


def _story() -> tuple[User, User, Patient, SafetyNetEpisode]:
    today = timezone.localdate()
    practice = factories.practice(name="Lægehuset Ved Søerne", phone="33 12 34 56")
    clinician = factories.gp(practice)
    assert clinician.user
    account = factories.user(Role.PATIENT)
    patient = factories.patient(
        practice,
        name="Karen Lund",
        birth_date=date(today.year - 61, 5, 2),
        registered_from=today - timedelta(days=15 * 365),
        user=account,
    )
    Symptom.objects.create(
        patient=patient,
        code="cough",
        onset=today - timedelta(days=50),
        recorded_on=today - timedelta(days=3),
        persistent=True,
        patient_words="Hosten er der stadig, også om natten.",
    )
    episode = services.episode_open(
        patient=patient,
        by=clinician.user,
        reason="pending_investigations",
        follow_up_on=today + timedelta(days=2),
        ends_on=today + timedelta(days=42),
        advice="Vi tager et røntgenbillede. Vi ses om to uger, eller før hvis det bliver værre.",
    )
    services.investigation_order(
        episode=episode,
        by=clinician.user,
        kind="chest_xray",
        expected_by=today + timedelta(days=5),
    )
    patients_remind_of_follow_up(timezone.now())
    return clinician.user, account, patient, episode


def test_the_patient_says_they_have_not_heard_and_the_practice_answers(
    browser: Browser, live_server: LiveServer
) -> None:
    gp, account, patient, episode = _story()
    base = live_server.url

    # Arabic first, to look at the page right to left; nothing is pressed there.
    context = _context(browser, live_server, "ar")
    page = context.new_page()
    _login(page, base, account)
    page.goto(base + "/patients/me/")
    expect(page.get_by_test_id("my-safety-net")).to_contain_text("لم أسمع شيئًا")
    _shot(page, "ar", "my-safety-nets")
    context.close()

    context = _context(browser, live_server, "da")
    page = context.new_page()
    _login(page, base, account)
    page.goto(base + "/patients/me/")
    net = page.get_by_test_id("my-safety-net")
    expect(net.get_by_test_id("my-reminder")).to_contain_text("Husk: din læge har aftalt")
    expect(net.get_by_test_id("my-advice")).to_contain_text("røntgenbillede")
    expect(net.get_by_test_id("my-pending")).to_contain_text("venter på svar")
    expect(net.get_by_test_id("my-not-concluded")).to_contain_text("ikke færdig")
    _shot(page, "da", "my-safety-nets")

    net.get_by_test_id("not-heard").click()
    expect(page.get_by_test_id("flash")).to_contain_text(
        "Din lægepraksis har fået besked om, at du ikke har hørt noget."
    )
    expect(page.get_by_test_id("my-concern")).to_be_visible()
    _shot(page, "da-told", "my-safety-nets")
    assert PatientConcern.objects.filter(episode=episode, kind="not_heard").count() == 1
    context.close()

    # The practice: the GP lands on the worklist, the item is there, one click to the case.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="da-DK")
    context.set_default_timeout(10_000)
    page = context.new_page()
    _login(page, base, gp)
    item = page.locator("[data-testid=worklist-item][data-kind=patient_not_heard]")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(patient.name)
    _shot(page, "gp-worklist")
    item.get_by_test_id("worklist-case").click()
    concern = page.get_by_test_id("concern")
    expect(concern).to_contain_text("Jeg har ikke hørt noget")
    _shot(page, "gp-episode")
    concern.get_by_test_id("open-answer").click()
    dialog = page.get_by_test_id("dialog-answer")
    dialog.locator("textarea[name=note]").fill("Ringet til patienten; røntgensvar ventes fredag.")
    dialog.get_by_test_id("confirm-answer").click()
    expect(page.get_by_test_id("flash")).to_contain_text("besvaret")
    expect(page.get_by_test_id("concern")).to_have_count(0)
    assert not [i for i in practice_worklist(user=gp) if i.kind == ItemKind.PATIENT_NOT_HEARD]
    context.close()
