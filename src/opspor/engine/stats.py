"""The Poisson upper tail, without SciPy: the engine runs thousands of times a second."""

from __future__ import annotations

import math


def poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    log_mu = math.log(mu)
    if k > mu:
        # Sum the upper tail directly: its terms fall fast beyond the mean, and summing them
        # keeps precision where 1 - CDF would cancel to nothing.
        total = 0.0
        i = k
        term = math.exp(k * log_mu - mu - math.lgamma(k + 1))
        while term > 1e-300:
            total += term
            i += 1
            term *= mu / i
            if term < total * 1e-17:
                break
        return min(1.0, total)
    lower = 0.0
    term = math.exp(-mu)
    for i in range(k):
        lower += term
        term *= mu / (i + 1)
    return max(0.0, 1.0 - lower)
