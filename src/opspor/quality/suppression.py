"""Complementary suppression for `privacy.publish`: the further counts to hide, and for every
hidden count the proof that it could have been another value.

The counts of one call are variables; the cells' partitions (`cells.py`) are sums over them
(the groups of a split add up to their row's total, the practices' cells add up to the region's
cell of the same split and group) and every numerator is at most its denominator. A hidden count
is protected by an *alternative*: a ±1 change of hidden counts, itself included, after which
every published sum, bound and pair still holds. Every alternative found is checked against all
of that (`_valid`), whichever way it was found, so the guarantee does not rest on the search.

Finding them scales to a region's hundreds of practices because most are one of two shapes, the
ones of hypercube suppression for hierarchical tables (τ-ARGUS's HiTaS; Hundepool et al.,
*Statistical Disclosure Control*, Wiley 2012, §5.4):

- a *rectangle*: two groups of one split in two rows (two practices, or a practice and the
  region), changed +1/-1 crosswise so every row and column keeps its sum;
- a *row pair*: two practices' totals changed +1/-1, with one group of each of their splits.

A count that neither shape protects is searched for generically (a depth-first search over the
sums, bounded; the counts that stopped it are hidden next). Each alternative protects every count
in it, so it is kept for all of them; a further hidden count that turns out not to be needed is
shown again when every count whose alternative used it finds another.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Literal

from opspor.quality.cells import ALL, Cell

Status = Literal["small", "complementary", "withheld"]
Change = dict[int, int]

# Counts up to this are "small" (see `privacy.py` for the rule and its source).
SMALL_COUNT_MAX = 4

# Bounds on the generic search, so that a large table cannot hang a refresh; a count whose
# search runs out is treated as pinned (more is hidden, never less).
_SEARCH_BUDGET = 20_000
_QUICK_BUDGET = 300
# Shaped candidates checked in full before falling back to the generic search.
_CHECKED_CANDIDATES = 50

_Block = tuple[str, date, date]
_Place = tuple[int | None, str, str]
_Row = tuple[int, str, int | None]  # block, role, practice (None: the region)


class Suppression:
    """The counts of the cells as variables, the sums that tie them, and what is hidden."""

    def __init__(self, cells: list[Cell]) -> None:
        self.values: list[int] = []
        self.block_of: list[int] = []  # the indicator and period, numbered
        self.var: dict[tuple[int, str], int] = {}
        # (total, parts): value[total] == sum(value[part] for part in parts)
        self.sums: list[tuple[int, tuple[int, ...]]] = []
        # (numerator, denominator): value[numerator] <= value[denominator]
        self.pairs: list[tuple[int, int]] = []
        # The table a count sits in: its row, and its column (split and group).
        self.row_of: list[_Row] = []
        self.group_of: list[tuple[str, str]] = []
        self.rows: dict[_Row, dict[tuple[str, str], int]] = defaultdict(dict)
        self.columns: dict[tuple[int, str, str, str], dict[int | None, int]] = defaultdict(dict)
        blocks: dict[_Block, dict[_Place, int]] = defaultdict(dict)
        numbers: dict[_Block, int] = {}
        for index, cell in enumerate(cells):
            check_cell(cell)
            place: _Place = (cell.practice_id, cell.split, cell.group)
            key = (cell.indicator, cell.period_start, cell.period_end)
            number = numbers.setdefault(key, len(numbers))
            block = blocks[key]
            if place in block:
                raise ValueError(f"two cells for the same figure: {name(cell)}")
            block[place] = index
            self.var[index, "d"] = self._new(cell.denominator, number, "d", cell)
            if cell.numerator is not None:
                self.var[index, "n"] = self._new(cell.numerator, number, "n", cell)
                self.pairs.append((self.var[index, "n"], self.var[index, "d"]))
        for block in blocks.values():
            kinds = {cells[index].numerator is None for index in block.values()}
            if len(kinds) > 1:
                names = ", ".join(name(cells[i]) for i in block.values())
                raise ValueError(f"shares and counts mixed in one indicator and period: {names}")
            for role in ("d", "n") if False in kinds else ("d",):
                self._add_sums(cells, block, role)
        # The parts of each sum as a set: a residual is then counted over the few changed
        # counts, not over a region's hundreds of practices.
        self.part_sets: list[frozenset[int]] = [frozenset(parts) for _, parts in self.sums]
        self.by_var: list[list[int]] = [[] for _ in self.values]
        for number, (total, parts) in enumerate(self.sums):
            for v in (total, *parts):
                self.by_var[v].append(number)
        self.pairs_of: list[list[tuple[int, int]]] = [[] for _ in self.values]
        for pair in self.pairs:
            for v in pair:
                self.pairs_of[v].append(pair)
        self.status: dict[int, Status] = {}
        # The rows in which a column's count is hidden, for the shaped search.
        self.hidden_rows: dict[tuple[int, str, str, str], set[int | None]] = defaultdict(set)
        self.hidden_parts: list[set[int]] = [set() for _ in self.sums]
        # Every hidden count's alternative, and which counts' alternatives use a count.
        self.alternative_of: dict[int, Change] = {}
        self.used_by: dict[int, set[int]] = defaultdict(set)

    def _new(self, value: int, block: int, role: str, cell: Cell) -> int:
        v = len(self.values)
        self.values.append(value)
        self.block_of.append(block)
        row: _Row = (block, role, cell.practice_id)
        self.row_of.append(row)
        self.group_of.append((cell.split, cell.group))
        self.rows[row][cell.split, cell.group] = v
        self.columns[block, role, cell.split, cell.group][cell.practice_id] = v
        return v

    def _add_sums(self, cells: list[Cell], block: dict[_Place, int], role: str) -> None:
        groups: dict[tuple[int | None, str], list[int]] = defaultdict(list)
        practices: dict[tuple[str, str], list[int]] = defaultdict(list)
        for (practice, split, group), index in block.items():
            if split != ALL:
                groups[practice, split].append(index)
            if practice is not None:
                practices[split, group].append(index)
        for (practice, _split), parts in sorted(groups.items(), key=repr):
            total = block.get((practice, ALL, ALL))
            if total is None:
                continue
            self._add(cells, total, parts, role)
        for (split, group), parts in sorted(practices.items(), key=repr):
            total = block.get((None, split, group))
            if total is None:
                continue
            self._add(cells, total, parts, role)

    def _add(self, cells: list[Cell], total: int, parts: list[int], role: str) -> None:
        def value(index: int) -> int:
            return self.values[self.var[index, role]]

        if value(total) != sum(value(part) for part in parts):
            what = "numerators" if role == "n" else "denominators"
            names = ", ".join(name(cells[part]) for part in parts)
            raise ValueError(
                f"the {what} of {names} do not add up to {name(cells[total])}; "
                "publish the whole region at once, with consistent figures"
            )
        self.sums.append((self.var[total, role], tuple(self.var[part, role] for part in parts)))

    # What is hidden, and the alternatives that protect it.

    def _column(self, v: int) -> tuple[int, str, str, str]:
        block, role, _practice = self.row_of[v]
        split, group = self.group_of[v]
        return (block, role, split, group)

    def _hide(self, v: int, status: Status) -> None:
        self.status[v] = status
        self.hidden_rows[self._column(v)].add(self.row_of[v][2])
        for number in self.by_var[v]:
            if v in self.part_sets[number]:
                self.hidden_parts[number].add(v)

    def _show(self, v: int) -> None:
        del self.status[v]
        self.hidden_rows[self._column(v)].discard(self.row_of[v][2])
        for number in self.by_var[v]:
            self.hidden_parts[number].discard(v)
        self._forget(v)
        self.used_by.pop(v, None)

    def _forget(self, v: int) -> None:
        for u in self.alternative_of.pop(v, {}):
            self.used_by[u].discard(v)

    def _keep(self, change: Change) -> None:
        """`change` is an alternative for every count in it."""
        for v in change:
            self._forget(v)
            self.alternative_of[v] = change
            for u in change:
                self.used_by[u].add(v)

    # The suppression itself.

    def suppress(self) -> dict[int, Status]:
        for v, value in enumerate(self.values):
            if 1 <= value <= SMALL_COUNT_MAX:
                self._hide(v, "small")
        added: list[int] = []
        stuck: set[int] = set()
        withheld_rows: set[_Row] = set()
        pending = deque(sorted(self.status))
        while pending:
            v = pending.popleft()
            if v in self.alternative_of or v in stuck:
                continue
            found = self._protect(v)
            if found is not None:
                for u in found:
                    if u not in self.status:
                        self._hide(u, "complementary")
                        added.append(u)
                self._keep(found)
                continue
            row = self.row_of[v]
            if row not in withheld_rows and not self._row_allows(v):
                # Pinned by the bounds within its row (a practice's "<5" total of four "<5"
                # groups of 1): the row's non-zero counts are withheld, with no upper bound,
                # and protected like any other hidden count.
                withheld_rows.add(row)
                cells = [u for u in self.rows[row].values() if self.values[u] > 0]
                for u in cells:
                    self._hide(u, "withheld")
                pending.extendleft([v, *(u for u in cells if u not in self.alternative_of)])
                continue
            blocking: set[int] = set()
            change = self.alternative(v, blocking)
            if change is not None:
                self._keep(change)
                continue
            extra = self._next_to_hide(v, blocking)
            if extra is not None:
                self._hide(extra, "complementary")
                added.append(extra)
                pending.extendleft([extra, v])
            else:
                stuck.add(v)  # everything near it is hidden already
        # Still pinned (a region of four patients in "<5" cells everywhere): all non-zero
        # counts of that indicator and period are withheld. A withheld count can always grow,
        # with its totals and a group of each of their splits.
        withheld = {self.block_of[v] for v in stuck}
        for v, value in enumerate(self.values):
            if value > 0 and self.block_of[v] in withheld:
                self._hide(v, "withheld")
        # Show again what turned out not to be needed, the largest first: the counts whose
        # alternative used it must find another without it.
        for extra in sorted(
            (v for v in added if self.status[v] == "complementary"), key=lambda x: -self.values[x]
        ):
            self._show_again_if_unneeded(extra)
        return self.status

    def _protect(self, v: int) -> Change | None:
        """An alternative for `v`: among hidden counts if there is one, else the shaped one that
        hides the fewest and smallest further counts (the caller hides them), looked for first
        beside the rows already hidden, then across all rows."""
        change = self._among_hidden(v)
        if change is not None:
            return change
        for near in (True, False):
            ranked = heapq.nsmallest(_CHECKED_CANDIDATES, self._shaped(v, near), key=_cost)
            for _, change in ranked:
                if self._valid(change):
                    return change
        return None

    def _show_again_if_unneeded(self, extra: int) -> None:
        users = set(self.used_by.get(extra, ())) - {extra}
        status = self.status[extra]
        own = self.alternative_of.get(extra)
        self._show(extra)
        found: list[Change] = []
        for v in users:
            change = self._among_hidden(v)
            if change is None:
                # Needed after all: hidden again, with the alternatives it was part of.
                self._hide(extra, status)
                self.used_by[extra] = users | ({extra} if own is not None else set())
                if own is not None:
                    self.alternative_of[extra] = own
                    for u in own:
                        self.used_by[u].add(extra)
                return
            found.append(change)
        for change in found:
            self._keep(change)

    def _among_hidden(self, v: int) -> Change | None:
        for cost, change in self._shaped(v, near=True):
            if cost[0] == 0 and self._valid(change):
                return change
        return self.alternative(v, budget=_QUICK_BUDGET)

    # Shaped alternatives: rectangles and row pairs.

    def _row_allows(self, v: int) -> bool:
        """Whether `v` could move if only the sums within its row counted (a count pinned
        there is pinned whatever else is hidden)."""
        row = self.rows[self.row_of[v]]
        total = row.get((ALL, ALL))
        if total is None:
            return True
        split, group = self.group_of[v]
        splits = {s for s, _ in row if s != ALL}

        def movable(step: int, skip: str | None = None) -> bool:
            return all(
                any(self._step_cost(u, step) is not None for (s, _), u in row.items() if s == other)
                for other in splits
                if other != skip
            )

        for sign in (1, -1):
            if self._step_cost(v, sign) is None:
                continue
            if v == total and movable(sign):
                return True
            if v != total:
                side = [u for (s, g), u in row.items() if s == split and g != group]
                if any(self._step_cost(u, -sign) is not None for u in side):
                    return True
                if self._step_cost(total, sign) is not None and movable(sign, skip=split):
                    return True
        return False

    def _step_cost(self, v: int, step: int) -> tuple[int, int] | None:
        """What moving `v` by `step` costs: (0, 0) if hidden and free to, (1, value) if it
        must be hidden for it; None where it cannot move that way."""
        if v in self.status:
            return (0, 0) if self._domain_ok(v, step) else None
        value = self.values[v]
        if value == 0 or value + step <= SMALL_COUNT_MAX:
            return None
        return (1, value)

    def _shaped(self, v: int, near: bool) -> Iterator[tuple[tuple[int, int], Change]]:
        """Rectangles and row pairs through `v`, with what each would cost; `near`: only with
        the rows in which the column's count is hidden already."""
        block, role, practice = self.row_of[v]
        split = self.group_of[v][0]
        row = self.rows[block, role, practice]
        for sign in (1, -1):
            own = self._step_cost(v, sign)
            if own is None:
                continue
            if split != ALL:
                yield from self._rectangles(v, sign, own, near)
            if practice is not None:
                yield from self._row_pairs(v, sign, row, near)

    def _rectangles(
        self, v: int, sign: int, own: tuple[int, int], near: bool
    ) -> Iterator[tuple[tuple[int, int], Change]]:
        block, role, practice = self.row_of[v]
        split, group = self.group_of[v]
        row = self.rows[block, role, practice]
        column = self.columns[block, role, split, group]
        for (other_split, other_group), u in row.items():
            if other_split != split or u == v:
                continue
            cost_u = self._step_cost(u, -sign)
            if cost_u is None:
                continue
            if len(column) == 1:  # no sum over rows: the two groups alone
                yield _add(own, cost_u), {v: sign, u: -sign}
                continue
            others = self.hidden_rows[block, role, split, group] if near else column
            for other_practice in others:
                if other_practice == practice:
                    continue
                w = column[other_practice]
                x = self.rows[block, role, other_practice].get((split, other_group))
                if x is None:
                    continue
                # The region's row is a total of the practices' rows: same sign there.
                turn = sign if (practice is None) != (other_practice is None) else -sign
                cost_w = self._step_cost(w, turn)
                cost_x = None if cost_w is None else self._step_cost(x, -turn)
                if cost_w is None or cost_x is None:
                    continue
                cost = _add(_add(own, cost_u), _add(cost_w, cost_x))
                yield cost, {v: sign, u: -sign, w: turn, x: -turn}

    def _row_pairs(
        self, v: int, sign: int, row: dict[tuple[str, str], int], near: bool
    ) -> Iterator[tuple[tuple[int, int], Change]]:
        block, role, practice = self.row_of[v]
        split, group = self.group_of[v]
        total = row.get((ALL, ALL))
        if total is None:
            return
        own_total = self._step_cost(total, sign)
        if own_total is None:
            return
        # This row's side first: per split, the groups that can move with the total.
        splits: dict[str, list[tuple[str, int, tuple[int, int]]]] = defaultdict(list)
        for (other_split, g), mine in row.items():
            if other_split == ALL or (other_split == split and g != group):
                continue
            cost_mine = self._step_cost(mine, sign)
            if cost_mine is not None:
                splits[other_split].append((g, mine, cost_mine))
        if len(splits) < len({s for s, _ in row if s != ALL}):
            return
        totals = self.columns[block, role, ALL, ALL]
        for other_practice in self.hidden_rows[block, role, ALL, ALL] if near else totals:
            if other_practice is None or other_practice == practice:
                continue
            other_total = totals[other_practice]
            cost_total = self._step_cost(other_total, -sign)
            if cost_total is None:
                continue
            other = self.rows[block, role, other_practice]
            change: Change = {total: sign, other_total: -sign}
            cost: tuple[int, int] | None = _add(own_total, cost_total)
            for other_split, options in splits.items():
                best: tuple[tuple[int, int], int, int] | None = None
                for g, mine, cost_mine in options:
                    theirs = other.get((other_split, g))
                    if theirs is None:
                        continue
                    cost_theirs = self._step_cost(theirs, -sign)
                    if cost_theirs is None:
                        continue
                    pair_cost = _add(cost_mine, cost_theirs)
                    if best is None or pair_cost < best[0]:
                        best = (pair_cost, mine, theirs)
                        if pair_cost == (0, 0):
                            break
                if best is None or cost is None:
                    cost = None
                    break
                cost = _add(cost, best[0])
                change[best[1]], change[best[2]] = sign, -sign
            if cost is not None and v in change:
                yield cost, change

    def _valid(self, change: Change) -> bool:
        """Whether `change` keeps every bound, sum and pair, hiding what it moves."""
        for v, step in change.items():
            if self._step_cost(v, step) is None:
                return False
        seen: set[int] = set()
        for v in change:
            for number in self.by_var[v]:
                if number in seen:
                    continue
                seen.add(number)
                total = self.sums[number][0]
                part_set = self.part_sets[number]
                if change.get(total, 0) != sum(s for u, s in change.items() if u in part_set):
                    return False
            for numerator, denominator in self.pairs_of[v]:
                if self.values[numerator] + change.get(numerator, 0) > self.values[
                    denominator
                ] + change.get(denominator, 0):
                    return False
        return True

    # The generic search.

    def _domain_ok(self, v: int, change: int) -> bool:
        value = self.values[v] + change
        if self.status[v] == "small":
            return 1 <= value <= SMALL_COUNT_MAX
        if self.status[v] == "withheld":
            return value >= 1
        return value > SMALL_COUNT_MAX

    def alternative(
        self, start: int, blocking: set[int] | None = None, budget: int = _SEARCH_BUDGET
    ) -> Change | None:
        """A ±1 change of hidden counts, `start` included, that keeps everything published true.

        The shown counts that stopped a try are added to `blocking`.
        """
        search = _Search(set() if blocking is None else blocking, budget)
        for sign in (1, -1):
            if self._domain_ok(start, sign):
                found = self._extend({start: sign}, search)
                if found is not None:
                    return found
        return None

    def _extend(self, change: Change, search: _Search) -> Change | None:
        search.budget -= 1
        if search.budget < 0:
            return None
        options = self._most_constrained(change, search)
        if options is None:
            return change
        for v, step in options:
            found = self._extend({**change, v: step}, search)
            if found is not None:
                return found
        return None

    def _most_constrained(self, change: Change, search: _Search) -> list[tuple[int, int]] | None:
        """The ways to mend the open sum or pair with the fewest; None when nothing is open."""
        status = self.status
        best: list[tuple[int, int]] | None = None
        seen: set[int] = set()
        for v in change:
            for number in self.by_var[v]:
                if number in seen:
                    continue
                seen.add(number)
                total = self.sums[number][0]
                part_set = self.part_sets[number]
                residual = change.get(total, 0) - sum(
                    step for u, step in change.items() if u in part_set
                )
                if residual == 0:
                    continue
                sign = 1 if residual > 0 else -1
                options = [(p, sign) for p in sorted(self.hidden_parts[number]) if p not in change]
                if total in status and total not in change:
                    options.append((total, -sign))
                options = [(u, s) for u, s in options if self._domain_ok(u, s)]
                if not options:
                    search.blocked_by(self._members(number), status)
                    return options
                if best is None or len(options) < len(best):
                    best = sorted(options, key=lambda o: len(self.by_var[o[0]]))
            for numerator, denominator in self.pairs_of[v]:
                cn, cd = change.get(numerator, 0), change.get(denominator, 0)
                if self.values[numerator] + cn <= self.values[denominator] + cd:
                    continue
                options = []
                if denominator in status and denominator not in change:
                    options.append((denominator, 1))
                if numerator in status and numerator not in change:
                    options.append((numerator, -1))
                options = [(u, s) for u, s in options if self._domain_ok(u, s)]
                if not options:
                    search.blocked_by((numerator, denominator), status)
                    return options
                if best is None or len(options) < len(best):
                    best = options
        return best

    def _next_to_hide(self, start: int, blocking: set[int]) -> int | None:
        """A shown, non-zero count to hide so that `start` can move: one that stopped a try,
        else the nearest through sums and pairs; the smallest first."""
        stoppers = [
            (self.values[u], len(self.by_var[u]), u) for u in blocking if self.values[u] > 0
        ]
        if stoppers:
            return min(stoppers)[2]
        distance = {start: 0}
        frontier = [start]
        candidates: list[tuple[int, int, int]] = []
        while frontier and not candidates:
            reached: list[int] = []
            for v in frontier:
                neighbours = [u for n in self.by_var[v] for u in self._members(n)]
                neighbours += [u for pair in self.pairs_of[v] for u in pair]
                for u in neighbours:
                    if u in distance:
                        continue
                    distance[u] = distance[v] + 1
                    if u in self.status:
                        reached.append(u)
                    elif self.values[u] > 0:
                        candidates.append((self.values[u], len(self.by_var[u]), u))
            frontier = reached
        return min(candidates)[2] if candidates else None

    def _members(self, number: int) -> tuple[int, ...]:
        total, parts = self.sums[number]
        return (total, *parts)


class _Search:
    """One search for an alternative: steps left, and the shown counts in the way."""

    def __init__(self, blocking: set[int], budget: int) -> None:
        self.blocking = blocking
        self.budget = budget

    def blocked_by(self, members: Iterable[int], status: dict[int, Status]) -> None:
        self.blocking.update(v for v in members if v not in status)


def _cost(candidate: tuple[tuple[int, int], Change]) -> tuple[int, int]:
    return candidate[0]


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return (a[0] + b[0], a[1] + b[1])


def check_cell(cell: Cell) -> None:
    if cell.denominator < 0:
        raise ValueError(f"negative denominator: {name(cell)}")
    if cell.numerator is not None and not 0 <= cell.numerator <= cell.denominator:
        raise ValueError(f"numerator outside 0..denominator: {name(cell)}")
    if cell.period_end < cell.period_start:
        raise ValueError(f"period ends before it starts: {name(cell)}")


def name(cell: Cell) -> str:
    place = "region" if cell.practice_id is None else f"practice {cell.practice_id}"
    return (
        f"{cell.indicator} {place} {cell.split}={cell.group} "
        f"{cell.period_start.isoformat()}..{cell.period_end.isoformat()}"
    )
