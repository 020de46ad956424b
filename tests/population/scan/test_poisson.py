"""The scan's Poisson tail over arrays is the engine's, value for value."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from opspor.engine.stats import poisson_sf
from opspor.population.scan.poisson import poisson_sf_array

counts = st.integers(0, 400)
means = st.one_of(st.just(0.0), st.floats(1e-9, 300.0, allow_nan=False))


@given(st.lists(st.tuples(counts, means), min_size=1, max_size=60))
def test_the_array_tail_is_the_engines(pairs: list[tuple[int, float]]) -> None:
    k = np.array([p[0] for p in pairs], dtype=np.int64)
    mu = np.array([p[1] for p in pairs], dtype=np.float64)
    got = poisson_sf_array(k, mu)
    for (kk, m), value in zip(pairs, got, strict=True):
        expected = poisson_sf(kk, m)
        assert value == expected, (kk, m)  # to the bit: the same operations, libm's exp and log


def test_the_threshold_cases_decide_as_the_engine_does() -> None:
    # Around p = 0.01 at the recent window's typical means: the decision is the engine's.
    k = np.arange(0, 30, dtype=np.int64).repeat(50)
    mu = np.tile(np.linspace(0.05, 12.0, 50), 30)
    got = poisson_sf_array(k, mu) < 0.01
    want = np.array([poisson_sf(int(a), float(b)) < 0.01 for a, b in zip(k, mu, strict=True)])
    assert (got == want).all()
