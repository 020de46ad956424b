"""The cost of the small-numbers rule (`quality.privacy.publish`) for a region-sized record.

One indicator in one period for every practice of a region (643 in the Capital Region), with
the practice splits the mirror shows (vulnerable or not, and an indicator's own split such as
a rejection's reason) and every region split, built from seeded synthetic items through the same
`cells_for` the nightly refresh uses. Four shapes, from many items a practice to few (few items
means many cells of 1 to 4, which is what makes suppression work): a share over about 80
referrals, a share over about 20, a count split by six reasons over about 10, and a count over
about 3. Each is timed `--repeat` times (the median shown); the baseline, in the same process,
is the same shape for a tenth of the practices, so the ratio shows how the cost grows with the
region.

    .venv/bin/python benchmarks/quality_privacy.py [--practices 643] [--repeat 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from datetime import date

from pages import cpu_model

from opspor.quality.aggregate import (
    AGE_BANDS,
    PRACTICE_KINDS,
    SEXES,
    VULNERABLE_SPLITS,
    Item,
    Who,
    cells_for,
)
from opspor.quality.cells import Cell
from opspor.quality.privacy import publish

PERIOD = (date(2024, 1, 1), date(2024, 12, 31))
REASONS = ("a", "b", "c", "d", "e", "f")
# name, kind, mean items a practice, share of hits, own split's groups
SHAPES: tuple[tuple[str, str, int, float | None, tuple[str, ...]], ...] = (
    ("share, ~80 a practice", "share", 80, 0.07, ()),
    ("share, ~20 a practice", "share", 20, 0.3, ()),
    ("count by 6 reasons, ~10", "count", 10, None, REASONS),
    ("count, ~3 a practice", "count", 3, None, ()),
)


def cells(
    practices: int, mean: int, hit: float | None, groups: tuple[str, ...], seed: int
) -> list[Cell]:
    rng = random.Random(seed)
    kinds = {p: rng.choice(PRACTICE_KINDS) for p in range(practices)}
    items = []
    for practice in range(practices):
        for _ in range(rng.randint(0, 2 * mean)):
            flags = frozenset(f for f in VULNERABLE_SPLITS if rng.random() < 0.08)
            who = Who(rng.choice(SEXES), rng.choice(AGE_BANDS)[0], kinds[practice], flags)
            items.append(
                Item(
                    practice,
                    who,
                    hit=None if hit is None else rng.random() < hit,
                    extra=rng.choice(groups) if groups else None,
                )
            )
    kind = "count" if hit is None else "share"
    return cells_for(
        "indicator",
        kind,
        items,
        period=PERIOD,
        practices=range(practices),
        extra_split="reason" if groups else None,
        extra_groups=groups,
    )


def timed(table: list[Cell], repeat: int) -> tuple[float, int]:
    times = []
    hidden = 0
    for _ in range(repeat):
        started = time.perf_counter()
        published = publish(table)
        times.append(time.perf_counter() - started)
        hidden = sum(1 for p in published if p.hidden)
    return statistics.median(times), hidden


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=643)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    baseline = max(1, args.practices // 10)
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores ({cpu_model()}); practices {args.practices}, "
        f"baseline {baseline}"
    )
    total = 0.0
    for name, kind, mean, hit, groups in SHAPES:
        assert kind in ("share", "count")
        small = cells(baseline, mean, hit, groups, args.seed)
        large = cells(args.practices, mean, hit, groups, args.seed)
        base_time, _ = timed(small, args.repeat)
        large_time, hidden = timed(large, args.repeat)
        total += large_time
        print(
            f"{name:26s} cells {len(large):6,d}  hidden {hidden:5,d}  "
            f"{large_time * 1000:8.1f} ms  baseline {base_time * 1000:7.1f} ms  "
            f"ratio {large_time / base_time:5.1f}"
        )
    print(f"all four shapes for {args.practices} practices: {total:.2f} s")


if __name__ == "__main__":
    main()
