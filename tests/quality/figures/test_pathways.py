"""The roads to the record's cancers: intervals, consultations, routes, conversion, detection."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.accounts.models import User
from opspor.quality.cells import Cell
from opspor.quality.figures import Period, periods
from opspor.quality.figures.pathways import cells
from opspor.records.models import Patient, Practice
from opspor.referrals.workflow import ReferralOrigin
from tests import factories
from tests.quality.figures.builders import (
    at,
    cancer,
    cell,
    contact,
    depressed,
    episode,
    referral,
    symptom,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
YEAR, POOLED = periods(AS_OF)
DIAGNOSED = date(2026, 3, 2)
INTERVALS = (
    "interval_patient",
    "interval_primary_care",
    "interval_secondary_care",
    "interval_diagnostic",
    "interval_total",
)


@pytest.fixture
def practice() -> Practice:
    return factories.practice(kind=Practice.Kind.PARTNERSHIP)


@pytest.fixture
def gp(practice: Practice) -> User:
    clinician = factories.gp(practice)
    assert clinician.user is not None
    return clinician.user


def patient(practice: Practice) -> Patient:
    return factories.patient(practice, birth_date=date(1960, 1, 15), sex="male")


def pathway(practice: Practice, gp: User, total: int, *, diagnosed: date = DIAGNOSED) -> Patient:
    """A cancer whose symptom began `total` days before the diagnosis: presented 2 days
    after it began, referred 3 days after the presentation (patient 2, primary care 3,
    secondary care total-5, diagnostic total-2, total `total`)."""
    someone = patient(practice)
    began = diagnosed - timedelta(days=total)
    symptom(someone, "cough", onset=began, on=began + timedelta(days=2))
    referral(someone, began + timedelta(days=5), by=gp)
    cancer(someone, diagnosed)
    return someone


def days(found: list[Cell], indicator: str, practice_id: int | None = None) -> list[float]:
    quartiles = cell(found, indicator, practice_id).quartiles
    assert quartiles is not None
    return [quartiles.p10, quartiles.q1, quartiles.median, quartiles.q3, quartiles.p90]


def test_intervals_are_quartiles_of_the_known_days(practice: Practice, gp: User) -> None:
    for total in (10, 20, 40):
        pathway(practice, gp, total)
    found = cells(YEAR, as_of=AS_OF)
    expected = [float(x) for x in np.percentile([10, 20, 40], [10, 25, 50, 75, 90])]
    assert expected == [12.0, 15.0, 20.0, 30.0, 36.0]
    for place in (None, practice.pk):
        assert days(found, "interval_total", place) == expected
        assert cell(found, "interval_total", place).denominator == 3
    assert days(found, "interval_patient") == [2.0] * 5
    assert days(found, "interval_primary_care") == [3.0] * 5
    assert days(found, "interval_secondary_care")[2] == 15.0
    assert days(found, "interval_diagnostic")[2] == 18.0
    # One contact (the presentation) up to the referral, for each.
    assert days(found, "consultations_before_referral") == [1.0] * 5
    three = cell(found, "consultations_3_or_more")
    assert (three.numerator, three.denominator) == (0, 3)


def test_a_practice_without_cancers_has_empty_cells(practice: Practice, gp: User) -> None:
    pathway(practice, gp, 10)
    empty = factories.practice(kind=Practice.Kind.SOLO)
    found = cells(YEAR, as_of=AS_OF)
    ids = {
        "interval_total",
        "consultations_before_referral",
        "consultations_3_or_more",
        "route_cancer_pathway",
        "route_dpf",
        "route_other_referral",
        "referral_conversion",
        "referral_detection",
    }
    assert {c.indicator for c in found} == set(INTERVALS) | ids
    for indicator in {c.indicator for c in found}:
        own = cell(found, indicator, empty.pk)
        assert own.denominator == 0
        assert own.share is None and own.quartiles is None
        for group in ("yes", "no"):
            assert cell(found, indicator, empty.pk, "vulnerable", group).denominator == 0


def test_the_period_holds_its_first_and_last_day(practice: Practice, gp: User) -> None:
    for day in (YEAR.start - timedelta(days=1), YEAR.start, YEAR.end):
        cancer(patient(practice), day)
    found = cells(YEAR, as_of=AS_OF)
    assert cell(found, "route_other_referral").denominator == 2
    assert cell(found, "route_other_referral", practice.pk).numerator == 2
    assert cell(cells(POOLED, as_of=AS_OF), "route_other_referral").denominator == 3


def test_unknown_and_impossible_intervals_are_left_out(practice: Practice, gp: User) -> None:
    # Nothing but the diagnosis: every interval unknown.
    cancer(patient(practice), DIAGNOSED)
    # Referred 30 days before, symptom first recorded 10 days before: the referral before
    # the presentation is impossible.
    late = patient(practice)
    symptom(
        late,
        "cough",
        onset=DIAGNOSED - timedelta(days=12),
        on=DIAGNOSED - timedelta(days=10),
    )
    referral(late, DIAGNOSED - timedelta(days=30), by=gp)
    cancer(late, DIAGNOSED)
    found = cells(YEAR, as_of=AS_OF)
    assert cell(found, "interval_primary_care").denominator == 0
    assert cell(found, "interval_primary_care").quartiles is None
    assert days(found, "interval_secondary_care") == [30.0] * 5
    assert days(found, "interval_patient") == [2.0] * 5
    assert days(found, "interval_total") == [12.0] * 5
    assert cell(found, "interval_diagnostic").denominator == 1
    # No count of consultations where the referral comes before the presentation.
    assert cell(found, "consultations_before_referral").denominator == 0
    assert cell(found, "consultations_3_or_more").denominator == 0
    # Both still count among the cancers.
    assert cell(found, "route_cancer_pathway").denominator == 2


def test_routes_and_detection_follow_the_referral_in_the_183_days(
    practice: Practice, gp: User
) -> None:
    dpf = patient(practice)
    referral(dpf, DIAGNOSED - timedelta(days=183), by=gp, pathway="dpf")
    lung = patient(practice)
    referral(lung, DIAGNOSED, by=gp, pathway="lung")
    too_early = patient(practice)
    referral(too_early, DIAGNOSED - timedelta(days=184), by=gp, pathway="lung")
    none = patient(practice)
    for someone in (dpf, lung, too_early, none):
        cancer(someone, DIAGNOSED)
    found = cells(YEAR, as_of=AS_OF)
    shares = {
        route: (cell(found, route).numerator, cell(found, route).denominator)
        for route in ("route_cancer_pathway", "route_dpf", "route_other_referral")
    }
    assert shares == {
        "route_cancer_pathway": (1, 4),
        "route_dpf": (1, 4),
        "route_other_referral": (2, 4),
    }
    # The record holds no emergency presentations: no figure rather than a false zero.
    assert not [c for c in found if c.indicator == "route_emergency"]
    detection = cell(found, "referral_detection", practice.pk)
    assert (detection.numerator, detection.denominator) == (2, 4)


def test_an_episode_behind_the_referral_names_the_symptoms(practice: Practice, gp: User) -> None:
    someone = patient(practice)
    # The episode is about haemoptysis, first recorded long before the year's lookback.
    symptom(
        someone,
        "haemoptysis",
        onset=DIAGNOSED - timedelta(days=420),
        on=DIAGNOSED - timedelta(days=400),
    )
    symptom(
        someone, "cough", onset=DIAGNOSED - timedelta(days=60), on=DIAGNOSED - timedelta(days=50)
    )
    sent = referral(someone, DIAGNOSED - timedelta(days=20), by=gp)
    episode(
        someone,
        at(DIAGNOSED - timedelta(days=30)),
        by=gp,
        codes=("haemoptysis",),
        referrals=(sent,),
    )
    cancer(someone, DIAGNOSED)
    found = cells(YEAR, as_of=AS_OF)
    assert days(found, "interval_total") == [420.0] * 5
    assert days(found, "interval_patient") == [20.0] * 5
    # The two contacts with a symptom fall between the presentation and the referral.
    assert days(found, "consultations_before_referral") == [2.0] * 5

    # Without the episode, the year's symptoms: the cough.
    other = patient(practice)
    symptom(
        other,
        "haemoptysis",
        onset=DIAGNOSED - timedelta(days=420),
        on=DIAGNOSED - timedelta(days=400),
    )
    symptom(other, "cough", onset=DIAGNOSED - timedelta(days=60), on=DIAGNOSED - timedelta(50))
    referral(other, DIAGNOSED - timedelta(days=20), by=gp)
    cancer(other, DIAGNOSED)
    found = cells(YEAR, as_of=AS_OF)
    assert cell(found, "interval_total").quartiles is not None
    assert days(found, "interval_total")[0] == 60.0 + (420 - 60) * 0.1


def test_three_or_more_consultations_before_a_general_practice_referral(
    practice: Practice, gp: User
) -> None:
    often = patient(practice)
    began = DIAGNOSED - timedelta(days=90)
    symptom(often, "cough", onset=began, on=began)
    contact(often, began + timedelta(days=5))
    contact(often, began + timedelta(days=10), hour=9)
    contact(often, began + timedelta(days=11))  # after the referral: not counted
    referral(often, began + timedelta(days=10), by=gp)
    cancer(often, DIAGNOSED)
    specialist = patient(practice)
    symptom(specialist, "cough", onset=began, on=began)
    referral(
        specialist, began + timedelta(days=1), by=gp, origin=ReferralOrigin.PRACTISING_SPECIALIST
    )
    cancer(specialist, DIAGNOSED)
    found = cells(YEAR, as_of=AS_OF)
    assert days(found, "consultations_before_referral") == [3.0] * 5
    three = cell(found, "consultations_3_or_more", practice.pk)
    assert (three.numerator, three.denominator) == (1, 1)
    # The specialist's referral is still a pathway referral.
    assert cell(found, "route_cancer_pathway").numerator == 2


def test_conversion_counts_referrals_whose_183_days_have_passed(
    practice: Practice, gp: User
) -> None:
    sent_on = YEAR.start + timedelta(days=10)
    converted = patient(practice)
    referral(converted, sent_on, by=gp)
    cancer(converted, sent_on + timedelta(days=183))
    missed = patient(practice)
    referral(missed, sent_on, by=gp)
    cancer(missed, sent_on + timedelta(days=184))
    before = patient(practice)
    referral(before, YEAR.start - timedelta(days=1), by=gp)
    cancer(before, YEAR.start + timedelta(days=5))
    # Sent 182 days before the figures: its window has not passed.
    recent = patient(practice)
    referral(recent, AS_OF - timedelta(days=182), by=gp)
    cancer(recent, AS_OF)
    found = cells(YEAR, as_of=AS_OF)
    conversion = cell(found, "referral_conversion", practice.pk)
    assert (conversion.numerator, conversion.denominator) == (1, 2)
    # Sent exactly 183 days before the figures: in.
    last = patient(practice)
    referral(last, AS_OF - timedelta(days=183), by=gp)
    assert cell(cells(YEAR, as_of=AS_OF), "referral_conversion").denominator == 3


def test_a_psychiatric_diagnosis_counts_when_known_on_the_day(practice: Practice, gp: User) -> None:
    known = pathway(practice, gp, 10)
    depressed(known, DIAGNOSED - timedelta(days=1))
    later = pathway(practice, gp, 20)
    depressed(later, DIAGNOSED + timedelta(days=1))
    pathway(practice, gp, 40)
    found = cells(YEAR, as_of=AS_OF)
    for place in (None, practice.pk):
        alone = cell(found, "interval_total", place, "vulnerable", "yes")
        assert alone.denominator == 1
        assert alone.quartiles is not None
        assert alone.quartiles.p10 == alone.quartiles.p90 == 10.0
        rest = cell(found, "interval_total", place, "vulnerable", "no")
        assert rest.denominator == 2
    psychiatric = cell(found, "route_cancer_pathway", None, "psychiatric_diagnosis", "yes")
    assert (psychiatric.numerator, psychiatric.denominator) == (1, 1)
    assert cell(found, "route_cancer_pathway", None, "age_band", "60-69").denominator == 3
    assert cell(found, "route_cancer_pathway", None, "sex", "male").denominator == 3


def _queries(practice: Practice, gp: User, n: int) -> int:
    for i in range(n):
        someone = pathway(practice, gp, 10 + i)
        episode(someone, at(DIAGNOSED - timedelta(days=100)), by=gp, codes=("cough",))
        referral(someone, YEAR.start + timedelta(days=i), by=gp)
    with CaptureQueriesContext(connection) as queries:
        cells(YEAR, as_of=AS_OF)
    return len(queries)


def test_queries_do_not_grow_with_rows(practice: Practice, gp: User) -> None:
    few = _queries(practice, gp, 2)
    many = _queries(practice, gp, 8)
    assert few == many


@pytest.mark.parametrize(
    "period",
    [
        Period(YEAR.start, AS_OF + timedelta(days=1), pooled=False),
        Period(AS_OF, AS_OF - timedelta(days=1), pooled=False),
    ],
)
def test_a_period_past_the_day_of_the_figures_is_refused(
    practice: Practice, gp: User, period: Period
) -> None:
    pathway(practice, gp, 10)
    with pytest.raises(ValueError, match="cannot be counted as of 2026-06-30"):
        cells(period, as_of=AS_OF)


ROUTE_PATHWAYS = {"route_cancer_pathway": "lung", "route_dpf": "dpf", "route_other_referral": None}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.integers(min_value=5, max_value=300), st.sampled_from(sorted(ROUTE_PATHWAYS))),
        min_size=1,
        max_size=6,
    )
)
def test_routes_partition_the_cancers_and_totals_are_numpys_quartiles(
    practice: Practice, gp: User, roads: list[tuple[int, str]]
) -> None:
    with transaction.atomic():
        for total, route in roads:
            someone = patient(practice)
            began = DIAGNOSED - timedelta(days=total)
            symptom(someone, "cough", onset=began, on=began)
            pathway_code = ROUTE_PATHWAYS[route]
            if pathway_code is not None:
                referral(
                    someone,
                    DIAGNOSED - timedelta(days=min(total, 183)),
                    by=gp,
                    pathway=pathway_code,
                )
            cancer(someone, DIAGNOSED)
        found = cells(YEAR, as_of=AS_OF)
        numerators = {route: cell(found, route).numerator for route in ROUTE_PATHWAYS}
        assert numerators == {
            route: sum(1 for _, chosen in roads if chosen == route) for route in ROUTE_PATHWAYS
        }
        assert sum(n or 0 for n in numerators.values()) == len(roads)
        detection = cell(found, "referral_detection")
        assert detection.numerator == len(roads) - numerators["route_other_referral"]
        expected = [float(x) for x in np.percentile([t for t, _ in roads], [10, 25, 50, 75, 90])]
        assert days(found, "interval_total") == pytest.approx(expected)
        # A split's groups partition the whole.
        groups = [cell(found, "interval_total", None, "vulnerable", g) for g in ("yes", "no")]
        assert sum(g.denominator for g in groups) == len(roads)
        transaction.set_rollback(True)


def test_the_record_is_read_as_it_stood_on_the_day(practice: Practice, gp: User) -> None:
    someone = patient(practice)
    symptom(someone, "cough", onset=AS_OF - timedelta(days=30), on=AS_OF - timedelta(days=25))
    sent = referral(someone, AS_OF - timedelta(days=20), by=gp)
    # Recorded after the day of the figures, with an earlier onset: not yet known.
    symptom(someone, "cough", onset=AS_OF - timedelta(days=90), on=AS_OF + timedelta(days=2))
    episode(someone, at(AS_OF - timedelta(days=22)), by=gp, codes=("cough",), referrals=(sent,))
    cancer(someone, AS_OF)
    found = cells(YEAR, as_of=AS_OF)
    assert days(found, "interval_total") == [30.0] * 5
    assert days(found, "interval_patient") == [5.0] * 5
