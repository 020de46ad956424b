"""A GP dismisses a patient's signal with a reason in a real browser and lands back on the
patient's overview, which says what happened; a screenshot of it is written to
$OPSPOR_SCREENSHOTS when set."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from opspor.safetynet.models import SignalDismissal
from opspor.safetynet.signal_compute import practice_signals_compute
from tests import factories
from tests.e2e.conftest import Login
from tests.e2e.test_safetynet import _shot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_dismissed_signal_returns_to_the_overview_with_its_message(login: Login) -> None:
    today = timezone.localdate()
    gp = factories.gp()
    patient = factories.patient(
        gp.practice, name="Lone Berg", birth_date=date(today.year - 58, 3, 1)
    )
    for days in (1, 10, 20, 40, 60, 400, 900):
        factories.contact(patient, on=today - timedelta(days=days))
    practice_signals_compute(practice_id=gp.practice_id)
    assert gp.user is not None
    session = login(gp.user)
    overview = reverse("records:patient_overview", args=[patient.pk])
    session.goto(overview)
    token = next(c["value"] for c in session.page.context.cookies() if c["name"] == "csrftoken")
    answer = session.page.request.post(
        session.base + reverse("safetynet:signal_dismiss", args=[patient.pk, "low_user_rise"]),
        form={"reason": "Kendt og udredt i efteråret", "next": overview},
        headers={"X-CSRFToken": token, "Referer": session.base + overview},
        max_redirects=0,
    )
    assert answer.status == 302
    session.goto(answer.headers["location"])
    expect(session.page.get_by_test_id("flash")).to_contain_text("efter næste kontakt")
    _shot(session.page, "signal-dismissed", full_page=False)
    assert SignalDismissal.objects.filter(patient=patient, reason__startswith="Kendt").exists()
