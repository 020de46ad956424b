"""Funnel plot control limits for comparing practices with the region.

Method: Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med
2005;24:1185–1202 (doi:10.1002/sim.1970), its appendix on exact limits: from the binomial (a
proportion) or Poisson (a rate) distribution around the target, smoothed by interpolation.
For an in-control unit with denominator n, count R ~ Binomial(n, target) or
Poisson(target × n / 1,000); r_p is the smallest r with P(R <= r) >= p, and

    alpha = (P(R <= r_p) - p) / (P(R <= r_p) - P(R <= r_p - 1)),   limit = (r_p - alpha) / n

(× 1,000 for a rate), with p = Φ(-z) for the lower limit and Φ(z) for the upper, z = 1.96
(95 %) and z = 3.09 (99.8 %): the two levels of the Association of Public Health Observatories'
Technical Briefing 2, "Statistical process control methods in public health intelligence"
(Flowers J, December 2007, reprinted August 2009), as the quality unit's requirement states them
(only the briefing's first page was available here; its worked numbers: NONE FOUND, so the tests
compare with scipy.stats and a normal approximation instead). Limits are cut at 0 (and at 1 for
a proportion) and never cross the target.

A rate is per 1,000 of the denominator (persons or person-years). For an indirectly standardised
rate (observed / expected × the region's crude rate), pass as denominator the size whose expected
count at the target is the expected count E: n = E × 1,000 / target.

Pure Python: the distributions are summed with `math.lgamma` (scipy is only used in the tests).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["proportion", "rate"]
Band = Literal["below_998", "below_95", "within", "above_95", "above_998"]

Z95 = 1.96
Z998 = 3.09
RATE_PER = 1000.0
# The mass beyond this many standard deviations (plus a margin for small means) is far below
# double precision, so the sums start there instead of at 0.
_TAIL_SD = 15.0
_TAIL_MARGIN = 10


@dataclass(frozen=True, slots=True)
class FunnelPoint:
    n: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float


def _normal_tail(z: float) -> float:
    """P(Z <= -z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _log_pmf(kind: Kind, k: int, n: float, target: float) -> float:
    if kind == "proportion":
        whole = round(n)
        return (
            math.lgamma(whole + 1)
            - math.lgamma(k + 1)
            - math.lgamma(whole - k + 1)
            + k * math.log(target)
            + (whole - k) * math.log1p(-target)
        )
    mean = target * n / RATE_PER
    return k * math.log(mean) - mean - math.lgamma(k + 1)


def _limit(kind: Kind, p: float, n: float, target: float) -> float:
    """Spiegelhalter's interpolated p-quantile of the count, divided by n (per 1,000 for rates)."""
    scale = RATE_PER if kind == "rate" else 1.0
    if kind == "proportion":
        mean, sd, top = n * target, math.sqrt(n * target * (1 - target)), round(n)
    else:
        mean = target * n / RATE_PER
        sd, top = math.sqrt(mean), None
    k = max(0, math.floor(mean - _TAIL_SD * sd - _TAIL_MARGIN))
    below = 0.0  # P(R <= k - 1), negligible at the start
    while True:
        mass = math.exp(_log_pmf(kind, k, n, target))
        cdf = below + mass
        if cdf >= p or (top is not None and k >= top):
            alpha = (cdf - p) / mass if mass > 0 else 0.0
            value = (k - alpha) / n * scale
            upper = 1.0 if kind == "proportion" else math.inf
            return min(max(value, 0.0), upper)
        below = cdf
        k += 1


def _check(target: float, kind: Kind) -> None:
    if kind not in ("proportion", "rate"):
        raise ValueError(f"kind must be 'proportion' or 'rate', not {kind!r}")
    if not math.isfinite(target) or target < 0 or (kind == "proportion" and target > 1):
        bound = "between 0 and 1" if kind == "proportion" else "0 or more, finite"
        raise ValueError(f"the target of a {kind} must be {bound}, not {target!r}")


def _point(target: float, n: float, kind: Kind) -> FunnelPoint:
    if not math.isfinite(n) or n <= 0:
        raise ValueError(f"a denominator must be positive, not {n!r}")
    if kind == "proportion" and n != round(n):
        raise ValueError(f"the denominator of a proportion must be a whole number, not {n!r}")
    if target == 0 or (kind == "proportion" and target == 1):
        # No variation at all is expected: every in-control unit sits on the target.
        return FunnelPoint(n, target, target, target, target)
    low95, low998 = _normal_tail(Z95), _normal_tail(Z998)
    # When even one event is improbable (an expected count below about 0.025), the interpolated
    # upper limit falls below the target; it is drawn at the target instead. No count lies
    # between the two, so no unit is classified differently.
    return FunnelPoint(
        n=n,
        lower95=min(_limit(kind, low95, n, target), target),
        upper95=max(_limit(kind, 1 - low95, n, target), target),
        lower998=min(_limit(kind, low998, n, target), target),
        upper998=max(_limit(kind, 1 - low998, n, target), target),
    )


def funnel_limits(
    target: float, denominators: Sequence[float], *, kind: Kind = "proportion"
) -> list[FunnelPoint]:
    """The 95 % and 99.8 % limits around `target` at each denominator."""
    _check(target, kind)
    return [_point(target, n, kind) for n in denominators]


def funnel_curve(
    target: float, n_min: float, n_max: float, points: int = 60, *, kind: Kind = "proportion"
) -> list[FunnelPoint]:
    """Limits at up to `points` whole denominators spread evenly on a log scale, for drawing."""
    _check(target, kind)
    if points < 2:
        raise ValueError(f"a curve needs at least 2 points, not {points}")
    if not 1 <= n_min < n_max or not math.isfinite(n_max):
        raise ValueError(f"need 1 <= n_min < n_max, not {n_min!r} and {n_max!r}")
    ratio = math.log(n_max / n_min) / (points - 1)
    sizes = sorted({round(n_min * math.exp(ratio * i)) for i in range(points)})
    return [_point(target, max(1, n), kind) for n in sizes]


def classify(
    numerator: int, denominator: float, target: float, *, kind: Kind = "proportion"
) -> Band:
    """Where a unit's value lies relative to the limits around `target`."""
    _check(target, kind)
    limits = _point(target, denominator, kind)
    if numerator < 0 or (kind == "proportion" and numerator > denominator):
        raise ValueError(f"numerator {numerator!r} outside 0..denominator {denominator!r}")
    value = numerator / denominator * (RATE_PER if kind == "rate" else 1.0)
    if value < limits.lower998:
        return "below_998"
    if value < limits.lower95:
        return "below_95"
    if value > limits.upper998:
        return "above_998"
    if value > limits.upper95:
        return "above_95"
    return "within"
