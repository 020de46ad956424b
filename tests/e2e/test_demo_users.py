"""The seeded demo users of every role log in through a real browser, as README lists them."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.mark.parametrize(
    ("username", "lands_on", "shows"),
    [
        ("laege.berg", "/safety-nets/worklist/", "Arbejdsliste"),
        ("patient.ole", "/patients/me/", "Fiktiv demopatient"),
        ("de.herlev", "/referrals/inbox/", "Herlev"),
        ("analytiker", "/quality/", "Kvalitetsanalytiker"),
        ("admin", "/admin/", "Opspor"),
    ],
)
def test_each_demo_role_logs_in_to_its_page(
    page: Page, live_server: LiveServer, username: str, lands_on: str, shows: str
) -> None:
    call_command("seed", "--patients", "120", "--seed", "2026", "--no-progress")
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", settings.OPSPOR_DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if username != "patient.ole":
        # Staff: the code step, where the demo shows its authenticator's current code.
        demo_code = page.get_by_test_id("demo-code-value")
        expect(demo_code).to_have_text(re.compile(r"^\d{6}$"))
        page.fill("input[name=code]", demo_code.inner_text())
        page.click("main button[type=submit]")
        page.wait_for_load_state()
    assert page.url == live_server.url + lands_on
    expect(page.locator("body")).to_contain_text(shows)
