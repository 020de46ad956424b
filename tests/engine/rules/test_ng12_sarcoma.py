"""NICE NG12 1.11 (sarcomas), each recommendation matched and not matched as worded, at the edges
of its age group, and NG12's note that young people aged 16 to 24 may be referred on either the
adults' or the children and young people's pathway.

Wording checked against NG12 as last updated 1 May 2025.
"""

from __future__ import annotations

import pytest

from tests.engine.rules.conftest import SymptomSpec, ctx, matches, rule, rules_with_number

BONE_ADULTS = "ng12-1.11.1-bone-sarcoma-xray-suggests-adults"
BONE_CYP = "ng12-1.11.2-bone-sarcoma-xray-suggests-children-and-young-people"
BONE_XRAY_CYP = "ng12-1.11.3-bone-sarcoma-xray-children-and-young-people"
SOFT_US_ADULTS = "ng12-1.11.4-soft-tissue-sarcoma-ultrasound-adults"
SOFT_SUGGESTS_ADULTS = "ng12-1.11.5-soft-tissue-sarcoma-ultrasound-suggests-adults"
SOFT_UNCERTAIN_ADULTS = "ng12-1.11.5-soft-tissue-sarcoma-ultrasound-uncertain-adults"
SOFT_US_CYP = "ng12-1.11.6-soft-tissue-sarcoma-ultrasound-children-and-young-people"
SOFT_SUGGESTS_CYP = "ng12-1.11.7-soft-tissue-sarcoma-ultrasound-suggests-children-and-young-people"
SOFT_UNCERTAIN_CYP = (
    "ng12-1.11.7-soft-tissue-sarcoma-ultrasound-uncertain-children-and-young-people"
)

ADULT_RULES = [BONE_ADULTS, SOFT_US_ADULTS, SOFT_SUGGESTS_ADULTS, SOFT_UNCERTAIN_ADULTS]
CYP_RULES = [BONE_CYP, BONE_XRAY_CYP, SOFT_US_CYP, SOFT_SUGGESTS_CYP, SOFT_UNCERTAIN_CYP]

# What makes each rule match, so the age tests can run every rule the same way.
TRIGGER: dict[str, dict[str, list[SymptomSpec]]] = {
    BONE_ADULTS: {"findings": ["xray_suggests_bone_sarcoma"]},
    BONE_CYP: {"findings": ["xray_suggests_bone_sarcoma"]},
    BONE_XRAY_CYP: {"symptoms": ["bone_swelling"]},
    SOFT_US_ADULTS: {"symptoms": ["lump_increasing_in_size"]},
    SOFT_SUGGESTS_ADULTS: {"findings": ["ultrasound_suggests_soft_tissue_sarcoma"]},
    SOFT_UNCERTAIN_ADULTS: {"findings": ["ultrasound_uncertain_for_soft_tissue_sarcoma"]},
    SOFT_US_CYP: {"symptoms": ["lump_increasing_in_size"]},
    SOFT_SUGGESTS_CYP: {"findings": ["ultrasound_suggests_soft_tissue_sarcoma"]},
    SOFT_UNCERTAIN_CYP: {"findings": ["ultrasound_uncertain_for_soft_tissue_sarcoma"]},
}

# Each adult rule and its counterpart for children and young people.
PAIRS = [
    (BONE_ADULTS, BONE_CYP),
    (SOFT_US_ADULTS, SOFT_US_CYP),
    (SOFT_SUGGESTS_ADULTS, SOFT_SUGGESTS_CYP),
    (SOFT_UNCERTAIN_ADULTS, SOFT_UNCERTAIN_CYP),
]


def at(rule_id: str, age: int, *, last_day_of_age: bool = False) -> dict[str, object]:
    return ctx(age=age, last_day_of_age=last_day_of_age, **TRIGGER[rule_id])  # type: ignore[arg-type]


def test_every_sarcoma_recommendation_is_encoded() -> None:
    for number in ("1.11.1", "1.11.2", "1.11.3", "1.11.4", "1.11.5", "1.11.6", "1.11.7"):
        assert rules_with_number(number), number


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "applies_to", "investigations", "within_days", "site"),
    [
        (BONE_ADULTS, "consider_referral", "adults", (), 28, "bone_sarcoma"),
        (BONE_CYP, "very_urgent_referral", "children_and_young_people", (), 2, "bone_sarcoma"),
        (
            BONE_XRAY_CYP,
            "urgent_investigation",
            "children_and_young_people",
            ("bone_xray",),
            2,
            "bone_sarcoma",
        ),
        (
            SOFT_US_ADULTS,
            "urgent_investigation",
            "adults",
            ("soft_tissue_ultrasound",),
            14,
            "soft_tissue_sarcoma",
        ),
        (SOFT_SUGGESTS_ADULTS, "consider_referral", "adults", (), 28, "soft_tissue_sarcoma"),
        (SOFT_UNCERTAIN_ADULTS, "consider_referral", "adults", (), 28, "soft_tissue_sarcoma"),
        (
            SOFT_US_CYP,
            "urgent_investigation",
            "children_and_young_people",
            ("soft_tissue_ultrasound",),
            2,
            "soft_tissue_sarcoma",
        ),
        (
            SOFT_SUGGESTS_CYP,
            "very_urgent_referral",
            "children_and_young_people",
            (),
            2,
            "soft_tissue_sarcoma",
        ),
        (
            SOFT_UNCERTAIN_CYP,
            "very_urgent_referral",
            "children_and_young_people",
            (),
            2,
            "soft_tissue_sarcoma",
        ),
    ],
)
def test_each_rule_carries_the_recommendation_strength_and_number(
    rule_id: str,
    recommendation: str,
    applies_to: str,
    investigations: tuple[str, ...],
    within_days: int,
    site: str,
) -> None:
    r = rule(rule_id)
    assert (r.recommendation, r.applies_to) == (recommendation, applies_to)
    # Every sarcoma recommendation is a "consider".
    assert r.strength == "consider"
    assert (r.investigations, r.within_days) == (investigations, within_days)
    assert r.recommendation_number == rule_id.split("-")[1]
    assert r.cancer_site == site


# --- age groups, and the young people who may take either pathway ---------------------------


@pytest.mark.parametrize("rule_id", ADULT_RULES)
def test_adult_rules_apply_from_the_18th_birthday(rule_id: str) -> None:
    assert matches(rule_id, at(rule_id, 18))
    assert matches(rule_id, at(rule_id, 90))
    assert matches(rule_id, at(rule_id, 17, last_day_of_age=True)) is None


@pytest.mark.parametrize("rule_id", CYP_RULES)
def test_children_and_young_people_rules_apply_from_birth_to_24(rule_id: str) -> None:
    for age in (0, 15, 16, 17, 24):
        assert matches(rule_id, at(rule_id, age)), age
    assert matches(rule_id, at(rule_id, 24, last_day_of_age=True))
    assert matches(rule_id, at(rule_id, 25)) is None


@pytest.mark.parametrize(("adult", "young"), PAIRS)
def test_from_18_to_24_both_pathways_match(adult: str, young: str) -> None:
    # NG12 1.11: "young people (aged 16 to 24) may be referred using either pathway depending on
    # their age and local arrangements".
    for age, last_day in ((18, False), (21, False), (24, False), (24, True)):
        assert matches(adult, at(adult, age, last_day_of_age=last_day)), age
        assert matches(young, at(young, age, last_day_of_age=last_day)), age


@pytest.mark.parametrize(("adult", "young"), PAIRS)
def test_at_16_and_17_only_the_children_and_young_people_pathway_matches(
    adult: str, young: str
) -> None:
    for age in (16, 17):
        assert matches(young, at(young, age)), age
        assert matches(adult, at(adult, age)) is None, age


@pytest.mark.parametrize(("adult", "young"), PAIRS)
def test_from_25_only_the_adult_pathway_matches(adult: str, young: str) -> None:
    assert matches(adult, at(adult, 25))
    assert matches(young, at(young, 25)) is None


@pytest.mark.parametrize("rule_id", [*ADULT_RULES, BONE_CYP, SOFT_US_CYP, SOFT_SUGGESTS_CYP])
def test_the_overlap_is_stated_in_the_judgement(rule_id: str) -> None:
    judgement = rule(rule_id).clinical_judgement
    assert judgement is not None
    assert "16" in judgement.en and "24" in judgement.en
    assert "16" in judgement.da and "24" in judgement.da


# --- 1.11.1, 1.11.2 X-ray suggests bone sarcoma ---------------------------------------------


@pytest.mark.parametrize("rule_id", [BONE_ADULTS, BONE_CYP])
def test_1_11_1_and_1_11_2_need_the_xray_finding(rule_id: str) -> None:
    evidence = matches(rule_id, at(rule_id, 20))
    assert evidence is not None
    assert {"input": "finding", "code": "xray_suggests_bone_sarcoma", "date": "2025-05-26"} in (
        evidence
    )
    symptoms_only = ctx(age=20, symptoms=["bone_swelling", "bone_pain"])
    assert matches(rule_id, symptoms_only) is None
    other_imaging = ctx(age=20, findings=["ultrasound_suggests_soft_tissue_sarcoma"])
    assert matches(rule_id, other_imaging) is None


# --- 1.11.3 unexplained bone swelling or pain -----------------------------------------------


@pytest.mark.parametrize("code", ["bone_swelling", "bone_pain"])
def test_1_11_3_unexplained_bone_swelling_or_pain(code: str) -> None:
    evidence = matches(BONE_XRAY_CYP, ctx(age=10, symptoms=[code]))
    assert evidence is not None
    assert any(e.get("code") == code for e in evidence)


@pytest.mark.parametrize("code", ["bone_swelling", "bone_pain"])
def test_1_11_3_explained_swelling_or_pain_does_not_match(code: str) -> None:
    explained = {"code": code, "unexplained": False}
    assert matches(BONE_XRAY_CYP, ctx(age=10, symptoms=[explained])) is None
    # Persistence does not stand in for "unexplained" here.
    persistent = {"code": code, "unexplained": False, "persistent": True}
    assert matches(BONE_XRAY_CYP, ctx(age=10, symptoms=[persistent])) is None


@pytest.mark.parametrize("other", ["back_pain", "widespread_pain", "lump_increasing_in_size"])
def test_1_11_3_other_symptoms_do_not_match(other: str) -> None:
    assert matches(BONE_XRAY_CYP, ctx(age=10, symptoms=[other])) is None


def test_1_11_3_is_not_an_adult_recommendation() -> None:
    assert matches(BONE_XRAY_CYP, ctx(age=40, symptoms=["bone_swelling"])) is None


# --- 1.11.4, 1.11.6 unexplained lump increasing in size --------------------------------------


@pytest.mark.parametrize("rule_id", [SOFT_US_ADULTS, SOFT_US_CYP])
def test_1_11_4_and_1_11_6_unexplained_lump_increasing_in_size(rule_id: str) -> None:
    evidence = matches(rule_id, at(rule_id, 20))
    assert evidence is not None
    assert any(e.get("code") == "lump_increasing_in_size" for e in evidence)
    explained = {"code": "lump_increasing_in_size", "unexplained": False}
    assert matches(rule_id, ctx(age=20, symptoms=[explained])) is None


@pytest.mark.parametrize("rule_id", [SOFT_US_ADULTS, SOFT_US_CYP])
@pytest.mark.parametrize("other", ["breast_lump", "axillary_lump", "neck_lump", "bone_swelling"])
def test_1_11_4_and_1_11_6_a_lump_not_increasing_in_size_does_not_match(
    rule_id: str, other: str
) -> None:
    assert matches(rule_id, ctx(age=20, symptoms=[other])) is None


def test_1_11_4_is_urgent_and_1_11_6_very_urgent() -> None:
    assert rule(SOFT_US_ADULTS).within_days == 14
    assert rule(SOFT_US_CYP).within_days == 2
    assert "48" in rule(SOFT_US_CYP).explanation.en
    assert "48" in rule(SOFT_US_CYP).explanation.da


# --- 1.11.5, 1.11.7 ultrasound suggests soft tissue sarcoma, or uncertain --------------------


@pytest.mark.parametrize("rule_id", [SOFT_SUGGESTS_ADULTS, SOFT_SUGGESTS_CYP])
def test_1_11_5_and_1_11_7_ultrasound_suggesting_sarcoma(rule_id: str) -> None:
    finding = "ultrasound_suggests_soft_tissue_sarcoma"
    assert matches(rule_id, ctx(age=20, findings=[finding]))
    uncertain = ctx(age=20, findings=["ultrasound_uncertain_for_soft_tissue_sarcoma"])
    assert matches(rule_id, uncertain) is None
    assert matches(rule_id, ctx(age=20, symptoms=["lump_increasing_in_size"])) is None


@pytest.mark.parametrize("rule_id", [SOFT_UNCERTAIN_ADULTS, SOFT_UNCERTAIN_CYP])
def test_1_11_5_and_1_11_7_uncertain_ultrasound_leaves_the_persisting_concern_to_the_doctor(
    rule_id: str,
) -> None:
    uncertain = ctx(age=20, findings=["ultrasound_uncertain_for_soft_tissue_sarcoma"])
    assert matches(rule_id, uncertain)
    suggests = ctx(age=20, findings=["ultrasound_suggests_soft_tissue_sarcoma"])
    assert matches(rule_id, suggests) is None
    judgement = rule(rule_id).clinical_judgement
    assert judgement is not None
    assert "clinical concern persists" in judgement.en
    assert "bekymring" in judgement.da
