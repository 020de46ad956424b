"""A staff user's first login in a real browser: the password, the authenticator's
enrolment with its QR code, the recovery codes, and the code step of the next login."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from opspor.accounts import two_factor
from tests import factories
from tests.e2e.browsing import shot
from tests.e2e.conftest import PASSWORD
from tests.two_factor import next_code

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_first_login_sets_up_the_app_and_the_next_asks_for_its_code(
    page: Page, live_server: LiveServer
) -> None:
    clinician = factories.gp()
    user = clinician.user
    assert user is not None
    user.first_name, user.last_name = "Karen", "Berg"
    user.save()
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/authenticator/**")
    expect(page.get_by_test_id("qr-code").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("secret-key").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret)
    shot(page, "login-authenticator")

    # What the phone would show for the key on the page.
    key = base64.b32decode(secret.replace(" ", "")).hex()
    page.fill("input[name=code]", two_factor.code_now(key))
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(two_factor.RECOVERY_CODES)
    page.get_by_test_id("continue").click()
    page.wait_for_url("**/safety-nets/worklist/")
    expect(page.get_by_test_id("previous-login")).to_be_visible()

    page.locator("button.log-off").click()
    page.wait_for_url("**/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/code/**")
    expect(page.get_by_test_id("demo-code")).to_have_count(0)
    shot(page, "login-code")
    page.fill("input[name=code]", next_code(TOTPDevice.objects.get(user=user)))
    page.click("main button[type=submit]")
    page.wait_for_url("**/safety-nets/worklist/")
    expect(page.get_by_test_id("previous-login-at")).to_be_visible()
