"""NICE NG12 1.12 (childhood cancers: neuroblastoma, retinoblastoma, Wilms' tumour), matched and
not matched as worded in the guideline last updated 1 May 2025. "Children" are from birth to 15
(NG12's "Terms used")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.rules.conftest import ctx, matches, rules_with_number
from tests.engine.rules.conftest import rule as get_rule

NEUROBLASTOMA = "ng12-1.12.1-neuroblastoma"
RETINOBLASTOMA = "ng12-1.12.2-retinoblastoma"
WILMS = "ng12-1.12.3-wilms-tumour"

# "A palpable abdominal mass": NG12 does not say unexplained.
MASSES = ["abdominal_mass", "upper_abdominal_mass"]
# "An unexplained enlarged abdominal organ": NG12 names no organ.
ENLARGED_ORGANS = [
    "enlarged_abdominal_organ",
    "enlarged_liver",
    "splenomegaly",
    "hepatosplenomegaly",
    "enlarged_gall_bladder",
]


def test_every_childhood_recommendation_is_encoded() -> None:
    for number in ("1.12.1", "1.12.2", "1.12.3"):
        assert rules_with_number(number), number


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "strength", "within_days", "number", "site"),
    [
        (NEUROBLASTOMA, "very_urgent_referral", "consider", 2, "1.12.1", "neuroblastoma"),
        (RETINOBLASTOMA, "consider_referral", "consider", 28, "1.12.2", "retinoblastoma"),
        (WILMS, "very_urgent_referral", "consider", 2, "1.12.3", "wilms"),
    ],
)
def test_each_rule_carries_the_guidelines_action(
    rule_id: str, recommendation: str, strength: str, within_days: int, number: str, site: str
) -> None:
    r = get_rule(rule_id)
    assert (r.recommendation, r.strength, r.applies_to) == (recommendation, strength, "children")
    assert (r.investigations, r.within_days) == ((), within_days)
    assert (r.recommendation_number, r.cancer_site) == (number, site)
    assert r.clinical_judgement is not None


def assert_children_only(rule_id: str, symptom: str | dict[str, Any]) -> None:
    """Matches from birth to the last day of 15, in both sexes, and not from 16."""
    for sex in ("female", "male"):
        assert matches(rule_id, ctx(age=0, sex=sex, symptoms=[symptom])), sex
        assert matches(rule_id, ctx(age=15, last_day_of_age=True, sex=sex, symptoms=[symptom]))
        assert matches(rule_id, ctx(age=16, sex=sex, symptoms=[symptom])) is None, sex


# --- 1.12.1 neuroblastoma and 1.12.3 Wilms' tumour: mass or enlarged organ ---------------------


@pytest.mark.parametrize("rule_id", [NEUROBLASTOMA, WILMS])
@pytest.mark.parametrize("code", MASSES)
def test_a_palpable_abdominal_mass_counts_even_when_explained(rule_id: str, code: str) -> None:
    assert_children_only(rule_id, code)
    assert_children_only(rule_id, {"code": code, "unexplained": False})


@pytest.mark.parametrize("rule_id", [NEUROBLASTOMA, WILMS])
@pytest.mark.parametrize("code", ENLARGED_ORGANS)
def test_an_enlarged_abdominal_organ_counts_when_unexplained(rule_id: str, code: str) -> None:
    assert_children_only(rule_id, code)
    explained = {"code": code, "unexplained": False}
    assert matches(rule_id, ctx(age=4, symptoms=[explained])) is None


@pytest.mark.parametrize("rule_id", [NEUROBLASTOMA, WILMS])
def test_a_pelvic_mass_or_abdominal_pain_is_not_an_abdominal_mass(rule_id: str) -> None:
    context = ctx(
        age=4, symptoms=["abdominal_pain", "abdominal_distension"], findings=["pelvic_mass"]
    )
    assert matches(rule_id, context) is None


# --- 1.12.3 Wilms' tumour: unexplained visible haematuria --------------------------------------


def test_1_12_3_unexplained_visible_haematuria_in_a_child() -> None:
    assert_children_only(WILMS, "visible_haematuria")
    explained = {"code": "visible_haematuria", "unexplained": False}
    assert matches(WILMS, ctx(age=5, symptoms=[explained])) is None


def test_1_12_3_non_visible_haematuria_is_not_enough() -> None:
    assert matches(WILMS, ctx(age=5, symptoms=["non_visible_haematuria"])) is None


def test_1_12_1_haematuria_is_wilms_only() -> None:
    assert matches(NEUROBLASTOMA, ctx(age=5, symptoms=["visible_haematuria"])) is None


# --- 1.12.2 retinoblastoma -------------------------------------------------------------------


def test_1_12_2_absent_red_reflex_in_a_child() -> None:
    assert_children_only(RETINOBLASTOMA, "absent_red_reflex")
    # NG12 does not say unexplained.
    assert_children_only(RETINOBLASTOMA, {"code": "absent_red_reflex", "unexplained": False})


def test_1_12_2_a_squint_alone_does_not_match() -> None:
    assert matches(RETINOBLASTOMA, ctx(age=3, symptoms=["squint"])) is None


def test_1_12_2_squint_with_absent_red_reflex_points_to_ng127() -> None:
    # The squint changes the urgency (NG127 1.30.1, immediate), which the rule leaves to the
    # doctor in its clinical judgement.
    assert matches(RETINOBLASTOMA, ctx(age=3, symptoms=["squint", "absent_red_reflex"]))
    judgement = get_rule(RETINOBLASTOMA).clinical_judgement
    assert judgement is not None
    assert "NG127" in judgement.en and "1.30.1" in judgement.en
    assert "NG127" in judgement.da and "skelen" in judgement.da
