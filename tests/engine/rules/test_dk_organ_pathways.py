"""The organ-specific Danish pathways: their entry criteria were not in the stored copies, so no
rule is encoded from memory. These tests pin that state, so a rule added later must come with
its document and its own tests."""

from __future__ import annotations

import yaml

from opspor.engine.rules.loader import RULES_DIR, load_ruleset

RULESET = "dk-pakkeforloeb"
ORGAN_FILES = ("lung", "breast", "kidney", "lymphoma", "leukaemia", "prostate")


def test_no_organ_pathway_rule_without_a_source() -> None:
    folder = RULES_DIR / RULESET
    for name in ORGAN_FILES:
        assert not (folder / f"{name}.yaml").exists(), (
            f"{name}.yaml is present: add tests from its document to this file"
        )
    sites = {r.cancer_site for r in load_ruleset(RULESET).rules}
    assert sites.isdisjoint(ORGAN_FILES)


def test_the_rule_set_says_which_pathways_are_missing_and_why() -> None:
    header = yaml.safe_load((RULES_DIR / RULESET / "_ruleset.yaml").read_text(encoding="utf-8"))
    notes = header["notes"]
    for name in ORGAN_FILES:
        assert f"{name}.yaml" in notes
    assert "not in the stored copies" in notes
    assert "no criterion is encoded from memory" in notes


def test_every_rule_cites_its_document() -> None:
    for r in load_ruleset(RULESET).rules:
        assert "pakkeforløb" in r.recommendation_number.lower()
        assert r.clinical_judgement is not None
