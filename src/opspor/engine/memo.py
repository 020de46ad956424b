"""Values computed once per live object: a rule's texts, a PPV row's finding.

Keyed by the objects' ids, and each entry keeps its objects alive, so that an id can never be
reused by another object while its entry stands. Rule sets and tables are read once per
process and never change, so the entries never go stale.
"""

from __future__ import annotations

from collections.abc import Callable


class IdentityCache[V]:
    def __init__(self) -> None:
        self._entries: dict[tuple[int, ...], tuple[tuple[object, ...], V]] = {}

    def get(self, keys: tuple[object, ...], build: Callable[[], V]) -> V:
        ident = tuple(id(k) for k in keys)
        entry = self._entries.get(ident)
        if entry is not None and all(a is b for a, b in zip(entry[0], keys, strict=True)):
            return entry[1]
        value = build()
        self._entries[ident] = (keys, value)
        return value
