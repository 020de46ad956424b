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
  The further counts are chosen as in hypercube suppression: the rectangle (two groups in two
  rows) or pair of practice rows through the hidden count that hides the fewest and smallest
  further counts; where neither shape fits, a general search, and the shown counts that stopped
  it are hidden next (`suppression.py`). Afterwards each further hidden count that is not needed
  (every hidden count keeps an alternative without it) is shown again, the largest first.
- Where the bounds alone pin a count within its row (a practice's "<5" total made of four "<5"
  groups of 1: the total could only fall, and no group can), that row's non-zero counts are
  withheld as ".." (1 or more, no upper bound), reason "withheld", and protected like the rest.
  Where a count is still pinned (a region of four patients, "<5" everywhere), every non-zero
  count of that indicator and period is withheld.

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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from opspor.quality.cells import Cell, Quartiles
from opspor.quality.suppression import Status, Suppression

# Counts up to SMALL_COUNT_MAX are shown as SMALL_TEXT (quality unit's requirement, after
# Sundhedsstyrelsen); shares and quartiles over a denominator up to this are not shown.
SMALL_DENOMINATOR_MAX = 10
SMALL_TEXT = "<5"
COMPLEMENTARY_TEXT = "–"
WITHHELD_TEXT = ".."

HiddenReason = Literal["small_count", "small_denominator", "complementary", "withheld"]


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
    tables = Suppression(cells)
    status = tables.suppress()
    return [_published(index, cell, tables, status) for index, cell in enumerate(cells)]


def _text(value: int, status: Status | None) -> str:
    if status is None:
        return str(value)
    return {"small": SMALL_TEXT, "complementary": COMPLEMENTARY_TEXT}.get(status, WITHHELD_TEXT)


def _reason(status: Status) -> HiddenReason:
    return "small_count" if status == "small" else status


def _published(index: int, cell: Cell, tables: Suppression, status: dict[int, Status]) -> Published:
    d_status = status.get(tables.var[index, "d"])
    n_var = tables.var.get((index, "n"))
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
