"""The API docs page in a real browser: Swagger UI draws the schema from Opspor's own static
files under the strict Content-Security-Policy (the page fixture fails on any violation)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Request, expect

from opspor.accounts.models import Role
from tests import factories
from tests.e2e.conftest import Login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_staff_read_the_api_docs_drawn_from_our_own_files(login: Login) -> None:
    signed_in = login(factories.user(Role.ADMIN, is_staff=True))
    requested: list[str] = []

    def remember(request: Request) -> None:
        requested.append(request.url)

    signed_in.page.on("request", remember)
    signed_in.goto("/api/v1/docs")
    page = signed_in.page
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Opspor API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/me").first).to_be_visible()
    assert requested and all(url.startswith(signed_in.base) for url in requested), requested
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / "api-docs.png"))


def test_a_gp_is_refused_the_api_docs(login: Login) -> None:
    signed_in = login(factories.user(Role.GP))
    signed_in.goto("/api/v1/docs")
    expect(signed_in.page.locator("body")).to_contain_text("Staff only.")
