from __future__ import annotations

import itertools

import pytest

from tests import factories
from tests.referrals.worlds import World, make_world


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # `factories.cpr_for` makes numbers whose control digit means the 1800s once the shared
    # counter passes about 2,500, so these many tests must not advance it for the tests
    # that run after them. Inside one test, numbers from a separate range stay unique.
    monkeypatch.setattr(factories, "_counter", itertools.count(1_000_000))


@pytest.fixture
def world() -> World:
    return make_world()
