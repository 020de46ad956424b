"""NICE NG12 1.8.1-1.8.5 (laryngeal, oral and thyroid cancers), matched and not matched as
worded in the guideline last updated 1 May 2025, and 1.8.4 (the dentist's recommendation) kept
out of the GP's assessment."""

from __future__ import annotations

from typing import Any

import pytest

from opspor.engine.assess import assess
from opspor.engine.context import PatientContext
from opspor.engine.rules.loader import load_ruleset
from tests.engine.rules.conftest import ctx, matches, rule, rules_with_number

LARYNX = "ng12-1.8.1-laryngeal-hoarseness-or-neck-lump"
ORAL = "ng12-1.8.2-oral-ulceration-or-neck-lump"
TO_DENTIST = "ng12-1.8.3-oral-lump-or-patch-dentist"
BY_DENTIST = "ng12-1.8.4-oral-dentist-referral"
THYROID = "ng12-1.8.5-thyroid-lump"

NECK_LUMPS = ["neck_lump", "cervical_lymphadenopathy"]


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "within_days", "audience", "number", "site"),
    [
        (LARYNX, "consider_referral", 28, "gp", "1.8.1", "laryngeal"),
        (ORAL, "consider_referral", 28, "gp", "1.8.2", "oral"),
        (TO_DENTIST, "urgent_referral", 14, "gp", "1.8.3", "oral"),
        (BY_DENTIST, "consider_referral", 28, "dentist", "1.8.4", "oral"),
        (THYROID, "consider_referral", 28, "gp", "1.8.5", "thyroid"),
    ],
)
def test_each_rule_carries_the_recommendation_as_worded(
    rule_id: str, recommendation: str, within_days: int, audience: str, number: str, site: str
) -> None:
    r = rule(rule_id)
    assert (r.recommendation, r.strength, r.investigations, r.within_days) == (
        recommendation,
        "consider",
        (),
        within_days,
    )
    assert (r.applies_to, r.audience) == ("young_people_and_adults", audience)
    assert (r.recommendation_number, r.cancer_site) == (number, site)
    assert [x.id for x in rules_with_number(number)] == [rule_id]


def test_1_8_3_explanation_says_the_referral_is_to_a_dentist() -> None:
    r = rule(TO_DENTIST)
    assert "to a dentist" in r.explanation.en
    assert "tandlæge" in r.explanation.da


# --- 1.8.1 laryngeal ------------------------------------------------------------------------

PERSISTENT_HOARSENESS: dict[str, Any] = {"code": "hoarseness", "persistent": True}


def test_1_8_1_persistent_unexplained_hoarseness_from_45() -> None:
    for sex in ("female", "male"):
        evidence = matches(LARYNX, ctx(age=45, sex=sex, symptoms=[PERSISTENT_HOARSENESS]))
        assert evidence is not None
        assert {"input": "age", "value": 45} in evidence
        last_day_of_44 = ctx(
            age=44, last_day_of_age=True, sex=sex, symptoms=[PERSISTENT_HOARSENESS]
        )
        assert matches(LARYNX, last_day_of_44) is None


def test_1_8_1_hoarseness_must_be_persistent_and_unexplained() -> None:
    assert matches(LARYNX, ctx(age=60, symptoms=["hoarseness"])) is None
    explained = {**PERSISTENT_HOARSENESS, "unexplained": False}
    assert matches(LARYNX, ctx(age=60, symptoms=[explained])) is None


@pytest.mark.parametrize("code", NECK_LUMPS)
def test_1_8_1_unexplained_neck_lump_from_45_need_not_be_persistent(code: str) -> None:
    assert matches(LARYNX, ctx(age=45, symptoms=[code]))
    assert matches(LARYNX, ctx(age=44, last_day_of_age=True, symptoms=[code])) is None
    explained = {"code": code, "unexplained": False, "persistent": True}
    assert matches(LARYNX, ctx(age=60, symptoms=[explained])) is None


def test_1_8_1_other_lumps_are_not_neck_lumps() -> None:
    context = ctx(age=60, symptoms=["thyroid_lump", "axillary_lump", "oral_lump"])
    assert matches(LARYNX, context) is None


# --- 1.8.2 oral -----------------------------------------------------------------------------


def test_1_8_2_unexplained_oral_ulceration_lasting_more_than_3_weeks() -> None:
    more_than_21_days = {"code": "oral_ulceration", "days_ago": 22}
    evidence = matches(ORAL, ctx(age=16, symptoms=[more_than_21_days]))
    assert evidence is not None
    assert any(e.get("code") == "oral_ulceration" for e in evidence)
    exactly_21_days = {"code": "oral_ulceration", "days_ago": 21}
    assert matches(ORAL, ctx(age=60, symptoms=[exactly_21_days])) is None
    explained = {**more_than_21_days, "unexplained": False}
    assert matches(ORAL, ctx(age=60, symptoms=[explained])) is None


def test_1_8_2_applies_from_16() -> None:
    ulcer = {"code": "oral_ulceration", "days_ago": 60}
    assert matches(ORAL, ctx(age=16, sex="male", symptoms=[ulcer]))
    assert matches(ORAL, ctx(age=15, last_day_of_age=True, sex="male", symptoms=[ulcer])) is None


@pytest.mark.parametrize("code", NECK_LUMPS)
def test_1_8_2_persistent_and_unexplained_neck_lump_at_any_age_from_16(code: str) -> None:
    lump = {"code": code, "persistent": True}
    assert matches(ORAL, ctx(age=16, symptoms=[lump]))
    assert matches(ORAL, ctx(age=15, last_day_of_age=True, symptoms=[lump])) is None
    assert matches(ORAL, ctx(age=30, symptoms=[code])) is None
    assert matches(ORAL, ctx(age=30, symptoms=[{**lump, "unexplained": False}])) is None


def test_1_8_2_an_oral_lump_or_patch_is_1_8_3_not_1_8_2() -> None:
    context = ctx(age=60, symptoms=["oral_lump", "oral_red_or_white_patch"])
    assert matches(ORAL, context) is None


# --- 1.8.3 urgent referral to a dentist -------------------------------------------------------


@pytest.mark.parametrize("code", ["oral_lump", "oral_red_or_white_patch"])
def test_1_8_3_lump_or_patch_even_when_explained_from_16(code: str) -> None:
    for sex in ("female", "male"):
        assert matches(TO_DENTIST, ctx(age=16, sex=sex, symptoms=[code]))
        explained = {"code": code, "unexplained": False}
        assert matches(TO_DENTIST, ctx(age=70, sex=sex, symptoms=[explained]))
        under_16 = ctx(age=15, last_day_of_age=True, sex=sex, symptoms=[code])
        assert matches(TO_DENTIST, under_16) is None


def test_1_8_3_oral_ulceration_is_not_a_lump_or_patch() -> None:
    ulcer = {"code": "oral_ulceration", "days_ago": 60}
    assert matches(TO_DENTIST, ctx(age=60, symptoms=[ulcer])) is None


# --- 1.8.4 the dentist's recommendation is never assessed for a GP -----------------------------


def test_1_8_4_is_kept_as_data_but_not_among_the_gps_rules() -> None:
    ruleset = load_ruleset("nice-ng12")
    assert BY_DENTIST in [r.id for r in ruleset.rules]
    assert BY_DENTIST not in [r.id for r in ruleset.for_gp]
    assert TO_DENTIST in [r.id for r in ruleset.for_gp]


@pytest.mark.parametrize("code", ["oral_lump", "oral_red_or_white_patch"])
def test_1_8_4_never_returned_by_the_gps_assessment(code: str) -> None:
    context = ctx(age=60, symptoms=[code])
    # The context does meet 1.8.4's criteria, so only the audience keeps it out.
    assert matches(BY_DENTIST, context)
    result = assess(PatientContext.model_validate(context), ruleset="nice-ng12")
    fired = [f.rule_id for f in result.of_kind("guideline_criterion")]
    assert TO_DENTIST in fired
    assert BY_DENTIST not in fired


# --- 1.8.5 thyroid --------------------------------------------------------------------------


def test_1_8_5_unexplained_thyroid_lump_from_16() -> None:
    for sex in ("female", "male"):
        assert matches(THYROID, ctx(age=16, sex=sex, symptoms=["thyroid_lump"]))
        under_16 = ctx(age=15, last_day_of_age=True, sex=sex, symptoms=["thyroid_lump"])
        assert matches(THYROID, under_16) is None
    explained = {"code": "thyroid_lump", "unexplained": False}
    assert matches(THYROID, ctx(age=50, symptoms=[explained])) is None


def test_1_8_5_a_neck_lump_not_coded_as_thyroid_is_1_8_1_or_1_8_2() -> None:
    assert matches(THYROID, ctx(age=50, symptoms=["neck_lump", "cervical_lymphadenopathy"])) is None
