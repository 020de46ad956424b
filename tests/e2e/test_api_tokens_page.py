"""A GP's own API tokens in the browser: found from the header, a read token created and shown
once, accessible (axe-core, in English), then revoked after confirming. A screenshot of the
page with a new token is written to $OPSPOR_SCREENSHOTS when set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from opspor.accounts.models import ApiToken, Role, TokenScope
from opspor.accounts.tokens import api_token_issue
from tests import factories
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import Login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_gp_creates_a_read_token_sees_it_once_and_revokes_it(login: Login) -> None:
    gp = factories.user(Role.GP, first_name="Hanne", last_name="Hansen")
    api_token_issue(user=gp, days=30)  # an older one, for the list
    browser = login(gp)
    page = browser.page
    # In English: the texts the test looks for stay the same when they are translated.
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": browser.base}])
    # The header's "Your login" leads to the account page, which links to the tokens.
    page.get_by_test_id("nav-account").click()
    page.get_by_test_id("api-tokens-link").click()
    expect(page.locator("h1")).to_have_text("API tokens")
    expect(page.get_by_test_id("api-token")).to_have_count(1)

    page.get_by_label("Read only (GET and HEAD)").check()
    page.get_by_label("Valid for (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    shown = page.get_by_test_id("new-token-value")
    expect(shown).to_be_visible()
    raw = shown.input_value()
    created = ApiToken.objects.latest("pk")
    assert created.scope == TokenScope.READ and raw.startswith(created.prefix)
    expect(page.get_by_test_id("api-token")).to_have_count(2)
    assert_accessible(page, what="API tokens, with a new token shown")
    if folder := os.environ.get("OPSPOR_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / "api-tokens.png"), full_page=True)

    page.reload()  # a GET: the token is not shown again
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    page.get_by_test_id("revoke").first.click()
    expect(page.get_by_test_id("revoke-form")).to_be_visible()
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_test_id("flash")).to_be_visible()
    created.refresh_from_db()
    assert created.revoked_at is not None
    expect(page.get_by_test_id("revoke")).to_have_count(1)
