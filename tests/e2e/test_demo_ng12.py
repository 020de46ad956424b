"""The demo GP shows the NICE NG12 rule set on the demo's NG12 patients, in a real browser:
the girl with bruises and pallor (1.10.3), the man with a changing mole (1.7.1) and the
referral form's list of which Danish pathways' entry criteria Opspor checks.

Screenshots are written to $OPSPOR_SCREENSHOTS when set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from opspor.records.models import Patient
from tests.e2e.conftest import pass_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"ng12-{name}.png"), full_page=True)


def _overview(page: Page, base: str, story: str) -> None:
    patient = Patient.objects.get(story=story)
    page.goto(base + reverse("records:patient_overview", args=[patient.pk]))
    # The GP switches the overview from the Danish pathways to NICE NG12.
    page.get_by_test_id("ruleset-switch").get_by_role("link", name="NICE NG12").click()
    expect(page.get_by_test_id("criteria")).to_contain_text("NICE NG12")


def test_demo_gp_sees_ng12_for_the_child_and_the_changing_mole_and_the_pathway_checks(
    page: Page, live_server: LiveServer
) -> None:
    call_command("seed", "--patients", "120", "--seed", "2026", "--no-progress")
    base = live_server.url
    page.goto(base + "/login/")
    page.fill("input[name=username]", "laege.hansen")
    page.fill("input[name=password]", settings.OPSPOR_DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    pass_second_factor(page, "laege.hansen")

    # The girl of 6: a very urgent full blood count for leukaemia comes first.
    _overview(page, base, "child_bruising_pallor")
    expect(page.get_by_test_id("record-band")).to_contain_text("Liva Nørgaard")
    first = page.get_by_test_id("criterion").first
    expect(first).to_have_attribute("data-rule", "ng12-1.10.3-leukaemia-full-blood-count-children")
    expect(first).to_contain_text("Leukæmi")
    # NG12's "very urgent" (within 48 hours), not the urgent investigation of 2 weeks.
    expect(first.get_by_test_id("recommendation")).to_have_text(
        "Meget hastende udredning (inden for 48 timer)"
    )
    expect(first.get_by_test_id("investigations")).to_have_text("Blodtælling (hæmatologi)")
    expect(first.get_by_test_id("age-group")).to_have_text("Børn og unge (0–24 år)")
    expect(first.get_by_test_id("strength")).to_have_text("Anbefalet")
    expect(first.get_by_test_id("strength")).to_have_attribute("data-strength", "offer")
    expect(first).to_contain_text("inden for 2 dage")
    expect(first).to_contain_text("Anbefaling 1.10.3")
    expect(first.locator(".overview-because")).to_contain_text("Blå mærker")
    _shot(page, "child-overview")

    # The man of 50: the melanoma criterion with its checklist score in the "Because of" line.
    _overview(page, base, "changing_pigmented_lesion")
    melanoma = page.locator('[data-rule="ng12-1.7.1-melanoma-7-point-checklist"]')
    expect(melanoma).to_contain_text("Modermærkekræft (melanom)")
    because = melanoma.locator(".overview-because")
    expect(because).to_contain_text("Score 5 på 7-punkts tjeklisten (henvis ved 3 eller mere)")
    expect(because).not_to_contain_text("points")
    _shot(page, "melanoma-overview")

    # His referral form says which pathways' entry criteria Opspor checks.
    page.get_by_test_id("refer").click()
    checks = page.get_by_test_id("pathway-checks")
    checks.locator("summary").click()
    unchecked = checks.locator('ul[data-group="unchecked"]')
    checked = checks.locator('ul[data-group="checked"]')
    expect(checks.locator('p[data-group="unchecked"]')).to_contain_text("tjekkes ikke")
    expect(checks.locator('p[data-group="checked"]')).to_have_text(
        "Opspor tjekker indgangskriterierne"
    )
    expect(unchecked.locator('[data-pathway="lung"]')).to_be_visible()
    expect(checked.locator('[data-pathway="dpf"]')).to_be_visible()
    expect(unchecked.locator('[data-pathway="dpf"]')).to_have_count(0)
    # The hint of the clinical question belongs to that field alone.
    expect(page.locator(".form-hint", has_text="Udfyldt på forhånd")).to_have_count(1)
    _shot(page, "referral-pathway-checks")
