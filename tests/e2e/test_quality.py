"""The quality dashboard and a practice's mirror in a real browser: the plots render from our
own static files, a data table opens, and screenshots go to $OPSPOR_SCREENSHOTS."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from opspor.accounts.models import Role
from opspor.records.models import Practice
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState, RejectionReason
from tests import factories
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import Login
from tests.quality import factory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def _practices() -> list[Practice]:
    return [
        factories.practice(name=name)
        for name in (
            "Lægehuset Amager",
            "Lægerne Brønshøj",
            "Lægerne på Nørrebro",
            "Lægehuset Valby",
            "Lægerne i Vanløse",
        )
    ]


def _wait_for_plots(page: Page) -> None:
    """Every plot container holds an svg (bounded by the context's 10 s timeout), and none
    failed."""
    plots = page.locator("[data-vega-spec]")
    assert plots.count() > 0
    for i in range(plots.count()):
        expect(plots.nth(i).locator("svg").first).to_be_visible()
    assert page.locator("[data-rendered=failed]").count() == 0


def _shot(page: Page, name: str, section: str, height: int = 2000) -> None:
    """From the top of `section` down `height` pixels, when $OPSPOR_SCREENSHOTS names a
    folder: the funnel plots and their opened table, rather than the whole long page."""
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    box = page.get_by_test_id(section).bounding_box()
    assert box is not None
    scroll = page.evaluate("window.scrollY")
    width = page.viewport_size["width"] if page.viewport_size else 1366
    page.screenshot(
        path=str(Path(folder) / f"{name}.png"),
        full_page=True,
        clip={"x": 0, "y": box["y"] + scroll - 24, "width": width, "height": height},
    )


def test_the_analyst_sees_the_dashboard_plots_and_a_data_table(login: Login) -> None:
    practices = _practices()
    factory.seed(practices)
    factories.patient(practices[0], name="Karen Holm")
    page = login(factories.user(Role.ANALYST)).page
    assert page.url.endswith("/quality/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _wait_for_plots(page)
    expect(page.locator("main")).not_to_contain_text("Karen Holm")
    funnel = page.locator("#funnel-referral_conversion-record")
    funnel.get_by_test_id("data-table").locator("summary").click()
    table = funnel.locator("table")
    expect(table).to_be_visible()
    expect(table).to_contain_text("Lægerne på Nørrebro")
    assert_accessible(page, what="the quality dashboard")
    _shot(page, "quality-dashboard", "section-referrals")


def test_the_gp_sees_the_mirror_with_only_their_own_practice_named(login: Login) -> None:
    practices = _practices()
    factory.seed(practices)
    gp = factories.gp(practices[2])
    now = timezone.now()
    Referral.objects.create(
        patient=factories.patient(practices[2], name="Karen Holm"),
        practice=practices[2],
        unit=factories.unit(),
        requester=gp.user,
        pathway="dpf",
        state=ReferralState.REJECTED,
        sent_at=now - timedelta(days=9),
        triage_due_at=now - timedelta(days=7),
        decided_at=now - timedelta(days=8),
        reason_category=RejectionReason.INVESTIGATIONS_FIRST,
        reason_text="Mangler CT af thorax",
        alternative_plan_text="Bestil CT af thorax og henvis igen ved fund",
    )
    page = login(gp.user).page
    page.get_by_test_id("nav-mirror").click()
    assert page.url.endswith("/quality/practice/")
    _wait_for_plots(page)
    main = page.locator("main")
    expect(page.get_by_test_id("mirror-practice")).to_have_text("Lægerne på Nørrebro")
    for other in practices:
        if other != practices[2]:
            expect(main).not_to_contain_text(other.name)
    funnel = page.locator("#funnel-referral_conversion-record")
    funnel.get_by_test_id("data-table").locator("summary").click()
    expect(funnel.locator("table")).to_be_visible()
    # The own point is labelled in the plot itself, not by colour alone.
    own = funnel.locator("tr.quality-own th").inner_text().strip()
    expect(funnel.locator("svg")).to_contain_text(own)
    rejections = page.get_by_test_id("section-rejections")
    expect(rejections).to_contain_text("Mangler CT af thorax")
    expect(rejections).to_contain_text("Bestil CT af thorax")
    expect(rejections).not_to_contain_text("Karen Holm")
    assert_accessible(page, what="the practice mirror")
    _shot(page, "quality-mirror", "section-referrals")
