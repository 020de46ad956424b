"""The engine's Poisson upper tail (`engine/stats.py`), over arrays.

The same series, the same stopping rules and the same operations in the same order as
`poisson_sf`, element by element, so a scan's p-values are the engine's to the last bit.
`exp` and `log` are Python's (the C library's) applied to each value: NumPy's own are
vectorised differently by CPU, and on some machines differ from the engine's in the last
bit, which a parity test to the bit then finds. Arithmetic (+, -, *, /) is IEEE-exact
either way. The rows are the backend's candidates, few enough for a loop in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def _elementwise(func: Callable[[float], float], values: Floats) -> Floats:
    flat = np.fromiter((func(float(v)) for v in values.ravel()), np.float64, values.size)
    return flat.reshape(values.shape)


def _exp(values: Floats) -> Floats:
    return _elementwise(math.exp, values)


def _log(values: Floats) -> Floats:
    return _elementwise(math.log, values)


def _lgamma_of_integers(n: Ints) -> Floats:
    # Exactly the engine's values: math.lgamma on each distinct integer.
    distinct, where = np.unique(n, return_inverse=True)
    table = np.array([math.lgamma(int(v)) for v in distinct], dtype=np.float64)
    return table[where.reshape(n.shape)]


def poisson_sf_array(k: Ints, mu: Floats) -> Floats:
    """P(X >= k) for X ~ Poisson(mu), element by element."""
    k = np.asarray(k, dtype=np.int64)
    mu = np.asarray(mu, dtype=np.float64)
    out = np.ones(k.shape, dtype=np.float64)
    positive = k > 0
    out[positive & (mu <= 0)] = 0.0
    live = positive & (mu > 0)
    upper = live & (k > mu)
    lower = live & ~upper
    if upper.any():
        out[upper] = _upper_tail(k[upper], mu[upper])
    if lower.any():
        out[lower] = _one_minus_lower(k[lower], mu[lower])
    return out


def _upper_tail(k: Ints, mu: Floats) -> Floats:
    term = _exp(k * _log(mu) - mu - _lgamma_of_integers(k + 1))
    total = np.zeros_like(mu)
    i = k.astype(np.float64)
    active = term > 1e-300
    while active.any():
        total[active] += term[active]
        i[active] += 1
        with np.errstate(under="ignore"):
            term[active] *= mu[active] / i[active]
        active &= (term > 1e-300) & ~(term < total * 1e-17)
    return np.minimum(1.0, total)


def _one_minus_lower(k: Ints, mu: Floats) -> Floats:
    lower = np.zeros_like(mu)
    term = _exp(-mu)
    for i in range(int(k.max())):
        summing = i < k
        lower[summing] += term[summing]
        term[summing] *= mu[summing] / (i + 1)
    return np.maximum(0.0, 1.0 - lower)
