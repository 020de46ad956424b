"""Funnel plot limits (Spiegelhalter, Stat Med 2005;24:1185–1202, appendix A.1.1).

A published worked example with numbers (the APHO Technical Briefing 2, "Statistical process
control methods in public health intelligence", 2007, or Spiegelhalter's paper): NONE FOUND in
the sources available here. The limits are therefore checked against the same formula computed
with scipy.stats, against the normal approximation for large denominators (worked by hand
below), and for their properties.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from opspor.quality.funnel import (
    Z95,
    Z998,
    FunnelPoint,
    classify,
    funnel_curve,
    funnel_limits,
)


def reference(kind: str, p: float, n: float, target: float) -> float:
    """Spiegelhalter's interpolated limit, with scipy's distributions."""
    dist = (
        stats.binom(round(n), target) if kind == "proportion" else stats.poisson(target * n / 1000)
    )
    r = dist.ppf(p)
    below, at = dist.cdf(r - 1), dist.cdf(r)
    alpha = (at - p) / (at - below)
    value = (r - alpha) / n * (1000 if kind == "rate" else 1)
    value = max(value, 0.0)
    return min(value, 1.0) if kind == "proportion" else value


def reference_point(kind: str, n: float, target: float) -> FunnelPoint:
    low95, low998 = stats.norm.cdf(-Z95), stats.norm.cdf(-Z998)
    return FunnelPoint(
        n,
        min(reference(kind, low95, n, target), target),
        max(reference(kind, 1 - low95, n, target), target),
        min(reference(kind, low998, n, target), target),
        max(reference(kind, 1 - low998, n, target), target),
    )


def limits(point: FunnelPoint) -> tuple[float, float, float, float]:
    return point.lower998, point.lower95, point.upper95, point.upper998


def test_normal_approximation_for_a_large_practice_list():
    # Worked by hand: target 30 %, n = 10,000. SD = sqrt(0.3 × 0.7 / 10,000) = 0.0045826;
    # 95 %: 0.3 ± 1.96 × 0.0045826 = 0.29102 .. 0.30898;
    # 99.8 %: 0.3 ± 3.09 × 0.0045826 = 0.28584 .. 0.31416.
    # The exact limits differ from these by well under 1/n.
    (point,) = funnel_limits(0.3, [10_000])
    assert point.lower95 == pytest.approx(0.29102, abs=2e-4)
    assert point.upper95 == pytest.approx(0.30898, abs=2e-4)
    assert point.lower998 == pytest.approx(0.28584, abs=2e-4)
    assert point.upper998 == pytest.approx(0.31416, abs=2e-4)


def test_normal_approximation_for_a_rate():
    # Worked by hand: 5 per 1,000 in 200,000 persons, E = 1,000 events. SD of the rate =
    # sqrt(1,000) / 200,000 × 1,000 = 0.158114 per 1,000; 95 %: 5 ± 0.30990 = 4.6901 .. 5.3099.
    (point,) = funnel_limits(5.0, [200_000], kind="rate")
    assert point.lower95 == pytest.approx(4.6901, abs=0.01)
    assert point.upper95 == pytest.approx(5.3099, abs=0.01)


def test_small_denominators_by_scipy():
    # A practice of 20 patients, target 30 %: exact limits from the binomial.
    (point,) = funnel_limits(0.3, [20])
    assert limits(point) == pytest.approx(limits(reference_point("proportion", 20, 0.3)), abs=1e-9)
    assert 0 <= point.lower998 < point.lower95 < 0.3 < point.upper95 < point.upper998 <= 1


def test_classify():
    # Target 20 %, 100 patients: the 95 % limits are near 12 % and 28 %, the 99.8 % near 8 % / 33 %.
    assert classify(20, 100, 0.2) == "within"
    assert classify(30, 100, 0.2) == "above_95"
    assert classify(40, 100, 0.2) == "above_998"
    assert classify(10, 100, 0.2) == "below_95"
    assert classify(5, 100, 0.2) == "below_998"
    assert classify(0, 1, 0.2) == "within"
    # 10 per 1,000 in 1,000 persons: 95 % limits near 3.8 and 16.2, 99.8 % near 1.2 and 20.7.
    assert classify(20, 1000, 10.0, kind="rate") == "above_95"
    assert classify(25, 1000, 10.0, kind="rate") == "above_998"
    assert classify(10, 1000, 10.0, kind="rate") == "within"


def test_a_target_of_zero_or_one_has_no_spread():
    assert limits(funnel_limits(0.0, [50])[0]) == (0.0, 0.0, 0.0, 0.0)
    assert limits(funnel_limits(1.0, [50])[0]) == (1.0, 1.0, 1.0, 1.0)
    assert classify(1, 50, 0.0) == "above_998"


def test_curve_spans_the_range_on_whole_denominators():
    curve = funnel_curve(0.3, 5, 5000, points=60)
    sizes = [point.n for point in curve]
    assert sizes[0] == 5 and sizes[-1] == 5000 and sizes == sorted(set(sizes))
    assert all(n == round(n) for n in sizes) and len(sizes) <= 60


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: funnel_limits(1.2, [10]), "between 0 and 1"),
        (lambda: funnel_limits(-0.1, [10]), "between 0 and 1"),
        (lambda: funnel_limits(math.nan, [10]), "between 0 and 1"),
        (lambda: funnel_limits(-1.0, [10], kind="rate"), "0 or more"),
        (lambda: funnel_limits(0.2, [0]), "must be positive"),
        (lambda: funnel_limits(0.2, [10.5]), "whole number"),
        (lambda: funnel_limits(0.2, [10], kind="odds"), "kind must be"),  # type: ignore[arg-type]
        (lambda: funnel_curve(0.2, 10, 10), "n_min < n_max"),
        (lambda: funnel_curve(0.2, 0, 10), "n_min < n_max"),
        (lambda: funnel_curve(0.2, 1, 10, points=1), "at least 2"),
        (lambda: classify(11, 10, 0.2), "outside 0..denominator"),
        (lambda: classify(-1, 10, 0.2), "outside 0..denominator"),
        (lambda: classify(1, 0, 0.2), "must be positive"),
    ],
)
def test_bad_input_is_refused(call, message: str):
    with pytest.raises(ValueError, match=message):
        call()


proportions = st.floats(0.001, 0.999)
rates = st.floats(0.05, 500.0)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["proportion", "rate"]), st.data(), st.integers(1, 20_000))
def test_agrees_with_scipy(kind: str, data: st.DataObject, n: int):
    target = data.draw(proportions if kind == "proportion" else rates)
    (point,) = funnel_limits(target, [n], kind=kind)  # type: ignore[arg-type]
    scale = 1.0 if kind == "proportion" else target
    assert limits(point) == pytest.approx(
        limits(reference_point(kind, n, target)), abs=1e-6 * scale
    )


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["proportion", "rate"]), st.data(), st.integers(1, 20_000))
def test_limits_are_ordered_around_the_target(kind: str, data: st.DataObject, n: int):
    target = data.draw(proportions if kind == "proportion" else rates)
    (point,) = funnel_limits(target, [n], kind=kind)  # type: ignore[arg-type]
    assert 0 <= point.lower998 <= point.lower95 <= target <= point.upper95 <= point.upper998
    if kind == "proportion":
        assert point.upper998 <= 1


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["proportion", "rate"]), st.data(), st.integers(1, 5_000))
def test_limits_widen_as_the_denominator_shrinks(kind: str, data: st.DataObject, n: int):
    # Counts are whole, so the limits step a little between neighbouring denominators, and
    # where less than one event is expected they are mostly steps; with at least one expected
    # (either way, for a proportion) the funnel is wider at a quarter of the size.
    target = data.draw(proportions if kind == "proportion" else rates)
    expected = n * min(target, 1 - target) if kind == "proportion" else target * n / 1000
    assume(expected >= 1)
    small, large = funnel_limits(target, [n, 4 * n], kind=kind)  # type: ignore[arg-type]
    assert small.upper95 - small.lower95 >= large.upper95 - large.lower95
    assert small.upper998 - small.lower998 >= large.upper998 - large.lower998


@settings(max_examples=200, deadline=None)
@given(proportions, st.integers(1, 2_000), st.data())
def test_classify_matches_the_limits(target: float, n: int, data: st.DataObject):
    numerator = data.draw(st.integers(0, n))
    point = funnel_limits(target, [n])[0]
    band = classify(numerator, n, target)
    value = numerator / n
    inside95 = point.lower95 <= value <= point.upper95
    inside998 = point.lower998 <= value <= point.upper998
    assert (band == "within") == inside95
    assert band.endswith("998") == (not inside998)
    assert band.startswith("below") == (value < point.lower95)
