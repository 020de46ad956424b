"""Pathways whose Danish entry criteria could not be read: named, with what was tried, and no
rules."""

from __future__ import annotations

import pytest

from opspor.engine.rules.loader import load_ruleset

RULESET = "dk-pakkeforloeb"


@pytest.mark.parametrize("code", ["lymphoma_cll", "acute_leukaemia", "melanoma"])
def test_not_found_pathway_has_no_rules_and_says_what_was_tried(code: str) -> None:
    ruleset = load_ruleset(RULESET)
    (pathway,) = [p for p in ruleset.pathways if p.code == code]
    assert pathway.entry_criteria == "not_found"
    assert len(pathway.tried) >= 4
    assert not [r for r in ruleset.rules if r.id.startswith(f"dk-pkf-{code}")]
    assert pathway.file == f"{code}.yaml"
