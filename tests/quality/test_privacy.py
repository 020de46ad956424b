"""The small-number rule and complementary suppression, attacked by an exact integer solver.

The attacker sees only what `publish` shows (texts, shares, quartiles) and the shape of the
tables (which cells partition which, `cells.py`), and knows the rule: "<5" is 1..4, "–" is 5 or
more (0 and 1..4 are never "–"), counts are whole and non-negative, a numerator is at most its
denominator. For every hidden count it solves for the smallest and the largest value consistent
with all of that (scipy's mixed-integer solver, exact for these small integer programs); a count
whose smallest and largest feasible values are equal would be recovered.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from opspor.quality.cells import ALL, Cell, Quartiles
from opspor.quality.privacy import (
    COMPLEMENTARY_TEXT,
    SMALL_TEXT,
    WITHHELD_TEXT,
    Published,
    publish,
)

START, END = date(2026, 1, 1), date(2026, 3, 31)


def cell(
    practice: int | None,
    split: str,
    group: str,
    denominator: int,
    numerator: int | None = None,
    quartiles: Quartiles | None = None,
    indicator: str = "referred_in_time",
) -> Cell:
    return Cell(indicator, practice, split, group, START, END, denominator, numerator, quartiles)


def by_group(published: list[Published]) -> dict[tuple[int | None, str], Published]:
    return {(p.cell.practice_id, p.cell.group): p for p in published}


# The attacker.


_CAP = 10_000


def _bounds(text: str) -> tuple[float, float]:
    if text == SMALL_TEXT:
        return 1, 4
    if text == WITHHELD_TEXT:
        return 1, _CAP
    if text == COMPLEMENTARY_TEXT:
        # "5 or more"; the cap only narrows what the attacker allows, never widens it, and
        # keeps the solver's problems bounded.
        return 5, _CAP
    assert text.isdigit(), f"unexpected text {text!r}"
    return int(text), int(text)


def feasible_ranges(published: list[Published]) -> dict[tuple[int, str], tuple[float, float]]:
    """The smallest and largest value of each hidden count consistent with the published output."""
    index: dict[tuple[int, str], int] = {}
    lower: list[float] = []
    upper: list[float] = []
    texts: dict[tuple[int, str], str] = {}
    for i, p in enumerate(published):
        for role, text in (("d", p.denominator_text), ("n", p.numerator_text)):
            if text is None:
                continue
            index[i, role] = len(lower)
            texts[i, role] = text
            low, high = _bounds(text)
            lower.append(low)
            upper.append(high)
        # What is shown beside the counts must not say more than the counts.
        if p.share is not None:
            assert p.denominator_text.isdigit() and p.numerator_text is not None
            assert p.numerator_text.isdigit()
        if p.quartiles is not None:
            assert p.denominator_text.isdigit()
    rows: list[np.ndarray] = []
    row_low: list[float] = []
    row_high: list[float] = []

    def equal(total: int, parts: list[int], role: str) -> None:
        if (total, role) not in index:
            return
        row = np.zeros(len(lower))
        row[index[total, role]] = 1
        for part in parts:
            row[index[part, role]] -= 1
        rows.append(row)
        row_low.append(0)
        row_high.append(0)

    places: dict[tuple[str, date, date], dict[tuple[int | None, str, str], int]] = defaultdict(dict)
    for i, p in enumerate(published):
        c = p.cell
        places[c.indicator, c.period_start, c.period_end][c.practice_id, c.split, c.group] = i
    for block in places.values():
        splits: dict[tuple[int | None, str], list[int]] = defaultdict(list)
        practices: dict[tuple[str, str], list[int]] = defaultdict(list)
        for (practice, split, group), i in block.items():
            if split != ALL:
                splits[practice, split].append(i)
            if practice is not None:
                practices[split, group].append(i)
        for role in ("d", "n"):
            for (practice, _), parts in splits.items():
                if (practice, ALL, ALL) in block:
                    equal(block[practice, ALL, ALL], parts, role)
            for (split, group), parts in practices.items():
                if (None, split, group) in block:
                    equal(block[None, split, group], parts, role)
    for (i, role), v in index.items():
        if role == "n":
            row = np.zeros(len(lower))
            row[v] = 1
            row[index[i, "d"]] = -1
            rows.append(row)
            row_low.append(-math.inf)
            row_high.append(0)
    constraints = [LinearConstraint(np.array(rows), row_low, row_high)] if rows else []
    ranges = {}
    for key, text in texts.items():
        if text.isdigit():
            continue
        ends = []
        for sign in (1, -1):
            objective = np.zeros(len(lower))
            objective[index[key]] = sign
            result = milp(
                objective,
                constraints=constraints,
                integrality=np.ones(len(lower)),
                bounds=Bounds(lower, upper),
            )
            assert result.status == 0, f"the published figures are infeasible: {result.message}"
            ends.append(round(result.x[index[key]]))
        ranges[key] = (ends[0], ends[1])
    return ranges


def assert_nothing_recoverable(published: list[Published]) -> None:
    for (i, role), (smallest, largest) in feasible_ranges(published).items():
        c = published[i].cell
        true = c.denominator if role == "d" else c.numerator
        assert smallest <= true <= largest
        assert smallest < largest, f"{role} of {c} is pinned to {smallest}"


# Hand-written cases.


def test_one_small_group_among_two_hides_the_other():
    shown = by_group(
        publish([cell(None, ALL, ALL, 20), cell(None, "sex", "f", 3), cell(None, "sex", "m", 17)])
    )
    assert shown[None, "f"].count_text == SMALL_TEXT
    assert shown[None, "f"].hidden_reason == "small_count"
    assert shown[None, "m"].count_text == COMPLEMENTARY_TEXT
    assert shown[None, "m"].hidden_reason == "complementary"
    assert shown[None, ALL].count_text == "20"
    assert_nothing_recoverable(list(shown.values()))


def test_a_small_practice_among_three_hides_the_smallest_other():
    published = publish(
        [
            cell(None, ALL, ALL, 30),
            cell(1, ALL, ALL, 3),
            cell(2, ALL, ALL, 12),
            cell(3, ALL, ALL, 15),
        ]
    )
    texts = [p.count_text for p in published]
    assert texts == ["30", SMALL_TEXT, COMPLEMENTARY_TEXT, "15"]
    assert_nothing_recoverable(published)


def test_a_share_is_hidden_with_its_numerator_and_its_complement():
    published = publish(
        [
            cell(None, ALL, ALL, 40, 20),
            cell(None, "sex", "f", 18, 3),
            cell(None, "sex", "m", 22, 17),
        ]
    )
    region, women, men = published
    assert (region.numerator_text, region.denominator_text, region.share) == ("20", "40", 0.5)
    assert (women.numerator_text, women.denominator_text) == (SMALL_TEXT, "18")
    assert women.share is None and women.plot_value is None
    assert women.hidden_reason == "small_count"
    assert men.numerator_text == COMPLEMENTARY_TEXT
    assert men.share is None and men.hidden_reason == "complementary"
    assert_nothing_recoverable(published)


def test_a_share_over_ten_or_fewer_is_not_shown_but_its_counts_are():
    (small,) = publish([cell(None, ALL, ALL, 10, 6)])
    assert (small.numerator_text, small.denominator_text) == ("6", "10")
    assert small.share is None and small.hidden_reason == "small_denominator"
    (enough,) = publish([cell(None, ALL, ALL, 11, 6)])
    assert enough.share == pytest.approx(6 / 11) and enough.plot_value == enough.share
    assert enough.hidden_reason is None and not enough.hidden


def test_quartiles_need_more_than_ten():
    days = Quartiles(p10=2, q1=5, median=9, q3=14, p90=30)
    few, many = publish(
        [
            cell(None, ALL, ALL, 10, quartiles=days, indicator="days_a"),
            cell(None, ALL, ALL, 11, quartiles=days, indicator="days_b"),
        ]
    )
    assert few.quartiles is None and few.plot_value is None
    assert few.hidden_reason == "small_denominator" and few.count_text == "10"
    assert many.quartiles == days and many.plot_value == 9


def test_the_six_sum_case_does_not_pin_the_small_group():
    # Shown total 6 with groups "<5" and "–" would pin "<5" to 1 ("–" being 5 or more).
    published = publish(
        [cell(None, ALL, ALL, 6), cell(None, "sex", "f", 1), cell(None, "sex", "m", 5)]
    )
    assert published[1].count_text == SMALL_TEXT
    assert not (published[0].count_text == "6" and published[2].count_text == COMPLEMENTARY_TEXT)
    assert_nothing_recoverable(published)


def test_the_attacker_recovers_what_a_naive_suppression_leaves():
    # The attacker is not vacuous: with only the primary and one complementary cell hidden,
    # total 6 = "<5" + "–" pins the small group to 1, and a share beside its denominator pins
    # its numerator through the share (here checked as: a shown share needs shown counts).
    cells = [cell(None, ALL, ALL, 6), cell(None, "sex", "f", 1), cell(None, "sex", "m", 5)]
    naive = [
        Published(cells[0], "6", None, None, None, None),
        Published(cells[1], SMALL_TEXT, None, None, None, "small_count"),
        Published(cells[2], COMPLEMENTARY_TEXT, None, None, None, "complementary"),
    ]
    assert feasible_ranges(naive)[1, "d"] == (1, 1)
    share = cell(None, ALL, ALL, 20, 3)
    with pytest.raises(AssertionError):
        feasible_ranges([Published(share, "20", SMALL_TEXT, 0.15, None, "small_count")])


def test_a_practice_total_in_two_partitions_at_once():
    # Practice 1's total (8 = 4 + 4 by sex) is also a part of the region (8 + 20 = 28).
    published = publish(
        [
            cell(None, ALL, ALL, 28),
            cell(1, ALL, ALL, 8),
            cell(2, ALL, ALL, 20),
            cell(1, "sex", "f", 4),
            cell(1, "sex", "m", 4),
            cell(2, "sex", "f", 10),
            cell(2, "sex", "m", 10),
        ]
    )
    assert_nothing_recoverable(published)


def test_empty_groups_are_shown_and_never_hidden_as_complement():
    published = publish(
        [
            cell(None, ALL, ALL, 3, 2),
            cell(None, "sex", "f", 0, 0),
            cell(None, "sex", "m", 3, 2),
        ]
    )
    empty = published[1]
    assert (empty.denominator_text, empty.numerator_text) == ("0", "0")
    assert empty.share is None and empty.hidden_reason is None
    assert_nothing_recoverable(published)


def test_a_one_patient_group():
    published = publish(
        [
            cell(None, ALL, ALL, 25, 12),
            cell(None, "age", "18-39", 1, 1),
            cell(None, "age", "40-59", 9, 4),
            cell(None, "age", "60+", 15, 7),
        ]
    )
    one = published[1]
    assert (one.denominator_text, one.numerator_text) == (SMALL_TEXT, SMALL_TEXT)
    assert one.share is None and one.plot_value is None
    assert_nothing_recoverable(published)


def test_a_table_pinned_by_the_bounds_alone_is_withheld():
    # Two practices of two patients, one of each group: shown as "<5" everywhere, the lower
    # bounds (1 each) would add up to exactly the values.
    cells = []
    for practice, size in ((1, 2), (2, 2), (None, 4)):
        cells.append(cell(practice, ALL, ALL, size))
        cells += [cell(practice, "sex", "f", size // 2), cell(practice, "sex", "m", size // 2)]
    published = publish(cells)
    assert {p.count_text for p in published} == {WITHHELD_TEXT}
    assert {p.hidden_reason for p in published} == {"withheld"}
    assert_nothing_recoverable(published)


def test_zero_is_shown():
    (zero,) = publish([cell(None, ALL, ALL, 0)])
    assert zero.count_text == "0" and zero.plot_value == 0.0 and not zero.hidden


def test_indicators_and_periods_are_separate_tables():
    other = replace(cell(None, ALL, ALL, 3), indicator="other")
    later = replace(
        cell(None, ALL, ALL, 3),
        period_start=date(2026, 4, 1),
        period_end=END.replace(month=6, day=30),
    )
    texts = [p.count_text for p in publish([cell(None, ALL, ALL, 40), other, later])]
    assert texts == ["40", SMALL_TEXT, SMALL_TEXT]


# Bad input: a clear error, and the cells are left as they were.


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([cell(None, ALL, ALL, -1)], "negative denominator"),
        ([cell(None, ALL, ALL, 5, 6)], "numerator outside"),
        ([cell(None, ALL, ALL, 5, -1)], "numerator outside"),
        ([cell(None, ALL, ALL, 5), cell(None, ALL, ALL, 5)], "two cells for the same figure"),
        (
            [cell(None, ALL, ALL, 10), cell(None, "sex", "f", 3), cell(None, "sex", "m", 6)],
            "do not add up",
        ),
        ([cell(None, ALL, ALL, 10), cell(1, ALL, ALL, 4)], "publish the whole region"),
        (
            [
                cell(None, ALL, ALL, 10, 5),
                cell(None, "sex", "f", 4, 2),
                cell(None, "sex", "m", 6, 2),
            ],
            "numerators",
        ),
        ([cell(None, ALL, ALL, 10, 5), cell(None, "sex", "f", 10)], "mixed"),
        (
            [replace(cell(None, ALL, ALL, 5), period_end=date(2025, 12, 31))],
            "ends before it starts",
        ),
    ],
)
def test_inconsistent_cells_are_refused(cells: list[Cell], message: str):
    before = list(cells)
    with pytest.raises(ValueError, match=message):
        publish(cells)
    assert cells == before


# Random small regions, attacked.


@st.composite
def regions(
    draw: st.DrawFn, most_practices: int = 3, group_sizes: tuple[int, int] = (2, 3)
) -> list[Cell]:
    """A region of practices built from patients, so every partition adds up."""
    sizes = draw(st.lists(st.integers(*group_sizes), max_size=2))
    splits = [f"split{i}" for i in range(len(sizes))]
    share = draw(st.booleans())
    practice_splits = draw(st.booleans())
    patient = st.tuples(*(st.integers(0, k - 1) for k in sizes), st.booleans())
    practices = draw(st.integers(1, most_practices))
    people = {
        p: draw(st.lists(patient, max_size=draw(st.sampled_from([6, 12, 30]))))
        for p in range(1, practices + 1)
    }
    people[None] = [person for p in range(1, practices + 1) for person in people[p]]  # type: ignore[index]

    def make(practice: int | None, split: str, group: str, members: list[tuple]) -> Cell:
        numerator = sum(1 for m in members if m[-1]) if share else None
        return cell(practice, split, group, len(members), numerator)

    cells = []
    for practice, members in people.items():
        cells.append(make(practice, ALL, ALL, members))
        if practice is None or practice_splits:
            for s, (split, size) in enumerate(zip(splits, sizes, strict=True)):
                for g in range(size):
                    cells.append(make(practice, split, f"g{g}", [m for m in members if m[s] == g]))
    return cells


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regions())
def test_no_hidden_count_can_be_recovered(cells: list[Cell]):
    assert_published_safely(cells)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regions(most_practices=8, group_sizes=(2, 5)))
def test_no_hidden_count_can_be_recovered_among_more_practices(cells: list[Cell]):
    # More rows and groups: the rectangles and row pairs of the shaped search, and rows
    # withheld on their own, all meet the attacker.
    assert_published_safely(cells)


def assert_published_safely(cells: list[Cell]) -> None:
    published = publish(cells)
    assert [p.cell for p in published] == cells
    for p in published:
        # The primary rule, on every cell.
        if 1 <= p.cell.denominator <= 4:
            assert p.denominator_text in (SMALL_TEXT, WITHHELD_TEXT)
        if p.cell.numerator is not None and 1 <= p.cell.numerator <= 4:
            assert p.numerator_text in (SMALL_TEXT, WITHHELD_TEXT)
        if p.cell.denominator <= 10:
            assert p.share is None
        # What is shown is true, and the marks mean what the attacker takes them to mean.
        for text, value in (
            (p.denominator_text, p.cell.denominator),
            (p.numerator_text, p.cell.numerator),
        ):
            if text is None or value is None:
                continue
            if text.isdigit():
                assert text == str(value)
            else:
                low, high = _bounds(text)
                assert low <= value <= high
    assert_nothing_recoverable(published)


def test_a_row_pinned_within_itself_is_withheld_alone():
    # Practice 1: a total of 4 ("<5") made of four groups of 1 ("<5") and two empty groups:
    # the total could only fall, and no group can. Only that practice's counts are withheld;
    # the other practices and the region keep theirs.
    reasons = ("a", "b", "c", "d", "e", "f")
    sizes = {1: (1, 1, 1, 1, 0, 0), 2: (9, 8, 7, 9, 6, 8), 3: (7, 9, 8, 6, 9, 7)}
    cells = []
    for practice, counts in sizes.items():
        cells.append(cell(practice, ALL, ALL, sum(counts)))
        cells += [cell(practice, "reason", r, n) for r, n in zip(reasons, counts, strict=True)]
    region = [sum(sizes[p][i] for p in sizes) for i in range(len(reasons))]
    cells.append(cell(None, ALL, ALL, sum(region)))
    cells += [cell(None, "reason", r, n) for r, n in zip(reasons, region, strict=True)]
    published = publish(cells)
    withheld = {(p.cell.practice_id, p.cell.group) for p in published if p.count_text == ".."}
    assert withheld == {(1, ALL), (1, "a"), (1, "b"), (1, "c"), (1, "d")}
    assert all(p.count_text == "0" for p in published if p.cell.denominator == 0)
    assert_nothing_recoverable(published)


def test_a_region_of_hundreds_of_practices_is_published_in_seconds() -> None:
    # Not a timing assertion: the search must not grow with the region's number of practices
    # in every step (it took minutes before the residuals were counted over the changes).
    rng = random.Random(3)
    cells = []
    for practice in range(643):
        d = rng.randrange(0, 30)
        cells.append(cell(practice, ALL, ALL, d, rng.randrange(0, d + 1)))
    total_d = sum(c.denominator for c in cells)
    total_n = sum(c.numerator or 0 for c in cells)
    cells.insert(0, cell(None, ALL, ALL, total_d, total_n))
    published = publish(cells)
    small = [p for p in published if 1 <= p.cell.denominator <= 4]
    assert small and all(p.denominator_text in (SMALL_TEXT, WITHHELD_TEXT) for p in small)
