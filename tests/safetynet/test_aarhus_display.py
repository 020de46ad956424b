"""An episode's Aarhus time points and intervals on its page and in the API's answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opspor.records.models import CancerDiagnosis, Symptom
from opspor.referrals import services as referral_services
from opspor.safetynet.api.common import episode_detail_out
from opspor.safetynet.models import SafetyNetEpisode
from tests import factories
from tests.safetynet.test_views import Net, net, opened

pytestmark = pytest.mark.django_db
_ = net


def consulted(net: Net, code: str, *, days_ago: int, onset_days_ago: int = 200) -> None:
    today = timezone.localdate()
    on = today - timedelta(days=days_ago)
    Symptom.objects.create(
        patient=net.patient,
        contact=factories.contact(net.patient, on=on),
        code=code,
        onset=today - timedelta(days=onset_days_ago),
        recorded_on=on,
    )


def section(net: Net, episode: SafetyNetEpisode) -> str:
    page = net.client.get(reverse("safetynet:detail", args=[episode.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('data-testid="aarhus"')
    return html[start : html.index("</section>", start)]


def test_the_page_shows_unknown_for_what_the_record_does_not_hold(net: Net) -> None:
    episode = opened(net)
    html = section(net, episode)
    assert "Tidspunkter og intervaller (Aarhus-erklæringen)" in html
    # No referral, no diagnosis: those dates and every interval that needs them are unknown.
    assert html.count("ukendt") >= 2 + 4
    assert "Weller" in html
    assert "3+ konsultationer" not in html
    assert 'data-testid="aarhus-problems"' not in html


def test_the_page_counts_days_and_flags_three_consultations(net: Net) -> None:
    for days_ago in (100, 60, 20):
        consulted(net, "cough", days_ago=days_ago)
    episode = opened(net)
    draft = referral_services.referral_create_draft(
        by=net.gp, patient=net.patient, pathway="lung", informed_about_kraeft=True
    )
    referral_services.referral_send(referral=draft, by=net.gp)
    html = section(net, episode)
    # First presentation 100 days ago, referral today.
    assert "100 dage" in html
    assert 'data-testid="aarhus-consultations">3<' in html
    assert "3+ konsultationer" in html
    # The three contacts and the fixture's own cough, recorded ten days ago.
    assert "Hoste: 4 konsultationer" in html


def test_the_page_names_dates_in_an_impossible_order(net: Net) -> None:
    consulted(net, "cough", days_ago=30, onset_days_ago=200)
    episode = opened(net)
    # A diagnosis on the record before the first presentation but after the first symptom.
    CancerDiagnosis.objects.create(
        patient=net.patient,
        diagnosed_on=timezone.localdate() - timedelta(days=100),
        site="lung",
    )
    html = section(net, episode)
    assert 'data-testid="aarhus-problems"' in html
    assert "umulig rækkefølge" in html


def test_another_practices_episode_shows_nothing_and_logs_the_refusal(net: Net) -> None:
    other = factories.patient(factories.practice())
    episode = opened(net)
    SafetyNetEpisode.objects.filter(pk=episode.pk).update(patient=other, practice=other.practice)
    new_rows = factories.access_log_since_now()
    page = net.client.get(reverse("safetynet:detail", args=[episode.pk]))
    assert page.status_code == 404
    assert factories.only_refused(new_rows(), net.gp, other)


def test_the_api_answers_the_same_figures(net: Net) -> None:
    for days_ago in (100, 60, 20):
        consulted(net, "cough", days_ago=days_ago)
    episode = opened(net)
    body = episode_detail_out(net.gp, episode.pk, read=False).model_dump(mode="json")
    aarhus = body["aarhus"]
    today = timezone.localdate()
    assert aarhus["time_points"] == {
        "first_symptom": (today - timedelta(days=200)).isoformat(),
        "first_presentation": (today - timedelta(days=100)).isoformat(),
        "referral": None,
        "diagnosis": None,
    }
    assert aarhus["intervals"] == {
        "patient": 100,
        "primary_care": None,
        "secondary_care": None,
        "diagnostic": None,
        "total": None,
    }
    assert aarhus["problems"] == []
    assert aarhus["consultations_before_referral"] is None
    assert aarhus["repeated_consultations"] == {"cough": 4}  # with the fixture's own
    assert aarhus["three_or_more_consultations"] is True


def test_the_api_has_no_flag_without_repeated_consultations(net: Net) -> None:
    episode = opened(net)
    aarhus = episode_detail_out(net.gp, episode.pk, read=False).model_dump(mode="json")["aarhus"]
    assert aarhus["three_or_more_consultations"] is False
    assert aarhus["repeated_consultations"] == {}
    assert aarhus["time_points"]["referral"] is None
