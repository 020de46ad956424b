"""One figure of the quality dashboard: an indicator's value for one group, one period, one place.

Pure Python, no Django: the application's aggregates (`refresh.py`), the region-wide figures
read from the synthetic region's Parquet files (`region/`), the privacy rule (`privacy.py`)
and the funnel plots (`funnel.py`) all pass the same rows around.

A cell is a *count* (numerator None, denominator the count), a *share* or *rate* (numerator
over denominator), or a *distribution* of days (``quartiles`` over ``denominator`` pathways
with a known interval). The groups of one split (``split`` "sex": "female", "male") partition
the cell of split "all", group "all", of the same indicator, place and period: that is what
lets `privacy.py` find the totals a suppressed number could be recovered from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The split and group of the cell that covers everyone.
ALL = "all"


@dataclass(frozen=True, slots=True)
class Quartiles:
    """The 25th, 50th and 75th percentile of a distribution of days, and the 10th and 90th
    for the whiskers (linear interpolation between the order statistics, as numpy's default)."""

    p10: float
    q1: float
    median: float
    q3: float
    p90: float


@dataclass(frozen=True, slots=True)
class Cell:
    """One indicator's figure for one group of one split, in one place and one period.

    ``practice_id`` None is the whole region. ``period_start``/``period_end`` are inclusive
    days; a pooled period (three years where one is too small) is simply a longer one.
    """

    indicator: str
    practice_id: int | None
    split: str
    group: str
    period_start: date
    period_end: date
    denominator: int
    numerator: int | None = None
    quartiles: Quartiles | None = None

    @property
    def is_total(self) -> bool:
        return self.split == ALL and self.group == ALL

    @property
    def share(self) -> float | None:
        """numerator / denominator; None for a count, a distribution or an empty group."""
        if self.numerator is None or self.denominator == 0:
            return None
        return self.numerator / self.denominator
