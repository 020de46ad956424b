"""A passkey in a real browser: Chromium's virtual authenticator (through the DevTools
protocol) stands in for a laptop's fingerprint reader. A GP adds a passkey on "Your login",
logs out, and logs in again with the password and the passkey instead of a code."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from opspor.accounts import services
from opspor.accounts.models import LoginAttempt, PasskeyDevice
from tests import factories
from tests.e2e.accessibility import assert_accessible
from tests.e2e.browsing import shot
from tests.e2e.conftest import PASSWORD, pass_second_factor
from tests.two_factor import give_authenticator, next_code

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def local_base(live_server: LiveServer) -> str:
    # WebAuthn refuses an IP address as the relying party id: the browser must reach the
    # server by name, whatever address the live server was started on.
    return f"http://localhost:{live_server.thread.port}"


def virtual_authenticator(page: Page) -> str:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return str(added["authenticatorId"])


def password_step(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/code/**")


def test_a_gp_adds_a_passkey_and_logs_in_with_it(page: Page, live_server: LiveServer) -> None:
    base = local_base(live_server)
    clinician = factories.gp()
    user = clinician.user
    assert user is not None
    user.first_name, user.last_name = "Karen", "Berg"
    user.save()
    give_authenticator(user)
    services.recovery_codes_renew(user)
    virtual_authenticator(page)

    password_step(page, base, user.username)
    # Without a passkey the code step offers none.
    expect(page.get_by_test_id("passkey-login")).to_have_count(0)
    pass_second_factor(page, user)
    page.wait_for_url("**/safety-nets/worklist/")

    page.get_by_test_id("nav-account").click()
    page.wait_for_url("**/account/")
    expect(page.get_by_test_id("passkey-unsupported")).to_be_hidden()
    form = page.get_by_test_id("passkey-add-form")
    expect(form).to_be_visible()
    # A name is asked for before the browser is.
    page.get_by_test_id("passkey-add").click()
    expect(page.get_by_test_id("passkey-error")).to_be_visible()
    assert not PasskeyDevice.objects.exists()
    page.get_by_label("Adgangsnøglens navn").fill("Arbejdscomputer")
    page.get_by_test_id("passkey-add").click()
    expect(page.get_by_test_id("passkey-name")).to_have_text("Arbejdscomputer")
    expect(page.get_by_test_id("flash")).to_be_visible()
    device = PasskeyDevice.objects.get(user=user)
    assert device.name == "Arbejdscomputer" and device.last_used_at is None
    shot(page, "account-page")
    assert_accessible(page, what="Your login, with a passkey added")
    # The same authenticator again: the browser refuses (excludeCredentials), nothing saved.
    page.get_by_label("Adgangsnøglens navn").fill("Samme computer")
    page.get_by_test_id("passkey-add").click()
    expect(page.get_by_test_id("passkey-error")).to_contain_text("har allerede en af dine")
    assert PasskeyDevice.objects.filter(user=user).count() == 1

    page.locator("button.log-off").click()
    page.wait_for_url("**/login/")
    password_step(page, base, user.username)
    button = page.get_by_test_id("passkey-login")
    expect(button).to_be_visible()
    shot(page, "login-passkey")
    assert_accessible(page, what="the code step, with the passkey button")
    button.click()
    page.wait_for_url("**/safety-nets/worklist/")
    expect(page.get_by_test_id("previous-login-at")).to_be_visible()
    device.refresh_from_db()
    assert device.last_used_at is not None
    last = LoginAttempt.objects.filter(user=user).order_by("at", "id").last()
    assert last is not None and (last.outcome, last.reason) == ("succeeded", "passkey")


def test_without_javascript_the_passkey_stays_hidden_and_the_code_works(
    browser: Browser, live_server: LiveServer
) -> None:
    base = local_base(live_server)
    clinician = factories.gp()
    user = clinician.user
    assert user is not None
    device = give_authenticator(user)
    PasskeyDevice.objects.create(
        user=user, name="Work laptop", credential_id="AAAA", public_key=b"\xa0"
    )
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        password_step(page, base, user.username)
        expect(page.get_by_test_id("passkey-login")).to_be_hidden()
        page.fill("input[name=code]", next_code(device))
        page.click("main button[type=submit]")
        page.wait_for_url("**/safety-nets/worklist/")
        page.goto(base + "/account/")
        expect(page.get_by_test_id("passkey-unsupported")).to_be_visible()
        expect(page.get_by_test_id("passkey-add-form")).to_be_hidden()
        expect(page.get_by_test_id("passkey-name")).to_have_text("Work laptop")
    finally:
        context.close()
