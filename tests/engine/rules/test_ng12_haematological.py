"""NICE NG12 1.10 (haematological cancers, for adults and for children and young people), matched
and not matched as worded in the guideline last updated 1 May 2025 (myeloma as amended in April
2025)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.rules.loader import load_ruleset
from opspor.engine.vocab import load_vocabulary
from tests.engine.rules.conftest import ctx, matches, rules_with_number
from tests.engine.rules.conftest import rule as get_rule

LEUKAEMIA = "ng12-1.10.1-leukaemia-full-blood-count"


def test_every_adult_haematological_recommendation_is_encoded() -> None:
    for number in ("1.10.1", "1.10.4", "1.10.5", "1.10.6", "1.10.7", "1.10.9"):
        assert rules_with_number(number), number


def test_every_children_and_young_people_recommendation_is_encoded() -> None:
    for number in ("1.10.2", "1.10.3", "1.10.8", "1.10.10"):
        assert rules_with_number(number), number


def test_1_10_1_is_very_urgent_full_blood_count() -> None:
    (rule,) = rules_with_number("1.10.1")
    assert (rule.recommendation, rule.investigation, rule.within_days) == (
        "urgent_investigation",
        "full_blood_count",
        2,
    )


# --- 1.10.1 leukaemia in adults -------------------------------------------------------------

# Features NG12 lists without "unexplained": they count even when explained.
WITHOUT_UNEXPLAINED: list[dict[str, Any]] = [
    {"code": "pallor", "unexplained": False},
    {"code": "fatigue", "unexplained": False, "persistent": True},
    {"code": "generalised_lymphadenopathy", "unexplained": False},
    {"code": "hepatosplenomegaly", "unexplained": False},
]
# Features NG12 calls unexplained.
UNEXPLAINED: list[dict[str, Any]] = [
    {"code": "fever"},
    {"code": "recurrent_infection"},
    {"code": "urinary_tract_infection", "persistent": True},
    {"code": "chest_infection", "recurrent": True},
    {"code": "bruising"},
    {"code": "bleeding"},
    {"code": "petechiae"},
]


@pytest.mark.parametrize("symptom", WITHOUT_UNEXPLAINED + UNEXPLAINED, ids=lambda s: s["code"])
def test_1_10_1_each_feature_in_an_adult_of_18(symptom: dict[str, Any]) -> None:
    assert matches(LEUKAEMIA, ctx(age=18, symptoms=[symptom]))
    # Under 18 the children and young people recommendations apply instead.
    assert matches(LEUKAEMIA, ctx(age=17, symptoms=[symptom])) is None


@pytest.mark.parametrize("symptom", UNEXPLAINED, ids=lambda s: s["code"])
def test_1_10_1_an_explained_feature_does_not_count_where_ng12_says_unexplained(
    symptom: dict[str, Any],
) -> None:
    assert matches(LEUKAEMIA, ctx(age=40, symptoms=[{**symptom, "unexplained": False}])) is None


def test_1_10_1_fatigue_must_be_persistent_and_infection_persistent_or_recurrent() -> None:
    assert matches(LEUKAEMIA, ctx(age=40, symptoms=["fatigue"])) is None
    assert matches(LEUKAEMIA, ctx(age=40, symptoms=["urinary_tract_infection"])) is None
    assert matches(LEUKAEMIA, ctx(age=40, symptoms=["chest_infection"])) is None


def test_1_10_1_splenomegaly_alone_is_not_hepatosplenomegaly() -> None:
    assert matches(LEUKAEMIA, ctx(age=40, symptoms=["splenomegaly"])) is None


# --- 1.10.4 / 1.10.5 myeloma blood tests ------------------------------------------------------

MYELOMA_60 = "ng12-1.10.4-myeloma-blood-tests"
MYELOMA_UNDER_60 = "ng12-1.10.5-myeloma-blood-tests-under-60"
PERSISTENT_BACK_PAIN = {"code": "back_pain", "unexplained": False, "persistent": True}


@pytest.mark.parametrize(
    "symptom",
    [
        {"code": "bone_pain", "persistent": True},
        PERSISTENT_BACK_PAIN,
        {"code": "fracture"},
    ],
    ids=["bone-pain", "back-pain", "fracture"],
)
def test_1_10_4_at_60_and_1_10_5_under_60(symptom: dict[str, Any]) -> None:
    assert matches(MYELOMA_60, ctx(age=60, symptoms=[symptom]))
    assert matches(MYELOMA_60, ctx(age=59, symptoms=[symptom])) is None
    assert matches(MYELOMA_UNDER_60, ctx(age=59, symptoms=[symptom]))
    assert matches(MYELOMA_UNDER_60, ctx(age=59, last_day_of_age=True, symptoms=[symptom]))
    assert matches(MYELOMA_UNDER_60, ctx(age=60, symptoms=[symptom])) is None


def test_1_10_4_pain_must_be_persistent_and_a_fracture_unexplained() -> None:
    assert matches(MYELOMA_60, ctx(age=70, symptoms=["bone_pain", "back_pain"])) is None
    explained = {"code": "fracture", "unexplained": False}
    assert matches(MYELOMA_60, ctx(age=70, symptoms=[explained])) is None


def test_1_10_4_hypercalcaemia_alone_is_no_longer_a_criterion() -> None:
    # The 2025 amendment dropped the hypercalcaemia/leukopenia route of the 2015 text.
    assert matches(MYELOMA_60, ctx(age=70, labs=[("calcium", 2.9)])) is None


def test_1_10_6_refer_when_the_results_suggest_myeloma() -> None:
    rule = "ng12-1.10.6-myeloma-results"
    assert matches(rule, ctx(age=55, findings=["protein_electrophoresis_suggests_myeloma"]))
    assert matches(rule, ctx(age=75, labs=[("calcium", 2.9), ("haemoglobin", 6.0)])) is None


# --- 1.10.7 / 1.10.9 lymphoma ---------------------------------------------------------------

NHL = "ng12-1.10.7-non-hodgkin-lymphoma"
HODGKIN = "ng12-1.10.9-hodgkin-lymphoma"
NODES = [
    "lymphadenopathy",
    "generalised_lymphadenopathy",
    "cervical_lymphadenopathy",
    "supraclavicular_lymphadenopathy",
]


@pytest.mark.parametrize("code", NODES)
def test_1_10_7_and_1_10_9_unexplained_lymphadenopathy_in_adults(code: str) -> None:
    for rule in (NHL, HODGKIN):
        assert matches(rule, ctx(age=18, symptoms=[code])), rule
        assert matches(rule, ctx(age=17, symptoms=[code])) is None, rule
        explained = {"code": code, "unexplained": False}
        assert matches(rule, ctx(age=40, symptoms=[explained])) is None, rule


def test_1_10_7_splenomegaly_is_non_hodgkin_only() -> None:
    assert matches(NHL, ctx(age=50, symptoms=["splenomegaly"]))
    assert matches(NHL, ctx(age=50, symptoms=["hepatosplenomegaly"]))
    assert matches(HODGKIN, ctx(age=50, symptoms=["splenomegaly"])) is None


def test_associated_symptoms_alone_do_not_match() -> None:
    b_symptoms = ["fever", "night_sweats", "pruritus", "weight_loss", "shortness_of_breath"]
    for rule in (NHL, HODGKIN):
        assert matches(rule, ctx(age=50, symptoms=b_symptoms)) is None


# --- property: more symptoms never remove a match -------------------------------------------

_MY_RULES = [
    r
    for r in load_ruleset("nice-ng12").rules
    if r.cancer_site in {"leukaemia", "myeloma", "lymphoma"}
]
_SYMPTOM = st.fixed_dictionaries(
    {
        "code": st.sampled_from(sorted(load_vocabulary().symptoms)),
        "unexplained": st.booleans(),
        "persistent": st.booleans(),
        "recurrent": st.booleans(),
    }
)


@settings(max_examples=60, deadline=None)
@given(
    age=st.integers(min_value=16, max_value=95),
    base=st.lists(_SYMPTOM, max_size=4),
    extra=_SYMPTOM,
)
def test_an_extra_symptom_never_removes_a_match(
    age: int, base: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    for rule in _MY_RULES:
        before = matches(rule.id, ctx(age=age, symptoms=base))
        after = matches(rule.id, ctx(age=age, symptoms=[*base, extra]))
        if before is not None:
            assert after is not None, rule.id


# --- children and young people (birth to 24): 1.10.2, 1.10.3, 1.10.8, 1.10.10 ----------------

IMMEDIATE = "ng12-1.10.2-leukaemia-immediate-referral"
LEUKAEMIA_CYP = "ng12-1.10.3-leukaemia-full-blood-count-children"
NHL_CYP = "ng12-1.10.8-non-hodgkin-lymphoma-children"
HODGKIN_CYP = "ng12-1.10.10-hodgkin-lymphoma-children"


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "strength", "investigations", "within_days", "number", "site"),
    [
        (IMMEDIATE, "immediate_referral", "offer", (), 0, "1.10.2", "leukaemia"),
        (
            LEUKAEMIA_CYP,
            "urgent_investigation",
            "offer",
            ("full_blood_count",),
            2,
            "1.10.3",
            "leukaemia",
        ),
        (NHL_CYP, "very_urgent_referral", "consider", (), 2, "1.10.8", "lymphoma"),
        (HODGKIN_CYP, "very_urgent_referral", "consider", (), 2, "1.10.10", "lymphoma"),
    ],
)
def test_each_children_and_young_people_rule_carries_the_guidelines_action(
    rule_id: str,
    recommendation: str,
    strength: str,
    investigations: tuple[str, ...],
    within_days: int,
    number: str,
    site: str,
) -> None:
    r = get_rule(rule_id)
    assert (r.recommendation, r.strength, r.applies_to) == (
        recommendation,
        strength,
        "children_and_young_people",
    )
    assert (r.investigations, r.within_days) == (investigations, within_days)
    assert (r.recommendation_number, r.cancer_site) == (number, site)
    assert r.clinical_judgement is not None


def assert_children_and_young_people_only(rule_id: str, symptom: dict[str, Any]) -> None:
    """Matches from birth to the last day of 24, in both sexes, and not from 25."""
    for sex in ("female", "male"):
        assert matches(rule_id, ctx(age=0, sex=sex, symptoms=[symptom])), sex
        assert matches(rule_id, ctx(age=24, last_day_of_age=True, sex=sex, symptoms=[symptom]))
        assert matches(rule_id, ctx(age=25, sex=sex, symptoms=[symptom])) is None, sex


# 1.10.2: NG12's table of symptoms in children and young people writes "(unexplained)" for both.
@pytest.mark.parametrize("code", ["petechiae", "hepatosplenomegaly"])
def test_1_10_2_unexplained_petechiae_or_hepatosplenomegaly_from_birth_to_24(code: str) -> None:
    assert_children_and_young_people_only(IMMEDIATE, {"code": code})
    assert matches(IMMEDIATE, ctx(age=8, symptoms=[{"code": code, "unexplained": False}])) is None


def test_1_10_2_splenomegaly_or_bruising_alone_is_not_an_immediate_referral() -> None:
    assert matches(IMMEDIATE, ctx(age=8, symptoms=["splenomegaly", "bruising"])) is None


# 1.10.3: the list differs from the adults' 1.10.1.
CYP_WITHOUT_UNEXPLAINED: list[dict[str, Any]] = [
    {"code": "pallor", "unexplained": False},
    {"code": "fatigue", "unexplained": False, "persistent": True},
    {"code": "generalised_lymphadenopathy", "unexplained": False},
    {"code": "bone_pain", "unexplained": False, "persistent": True},
]
CYP_UNEXPLAINED: list[dict[str, Any]] = [
    {"code": "fever"},
    {"code": "chest_infection", "persistent": True},
    {"code": "urinary_tract_infection", "persistent": True},
    {"code": "recurrent_infection", "persistent": True},
    {"code": "recurrent_urinary_tract_infection", "persistent": True},
    {"code": "bone_pain"},
    {"code": "bruising"},
    {"code": "bleeding"},
]


@pytest.mark.parametrize(
    "symptom",
    CYP_WITHOUT_UNEXPLAINED + CYP_UNEXPLAINED,
    ids=lambda s: f"{s['code']}-{'persistent' if s.get('persistent') else 'any'}",
)
def test_1_10_3_each_feature_from_birth_to_24(symptom: dict[str, Any]) -> None:
    assert_children_and_young_people_only(LEUKAEMIA_CYP, symptom)


@pytest.mark.parametrize(
    "symptom",
    CYP_UNEXPLAINED,
    ids=lambda s: f"{s['code']}-{'persistent' if s.get('persistent') else 'any'}",
)
def test_1_10_3_an_explained_feature_does_not_count_where_ng12_says_unexplained(
    symptom: dict[str, Any],
) -> None:
    explained = {**symptom, "unexplained": False}
    if symptom["code"] == "bone_pain":
        # "Persistent or unexplained": explained bone pain still counts when it persists.
        assert matches(LEUKAEMIA_CYP, ctx(age=10, symptoms=[explained])) is None
        assert matches(LEUKAEMIA_CYP, ctx(age=10, symptoms=[{**explained, "persistent": True}]))
        return
    assert matches(LEUKAEMIA_CYP, ctx(age=10, symptoms=[explained])) is None


def test_1_10_3_infection_must_be_persistent_not_merely_recurrent() -> None:
    # Unlike the adults' 1.10.1, NG12 writes "unexplained persistent infection" here.
    for code in ("chest_infection", "urinary_tract_infection", "recurrent_infection"):
        recurrent = {"code": code, "recurrent": True}
        assert matches(LEUKAEMIA_CYP, ctx(age=10, symptoms=[recurrent])) is None, code
        # The adults' 1.10.1 says "persistent or recurrent".
        assert matches(LEUKAEMIA, ctx(age=30, symptoms=[recurrent])), code


def test_1_10_3_fatigue_must_be_persistent() -> None:
    assert matches(LEUKAEMIA_CYP, ctx(age=10, symptoms=["fatigue"])) is None


@pytest.mark.parametrize("code", ["petechiae", "hepatosplenomegaly"])
def test_1_10_3_petechiae_and_hepatosplenomegaly_are_not_on_its_list(code: str) -> None:
    # They lead to immediate referral (1.10.2) instead of a blood count.
    assert matches(LEUKAEMIA_CYP, ctx(age=10, symptoms=[code])) is None
    assert matches(IMMEDIATE, ctx(age=10, symptoms=[code]))


def test_1_10_3_bone_pain_is_not_on_the_adults_list() -> None:
    pain = {"code": "bone_pain", "persistent": True}
    assert matches(LEUKAEMIA_CYP, ctx(age=20, symptoms=[pain]))
    assert matches(LEUKAEMIA, ctx(age=20, symptoms=[pain])) is None


# 1.10.8 / 1.10.10: unexplained lymphadenopathy (both), splenomegaly (non-Hodgkin only).
@pytest.mark.parametrize("code", NODES)
def test_1_10_8_and_1_10_10_unexplained_lymphadenopathy_from_birth_to_24(code: str) -> None:
    for rule_id in (NHL_CYP, HODGKIN_CYP):
        assert_children_and_young_people_only(rule_id, {"code": code})
        explained = {"code": code, "unexplained": False}
        assert matches(rule_id, ctx(age=12, symptoms=[explained])) is None, rule_id


@pytest.mark.parametrize("code", ["splenomegaly", "hepatosplenomegaly"])
def test_1_10_8_splenomegaly_is_non_hodgkin_only(code: str) -> None:
    assert_children_and_young_people_only(NHL_CYP, {"code": code})
    assert matches(NHL_CYP, ctx(age=12, symptoms=[{"code": code, "unexplained": False}])) is None
    assert matches(HODGKIN_CYP, ctx(age=12, symptoms=[code])) is None


def test_children_and_young_people_lymphoma_associated_symptoms_alone_do_not_match() -> None:
    b_symptoms = ["fever", "night_sweats", "pruritus", "weight_loss", "shortness_of_breath"]
    for rule_id in (NHL_CYP, HODGKIN_CYP):
        assert matches(rule_id, ctx(age=12, symptoms=b_symptoms)) is None


def test_from_18_to_24_both_pathways_match_as_ng12_allows() -> None:
    # NG12: young people aged 16 to 24 may be referred on either pathway; "adults" (18+) and
    # "children and young people" (to 24) overlap from 18 to 24.
    nodes = ["lymphadenopathy"]
    for rule_id in (NHL, HODGKIN, NHL_CYP, HODGKIN_CYP):
        assert matches(rule_id, ctx(age=20, symptoms=nodes)), rule_id
    assert matches(NHL, ctx(age=17, last_day_of_age=True, symptoms=nodes)) is None
    assert matches(NHL_CYP, ctx(age=17, last_day_of_age=True, symptoms=nodes))
    assert matches(NHL, ctx(age=25, symptoms=nodes))
    assert matches(NHL_CYP, ctx(age=25, symptoms=nodes)) is None
