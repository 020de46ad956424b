"""Cells from per-row arrays: one row per cancer (or per scanned patient), a mask per group.

Pure NumPy. A *measure* says which rows count in the denominator and, for a share, which
of those in the numerator, or, for a distribution, each row's days. Every group of a split
is a mask over the same rows, and the groups of one split cover every row once: so their
denominators sum to the total's (an empty group is a cell with denominator 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from opspor.quality.aggregate import quartiles
from opspor.quality.cells import ALL, Cell

B = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Measure:
    indicator: str
    counted: B  # in the denominator
    hit: B | None = None  # a share's numerator (a subset of `counted`)
    days: F64 | None = None  # a distribution's values (NaN where unknown)


@dataclass(frozen=True)
class Split:
    name: str
    codes: I64  # each row's group, as an index into `groups`
    groups: tuple[str, ...]  # every group, in the order shown, the empty ones too


@dataclass(frozen=True)
class Period:
    start: date
    end: date


def cell(
    m: Measure, rows: B, *, split: str, group: str, period: Period, practice_id: int | None
) -> Cell:
    counted = m.counted & rows
    denominator = int(np.count_nonzero(counted))
    numerator = None if m.hit is None else int(np.count_nonzero(m.hit & counted))
    q = None if m.days is None else quartiles(m.days[counted])
    return Cell(
        indicator=m.indicator,
        practice_id=practice_id,
        split=split,
        group=group,
        period_start=period.start,
        period_end=period.end,
        denominator=denominator,
        numerator=numerator,
        quartiles=q,
    )


def split_cells(
    measures: Iterable[Measure], splits: Sequence[Split], rows: B, period: Period
) -> list[Cell]:
    """The region's cells: split "all" and every group of every split, per measure."""
    out: list[Cell] = []
    for m in measures:
        out.append(cell(m, rows, split=ALL, group=ALL, period=period, practice_id=None))
        for s in splits:
            for k, g in enumerate(s.groups):
                out.append(
                    cell(
                        m,
                        rows & (s.codes == k),
                        split=s.name,
                        group=g,
                        period=period,
                        practice_id=None,
                    )
                )
    return out


def practice_cells(
    measures: Iterable[Measure],
    practice: I64,
    practices: Sequence[int],
    rows: B,
    period: Period,
) -> list[Cell]:
    """One cell per practice (split "all") and measure; ``practice`` holds each row's."""
    order = np.asarray(sorted(set(practices)), dtype=np.int64)
    index = np.searchsorted(order, practice)
    if len(practice) and (
        len(order) == 0
        or (index >= len(order)).any()
        or (order[np.minimum(index, len(order) - 1)] != practice).any()
    ):
        raise ValueError("a row's practice is not in the list of practices")
    out: list[Cell] = []
    for m in measures:
        counted = m.counted & rows
        den = np.bincount(index[counted], minlength=len(order))
        num = None if m.hit is None else np.bincount(index[counted & m.hit], minlength=len(order))
        days_by: dict[int, F64] = {}
        if m.days is not None:
            sel = np.nonzero(counted)[0]
            sel = sel[np.argsort(index[sel], kind="stable")]
            bounds = np.searchsorted(index[sel], np.arange(len(order) + 1))
            values = m.days[sel]
            days_by = {k: values[bounds[k] : bounds[k + 1]] for k in range(len(order))}
        for k, pid in enumerate(order):
            out.append(
                Cell(
                    indicator=m.indicator,
                    practice_id=int(pid),
                    split=ALL,
                    group=ALL,
                    period_start=period.start,
                    period_end=period.end,
                    denominator=int(den[k]),
                    numerator=None if num is None else int(num[k]),
                    quartiles=None if m.days is None else quartiles(days_by[k]),
                )
            )
    return out
