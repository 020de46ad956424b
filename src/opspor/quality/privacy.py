"""The one place where small numbers are hidden; every table, plot and export uses `publish`.

The rule is the one the Danish Health Authority (Sundhedsstyrelsen) applies in its quarterly
"Monitorering af forløbstider på kræftområdet" (the cancer pathway monitoring; e.g. the report for
4th quarter 2023, https://ft.dk/samling/20231/almdel/SUU/bilag/208/2832291/index.htm), as the
region's quality unit states it in its requirement:

- a count from 1 to 4 is shown as "<5" (0 is shown);
- a share, and the quartiles and median of a distribution of days, are not shown when the
  denominator is 10 or fewer.

The exact wording of the rule in Sundhedsstyrelsen's reports: NONE FOUND (the reports were found,
their method section was not readable); the thresholds above are the quality unit's statement.

Two consequences of publishing many figures together, which the rule alone does not cover:

- A share shown next to its denominator reveals its numerator, so a share (and a distribution's
  quartiles) is shown only when its numerator and denominator are both shown exactly.
- *Complementary (secondary) suppression*: a hidden count must not be recoverable from totals
  (the total of a split minus its other groups, the region minus its other practices, through
  `numerator <= denominator`). Further counts are hidden as "–" until, for every hidden count, an
  alternative table exists: integer values for all hidden counts, different for that count, that
  satisfy every published total, the bounds "<5" = 1..4 and "–" >= 5 (0 and 1..4 are never "–"),
  non-negativity and numerator <= denominator. The alternative is constructed (a signed ±1 move
  over the hidden counts that keeps every partition's sum), so the guarantee holds by
  construction: at least two values of every hidden count are consistent with all that is shown.
  The count to hide next is a shown count that stopped the search for an alternative, the
  smallest first (else the nearest through the sums); hiding is repeated to a fixed point, also
  for the further hidden counts themselves (a practice's total is part of the region and the total
  of the practice's splits at once). Afterwards each further hidden count that is not needed
  (every hidden count keeps an alternative without it) is shown again, the largest first.
- Where the bounds alone pin a count (a region of four patients, "<5" everywhere: the lower
  bounds of 1 add up to the values), every non-zero count of that indicator and period is
  withheld as ".." (1 or more, no upper bound), reason "withheld".

The partitions used are the ones true of the cells themselves (`cells.py`): the groups of a split
sum to the place's total, and the practices' cells of a split and group sum to the region's cell
of the same split and group (the input must be consistent; a `ValueError` says where not).

Limits, honestly:

- It protects the figures of one call. Figures for overlapping periods (a quarter and the year
  that contains it, a pooled three-year period) published separately can be differenced; publish
  non-overlapping periods, or accept that risk. Two views (the dashboard and a practice's mirror)
  must filter one call's result, not call `publish` on different subsets.
- The people *without* the outcome (denominator minus numerator) are not a shown count and are not
  hidden when they are 1 to 4 ("98 of 100").
- Relations between indicators that `cells.py` does not state (one indicator's denominator being
  another's numerator) are unknown here and not protected.
- "At least two values" is the guarantee, not a wide interval; an attacker who also knows how the
  further counts were chosen is not modelled (as usual in statistical disclosure control).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from opspor.quality.cells import ALL, Cell, Quartiles

# Counts up to this are shown as SMALL_TEXT (quality unit's requirement, after Sundhedsstyrelsen).
SMALL_COUNT_MAX = 4
# Shares and quartiles over a denominator up to this are not shown (same source).
SMALL_DENOMINATOR_MAX = 10
SMALL_TEXT = "<5"
COMPLEMENTARY_TEXT = "–"
WITHHELD_TEXT = ".."

HiddenReason = Literal["small_count", "small_denominator", "complementary", "withheld"]
_Status = Literal["small", "complementary", "withheld"]

# A bound on the search for an alternative table, so that a large table cannot hang a page;
# a count whose search runs out is treated as pinned (more is hidden, never less).
_SEARCH_BUDGET = 20_000


@dataclass(frozen=True, slots=True)
class Published:
    """A cell and what of it may be shown.

    ``cell`` holds the true numbers: never render them, render the texts, ``share``,
    ``quartiles`` and ``plot_value``.
    """

    cell: Cell
    denominator_text: str
    numerator_text: str | None
    share: float | None
    quartiles: Quartiles | None
    hidden_reason: HiddenReason | None

    @property
    def count_text(self) -> str:
        """The count of a count cell (its denominator)."""
        return self.denominator_text

    @property
    def plot_value(self) -> float | None:
        """What a plot may draw: the share, the median, or the count; None where hidden."""
        if self.cell.numerator is not None:
            return self.share
        if self.cell.quartiles is not None:
            return None if self.quartiles is None else self.quartiles.median
        return float(self.cell.denominator) if self.denominator_text.isdigit() else None

    @property
    def hidden(self) -> bool:
        return self.hidden_reason is not None


def publish(cells: Iterable[Cell]) -> list[Published]:
    """Hide small numbers, and what would reveal them, in `cells`; one result per cell, in order."""
    cells = list(cells)
    model = _Model(cells)
    status = model.suppress()
    return [_published(index, cell, model, status) for index, cell in enumerate(cells)]


def _text(value: int, status: _Status | None) -> str:
    if status is None:
        return str(value)
    return {"small": SMALL_TEXT, "complementary": COMPLEMENTARY_TEXT}.get(status, WITHHELD_TEXT)


def _reason(status: _Status) -> HiddenReason:
    return "small_count" if status == "small" else status


def _published(index: int, cell: Cell, model: _Model, status: dict[int, _Status]) -> Published:
    d_status = status.get(model.var[index, "d"])
    n_var = model.var.get((index, "n"))
    n_status = None if n_var is None else status.get(n_var)
    reason: HiddenReason | None = None
    if d_status is not None:
        reason = _reason(d_status)
    elif n_status is not None:
        reason = _reason(n_status)
    small_denominator = 0 < cell.denominator <= SMALL_DENOMINATOR_MAX
    shows_value = reason is None and not small_denominator
    if reason is None and small_denominator and (cell.numerator is not None or cell.quartiles):
        reason = "small_denominator"
    return Published(
        cell=cell,
        denominator_text=_text(cell.denominator, d_status),
        numerator_text=None if cell.numerator is None else _text(cell.numerator, n_status),
        share=cell.share if shows_value else None,
        quartiles=cell.quartiles if shows_value else None,
        hidden_reason=reason,
    )


_Block = tuple[str, date, date]
_Place = tuple[int | None, str, str]


class _Model:
    """The counts of the cells as variables, and the sums that tie them together."""

    def __init__(self, cells: list[Cell]) -> None:
        self.values: list[int] = []
        self.block_of: list[int] = []  # the indicator and period, numbered
        self.var: dict[tuple[int, str], int] = {}
        # (total, parts): value[total] == sum(value[part] for part in parts)
        self.sums: list[tuple[int, tuple[int, ...]]] = []
        # (numerator, denominator): value[numerator] <= value[denominator]
        self.pairs: list[tuple[int, int]] = []
        blocks: dict[_Block, dict[_Place, int]] = defaultdict(dict)
        numbers: dict[_Block, int] = {}
        for index, cell in enumerate(cells):
            _check_cell(cell)
            place: _Place = (cell.practice_id, cell.split, cell.group)
            key = (cell.indicator, cell.period_start, cell.period_end)
            number = numbers.setdefault(key, len(numbers))
            block = blocks[key]
            if place in block:
                raise ValueError(f"two cells for the same figure: {_name(cell)}")
            block[place] = index
            self.var[index, "d"] = self._new(cell.denominator, number)
            if cell.numerator is not None:
                self.var[index, "n"] = self._new(cell.numerator, number)
                self.pairs.append((self.var[index, "n"], self.var[index, "d"]))
        for block in blocks.values():
            kinds = {cells[index].numerator is None for index in block.values()}
            if len(kinds) > 1:
                names = ", ".join(_name(cells[i]) for i in block.values())
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

    def _new(self, value: int, block: int) -> int:
        self.values.append(value)
        self.block_of.append(block)
        return len(self.values) - 1

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
            names = ", ".join(_name(cells[part]) for part in parts)
            raise ValueError(
                f"the {what} of {names} do not add up to {_name(cells[total])}; "
                "publish the whole region at once, with consistent figures"
            )
        self.sums.append((self.var[total, role], tuple(self.var[part, role] for part in parts)))

    # The suppression itself.

    def suppress(self) -> dict[int, _Status]:
        status: dict[int, _Status] = {
            v: "small" for v, value in enumerate(self.values) if 1 <= value <= SMALL_COUNT_MAX
        }
        added: list[int] = []
        stuck: set[int] = set()
        pending = sorted(status)
        while pending:
            v = pending.pop(0)
            blocking: set[int] = set()
            if v not in status or self.alternative(v, status, blocking) is not None:
                continue
            extra = self._next_to_hide(v, status, blocking)
            if extra is None:
                stuck.add(v)  # everything near it is hidden already
                continue
            status[extra] = "complementary"
            added.append(extra)
            # A further hidden count needs an alternative of its own; the ones found before
            # stay valid (they leave it as it is).
            pending = [v, *pending, extra]
        # Pinned by the bounds alone (say a region of four patients in "<5" cells everywhere):
        # all non-zero counts of that indicator and period are withheld, bounds and all. A
        # withheld count can always grow, with its totals and a group of each of their splits.
        withheld = {self.block_of[v] for v in stuck}
        for v, value in enumerate(self.values):
            if value > 0 and self.block_of[v] in withheld:
                status[v] = "withheld"
        added = [v for v in added if status[v] == "complementary"]
        # Show again what turned out not to be needed, the largest first. Only the hidden counts
        # of the same indicator and period can lose their alternative (no sum crosses two).
        members: dict[int, list[int]] = defaultdict(list)
        for v in status:
            members[self.block_of[v]].append(v)
        for extra in sorted(added, key=lambda x: -self.values[x]):
            block = [v for v in members[self.block_of[extra]] if v != extra]
            trial = {v: s for v, s in status.items() if v != extra}
            if all(self.alternative(v, trial) is not None for v in block):
                status = trial
                members[self.block_of[extra]] = block
        return status

    def _domain_ok(self, v: int, change: int, status: dict[int, _Status]) -> bool:
        value = self.values[v] + change
        if status[v] == "small":
            return 1 <= value <= SMALL_COUNT_MAX
        if status[v] == "withheld":
            return value >= 1
        return value > SMALL_COUNT_MAX

    def alternative(
        self, start: int, status: dict[int, _Status], blocking: set[int] | None = None
    ) -> dict[int, int] | None:
        """A ±1 change of hidden counts, `start` included, that keeps everything published true.

        The shown counts that stopped a try are added to `blocking`.
        """
        search = _Search(status, set() if blocking is None else blocking)
        for sign in (1, -1):
            if self._domain_ok(start, sign, status):
                found = self._extend({start: sign}, search)
                if found is not None:
                    return found
        return None

    def _extend(self, change: dict[int, int], search: _Search) -> dict[int, int] | None:
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

    def _most_constrained(
        self, change: dict[int, int], search: _Search
    ) -> list[tuple[int, int]] | None:
        """The ways to mend the open sum or pair with the fewest; None when nothing is open."""
        status = search.status
        best: list[tuple[int, int]] | None = None
        seen: set[int] = set()
        for v in change:
            for number in self.by_var[v]:
                if number in seen:
                    continue
                seen.add(number)
                total, parts = self.sums[number]
                part_set = self.part_sets[number]
                residual = change.get(total, 0) - sum(
                    step for u, step in change.items() if u in part_set
                )
                if residual == 0:
                    continue
                sign = 1 if residual > 0 else -1
                options = [(p, sign) for p in parts if p in status and p not in change]
                if total in status and total not in change:
                    options.append((total, -sign))
                options = [(u, s) for u, s in options if self._domain_ok(u, s, status)]
                if not options:
                    search.blocked_by(self._members(number))
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
                options = [(u, s) for u, s in options if self._domain_ok(u, s, status)]
                if not options:
                    search.blocked_by((numerator, denominator))
                    return options
                if best is None or len(options) < len(best):
                    best = options
        return best

    def _next_to_hide(
        self, start: int, status: dict[int, _Status], blocking: set[int]
    ) -> int | None:
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
                    if u in status:
                        reached.append(u)
                    elif self.values[u] > 0:
                        candidates.append((self.values[u], len(self.by_var[u]), u))
            frontier = reached
        return min(candidates)[2] if candidates else None

    def _members(self, number: int) -> tuple[int, ...]:
        total, parts = self.sums[number]
        return (total, *parts)


class _Search:
    """One search for an alternative: what is hidden, steps left, the shown counts in the way."""

    def __init__(self, status: dict[int, _Status], blocking: set[int]) -> None:
        self.status = status
        self.blocking = blocking
        self.budget = _SEARCH_BUDGET

    def blocked_by(self, members: Iterable[int]) -> None:
        self.blocking.update(v for v in members if v not in self.status)


def _check_cell(cell: Cell) -> None:
    if cell.denominator < 0:
        raise ValueError(f"negative denominator: {_name(cell)}")
    if cell.numerator is not None and not 0 <= cell.numerator <= cell.denominator:
        raise ValueError(f"numerator outside 0..denominator: {_name(cell)}")
    if cell.period_end < cell.period_start:
        raise ValueError(f"period ends before it starts: {_name(cell)}")


def _name(cell: Cell) -> str:
    place = "region" if cell.practice_id is None else f"practice {cell.practice_id}"
    return (
        f"{cell.indicator} {place} {cell.split}={cell.group} "
        f"{cell.period_start.isoformat()}..{cell.period_end.isoformat()}"
    )
