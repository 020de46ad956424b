from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import poisson

from opspor.engine.population import contacts_per_year
from opspor.engine.settings import DEFAULT_SETTINGS as S
from opspor.engine.signals.pattern_break import pattern_break

T = date(2026, 6, 15)


def _days(*offsets: int) -> list[date]:
    return [T - timedelta(days=o) for o in offsets]


def _reference(
    recent: int, baseline: int, baseline_days: int, age: int, sex: str
) -> tuple[float, float]:
    a = contacts_per_year(age, sex) / 365 * 365
    mu = (baseline + a) / (baseline_days + 365) * 90
    return mu, float(poisson.sf(recent - 1, mu))


def test_window_bounds_are_exact() -> None:
    # T-90 belongs to the recent window, T-91 to the baseline; T-1095 is the baseline's first day.
    result = pattern_break(
        contact_dates=_days(0, 90, 91, 1095, 1096),
        as_of=T,
        age=60,
        sex="male",
        registered_from=None,
        settings=S,
    )
    assert result.recent_count == 2
    assert result.baseline_count == 2
    assert result.baseline_days == 1005


def test_five_visits_in_nine_weeks_for_a_rare_attender_is_a_break() -> None:
    dates = _days(1, 10, 20, 40, 60) + _days(400, 900)
    result = pattern_break(
        contact_dates=dates, as_of=T, age=58, sex="male", registered_from=None, settings=S
    )
    mu, p = _reference(5, 2, 1005, 58, "male")
    assert result.expected == pytest.approx(mu)
    assert result.p_value == pytest.approx(p, rel=1e-9)
    assert result.score == pytest.approx(-math.log10(p))
    assert result.signal


def test_a_frequent_attender_with_a_stable_rate_is_not_a_break() -> None:
    # One contact every 40 days for eight years: three in the last 90 days is her usual.
    dates = [T - timedelta(days=d) for d in range(5, 8 * 365, 40)]
    result = pattern_break(
        contact_dates=dates, as_of=T, age=52, sex="female", registered_from=None, settings=S
    )
    assert result.recent_count >= 2
    assert not result.signal


def test_fewer_than_three_recent_contacts_never_signal() -> None:
    result = pattern_break(
        contact_dates=_days(1, 2), as_of=T, age=40, sex="male", registered_from=None, settings=S
    )
    assert result.p_value < 0.05
    assert not result.signal


def test_a_new_patient_is_judged_on_the_days_registered_and_the_population_prior() -> None:
    registered = T - timedelta(days=200)
    result = pattern_break(
        contact_dates=_days(1, 5, 9),
        as_of=T,
        age=70,
        sex="female",
        registered_from=registered,
        settings=S,
    )
    assert result.baseline_days == 110
    mu, p = _reference(3, 0, 110, 70, "female")
    assert result.expected == pytest.approx(mu)
    assert result.p_value == pytest.approx(p, rel=1e-9)


@given(
    st.lists(st.integers(0, 1200), max_size=60),
    st.integers(18, 100),
    st.sampled_from(["female", "male"]),
)
def test_p_value_matches_scipy_for_any_history(offsets: list[int], age: int, sex: str) -> None:
    result = pattern_break(
        contact_dates=_days(*offsets), as_of=T, age=age, sex=sex, registered_from=None, settings=S
    )
    recent = sum(1 for o in offsets if o <= 90)
    baseline = sum(1 for o in offsets if 90 < o <= 1095)
    _, p = _reference(recent, baseline, 1005, age, sex)
    assert result.recent_count == recent
    assert result.p_value == pytest.approx(p, rel=1e-9, abs=1e-300)
    assert result.signal == (recent >= 3 and p < 0.01)
