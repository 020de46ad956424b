"""The patient's "who has read my record" page in a browser, in Danish: reached from the
record page, the reads listed with a refused attempt marked, the CSV downloaded. A
screenshot goes to $OPSPOR_SCREENSHOTS when set (docs/screenshots for the README)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from opspor.accounts.models import Role
from opspor.records.models import Clinician
from opspor.records.services import record_read_log, record_read_refused, record_reads_log
from tests import factories
from tests.e2e.browsing import shot
from tests.e2e.conftest import LoggedIn

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_the_patient_finds_reads_of_their_record_and_downloads_them(
    login: Callable[..., LoggedIn],
) -> None:
    unit = factories.unit(name="Diagnostisk Center, Herlev")
    practice = factories.practice(name="Lægerne på Torvet", diagnostic_unit=unit)
    account = factories.user(Role.PATIENT, first_name="Karen", last_name="Holm")
    me = factories.patient(practice, name="Karen Holm", user=account)
    gp = Clinician.objects.create(
        name="Mette Lund",
        role=Clinician.Role.GP,
        practice=practice,
        user=factories.user(Role.GP),
    )
    doctor = Clinician.objects.create(
        name="Ali Demir",
        role=Clinician.Role.UNIT_DOCTOR,
        unit=unit,
        user=factories.user(Role.UNIT_DOCTOR),
    )
    stranger = factories.gp(factories.practice(name="Lægehuset ved Søerne"))
    assert gp.user and doctor.user and stranger.user
    record_reads_log(user=gp.user, patient_ids=[me.pk], what="worklist")
    record_read_log(user=gp.user, patient=me, what="overview")
    record_read_log(user=doctor.user, patient=me, what="referral")
    record_read_log(user=doctor.user, patient=me, what="referral messages")
    record_read_refused(user=stranger.user, patient=me, what="record")

    session = login(account)
    session.goto("/patients/me/")
    session.page.get_by_test_id("access-log-link").click()
    page = session.page
    expect(page.get_by_test_id("access-log-row")).to_have_count(5)
    expect(page.get_by_test_id("access-log-refused")).to_have_count(1)
    expect(page.get_by_test_id("access-log-table")).to_contain_text("Mette Lund")
    expect(page.get_by_test_id("access-log-table")).to_contain_text("Diagnostisk Center, Herlev")
    assert page.locator("html").get_attribute("lang") == "da"
    shot(page, "access-log-da")

    with page.expect_download(timeout=10_000) as download:
        page.get_by_test_id("access-log-csv").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert text.count("\n") == 6 and "Lægehuset ved Søerne" in text
