"""Danish sarcoma pathway as Region Nordjylland's instruction defines suspicion (refer to the
filter function's imaging) and justified suspicion (imaging strengthens it: refer to the
pathway)."""

from __future__ import annotations

from typing import Any

import pytest

from opspor.engine.rules.loader import load_ruleset
from tests.engine.rules.conftest import ctx, matches, rule

RULESET = "dk-pakkeforloeb"
SUSPICION = "dk-pkf-sarkom-mistanke-filterfunktion"
JUSTIFIED = "dk-pkf-sarkom-billeddiagnostik-bestyrker-mistanke"
LUMPS = [
    "soft_tissue_lump_larger_than_5_cm",
    "deep_soft_tissue_lump",
    "bone_swelling",
    "lump_increasing_in_size",
]


def m(rule_id: str, context: dict[str, Any]) -> list[dict[str, object]] | None:
    return matches(rule_id, context, ruleset=RULESET)


def test_rules_and_pathway_record() -> None:
    (pathway,) = [p for p in load_ruleset(RULESET).pathways if p.code == "sarcoma"]
    assert pathway.entry_criteria == "encoded"
    assert rule(SUSPICION, RULESET).recommendation == "referral"
    assert rule(JUSTIFIED, RULESET).recommendation == "suspected_cancer_referral"
    for rule_id in (SUSPICION, JUSTIFIED):
        r = rule(rule_id, RULESET)
        assert r.cancer_site == "sarcoma" and r.within_days is None
        assert "Sarkomudredning" in r.recommendation_number


@pytest.mark.parametrize("code", LUMPS)
def test_each_listed_lump_gives_suspicion(code: str) -> None:
    evidence = m(SUSPICION, ctx(age=55, symptoms=[code]))
    assert evidence is not None
    assert any(e.get("code") == code for e in evidence)


def test_deep_persistent_bone_pain_gives_suspicion_but_not_passing_or_explained_pain() -> None:
    assert (
        m(SUSPICION, ctx(age=55, symptoms=[{"code": "bone_pain", "persistent": True}])) is not None
    )
    assert m(SUSPICION, ctx(age=55, symptoms=["bone_pain"])) is None
    explained = {"code": "bone_pain", "persistent": True, "unexplained": False}
    assert m(SUSPICION, ctx(age=55, symptoms=[explained])) is None


def test_unlisted_lumps_do_not_give_suspicion() -> None:
    assert m(SUSPICION, ctx(age=55, symptoms=["axillary_lump", "breast_lump"])) is None


def test_suspicion_is_for_adults() -> None:
    assert m(SUSPICION, ctx(age=18, symptoms=["deep_soft_tissue_lump"])) is not None
    assert (
        m(SUSPICION, ctx(age=17, last_day_of_age=True, symptoms=["deep_soft_tissue_lump"])) is None
    )


def test_imaging_strengthening_the_suspicion_is_the_justified_suspicion() -> None:
    assert m(JUSTIFIED, ctx(age=40, findings=["mri_or_ct_suggests_sarcoma"])) is not None
    assert m(JUSTIFIED, ctx(age=40, symptoms=LUMPS)) is None
    assert m(JUSTIFIED, ctx(age=40, findings=["imaging_suggests_brain_tumour"])) is None
