"""What a seed was run with, as the region's history records it.

Every historical row the seed writes carries these arguments as its change reason (the
marker), which is how a later run recognises an already seeded region and refuses to seed
another one on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

MARKER_PREFIX = "opspor seed "


class SeedRefused(Exception):
    """Seeding would mix two regions or collide with existing rows; nothing was written."""


@dataclass(frozen=True)
class SeedArguments:
    patients: int
    seed: int
    as_of: date
    practices: int
    stories: bool

    def marker(self) -> str:
        # Stored as the history change reason (100 characters): the longest, with the
        # largest values the command accepts, is well under that.
        text = (
            f"{MARKER_PREFIX}--patients {self.patients} --seed {self.seed} "
            f"--as-of {self.as_of.isoformat()} --practices {self.practices}"
        )
        return text if self.stories else f"{text} --no-stories"

    @classmethod
    def from_marker(cls, text: str) -> SeedArguments | None:
        words = text.removeprefix(MARKER_PREFIX).split()
        flags = {w for w in words if w == "--no-stories"}
        pairs = [w for w in words if w not in flags]
        try:
            values = dict(zip(pairs[::2], pairs[1::2], strict=True))
            return cls(
                patients=int(values["--patients"]),
                seed=int(values["--seed"]),
                as_of=date.fromisoformat(values["--as-of"]),
                practices=int(values["--practices"]),
                stories=not flags,
            )
        except (KeyError, ValueError):
            return None

    def same_region(self, other: SeedArguments, *, as_of_given: bool) -> bool:
        same = (self.patients, self.seed, self.practices, self.stories) == (
            other.patients,
            other.seed,
            other.practices,
            other.stories,
        )
        return same and (self.as_of == other.as_of or not as_of_given)
