"""A GP logs in to the practice's worklist in a real browser: the most urgent first, "mine"
one click away, a result marked seen from its episode and the item changing, and the
patient's overview one click from the list; the same page in Arabic, right to left.

Screenshots are written to $OPSPOR_SCREENSHOTS when set.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import Page, expect

from opspor.population.services import scan_import
from opspor.records.models import Patient, Practice
from opspor.referrals.workflow import ReferralState
from opspor.safetynet import services
from opspor.safetynet.models import SafetyNetEpisode
from tests import factories
from tests.e2e.conftest import Login
from tests.population import results
from tests.referrals.worlds import World, make_world, referral_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"worklist-{name}.png"), full_page=True)


def _patient(practice: Practice, name: str) -> Patient:
    return factories.patient(practice, name=name, birth_date=date(1962, 4, 2))


def _practice_with_items() -> tuple[World, Patient]:  # the world and Bo
    world = make_world()
    for user, name in ((world.gp, "Anne Holm"), (world.other_gp, "Peter Berg")):
        user.clinician.name = name  # type: ignore[attr-defined]
        user.clinician.save()  # type: ignore[attr-defined]
        user.username = name.lower().replace(" ", ".")
        user.save()
    practice = world.patient.practice
    today = timezone.localdate()

    def opened(who: Patient, owner: object) -> SafetyNetEpisode:
        return services.episode_open(
            patient=who,
            by=world.gp,
            owner=owner,  # type: ignore[arg-type]
            reason="pending_investigations",
            follow_up_on=today + timedelta(days=14),
            ends_on=today + timedelta(days=42),
            advice="Kom igen, hvis det bliver værre.",
        )

    bo = _patient(practice, "Bo Nielsen")
    xray = services.investigation_order(
        episode=opened(bo, world.gp),
        by=world.gp,
        kind="chest_xray",
        description="Røntgen af thorax",
        expected_by=today + timedelta(days=7),
    )
    services.investigation_record_result(investigation=xray, by=world.gp, text="Normal")
    late = opened(_patient(practice, "Ida Madsen"), world.other_gp)
    services.investigation_order(
        episode=late,
        by=world.gp,
        kind="lab",
        code="haemoglobin",
        description="",
        expected_by=today + timedelta(days=1),
    )
    SafetyNetEpisode.objects.filter(pk=late.pk).update(follow_up_on=today - timedelta(days=2))
    late.investigations.update(expected_by=today - timedelta(days=4))
    referral_in(
        world,
        ReferralState.REJECTED,
        patient=_patient(practice, "Erik Sørensen"),
        decided_at=timezone.now() - timedelta(days=1),
        alternative_plan_text="CT thorax og abdomen",
    )
    return world, bo


def test_the_gp_lands_on_the_worklist_narrows_to_mine_and_acts(login: Login) -> None:
    world, _ = _practice_with_items()
    session = login(world.gp)
    page = session.page
    assert page.url.endswith("/safety-nets/worklist/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Arbejdsliste")
    items = page.get_by_test_id("worklist-item")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text("Afvist henvisning, endnu ikke kvitteret")
    expect(items.nth(0)).to_contain_text("Erik Sørensen")
    expect(items.nth(1)).to_contain_text("Svar ikke set af en læge")
    expect(items.nth(2)).to_contain_text("Undersøgelse over forventet dato")
    expect(items.nth(3)).to_contain_text("Opfølgning forfalden")
    _shot(page, "da")

    page.get_by_test_id("owner-mine").click()
    expect(items).to_have_count(2)  # the rejection Anne sent and Bo's result
    expect(page.get_by_test_id("worklist-table")).not_to_contain_text("Ida Madsen")

    # The case is one click away; marking the result seen moves Bo's item on.
    items.filter(has_text="Bo Nielsen").get_by_test_id("worklist-case").click()
    page.get_by_test_id("mark-seen").click()
    expect(page.get_by_test_id("flash")).to_be_visible()
    page.get_by_test_id("nav-worklist").click()
    bo_item = page.get_by_test_id("worklist-item").filter(has_text="Bo Nielsen")
    expect(bo_item).to_contain_text("Svar ikke givet til patienten")

    # And the patient's overview is one click from the list.
    bo_item.get_by_test_id("worklist-patient").click()
    expect(page.get_by_test_id("record-band")).to_contain_text("Bo Nielsen")


def test_the_worklist_in_arabic_reads_right_to_left(login: Login) -> None:
    world, _ = _practice_with_items()
    session = login(world.gp)
    page = session.page
    page.get_by_test_id("language-ar").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("قائمة العمل")
    expect(page.get_by_test_id("worklist-item")).to_have_count(4)
    _shot(page, "ar")


def test_the_population_scans_signal_is_on_the_worklist_with_its_day(
    login: Login, tmp_path: Path
) -> None:
    world, _ = _practice_with_items()
    practice = world.patient.practice
    as_of = timezone.localdate() - timedelta(days=1)
    scan_import(
        path=results.write(
            tmp_path / "signals.parquet",
            [results.row(world.patient.pk, practice.pk, as_of, **results.low_user_rise())],
            results.meta(as_of, {practice.pk: 1}),
        ),
        now=timezone.now(),
        by="command",
    )
    page = login(world.gp).page
    item = page.get_by_test_id("worklist-item").filter(has_text=world.patient.name)
    expect(item).to_have_count(1)
    with translation.override("da"):
        day = formats.date_format(as_of, "SHORT_DATE_FORMAT")
    expect(page.get_by_role("main")).to_contain_text(f"regionens populationsscanning pr. {day}")
    _shot(page, "scan-da")
