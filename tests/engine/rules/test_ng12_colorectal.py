"""NG12 1.3 colorectal (1.3.1-1.3.5) and anal (1.3.6) cancer, tested against the guideline's
wording (NG12, last updated 1 May 2025; the colorectal recommendations as updated August 2023)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.rules.conftest import ctx, matches, rule

FIT = "ng12-1.3.1-fit"
# Women: haemoglobin and MCV below their lower limits. The vocabulary has no ferritin interval
# yet, so iron deficiency is read from the MCV.
IRON_DEFICIENT = [("haemoglobin", 6.5), ("mcv", 72)]


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "investigation", "within_days", "number", "site"),
    [
        ("ng12-1.3.1-fit", "non_urgent_investigation", "fit", None, "1.3.1", "colorectal"),
        ("ng12-1.3.2-fit-positive", "suspected_cancer_referral", None, 28, "1.3.2", "colorectal"),
        ("ng12-1.3.3-fit-below-threshold", "safety_net", None, None, "1.3.3", "colorectal"),
        ("ng12-1.3.5-rectal-mass", "consider_referral", None, 28, "1.3.5", "colorectal"),
        ("ng12-1.3.6-anal", "consider_referral", None, 28, "1.3.6", "anal"),
    ],
)
def test_each_rule_carries_the_recommendation_type_and_number(
    rule_id: str,
    recommendation: str,
    investigation: str | None,
    within_days: int | None,
    number: str,
    site: str,
) -> None:
    r = rule(rule_id)
    assert (r.recommendation, r.investigation, r.within_days) == (
        recommendation,
        investigation,
        within_days,
    )
    assert (r.recommendation_number, r.cancer_site) == (number, site)


# -- 1.3.1: criteria that hold at any adult age ----------------------------------------------


@pytest.mark.parametrize(
    "presentation",
    [
        {"symptoms": ["abdominal_mass"]},
        {"symptoms": ["change_in_bowel_habit"]},
        {"labs": IRON_DEFICIENT},
    ],
)
def test_1_3_1_adult_criteria_hold_from_18_and_not_at_17(presentation: dict[str, Any]) -> None:
    assert matches(FIT, ctx(age=18, **presentation))
    assert matches(FIT, ctx(age=17, last_day_of_age=True, **presentation)) is None


def test_1_3_1_low_haemoglobin_with_normal_ferritin_and_mcv_is_not_iron_deficiency() -> None:
    labs = [("haemoglobin", 6.5), ("ferritin", 80), ("mcv", 90)]
    assert matches(FIT, ctx(age=45, labs=labs)) is None


# -- 1.3.1: aged 40 and over, unexplained weight loss and abdominal pain -----------------------


def test_1_3_1_weight_loss_and_abdominal_pain_at_40() -> None:
    assert matches(FIT, ctx(age=40, symptoms=["weight_loss", "abdominal_pain"]))


def test_1_3_1_weight_loss_and_abdominal_pain_at_39_do_not_match() -> None:
    context = ctx(age=39, last_day_of_age=True, symptoms=["weight_loss", "abdominal_pain"])
    assert matches(FIT, context) is None


def test_1_3_1_explained_weight_loss_does_not_count_at_45() -> None:
    context = ctx(
        age=45, symptoms=[{"code": "weight_loss", "unexplained": False}, "abdominal_pain"]
    )
    assert matches(FIT, context) is None


def test_1_3_1_abdominal_pain_alone_at_45_does_not_match() -> None:
    assert matches(FIT, ctx(age=45, symptoms=["abdominal_pain"])) is None


# -- 1.3.1: under 50 with rectal bleeding and unexplained abdominal pain or weight loss ------


@pytest.mark.parametrize("companion", ["abdominal_pain", "weight_loss"])
def test_1_3_1_rectal_bleeding_with_a_companion_at_49(companion: str) -> None:
    assert matches(FIT, ctx(age=49, symptoms=["rectal_bleeding", companion]))
    assert matches(FIT, ctx(age=25, symptoms=["rectal_bleeding", companion]))


def test_1_3_1_rectal_bleeding_alone_under_50_does_not_match() -> None:
    context = ctx(age=49, last_day_of_age=True, symptoms=["rectal_bleeding"])
    assert matches(FIT, context) is None


def test_1_3_1_rectal_bleeding_with_explained_abdominal_pain_under_50_does_not_match() -> None:
    context = ctx(
        age=35, symptoms=["rectal_bleeding", {"code": "abdominal_pain", "unexplained": False}]
    )
    assert matches(FIT, context) is None


# -- 1.3.1: aged 50 and over with any of unexplained rectal bleeding, abdominal pain, weight loss


@pytest.mark.parametrize("symptom", ["rectal_bleeding", "abdominal_pain", "weight_loss"])
def test_1_3_1_one_unexplained_symptom_at_50_and_not_at_49(symptom: str) -> None:
    assert matches(FIT, ctx(age=50, symptoms=[symptom]))
    assert matches(FIT, ctx(age=49, last_day_of_age=True, symptoms=[symptom])) is None


def test_1_3_1_explained_rectal_bleeding_at_50_does_not_match() -> None:
    context = ctx(age=50, symptoms=[{"code": "rectal_bleeding", "unexplained": False}])
    assert matches(FIT, context) is None


# -- 1.3.1: aged 60 and over with anaemia even without iron deficiency ------------------------


def test_1_3_1_anaemia_without_iron_deficiency_at_60_and_not_at_59() -> None:
    labs = [("haemoglobin", 6.5), ("ferritin", 80)]
    assert matches(FIT, ctx(age=60, labs=labs))
    assert matches(FIT, ctx(age=59, last_day_of_age=True, labs=labs)) is None


# -- 1.3.2 ----------------------------------------------------------------------------------


def test_1_3_2_fit_of_10_refers() -> None:
    evidence = matches("ng12-1.3.2-fit-positive", ctx(age=50, labs=[("fit", 10)]))
    assert evidence is not None
    assert any(e.get("code") == "fit" and e.get("value") == 10 for e in evidence)


def test_1_3_2_fit_just_below_10_does_not_refer() -> None:
    assert matches("ng12-1.3.2-fit-positive", ctx(age=50, labs=[("fit", 9.9)])) is None


def test_1_3_2_the_newest_fit_counts() -> None:
    context = ctx(age=50, labs=[("fit", 150, 60), ("fit", 4, 5)])
    assert matches("ng12-1.3.2-fit-positive", context) is None


def test_1_3_2_a_fit_result_older_than_90_days_is_not_read() -> None:
    assert matches("ng12-1.3.2-fit-positive", ctx(age=50, labs=[("fit", 40, 91)])) is None


def test_1_3_2_is_for_adults() -> None:
    context = ctx(age=17, last_day_of_age=True, labs=[("fit", 40)])
    assert matches("ng12-1.3.2-fit-positive", context) is None


# -- 1.3.3 ----------------------------------------------------------------------------------


def test_1_3_3_fit_below_10_with_fit_criteria_is_a_safety_net() -> None:
    context = ctx(age=55, symptoms=["change_in_bowel_habit"], labs=[("fit", 3)])
    assert matches("ng12-1.3.3-fit-below-threshold", context)


def test_1_3_3_fit_of_10_is_not_a_safety_net_but_a_referral() -> None:
    context = ctx(age=55, symptoms=["change_in_bowel_habit"], labs=[("fit", 10)])
    assert matches("ng12-1.3.3-fit-below-threshold", context) is None
    assert matches("ng12-1.3.2-fit-positive", context)


def test_1_3_3_a_low_fit_without_the_1_3_1_criteria_is_not_this_safety_net() -> None:
    assert matches("ng12-1.3.3-fit-below-threshold", ctx(age=55, labs=[("fit", 3)])) is None


# -- 1.3.5 ----------------------------------------------------------------------------------


def test_1_3_5_rectal_mass_in_an_adult() -> None:
    assert matches("ng12-1.3.5-rectal-mass", ctx(age=18, findings=["rectal_mass"]))
    context = ctx(age=17, last_day_of_age=True, findings=["rectal_mass"])
    assert matches("ng12-1.3.5-rectal-mass", context) is None


def test_1_3_5_abdominal_mass_is_not_a_rectal_mass() -> None:
    assert matches("ng12-1.3.5-rectal-mass", ctx(age=60, symptoms=["abdominal_mass"])) is None


# -- 1.3.6 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sign", ["anal_mass", "anal_ulceration"])
def test_1_3_6_unexplained_anal_mass_or_ulceration(sign: str) -> None:
    assert matches("ng12-1.3.6-anal", ctx(age=30, symptoms=[sign]))
    explained = ctx(age=30, symptoms=[{"code": sign, "unexplained": False}])
    assert matches("ng12-1.3.6-anal", explained) is None


def test_1_3_6_rectal_bleeding_is_not_an_anal_sign() -> None:
    assert matches("ng12-1.3.6-anal", ctx(age=30, symptoms=["rectal_bleeding"])) is None
