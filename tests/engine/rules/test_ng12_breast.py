"""NG12 1.4 breast cancer (1.4.1-1.4.3), tested against the guideline's wording (NG12, last
updated 1 May 2025)."""

from __future__ import annotations

import pytest

from tests.engine.rules.conftest import ctx, matches, rule

REFER, CONSIDER, UNDER_30 = (
    "ng12-1.4.1-breast-referral",
    "ng12-1.4.2-breast-consider",
    "ng12-1.4.3-breast-under-30",
)
NIPPLE = ["nipple_discharge", "nipple_retraction", "nipple_change_of_concern"]


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "within_days", "number"),
    [
        (REFER, "suspected_cancer_referral", 28, "1.4.1"),
        (CONSIDER, "consider_referral", 28, "1.4.2"),
        (UNDER_30, "non_urgent_referral", None, "1.4.3"),
    ],
)
def test_each_rule_carries_the_recommendation_type_and_number(
    rule_id: str, recommendation: str, within_days: int | None, number: str
) -> None:
    r = rule(rule_id)
    assert (r.recommendation, r.investigation, r.within_days) == (recommendation, None, within_days)
    assert (r.recommendation_number, r.cancer_site) == (number, "breast")


# -- 1.4.1 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sex", ["female", "male"])
def test_1_4_1_unexplained_breast_lump_at_30_refers_women_and_men(sex: str) -> None:
    assert matches(REFER, ctx(age=30, sex=sex, symptoms=["breast_lump"]))


def test_1_4_1_breast_lump_the_day_before_30_does_not_refer_but_1_4_3_applies() -> None:
    context = ctx(age=29, last_day_of_age=True, symptoms=["breast_lump"])
    assert matches(REFER, context) is None
    assert matches(UNDER_30, context)


def test_1_4_1_explained_breast_lump_does_not_refer() -> None:
    context = ctx(age=45, symptoms=[{"code": "breast_lump", "unexplained": False}])
    assert matches(REFER, context) is None


@pytest.mark.parametrize("symptom", NIPPLE)
def test_1_4_1_nipple_symptom_at_50_refers_and_not_at_49(symptom: str) -> None:
    assert matches(REFER, ctx(age=50, symptoms=[symptom]))
    assert matches(REFER, ctx(age=49, last_day_of_age=True, symptoms=[symptom])) is None


def test_1_4_1_breast_pain_alone_does_not_refer() -> None:
    assert matches(REFER, ctx(age=55, symptoms=["chest_pain"])) is None


# -- 1.4.2 ----------------------------------------------------------------------------------


def test_1_4_2_skin_changes_at_any_age() -> None:
    assert matches(CONSIDER, ctx(age=25, symptoms=["skin_retraction"]))


def test_1_4_2_unexplained_axillary_lump_at_30_and_not_at_29() -> None:
    assert matches(CONSIDER, ctx(age=30, symptoms=["axillary_lump"]))
    context = ctx(age=29, last_day_of_age=True, symptoms=["axillary_lump"])
    assert matches(CONSIDER, context) is None


def test_1_4_2_explained_axillary_lump_does_not_match() -> None:
    context = ctx(age=40, symptoms=[{"code": "axillary_lump", "unexplained": False}])
    assert matches(CONSIDER, context) is None


# -- 1.4.3 ----------------------------------------------------------------------------------


def test_1_4_3_unexplained_breast_lump_under_30() -> None:
    assert matches(UNDER_30, ctx(age=22, symptoms=["breast_lump"]))


def test_1_4_3_does_not_apply_from_30() -> None:
    assert matches(UNDER_30, ctx(age=30, symptoms=["breast_lump"])) is None


def test_1_4_3_explained_lump_under_30_does_not_match() -> None:
    context = ctx(age=22, symptoms=[{"code": "breast_lump", "unexplained": False}])
    assert matches(UNDER_30, context) is None
