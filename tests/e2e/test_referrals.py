"""A GP and a diagnostic unit walk a case together in real browsers: advice, referral,
rejection with a plan, acknowledgement, a new referral and its acceptance.

Screenshots of the GP's list, the unit's inbox, the reject dialog and a case with its
thread are written to $OPSPOR_SCREENSHOTS when set (docs/screenshots for the README).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from opspor.accounts.models import User
from opspor.records.models import ClinicalFinding, Patient, Practice, Symptom
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.workflow import AdviceState, ReferralState
from tests import factories
from tests.e2e.conftest import CHROMIUM_FLAGS, PASSWORD, pass_second_factor
from tests.two_factor import give_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

Open = Callable[[User], Page]


@pytest.fixture
def open_as(browser: Browser, live_server: LiveServer) -> Iterator[Open]:
    """A logged-in page of its own for each user, so both sides work side by side."""
    assert CHROMIUM_FLAGS  # the browser fixture launched chromium with these
    contexts = []

    def _open(user: User) -> Page:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="da-DK")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        give_authenticator(user)
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        pass_second_factor(page, user)
        return page

    yield _open
    for context in contexts:
        context.close()


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    folder = os.environ.get("OPSPOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"referral-{name}.png"), full_page=full_page)


def _patient_losing_weight(practice: Practice) -> Patient:
    today = timezone.localdate()
    patient = factories.patient(
        practice,
        name="Bent Jørgensen",
        birth_date=date(today.year - 67, 3, 1),
        sex="male",
        registered_from=today - timedelta(days=20 * 365),
    )
    factories.contact(patient, on=today - timedelta(days=400))
    visit = factories.contact(patient, on=today - timedelta(days=2))
    Symptom.objects.create(
        patient=patient,
        contact=visit,
        code="weight_loss",
        onset=today - timedelta(days=80),
        recorded_on=today - timedelta(days=2),
        persistent=True,
        patient_words="Jeg har tabt seks kilo uden at prøve.",
    )
    ClinicalFinding.objects.create(patient=patient, code="anaemia", found_on=today)
    return patient


def test_advice_referral_rejection_acknowledgement_and_a_new_referral(open_as: Open) -> None:
    unit = factories.unit(
        name="Diagnostisk Enhed, Herlev", hospital="Herlev Hospital", on_call_phone="38 68 00 00"
    )
    practice = factories.practice(diagnostic_unit=unit, name="Lægehuset Ved Søerne")
    gp_clinician = factories.gp(practice)
    gp_clinician.name = "Anne Holm"
    gp_clinician.save()
    doctor_clinician = factories.unit_doctor(unit)
    doctor_clinician.name = "Overlæge Peter Berg"
    doctor_clinician.save()
    assert gp_clinician.user and doctor_clinician.user
    patient = _patient_losing_weight(practice)
    gp, doctor = open_as(gp_clinician.user), open_as(doctor_clinician.user)
    base = gp.url.split("/safety-nets/")[0]

    # The GP asks the unit from the patient's overview; the engine's findings go along.
    gp.get_by_test_id("nav-patients").click()
    gp.get_by_role("link", name="Bent Jørgensen").click()
    gp.get_by_test_id("ask-unit").click()
    expect(gp.get_by_test_id("findings")).to_be_visible()
    gp.get_by_label("Dit spørgsmål til den diagnostiske enhed").fill(
        "Vægttab 6 kg og anæmi hos 67-årig. Pakkeforløb eller CT først?"
    )
    gp.get_by_test_id("send-advice").click()
    expect(gp.get_by_test_id("state")).to_have_text("Sendt")
    advice = AdviceRequest.objects.get()

    # The unit answers it from its inbox.
    doctor.get_by_role("link", name="Visitation", exact=True).click()
    doctor.get_by_test_id("tab-advice").click()
    doctor.get_by_role("link", name="Bent Jørgensen").click()
    doctor.get_by_label("Dit svar").fill("Henvis til pakkeforløbet; tag de manglende prøver.")
    doctor.get_by_test_id("send-answer").click()
    expect(doctor.get_by_test_id("answer-text")).to_contain_text("Henvis til pakkeforløbet")

    # The GP turns the answer into a referral without typing the question again.
    gp.reload()
    expect(gp.get_by_test_id("answer-text")).to_contain_text("Henvis til pakkeforløbet")
    gp.get_by_test_id("convert").click()
    question = gp.get_by_label("Klinisk spørgsmål og fund")
    expect(question).to_have_value("Vægttab 6 kg og anæmi hos 67-årig. Pakkeforløb eller CT først?")
    expect(gp.get_by_test_id("completeness")).to_contain_text("ikke blevet fortalt")
    gp.get_by_label("Jeg har fortalt patienten").check()
    gp.get_by_label("Hvorfor henvisningen sendes").fill("Prøverne tages i morgen")
    gp.get_by_test_id("send").click()
    expect(gp.get_by_test_id("state")).to_have_text("Sendt")
    first = Referral.objects.get()
    assert first.from_advice_id == advice.pk
    advice.refresh_from_db()
    assert advice.state == AdviceState.CLOSED

    # The unit sees it in its inbox, with what was missing, and rejects it with a plan.
    doctor.goto(base + "/referrals/inbox/")
    row = doctor.get_by_test_id("inbox-row").filter(has_text="Bent Jørgensen")
    expect(row.get_by_test_id("missing-count")).to_be_visible()
    _shot(doctor, "inbox")
    row.get_by_role("link", name="Bent Jørgensen").click()
    doctor.get_by_test_id("open-reject").click()
    dialog = doctor.get_by_test_id("dialog-reject")
    expect(dialog).to_be_visible()
    dialog.locator("select[name=reason_category]").select_option("investigations_first")
    dialog.locator("textarea[name=reason_text]").fill(
        "Anæmien er ikke udredt; en CT kan afklare det hurtigere end hele pakkeforløbet."
    )
    dialog.get_by_test_id("confirm-reject").click()
    # No plan: refused with the reason, in the same dialog, and nothing changed.
    dialog = doctor.get_by_test_id("dialog-reject")
    expect(dialog.get_by_test_id("error")).to_contain_text("kræver en alternativ plan")
    first.refresh_from_db()
    assert first.state == ReferralState.SENT
    dialog.locator("select[name=alternative_plan_code]").select_option("direct_ct_thorax_abdomen")
    dialog.locator("textarea[name=alternative_plan_text]").fill(
        "Bestil CT thorax og abdomen direkte; henvis igen, hvis den viser noget."
    )
    _shot(doctor, "reject-dialog", full_page=False)  # a modal covers the viewport
    dialog.get_by_test_id("confirm-reject").click()
    expect(doctor.get_by_test_id("state")).to_have_text("Afvist")

    # The GP is told at once, sees the reason and the plan first, and acknowledges it.
    gp.goto(base + "/referrals/")
    expect(gp.get_by_test_id("notification-count")).to_contain_text("1 ulæst notifikation")
    card = gp.get_by_test_id("rejection")
    expect(card).to_contain_text("Anæmien er ikke udredt")
    expect(card.get_by_test_id("plan")).to_contain_text("CT af thorax og abdomen")
    _shot(gp, "gp-list")
    card.get_by_test_id("acknowledge").click()
    expect(gp.get_by_test_id("rejections")).to_have_count(0)
    first.refresh_from_db()
    assert first.acknowledged_by == gp_clinician.user

    # A new referral from the overview, complete this time, for the kidney pathway.
    gp.goto(base + f"/patients/{patient.pk}/overview/")
    gp.get_by_test_id("refer").click()
    gp.get_by_label("Pakkeforløb").select_option("kidney")
    gp.get_by_label("Klinisk spørgsmål og fund").fill(
        "CT viste tumor i venstre nyre. Vægttab og anæmi. Henvises til pakkeforløb."
    )
    gp.get_by_label("Jeg har fortalt patienten").check()
    expect(gp.get_by_test_id("completeness")).to_have_attribute("data-complete", "true")
    gp.get_by_test_id("send").click()
    expect(gp.get_by_test_id("state")).to_have_text("Sendt")
    second = Referral.objects.exclude(pk=first.pk).get()

    # The unit asks a question in the thread; the GP reads it and answers; then it accepts.
    doctor.goto(base + f"/referrals/{second.pk}/")
    doctor.get_by_role("textbox", name="Besked").fill("Får patienten blodfortyndende medicin?")
    doctor.get_by_test_id("send-message").click()
    expect(doctor.get_by_test_id("unread-receipt")).to_be_visible()
    gp.goto(base + f"/referrals/{second.pk}/")
    gp.get_by_role("textbox", name="Besked").fill("Nej, ingen blodfortyndende medicin.")
    gp.get_by_test_id("send-message").click()
    doctor.reload()
    expect(doctor.get_by_test_id("read-receipt")).to_contain_text("Læst")
    doctor.get_by_test_id("open-accept").click()
    doctor.get_by_test_id("confirm-accept").click()
    expect(doctor.get_by_test_id("state")).to_have_text("Accepteret")
    expect(doctor.get_by_test_id("contacts-practice")).to_contain_text(practice.direct_phone)
    _shot(doctor, "detail-thread")
    second.refresh_from_db()
    assert second.state == ReferralState.ACCEPTED and second.first_contact_due_at
