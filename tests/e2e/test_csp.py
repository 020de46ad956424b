"""The browser tests' own check: chromium refuses inline code under Opspor's policy, and the
console lines it writes are what every browser test fails on (tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils.csp import build_policy
from playwright.sync_api import Browser, Route

from tests.e2e.conftest import take_csp_violations

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html><head><title>before</title></head><body>
<script>document.title = "inline ran";</script>
<p style="color: red">styled</p>
<button onclick="document.title = 'handler ran'">press</button>
</body></html>"""


def test_inline_code_is_refused_and_reported(browser: Browser) -> None:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()

    def serve(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": build_policy(settings.SECURE_CSP)},
            body=PAGE,
        )

    page.route("http://opspor.test/", serve)
    page.goto("http://opspor.test/")
    page.click("button")
    try:
        assert page.title() == "before"
        colour = page.eval_on_selector("p", "p => getComputedStyle(p).color")
        assert colour != "rgb(255, 0, 0)"
        reported = take_csp_violations()
        assert any("inline script" in line for line in reported), reported
        assert any("inline style" in line for line in reported), reported
        assert any("inline event handler" in line for line in reported), reported
    finally:
        context.close()
