from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import poisson

from opspor.engine.stats import poisson_sf


@given(st.integers(0, 400), st.floats(0.001, 200, allow_nan=False))
def test_upper_tail_agrees_with_scipy(k: int, mu: float) -> None:
    expected = float(poisson.sf(k - 1, mu))
    assert poisson_sf(k, mu) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_edges() -> None:
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(5, 0.0) == 0.0
