"""Danish myeloma pathway as Region Hovedstaden gives it to general practice: a paraprotein
finding together with an organ finding is the referral criterion; the listed symptoms and
findings send the GP to blood tests, and bone pain to an X-ray."""

from __future__ import annotations

from typing import Any

import pytest

from opspor.engine.rules.loader import load_ruleset
from tests.engine.rules.conftest import ctx, matches, rule

RULESET = "dk-pakkeforloeb"
REFER = "dk-pkf-myelomatose-paraprotein-og-organfund"
BLOODS = "dk-pkf-myelomatose-symptomer-blodproever"
XRAY = "dk-pkf-myelomatose-knoglesmerter-roentgen"

PARAPROTEIN = ["m_component", "abnormal_serum_free_light_chain_ratio", "hypogammaglobulinaemia"]
ORGAN_FINDINGS = ["bone_xray_shows_destruction_or_vertebral_fracture"]
PERSISTENT_BACK_PAIN = {"code": "back_pain", "persistent": True}


def m(rule_id: str, context: dict[str, Any]) -> list[dict[str, object]] | None:
    return matches(rule_id, context, ruleset=RULESET)


def test_the_pathway_is_encoded_from_region_hovedstadens_page() -> None:
    (pathway,) = [p for p in load_ruleset(RULESET).pathways if p.code == "myeloma"]
    assert pathway.entry_criteria == "encoded"
    assert pathway.source is not None and "kraeft-pakker/myelomatose" in pathway.source["url"]
    for rule_id in (REFER, BLOODS, XRAY):
        r = rule(rule_id, RULESET)
        assert r.cancer_site == "myeloma" and r.applies_to == "adults"
        assert "Pakkeforløb for myelomatose" in r.recommendation_number
        assert r.within_days is None


def test_referral_is_a_pathway_referral_and_the_work_up_rules_name_their_tests() -> None:
    assert rule(REFER, RULESET).recommendation == "suspected_cancer_referral"
    assert rule(BLOODS, RULESET).recommendation == "non_urgent_investigation"
    assert rule(XRAY, RULESET).recommendation == "non_urgent_investigation"
    assert rule(XRAY, RULESET).investigations == ("bone_xray",)


# -- referral criterion: paraprotein finding AND organ finding --------------------------------


@pytest.mark.parametrize("paraprotein", PARAPROTEIN)
@pytest.mark.parametrize(
    "organ",
    [
        {"labs": [("haemoglobin", 6.0)]},
        {"labs": [("creatinine", 200)]},
        {"labs": [("calcium", 3.0)]},
        {"symptoms": ["bone_pain"]},
        {"symptoms": [PERSISTENT_BACK_PAIN]},
        {"findings": ORGAN_FINDINGS},
    ],
)
def test_each_paraprotein_finding_with_each_organ_finding_matches(
    paraprotein: str, organ: dict[str, Any]
) -> None:
    findings = [paraprotein, *organ.get("findings", [])]
    context = ctx(
        age=70,
        sex="male",
        findings=findings,
        labs=organ.get("labs", []),
        symptoms=organ.get("symptoms", []),
    )
    evidence = m(REFER, context)
    assert evidence is not None
    assert any(e.get("code") == paraprotein for e in evidence)


@pytest.mark.parametrize("paraprotein", PARAPROTEIN)
def test_a_paraprotein_finding_alone_does_not_match(paraprotein: str) -> None:
    assert m(REFER, ctx(age=70, findings=[paraprotein])) is None


def test_organ_findings_without_a_paraprotein_finding_do_not_match() -> None:
    context = ctx(age=70, labs=[("haemoglobin", 6.0), ("calcium", 3.0)], symptoms=["bone_pain"])
    assert m(REFER, context) is None


def test_explained_bone_pain_and_passing_back_pain_are_not_organ_findings() -> None:
    explained = {"code": "bone_pain", "unexplained": False}
    assert m(REFER, ctx(age=70, findings=["m_component"], symptoms=[explained])) is None
    assert m(REFER, ctx(age=70, findings=["m_component"], symptoms=["back_pain"])) is None


def test_normal_creatinine_and_calcium_are_not_organ_findings() -> None:
    labs = [("creatinine", 80), ("calcium", 2.4), ("haemoglobin", 9.0)]
    assert m(REFER, ctx(age=70, sex="male", findings=["m_component"], labs=labs)) is None


def test_the_referral_criterion_is_for_adults() -> None:
    context = {"findings": ["m_component"], "symptoms": ["bone_pain"]}
    assert m(REFER, ctx(age=18, **context)) is not None
    assert m(REFER, ctx(age=17, last_day_of_age=True, **context)) is None


def test_referral_judgement_says_what_the_rule_cannot_see() -> None:
    judgement = rule(REFER, RULESET).clinical_judgement
    assert judgement is not None
    assert "anden åbenlys årsag" in judgement.da and "other obvious cause" in judgement.en
    assert "urin" in judgement.da and "urine" in judgement.en


# -- work-up: blood tests for any one listed symptom or finding --------------------------------


@pytest.mark.parametrize(
    "context",
    [
        {"symptoms": ["bone_pain"]},
        {"symptoms": [PERSISTENT_BACK_PAIN]},
        {"symptoms": ["recurrent_infection"]},
        {"labs": [("haemoglobin", 6.0)]},
        {"labs": [("creatinine", 200)]},
        {"labs": [("calcium", 3.0)]},
    ],
)
def test_any_one_listed_symptom_or_finding_calls_for_blood_tests(context: dict[str, Any]) -> None:
    assert m(BLOODS, ctx(age=65, sex="female", **context)) is not None


def test_blood_tests_not_for_passing_back_pain_or_unlisted_symptoms() -> None:
    assert m(BLOODS, ctx(age=65, symptoms=["back_pain"])) is None
    assert m(BLOODS, ctx(age=65, symptoms=["fatigue", "constipation"])) is None


def test_blood_tests_not_for_explained_bone_pain() -> None:
    explained = {"code": "bone_pain", "unexplained": False}
    assert m(BLOODS, ctx(age=65, symptoms=[explained])) is None


# -- work-up: X-ray of the painful bone ----------------------------------------------------------


def test_bone_pain_calls_for_an_xray_and_back_pain_alone_does_not() -> None:
    assert m(XRAY, ctx(age=65, symptoms=["bone_pain"])) is not None
    assert m(XRAY, ctx(age=65, symptoms=[PERSISTENT_BACK_PAIN])) is None
    assert m(XRAY, ctx(age=65)) is None
