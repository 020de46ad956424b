"""Every Danish pathway a GP can refer to, with how far Opspor checks its entry criteria."""

from __future__ import annotations

from opspor.engine.rules.loader import load_ruleset
from opspor.engine.rules.pathways import listed_pathways, referable_pathways


def test_the_six_pathways_of_the_referral_workflow_are_still_offered() -> None:
    codes = {p.code for p in referable_pathways()}
    assert {"dpf", "kidney", "lung", "colorectal", "breast", "pancreas"} <= codes
    assert len(codes) >= 20


def test_a_pathway_a_gp_cannot_refer_to_is_listed_but_not_offered() -> None:
    closed = {p.code for p in listed_pathways() if not p.gp_entry}
    assert "metastases_unknown_primary" in closed
    assert closed.isdisjoint({p.code for p in referable_pathways()})


def test_the_status_comes_from_the_pathways_own_file() -> None:
    status = {p.code: p.criteria for p in listed_pathways()}
    assert status["dpf"] == "encoded"
    assert status["kidney"] == "partly_encoded"
    assert status["lung"] == "not_found"
    # A listed pathway without a file of its own is not checked, and says so.
    assert status["eye_orbit"] == "not_encoded"


def test_a_pathway_whose_criteria_were_not_found_has_no_rule() -> None:
    ruleset = load_ruleset("dk-pakkeforloeb")
    not_found = {p.code for p in ruleset.pathways if p.entry_criteria == "not_found"}
    files = {p.file for p in ruleset.pathways if p.code in not_found}
    assert not_found
    assert all(p.tried for p in ruleset.pathways if p.code in not_found)
    assert all(not f.startswith("_") for f in files)
