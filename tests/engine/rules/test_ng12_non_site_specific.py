"""NICE NG12 1.13 (non-site-specific symptoms), matched and not matched as worded in the
guideline last updated 1 May 2025: parental concern about a child (1.13.1), and unexplained
weight loss, unexplained appetite loss and deep vein thrombosis under the heading "Symptoms of
concern in adults" (1.13.2-1.13.4)."""

from __future__ import annotations

import pytest

from tests.engine.rules.conftest import ctx, matches, rules_with_number
from tests.engine.rules.conftest import rule as get_rule

PARENTAL_CONCERN = "ng12-1.13.1-parental-concern"
WEIGHT_LOSS = "ng12-1.13.2-unexplained-weight-loss"
APPETITE_LOSS = "ng12-1.13.3-unexplained-appetite-loss"
DVT = "ng12-1.13.4-deep-vein-thrombosis"


def test_every_non_site_specific_recommendation_is_encoded() -> None:
    for number in ("1.13.1", "1.13.2", "1.13.3", "1.13.4"):
        assert rules_with_number(number), number


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "strength", "applies_to", "within_days", "number", "site"),
    [
        (PARENTAL_CONCERN, "referral", "consider", "children", None, "1.13.1", "childhood_cancer"),
        (
            WEIGHT_LOSS,
            "urgent_investigation_or_referral",
            "offer",
            "adults",
            14,
            "1.13.2",
            "unspecified",
        ),
        (
            APPETITE_LOSS,
            "urgent_investigation_or_referral",
            "offer",
            "adults",
            14,
            "1.13.3",
            "unspecified",
        ),
        (
            DVT,
            "urgent_investigation_or_referral",
            "consider",
            "adults",
            14,
            "1.13.4",
            "unspecified",
        ),
    ],
)
def test_each_rule_carries_the_guidelines_action(
    rule_id: str,
    recommendation: str,
    strength: str,
    applies_to: str,
    within_days: int | None,
    number: str,
    site: str,
) -> None:
    r = get_rule(rule_id)
    assert (r.recommendation, r.strength, r.applies_to) == (recommendation, strength, applies_to)
    # NG12 names no test for any of them.
    assert (r.investigations, r.within_days) == ((), within_days)
    assert (r.recommendation_number, r.cancer_site) == (number, site)
    assert r.clinical_judgement is not None


@pytest.mark.parametrize("rule_id", [WEIGHT_LOSS, APPETITE_LOSS, DVT])
def test_the_further_assessment_ng12_asks_for_is_in_the_explanation(rule_id: str) -> None:
    explanation = get_rule(rule_id).explanation
    assert "assessment for additional symptoms, signs or findings" in explanation.en
    assert "yderligere symptomer, tegn eller fund" in explanation.da


# --- 1.13.1 parental concern -----------------------------------------------------------------


@pytest.mark.parametrize("sex", ["female", "male"])
def test_1_13_1_parental_concern_about_a_child_from_birth_to_15(sex: str) -> None:
    concern = ["parental_concern"]
    assert matches(PARENTAL_CONCERN, ctx(age=0, sex=sex, symptoms=concern))
    assert matches(PARENTAL_CONCERN, ctx(age=15, last_day_of_age=True, sex=sex, symptoms=concern))
    assert matches(PARENTAL_CONCERN, ctx(age=16, sex=sex, symptoms=concern)) is None


def test_1_13_1_counts_even_if_the_symptoms_likely_have_a_benign_cause() -> None:
    concern = {"code": "parental_concern", "unexplained": False}
    assert matches(PARENTAL_CONCERN, ctx(age=7, symptoms=[concern]))


def test_1_13_1_the_childs_symptoms_alone_are_not_parental_concern() -> None:
    context = ctx(age=7, symptoms=["fatigue", "abdominal_pain", "headache"])
    assert matches(PARENTAL_CONCERN, context) is None


# --- 1.13.2 / 1.13.3 unexplained weight loss and appetite loss -------------------------------


@pytest.mark.parametrize(
    ("rule_id", "code"), [(WEIGHT_LOSS, "weight_loss"), (APPETITE_LOSS, "appetite_loss")]
)
@pytest.mark.parametrize("sex", ["female", "male"])
def test_unexplained_weight_or_appetite_loss_in_adults(rule_id: str, code: str, sex: str) -> None:
    assert matches(rule_id, ctx(age=18, sex=sex, symptoms=[code]))
    assert matches(rule_id, ctx(age=90, sex=sex, symptoms=[code]))
    assert matches(rule_id, ctx(age=17, last_day_of_age=True, sex=sex, symptoms=[code])) is None


@pytest.mark.parametrize(
    ("rule_id", "code"), [(WEIGHT_LOSS, "weight_loss"), (APPETITE_LOSS, "appetite_loss")]
)
def test_explained_weight_or_appetite_loss_does_not_match(rule_id: str, code: str) -> None:
    explained = {"code": code, "unexplained": False, "persistent": True}
    assert matches(rule_id, ctx(age=60, symptoms=[explained])) is None


def test_weight_loss_and_appetite_loss_are_separate_recommendations() -> None:
    assert matches(WEIGHT_LOSS, ctx(age=60, symptoms=["appetite_loss"])) is None
    assert matches(APPETITE_LOSS, ctx(age=60, symptoms=["weight_loss"])) is None


# --- 1.13.4 deep vein thrombosis -------------------------------------------------------------


@pytest.mark.parametrize("sex", ["female", "male"])
def test_1_13_4_deep_vein_thrombosis_in_adults(sex: str) -> None:
    assert matches(DVT, ctx(age=18, sex=sex, findings=["deep_vein_thrombosis"]))
    too_young = ctx(age=17, last_day_of_age=True, sex=sex, findings=["deep_vein_thrombosis"])
    assert matches(DVT, too_young) is None


def test_1_13_4_ng12_gives_no_time_limit_for_the_thrombosis() -> None:
    # Left to the doctor, as the rule's clinical judgement says.
    old = {"code": "deep_vein_thrombosis", "days_ago": 3 * 365}
    assert matches(DVT, ctx(age=50, findings=[old]))


def test_1_13_4_leg_symptoms_or_other_findings_are_not_a_thrombosis() -> None:
    context = ctx(age=50, symptoms=["widespread_pain"], findings=["pelvic_mass"])
    assert matches(DVT, context) is None
