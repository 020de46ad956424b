"""The figures computed from the application's own tables, one module per part of the work.

Each module has ``cells(period, *, as_of) -> list[Cell]``: its indicators' cells for one
period, counted with `aggregate.cells_for` over items whose patients' groups come from
`groups.WhoBook`. Every period ends on the day of the figures; the pooled period is three
years, for places and groups where one year holds too few (the page says which it shows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from opspor.quality.aggregate import Item, cells_for
from opspor.quality.cells import Cell
from opspor.quality.indicators import BY_ID


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    pooled: bool

    @property
    def span(self) -> tuple[date, date]:
        return (self.start, self.end)

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


# 365 and 1,095 days, both bounds included, as the engine counts its windows.
YEAR_DAYS = 365
POOLED_DAYS = 3 * 365


def periods(as_of: date) -> tuple[Period, Period]:
    """The last year and the pooled three years, both ending on ``as_of``."""
    return (
        Period(as_of - timedelta(days=YEAR_DAYS - 1), as_of, pooled=False),
        Period(as_of - timedelta(days=POOLED_DAYS - 1), as_of, pooled=True),
    )


def indicators_cells(
    items: Mapping[str, Sequence[Item]],
    *,
    period: Period,
    practices: Iterable[int],
    own_splits: Mapping[str, tuple[str, Sequence[str]]] | None = None,
) -> list[Cell]:
    """The cells of several indicators, each counted over its own items; ``own_splits`` names
    an indicator's own split and its groups (a rejection's reason, say)."""
    every = list(practices)
    cells: list[Cell] = []
    for indicator, its_items in items.items():
        split, groups = (own_splits or {}).get(indicator, (None, ()))
        cells += cells_for(
            indicator,
            BY_ID[indicator].kind,
            its_items,
            period=period.span,
            practices=every,
            extra_split=split,
            extra_groups=groups,
        )
    return cells
