"""From what an indicator counts, one item per patient-event, to the cells of every split.

Pure Python (numpy for the percentiles): `figures/` turns the application's rows into items,
this module counts them the same way for every indicator, so a split or a period is defined
once. Region cells are computed for every split; a practice's cells for the splits a mirror
shows (everyone, and the vulnerable groups against the rest).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from opspor.quality.cells import ALL, Cell, Quartiles

# The study's groups (design §1 row 7), named as the engine names its vulnerability flags
# (`engine/signals/vulnerability.py`), each a split of its own with groups "yes" and "no";
# "vulnerable" is any of them against none.
VULNERABLE_SPLITS: tuple[str, ...] = (
    "male_living_alone",
    "language_barrier",
    "psychiatric_diagnosis",
    "substance_abuse",
    "multimorbidity",
)
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-39", 0, 39),
    ("40-49", 40, 49),
    ("50-59", 50, 59),
    ("60-69", 60, 69),
    ("70-79", 70, 79),
    ("80+", 80, None),
)
SEXES = ("female", "male")
PRACTICE_KINDS = ("solo", "partnership", "network")
YES_NO = ("yes", "no")
REGION_SPLITS: tuple[str, ...] = (
    "sex",
    "age_band",
    "practice_kind",
    "vulnerable",
    *VULNERABLE_SPLITS,
)
PRACTICE_SPLITS: tuple[str, ...] = ("vulnerable",)


def age_band(age: int) -> str:
    for name, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return name
    raise ValueError(f"no age band for {age}")


def split_groups(split: str) -> tuple[str, ...]:
    """Every group of a split, the empty ones too, so a table shows a 0 rather than nothing."""
    if split == "sex":
        return SEXES
    if split == "age_band":
        return tuple(name for name, _, _ in AGE_BANDS)
    if split == "practice_kind":
        return PRACTICE_KINDS
    if split == "vulnerable" or split in VULNERABLE_SPLITS:
        return YES_NO
    raise ValueError(f"unknown split {split!r}")


@dataclass(frozen=True, slots=True)
class Who:
    """The groups one patient belongs to on the day an item is counted."""

    sex: str
    age_band: str
    practice_kind: str
    flags: frozenset[str]

    def group(self, split: str) -> str:
        if split == "sex":
            return self.sex
        if split == "age_band":
            return self.age_band
        if split == "practice_kind":
            return self.practice_kind
        if split == "vulnerable":
            return "yes" if self.flags & set(VULNERABLE_SPLITS) else "no"
        if split in VULNERABLE_SPLITS:
            return "yes" if split in self.flags else "no"
        raise ValueError(f"unknown split {split!r}")


@dataclass(frozen=True, slots=True)
class Item:
    """One thing an indicator counts: a referral, a cancer, a listed patient.

    ``hit`` says whether it is in the numerator (a share or a rate); ``value`` is its number
    of days, hours or consultations (a distribution); a count needs neither. ``extra`` is its
    group in the indicator's own split (a rejection's reason, an episode's outcome).
    """

    practice_id: int
    who: Who
    hit: bool | None = None
    value: float | None = None
    extra: str | None = None


def quartiles(values: Sequence[float] | npt.NDArray[np.float64]) -> Quartiles | None:
    """p10, q1, median, q3, p90 with numpy's default (linear) interpolation; None if empty.
    The record's figures and the region's files (`region/`) both count with this one."""
    if len(values) == 0:
        return None
    p10, q1, median, q3, p90 = (float(x) for x in np.percentile(values, [10, 25, 50, 75, 90]))
    return Quartiles(p10=p10, q1=q1, median=median, q3=q3, p90=p90)


def _cell(
    indicator: str,
    kind: str,
    practice_id: int | None,
    split: str,
    group: str,
    period: tuple[date, date],
    items: Sequence[Item],
) -> Cell:
    start, end = period
    if kind == "share" or kind == "per_1000":
        return Cell(
            indicator,
            practice_id,
            split,
            group,
            start,
            end,
            denominator=len(items),
            numerator=sum(1 for item in items if item.hit),
        )
    if kind in ("days", "hours", "consultations"):
        values = [item.value for item in items if item.value is not None]
        return Cell(
            indicator,
            practice_id,
            split,
            group,
            start,
            end,
            denominator=len(values),
            quartiles=quartiles(values),
        )
    return Cell(indicator, practice_id, split, group, start, end, denominator=len(items))


def cells_for(
    indicator: str,
    kind: str,
    items: Iterable[Item],
    *,
    period: tuple[date, date],
    practices: Iterable[int],
    extra_split: str | None = None,
    extra_groups: Sequence[str] = (),
) -> list[Cell]:
    """Every cell of one indicator in one period: the region's for each split, every
    practice's (those without items too) for the practice splits, and the groups of the
    indicator's own split (``extra_split``) in the region and in each practice."""
    rows = list(items)
    by_practice: dict[int, list[Item]] = defaultdict(list)
    for item in rows:
        by_practice[item.practice_id].append(item)
    cells = [_cell(indicator, kind, None, ALL, ALL, period, rows)]
    places: list[tuple[int | None, Sequence[Item], Sequence[str]]] = [(None, rows, REGION_SPLITS)]
    for practice in sorted(set(practices) | set(by_practice)):
        own = by_practice.get(practice, [])
        cells.append(_cell(indicator, kind, practice, ALL, ALL, period, own))
        places.append((practice, own, PRACTICE_SPLITS))
    for place, mine, splits in places:
        for split in splits:
            grouped: dict[str, list[Item]] = defaultdict(list)
            for item in mine:
                grouped[item.who.group(split)].append(item)
            for group in split_groups(split):
                cells.append(_cell(indicator, kind, place, split, group, period, grouped[group]))
        if extra_split is not None:
            grouped = defaultdict(list)
            for item in mine:
                if item.extra is not None:
                    grouped[item.extra].append(item)
            for group in extra_groups:
                cells.append(
                    _cell(indicator, kind, place, extra_split, group, period, grouped[group])
                )
    return cells
