"""A guard: every encoded rule is named by at least one test, so none ships untried."""

from __future__ import annotations

from pathlib import Path

import pytest

from opspor.engine.rules.loader import RULESETS, load_ruleset

TESTS = Path(__file__).resolve().parent


@pytest.mark.parametrize("name", RULESETS)
def test_every_rule_id_appears_in_a_test(name: str) -> None:
    text = "\n".join(
        p.read_text(encoding="utf-8")
        for p in TESTS.glob("test_*.py")
        if p.name != Path(__file__).name
    )
    untested = [rule.id for rule in load_ruleset(name).rules if rule.id not in text]
    assert untested == []
