"""The GP opens the overview of a patient who returns after years away, in a real browser."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from opspor.records.models import AccessLogEntry, ClinicalFinding, Patient, Practice, Symptom
from tests import factories
from tests.e2e.conftest import Login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def _returning_man(practice: Practice) -> Patient:
    today = timezone.localdate()
    patient = factories.patient(
        practice,
        name="Jørgen Tilbage",
        birth_date=date(today.year - 58, 2, 1),
        sex="male",
        lives_alone=True,
        registered_from=today - timedelta(days=20 * 365),
        story="man-alone-returns",
    )
    factories.contact(patient, on=today - timedelta(days=5 * 365))
    visit = factories.contact(patient, on=today - timedelta(days=1))
    Symptom.objects.create(
        patient=patient,
        contact=visit,
        code="weight_loss",
        onset=today - timedelta(days=90),
        recorded_on=today - timedelta(days=1),
        persistent=True,
        patient_words="Bukserne er blevet for store.",
    )
    ClinicalFinding.objects.create(patient=patient, code="anaemia", found_on=today)
    return patient


def test_gp_opens_the_overview_of_a_returning_patient(login: Login) -> None:
    gp = factories.gp()
    assert gp.practice is not None
    patient = _returning_man(gp.practice)
    session = login(gp.user)
    page = session.page
    page.get_by_test_id("nav-patients").click()
    page.get_by_role("link", name="Jørgen Tilbage").click()
    assert page.url.endswith(reverse("records:patient_overview", args=[patient.pk]))

    signals = page.get_by_test_id("signals")
    expect(signals).to_contain_text("Tilbage efter langt fravær")
    expect(signals).to_contain_text("Patienten har ikke været i kontakt med praksis i 5 år")
    expect(page.get_by_test_id("vulnerability-flags")).to_contain_text("Mand, der bor alene")
    criteria = page.get_by_test_id("criteria")
    expect(criteria).to_contain_text("Opfyldte kriterier")
    expect(criteria.get_by_test_id("criterion").first).to_contain_text("Overvej henvisning")
    expect(page.get_by_test_id("symptoms")).to_contain_text("Bukserne er blevet for store.")
    # The GP's first screen holds both the signals and the criteria.
    expect(signals).to_be_in_viewport()
    expect(criteria.get_by_role("heading", level=2)).to_be_in_viewport()

    page.get_by_role("link", name="NICE NG12").click()
    expect(page.get_by_test_id("criteria")).to_contain_text("NICE NG12")
    page.get_by_test_id("full-record-link").click()
    expect(page.get_by_test_id("record-band")).to_contain_text("Jørgen Tilbage")
    assert AccessLogEntry.objects.filter(patient=patient, what="overview").count() == 2
