"""Each role logs in through a real browser and lands on its own page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from opspor.accounts.models import Role
from opspor.records.models import AccessLogEntry, Clinician, Patient, Symptom
from tests import factories
from tests.e2e.conftest import PASSWORD, Login, pass_second_factor
from tests.two_factor import give_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def _gp_with_patients() -> tuple[Clinician, Patient, Patient]:
    gp = factories.gp()
    assert gp.practice is not None
    mine = factories.patient(gp.practice, name="Karen Holm", story="breast-lump")
    factories.patient(gp.practice, name="Bent Mortensen")
    theirs = factories.patient(factories.practice(), name="Svend Ibsen")
    return gp, mine, theirs


def test_gp_lands_on_the_worklist_and_opens_an_overview_from_the_patient_list(
    login: Login,
) -> None:
    gp, mine, _ = _gp_with_patients()
    today = timezone.localdate()
    Symptom.objects.create(
        patient=mine,
        code="breast_lump",
        onset=today - timedelta(days=30),
        recorded_on=today,
        patient_words="Jeg kan mærke en knude",
    )
    session = login(gp.user)
    page = session.page
    assert page.url.endswith("/safety-nets/worklist/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Arbejdsliste")
    expect(page.get_by_test_id("worklist-empty")).to_be_visible()
    page.get_by_test_id("nav-patients").click()  # the patient list, one click away
    assert page.url.endswith("/patients/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Patienter")
    table = page.get_by_test_id("patient-table")
    expect(table).to_contain_text("Karen Holm")
    expect(table).not_to_contain_text("Svend Ibsen")
    expect(table.get_by_text("Fiktiv historiepatient")).to_have_count(1)
    page.get_by_role("link", name="Karen Holm").click()
    expect(page.get_by_test_id("record-band")).to_contain_text("Karen Holm")
    expect(page.get_by_test_id("fictional-marker")).to_be_visible()
    expect(page.get_by_test_id("symptoms")).to_contain_text("Jeg kan mærke en knude")
    reads = AccessLogEntry.objects.filter(patient=mine, user=gp.user)
    # The list named her once; her overview was opened once.
    assert sorted(reads.values_list("what", flat=True)) == ["overview", "patient list"]


def test_gp_name_search_updates_the_list_in_place(login: Login) -> None:
    gp, _, _ = _gp_with_patients()
    session = login(gp.user)
    session.goto("/patients/")
    page = session.page
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Søg på navn").fill("mort")
    table = page.get_by_test_id("patient-table")
    expect(table).not_to_contain_text("Karen Holm")
    expect(table).to_contain_text("Bent Mortensen")
    assert page.evaluate("window.__sameDocument") is True, "htmx swapped the table in place"
    assert "mort" not in page.url, "the search is not put into the address"
    page.reload()  # the search is kept for the session, also without htmx
    expect(page.get_by_label("Søg på navn")).to_have_value("mort")
    expect(page.get_by_test_id("patient-table")).not_to_contain_text("Karen Holm")


def test_gp_cannot_open_another_practices_patient(login: Login) -> None:
    gp, _, theirs = _gp_with_patients()
    session = login(gp.user)
    response = session.page.goto(f"{session.base}/patients/{theirs.pk}/")
    assert response is not None
    assert response.status == 404
    expect(session.page.get_by_role("heading", level=1)).to_have_text("Siden findes ikke")
    expect(session.page.locator("main")).not_to_contain_text("Svend Ibsen")
    [attempt] = AccessLogEntry.objects.all()
    assert (attempt.user, attempt.patient, attempt.refused) == (gp.user, theirs, True)


def test_patient_lands_on_their_own_record(login: Login) -> None:
    account = factories.user(Role.PATIENT)
    me = factories.patient(name="Zahra Ahmadi", user=account, interpreter_needed=True)
    today = timezone.localdate()
    for days in (10, 400, 1000):
        factories.contact(me, on=today - timedelta(days=days), note=f"Kontakt {days}")
    page = login(account).page
    assert page.url.endswith("/patients/me/")
    expect(page.get_by_test_id("record-band")).to_contain_text("Zahra Ahmadi")
    expect(page.get_by_test_id("interpreter-needed")).to_be_visible()
    contacts = page.get_by_test_id("contacts")
    expect(contacts).to_contain_text("Kontakt 400")
    expect(contacts).not_to_contain_text("Kontakt 1000")
    page.get_by_test_id("show-all-contacts").click()
    expect(page.get_by_test_id("contacts")).to_contain_text("Kontakt 1000")


def test_unit_doctor_lands_on_the_inbox_and_finds_the_unit_page(login: Login) -> None:
    unit = factories.unit(name="Diagnostisk Enhed Bispebjerg", direct_phone="38 63 51 20")
    factories.practice(name="Lægerne på Nørrebro", diagnostic_unit=unit, direct_phone="35 35 12 12")
    doctor = factories.unit_doctor(unit)
    page = login(doctor.user).page
    assert page.url.endswith("/referrals/inbox/")
    expect(page.get_by_test_id("inbox-unit")).to_contain_text("Diagnostisk Enhed Bispebjerg")
    page.get_by_test_id("inbox-unit").get_by_role("link").click()
    assert page.url.endswith("/unit/")
    expect(page.get_by_test_id("unit-name")).to_have_text("Diagnostisk Enhed Bispebjerg")
    expect(page.get_by_test_id("unit-phones")).to_contain_text("38 63 51 20")
    expect(page.get_by_test_id("practice-directory")).to_contain_text("35 35 12 12")
    expect(page.get_by_test_id("inbox-link")).to_contain_text("visiteres")


def test_analyst_lands_on_the_quality_dashboard_without_names(login: Login) -> None:
    _gp_with_patients()
    page = login(factories.user(Role.ANALYST)).page
    assert page.url.endswith("/quality/")
    expect(page.get_by_test_id("nav-quality")).to_be_visible()
    expect(page.get_by_test_id("no-figures")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Karen Holm")


def test_admin_lands_on_the_django_admin(login: Login) -> None:
    admin = factories.user(Role.ADMIN, is_staff=True, is_superuser=True)
    page = login(admin).page
    assert page.url.endswith("/admin/")
    expect(page.locator("#site-name")).to_be_visible()


def test_wrong_password_shows_an_error(login: Login) -> None:
    gp, _, _ = _gp_with_patients()
    page = login(gp.user, password="wrong password").page
    assert page.url.endswith("/login/")
    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page.get_by_test_id("login-error")).to_contain_text("Du blev ikke logget ind")


def test_language_switcher_turns_the_page_arabic_right_to_left(login: Login) -> None:
    gp, mine, _ = _gp_with_patients()
    session = login(gp.user)
    page = session.page
    session.goto(f"/patients/{mine.pk}/")
    page.get_by_test_id("language-ar").click()
    page.wait_for_load_state()
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    assert page.url.endswith(f"/patients/{mine.pk}/")
    expect(page.get_by_test_id("fictional-marker")).to_contain_text("مريض تجريبي خيالي")
    page.get_by_test_id("language-da").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")


def test_a_patient_chooses_dari_on_the_login_page_and_keeps_it_on_their_record(
    page: Page, live_server: LiveServer
) -> None:
    """Dari is offered before login, stays chosen after it, and the GP's picker lacks it."""
    gp, mine, _ = _gp_with_patients()
    assert gp.user is not None
    account = factories.user(Role.PATIENT)
    mine.user = account
    mine.save()
    page.goto(live_server.url + "/login/")
    page.get_by_test_id("language-fa-af").click()
    page.wait_for_load_state()
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "fa-af")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("به Opspor داخل شوید")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/patients/me/")
    expect(html).to_have_attribute("lang", "fa-af")
    expect(page.get_by_test_id("fictional-marker")).to_contain_text("مریض خیالی برای نمایش")
    expect(page.get_by_test_id("translation-note")).to_contain_text("دری")
    expect(page.get_by_test_id("patient-help")).to_contain_text("112")

    # The same browser, still asking for Dari, logged in as the GP: Danish, no Dari offered.
    page.get_by_role("button", name="خروج").click()
    page.wait_for_url("**/login/")
    give_authenticator(gp.user)
    page.fill("input[name=username]", gp.user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    pass_second_factor(page, gp.user)
    page.wait_for_url("**/safety-nets/worklist/")
    expect(html).to_have_attribute("lang", "da")
    expect(page.get_by_test_id("language-fa-af")).to_have_count(0)


def test_logout_returns_to_the_login_page(login: Login) -> None:
    page: Page = login(factories.user(Role.ANALYST)).page
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url("**/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log ind på Opspor")
