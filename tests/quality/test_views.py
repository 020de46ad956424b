"""The dashboard, the mirror and the exports: who may open them, and that they show only
published figures, never a patient, and never another practice's name to a GP."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.quality import pages
from opspor.records.models import Patient, Practice
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState, RejectionReason
from tests import factories
from tests.quality import factory

pytestmark = pytest.mark.django_db

PAGES = ("quality:dashboard", "quality:mirror")
EXPORTS = ("quality:export_csv", "quality:export_parquet")


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def region() -> list[Practice]:
    practices = [
        factories.practice(name=name)
        for name in ("Lægehuset Amager", "Lægerne Brønshøj", "Lægerne på Nørrebro", "Valby Lægehus")
    ]
    factory.seed(practices)
    return practices


def test_the_urls() -> None:
    assert reverse("quality:dashboard") == "/quality/"
    assert reverse("quality:mirror") == "/quality/practice/"
    assert reverse("quality:export_csv", args=["signal_any"]) == "/quality/export/signal_any.csv"
    assert (
        reverse("quality:export_parquet", args=["signal_any"])
        == "/quality/export/signal_any.parquet"
    )


def test_the_analyst_opens_the_dashboard_and_not_the_mirror(region: list[Practice]) -> None:
    client = _client(factories.user(Role.ANALYST))
    assert client.get(reverse("quality:dashboard")).status_code == 200
    assert client.get(reverse("quality:mirror")).status_code == 403


def test_a_gp_opens_the_mirror_and_not_the_dashboard(region: list[Practice]) -> None:
    client = _client(factories.gp(region[0]).user)
    assert client.get(reverse("quality:mirror")).status_code == 200
    assert client.get(reverse("quality:dashboard")).status_code == 403


@pytest.mark.parametrize("role", [Role.PATIENT, Role.UNIT_DOCTOR, Role.ADMIN])
def test_every_other_role_is_refused_both_pages_and_the_exports(
    role: str, region: list[Practice]
) -> None:
    client = _client(factories.user(role))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403
    for name in EXPORTS:
        assert client.get(reverse(name, args=["signal_any"])).status_code == 403


def test_a_gp_without_a_practice_is_refused_the_mirror_and_the_exports() -> None:
    client = _client(factories.user(Role.GP))
    assert client.get(reverse("quality:mirror")).status_code == 403
    assert client.get(reverse("quality:export_csv", args=["signal_any"])).status_code == 403


def test_anonymous_is_sent_to_the_login() -> None:
    client = _client(None)
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.get(reverse("quality:export_csv", args=["signal_any"]))
    assert response.status_code == 302


def test_the_analyst_lands_on_the_dashboard() -> None:
    response = _client(factories.user(Role.ANALYST)).get(reverse("home"))
    assert response["Location"] == reverse("quality:dashboard")


def test_an_unknown_indicator_is_not_found() -> None:
    client = _client(factories.user(Role.ANALYST))
    assert client.get(reverse("quality:export_csv", args=["no_such_thing"])).status_code == 404


def test_without_a_finished_refresh_the_dashboard_says_so() -> None:
    factory.refresh(finished=False)
    response = _client(factories.user(Role.ANALYST)).get(reverse("quality:dashboard"))
    assert response.status_code == 200
    assert 'data-testid="no-figures"' in response.content.decode()


def test_the_dashboard_shows_definitions_periods_and_the_practices_by_name(
    region: list[Practice],
) -> None:
    html = _client(factories.user(Role.ANALYST)).get(reverse("quality:dashboard")).content.decode()
    assert 'data-testid="quality-periods"' in html
    for practice in region:
        assert practice.name in html  # in the funnel plots' tables and tooltips
    for section in ("intervals", "routes", "referrals", "signals", "equity"):
        assert f'data-testid="section-{section}"' in html
    from opspor.quality.models import QualityFigure

    shown = QualityFigure.objects.values("indicator").distinct().count()
    assert html.count('class="quality-definition"') == shown, "each indicator its definition"
    # The plots are data, not code: specs as JSON, rendered by our own static script.
    assert 'type="application/json"' in html
    assert "vendor/vega/vega-embed.min.js" in html
    assert "<script>" not in html


def test_the_analysts_pages_show_no_patient(region: list[Practice]) -> None:
    for i, practice in enumerate(region):
        for j in range(3):
            factories.patient(practice, name=f"Synlig Patientsen {i}{j}")
    client = _client(factories.user(Role.ANALYST))
    pages = [client.get(reverse("quality:dashboard")).content.decode()]
    for indicator in ("referral_conversion", "rejections_by_reason", "interval_diagnostic"):
        pages.append(client.get(reverse("quality:export_csv", args=[indicator])).content.decode())
    for page in pages:
        for patient in Patient.objects.all():
            assert patient.name not in page
            assert patient.cpr not in page
            assert patient.masked_cpr not in page


def test_a_gp_never_sees_another_practices_name(region: list[Practice]) -> None:
    own = region[2]
    client = _client(factories.gp(own).user)
    html = client.get(reverse("quality:mirror")).content.decode()
    assert own.name in html
    exported = [
        client.get(reverse("quality:export_csv", args=[indicator])).content.decode()
        for indicator in ("referral_conversion", "signal_any", "referrals_sent")
    ]
    parquet = client.get(reverse("quality:export_parquet", args=["referral_conversion"]))
    places = set(pq.read_table(io.BytesIO(parquet.content)).column("place").to_pylist())
    assert places == {"region", own.name}
    for other in region:
        if other == own:
            continue
        assert other.name not in html
        for text in exported:
            assert other.name not in text
    # The mirror's funnel plots still hold the other practices, as anonymous points.
    assert html.count('"kind": "other"') >= 3


def _hidden_figures(region: list[Practice]) -> None:
    """Cells whose computed values must never leave the server: a complementary-hidden
    numerator, a share over a small denominator, quartiles not published."""
    from opspor.quality.models import QualityFigure, QualityRefresh

    run = QualityRefresh.objects.latest("pk")
    hidden = factory.figure(run, "referral_accepted", denominator=9137, numerator=4817)
    QualityFigure.objects.filter(pk=hidden.pk).update(
        shown_numerator="–", shown_share=None, hidden_reason="complementary"
    )
    factory.figure(run, "referral_accepted", practice=region[0], denominator=7, numerator=6)
    factory.figure(
        run,
        "time_to_triage",
        practice=region[0],
        denominator=9,
        quartiles=(11.125, 22.375, 33.625, 44.875, 55.0625),
    )


def test_exports_hold_only_published_values(region: list[Practice]) -> None:
    _hidden_figures(region)
    client = _client(factories.user(Role.ANALYST))
    response = client.get(reverse("quality:export_csv", args=["referral_accepted"]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows, "the export holds the indicator's rows"
    text = response.content.decode()
    assert "4817" not in text
    assert "0.857" not in text  # 6 / 7
    region_row = next(r for r in rows if r["place"] == "region" and r["split"] == "all")
    assert region_row["numerator"] == "–"
    assert region_row["hidden_reason"] == "complementary"
    assert region_row["share"] == ""
    small = next(r for r in rows if r["place"] == region[0].name)
    assert (small["denominator"], small["numerator"], small["share"]) == ("7", "6", "")
    assert small["hidden_reason"] == "small_denominator"

    parquet = client.get(reverse("quality:export_parquet", args=["time_to_triage"]))
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 1
    row = table.to_pylist()[0]
    assert row["median"] is None and row["p10"] is None
    assert row["hidden_reason"] == "small_denominator"

    html = client.get(reverse("quality:dashboard")).content.decode()
    assert str(pages.HIDDEN["complementary"]) in html, "a hidden value says why, in words"
    for raw in ("4817", "33.625", "33,6", "0.857", "85,7"):
        assert not re.search(rf"(?<![\d.,]){re.escape(raw)}", html), raw


def test_the_mirror_shows_the_practices_rejections_and_pathway_ends(
    region: list[Practice],
) -> None:
    own = region[1]
    gp = factories.gp(own)
    unit = factories.unit()
    now = timezone.now()

    def referral(practice: Practice, **fields: object) -> Referral:
        patient = factories.patient(practice, name="Navngiven Patient")
        return Referral.objects.create(
            patient=patient,
            practice=practice,
            unit=unit,
            requester=gp.user,
            pathway="dpf",
            sent_at=now - timedelta(days=20),
            triage_due_at=now - timedelta(days=18),
            **fields,
        )

    referral(
        own,
        state=ReferralState.REJECTED,
        decided_at=now - timedelta(days=10),
        reason_category=RejectionReason.INVESTIGATIONS_FIRST,
        reason_text="CT af thorax først",
        alternative_plan_text="Henvis til billeddiagnostik",
    )
    referral(own, state=ReferralState.COMPLETED)
    theirs = referral(
        region[0],
        state=ReferralState.REJECTED,
        decided_at=now - timedelta(days=10),
        reason_category=RejectionReason.OTHER,
        reason_text="En anden praksis' afvisning",
        alternative_plan_text="Noget andet",
    )
    html = _client(gp.user).get(reverse("quality:mirror")).content.decode()
    assert "CT af thorax først" in html
    assert "Henvis til billeddiagnostik" in html
    assert 'data-testid="rejections-investigations_first"' in html
    assert "En anden praksis" not in html
    assert reverse("referrals:detail", args=[theirs.pk]) not in html
    assert "Navngiven Patient" not in html, "reason, plan and date: no patient's name"
    pathways = html[html.index('data-testid="section-pathways"') :]
    completed = pathways[pathways.index(str(ReferralState.COMPLETED.label)) :]
    assert '<td class="number">1</td>' in completed.split("</tr>")[0]


def test_the_page_costs_a_fixed_number_of_queries(
    region: list[Practice], django_assert_max_num_queries: object
) -> None:
    client = _client(factories.user(Role.ANALYST))
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get(reverse("quality:dashboard")).status_code == 200


def test_one_source_per_indicator_the_region_files_on_the_dashboard_the_record_on_a_mirror() -> (
    None
):
    from opspor.quality.selectors import mirror_figures, region_figures

    own = factories.practice(name="Lægerne i Vanløse")
    run = factory.refresh()
    factory.figure(run, "route_dpf", denominator=400, numerator=40, source="region")
    factory.figure(run, "route_dpf", denominator=60, numerator=12, source="record")
    factory.figure(run, "route_dpf", denominator=60, numerator=12, practice=own)
    # Only the region's files know emergency presentations; their practices are not ours.
    factory.figure(run, "route_emergency", denominator=400, numerator=64, source="region")
    factory.figure(
        run,
        "route_emergency",
        denominator=40,
        numerator=6,
        practice_ref=7,
        source="region",
        pooled=True,
    )

    dashboard = {item.indicator.id: item for item in region_figures().indicators}
    assert dashboard["route_dpf"].source == "region"
    assert dashboard["route_dpf"].region_year is not None
    assert dashboard["route_dpf"].region_year.n == 400
    assert [p.figure.n for p in dashboard["route_emergency"].practices] == [40]

    mirror = {item.indicator.id: item for item in mirror_figures(own).indicators}
    assert mirror["route_dpf"].source == "record"
    assert mirror["route_dpf"].region_year is not None
    assert mirror["route_dpf"].region_year.n == 60
    # Shown for the region alone: no funnel of another region's practices.
    assert mirror["route_emergency"].source == "region"
    assert mirror["route_emergency"].practices == []


def test_a_distribution_with_every_group_hidden_draws_no_empty_plot() -> None:
    run = factory.refresh()
    factory.figure(run, "interval_total", denominator=8, quartiles=(1, 2, 3, 4, 5))
    factory.figure(run, "interval_patient", denominator=80, quartiles=(1, 7, 21, 56, 90))
    html = _client(factories.user(Role.ANALYST)).get(reverse("quality:dashboard")).content.decode()
    assert 'id="box-interval_patient-record"' in html
    assert 'id="box-interval_total-record"' not in html
