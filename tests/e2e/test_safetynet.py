"""A GP keeps an uncertain cough in a safety net in a real browser: opened from the
overview, a chest X-ray ordered, "no cancer found" refused while the X-ray is out, the
result recorded, seen and told, and the safety net closed.

Screenshots of the overview's panel, the episode page and the practice's list are written
to $OPSPOR_SCREENSHOTS when set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from opspor.accounts.models import User
from opspor.records.models import Patient, Practice, Symptom
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState
from opspor.safetynet.models import SafetyNetEpisode
from tests import factories
from tests.e2e.conftest import PASSWORD, pass_second_factor
from tests.two_factor import give_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"safetynet-{name}.png"), full_page=full_page)


def _coughing_patient(practice: Practice) -> Patient:
    today = timezone.localdate()
    patient = factories.patient(
        practice,
        name="Karen Lund",
        birth_date=date(today.year - 61, 5, 2),
        registered_from=today - timedelta(days=15 * 365),
    )
    visit = factories.contact(patient, on=today - timedelta(days=3))
    Symptom.objects.create(
        patient=patient,
        contact=visit,
        code="cough",
        onset=today - timedelta(days=50),
        recorded_on=today - timedelta(days=3),
        persistent=True,
        patient_words="Hosten er der stadig, også om natten.",
    )
    return patient


@pytest.fixture
def gp_page(browser: Browser, live_server: LiveServer) -> Iterator[tuple[Page, Patient]]:
    practice = factories.practice(name="Lægehuset Ved Søerne")
    clinician = factories.gp(practice)
    clinician.name = "Anne Holm"
    clinician.save()
    assert clinician.user
    patient = _coughing_patient(practice)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="da-DK")
    context.set_default_timeout(10_000)
    page = context.new_page()
    give_authenticator(clinician.user)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", clinician.user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    pass_second_factor(page, clinician.user)
    yield page, patient
    context.close()


def test_a_safety_net_from_the_overview_to_its_close(gp_page: tuple[Page, Patient]) -> None:
    page, patient = gp_page
    base = page.url.split("/safety-nets/")[0]

    # From the overview, one click to the form, prefilled with the patient's words.
    page.goto(f"{base}/patients/{patient.pk}/overview/")
    page.get_by_test_id("open-safety-net").click()
    cough = page.get_by_label("Hoste", exact=False)
    expect(cough).to_be_checked()
    expect(page.get_by_test_id("episode-form")).to_contain_text("også om natten")
    page.get_by_label("Hvad patienten skal henvende sig igen for").fill(
        "Kom igen, hvis du hoster blod, taber dig eller får åndenød."
    )
    _shot(page, "form")
    page.get_by_test_id("confirm-open").click()
    expect(page.get_by_test_id("state")).to_have_text("Åbent")
    expect(page.get_by_test_id("advice")).to_contain_text("hoster blod")

    # A chest X-ray is ordered; the workup is now pending, and says so.
    page.get_by_test_id("open-order").click()
    order = page.get_by_test_id("dialog-order")
    order.locator("select[name=kind]").select_option("chest_xray")
    order.get_by_test_id("confirm-order").click()
    investigation = page.get_by_test_id("investigation")
    expect(investigation.get_by_test_id("investigation-state")).to_have_text("Bestilt")
    expect(page.get_by_test_id("workup-pending")).to_contain_text("Røntgen af thorax")

    page.goto(f"{base}/patients/{patient.pk}/overview/")
    expect(page.get_by_test_id("safetynet-panel")).to_contain_text("Røntgen af thorax")
    panel = page.get_by_test_id("safetynet-panel")
    panel.scroll_into_view_if_needed()
    _shot(page, "overview", full_page=False)
    page.get_by_test_id("nav-safety-nets").click()
    expect(page.get_by_test_id("episode-row")).to_contain_text("Karen Lund")
    _shot(page, "list")
    page.get_by_role("link", name="Karen Lund").click()

    # "No cancer found" is refused while the X-ray is out, naming it; nothing changes.
    page.get_by_test_id("open-close").click()
    closing = page.get_by_test_id("dialog-close")
    closing.locator("select[name=outcome]").select_option("no_cancer_found")
    closing.get_by_test_id("confirm-close").click()
    closing = page.get_by_test_id("dialog-close")
    expect(closing.get_by_test_id("error")).to_be_visible()
    expect(closing.get_by_test_id("refused-items")).to_contain_text("Røntgen af thorax")
    _shot(page, "refused", full_page=False)
    assert SafetyNetEpisode.objects.get().state == "investigating"
    closing.locator("[data-dialog-close]").first.click()
    expect(closing).to_be_hidden()

    # The result is in, seen, and told to the patient.
    page.get_by_test_id("open-result").click()
    result = page.get_by_test_id("dialog-result")
    result.get_by_label("Svaret med ord").fill("Ingen fortætninger, ingen tumor.")
    result.get_by_test_id("confirm-result").click()
    expect(page.get_by_test_id("investigation-state")).to_have_text(
        "Svar foreligger, ikke set endnu"
    )
    page.get_by_test_id("mark-seen").click()
    expect(page.get_by_test_id("investigation-state")).to_contain_text("Set af en læge")
    page.get_by_test_id("open-told").click()
    told = page.get_by_test_id("dialog-told")
    told.get_by_label("Telefonisk").check()
    told.get_by_test_id("confirm-told").click()
    expect(page.get_by_test_id("investigation-state")).to_have_text("Givet til patienten")
    expect(page.get_by_test_id("workup-pending")).to_have_count(0)
    _shot(page, "episode")

    # Now it may close as "no cancer found".
    page.get_by_test_id("open-close").click()
    closing = page.get_by_test_id("dialog-close")
    closing.locator("select[name=outcome]").select_option("no_cancer_found")
    closing.get_by_label("Note (valgfri)").fill("Røntgen normal, hosten aftager.")
    closing.get_by_test_id("confirm-close").click()
    expect(page.get_by_test_id("closed")).to_contain_text("Ingen kræft fundet")
    expect(page.get_by_test_id("timeline")).to_contain_text("Sikkerhedsnet lukket")
    # The refused attempt stays in the timeline, in words.
    expect(page.get_by_test_id("timeline")).to_contain_text(
        "Lukning som “Ingen kræft fundet” afvist: Røntgen af thorax afventer stadig"
    )
    episode = SafetyNetEpisode.objects.get()
    assert (episode.state, episode.outcome) == ("closed", "no_cancer_found")


def test_the_overview_proposes_a_safety_net_when_a_pathway_ended_and_symptoms_persist(
    gp_page: tuple[Page, Patient],
) -> None:
    page, patient = gp_page
    scheme, host = urlsplit(page.url)[:2]
    base = f"{scheme}://{host}"
    now = timezone.now()
    Referral.objects.create(
        patient=patient,
        practice=patient.practice,
        unit=factories.unit(),
        requester=User.objects.get(clinician__practice=patient.practice),
        pathway="lung",
        state=ReferralState.COMPLETED,
        sent_at=now - timedelta(days=30),
        triage_due_at=now - timedelta(days=29),
        completed_at=now - timedelta(days=5),
    )
    page.goto(f"{base}/patients/{patient.pk}/overview/")
    proposal = page.get_by_test_id("safetynet-proposal")
    expect(proposal).to_contain_text("uden en registreret kræftdiagnose")
    proposal.scroll_into_view_if_needed()
    _shot(page, "proposal", full_page=False)
    proposal.get_by_test_id("propose-safety-net").click()
    expect(page.locator("select[name=reason]")).to_have_value("pathway_negative_symptoms_persist")
