"""Danish brain cancer pathway: the five criteria for a justified suspicion, as Region
Nordjylland gives them and Ugeskrift for Læger (2024) quotes them from Sundhedsstyrelsen."""

from __future__ import annotations

from typing import Any

import pytest

from opspor.engine.rules.loader import load_ruleset
from tests.engine.rules.conftest import ctx, matches, rule

RULESET = "dk-pakkeforloeb"
IMAGING = "dk-pkf-hjerne-billeddiagnostisk-mistanke"
DEFICIT = "dk-pkf-hjerne-fokalt-neurologisk-udfald"
SEIZURE = "dk-pkf-hjerne-nyopstaaet-epileptisk-anfald"
COGNITION = "dk-pkf-hjerne-kognitiv-eller-personlighedsaendring"
HEADACHE = "dk-pkf-hjerne-progredierende-hovedpine"
SYMPTOM_RULES = {
    DEFICIT: "progressive_neurological_deficit",
    SEIZURE: "new_epileptic_seizure",
    COGNITION: "progressive_cognitive_or_personality_change",
}
ALL = (IMAGING, DEFICIT, SEIZURE, COGNITION, HEADACHE)


def m(rule_id: str, context: dict[str, Any]) -> list[dict[str, object]] | None:
    return matches(rule_id, context, ruleset=RULESET)


def test_all_five_criteria_are_pathway_referrals_for_adults_citing_their_number() -> None:
    (pathway,) = [p for p in load_ruleset(RULESET).pathways if p.code == "brain"]
    assert pathway.entry_criteria == "encoded"
    for n, rule_id in enumerate(ALL, start=1):
        r = rule(rule_id, RULESET)
        assert r.recommendation == "suspected_cancer_referral" and r.strength == "offer"
        assert r.applies_to == "adults" and r.cancer_site == "brain_cns"
        assert f"kriterium {n} af 5" in r.recommendation_number
        assert "Pakkeforløb for kræft i hjernen" in r.recommendation_number
        assert r.within_days is None and r.investigation is None


def test_imaging_suggesting_a_brain_tumour_matches() -> None:
    evidence = m(IMAGING, ctx(age=50, findings=["imaging_suggests_brain_tumour"]))
    assert evidence is not None
    assert m(IMAGING, ctx(age=50, findings=["imaging_suggests_urinary_tract_tumour"])) is None
    assert m(IMAGING, ctx(age=50, symptoms=["new_epileptic_seizure"])) is None


@pytest.mark.parametrize(("rule_id", "code"), SYMPTOM_RULES.items())
def test_each_symptom_criterion_matches_unexplained(rule_id: str, code: str) -> None:
    evidence = m(rule_id, ctx(age=45, symptoms=[code]))
    assert evidence is not None
    assert any(e.get("code") == code for e in evidence)


@pytest.mark.parametrize(("rule_id", "code"), SYMPTOM_RULES.items())
def test_each_symptom_criterion_explained_does_not_match(rule_id: str, code: str) -> None:
    assert m(rule_id, ctx(age=45, symptoms=[{"code": code, "unexplained": False}])) is None


@pytest.mark.parametrize(("rule_id", "code"), SYMPTOM_RULES.items())
def test_the_criteria_are_for_adults(rule_id: str, code: str) -> None:
    assert m(rule_id, ctx(age=18, symptoms=[code])) is not None
    assert m(rule_id, ctx(age=17, last_day_of_age=True, symptoms=[code])) is None


def test_each_symptom_rule_is_only_its_own_symptom() -> None:
    assert m(SEIZURE, ctx(age=45, symptoms=["progressive_neurological_deficit"])) is None
    assert m(DEFICIT, ctx(age=45, symptoms=["new_epileptic_seizure"])) is None
    assert m(COGNITION, ctx(age=45, symptoms=["headache"])) is None


def test_headache_progressing_more_than_21_days_matches_and_21_does_not() -> None:
    code = "new_or_changed_progressive_headache"
    assert m(HEADACHE, ctx(age=40, symptoms=[{"code": code, "days_ago": 22}])) is not None
    assert m(HEADACHE, ctx(age=40, symptoms=[{"code": code, "days_ago": 21}])) is None
    assert m(HEADACHE, ctx(age=40, symptoms=[{"code": code, "days_ago": 10}])) is None


def test_headache_explained_or_ordinary_headache_does_not_match() -> None:
    explained = {
        "code": "new_or_changed_progressive_headache",
        "unexplained": False,
        "days_ago": 40,
    }
    assert m(HEADACHE, ctx(age=40, symptoms=[explained])) is None
    assert m(HEADACHE, ctx(age=40, symptoms=[{"code": "headache", "days_ago": 40}])) is None


def test_headache_judgement_states_the_reading_and_the_neurologist_difference() -> None:
    judgement = rule(HEADACHE, RULESET).clinical_judgement
    assert judgement is not None
    assert "21 dage" in judgement.da and "21 days" in judgement.en
    assert "neurologi" in judgement.da and "neurologist" in judgement.en
