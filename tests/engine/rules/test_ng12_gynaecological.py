"""NICE NG12 1.5.10-1.5.15 (endometrial, cervical, vulval and vaginal cancers), matched and not
matched as worded in the guideline last updated 1 May 2025."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.rules.conftest import ctx, matches, rule, rules_with_number

PMB_55 = "ng12-1.5.10-endometrial-post-menopausal-bleeding"
PMB_UNDER_55 = "ng12-1.5.11-endometrial-post-menopausal-bleeding-under-55"
ULTRASOUND = "ng12-1.5.12-endometrial-ultrasound"
CERVIX = "ng12-1.5.13-cervix-appearance"
VULVA = "ng12-1.5.14-vulval-lump-ulceration-bleeding"
VAGINA = "ng12-1.5.15-vaginal-mass"


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "strength", "investigations", "within_days", "number", "site"),
    [
        (PMB_55, "suspected_cancer_referral", "offer", (), 28, "1.5.10", "endometrial"),
        (PMB_UNDER_55, "consider_referral", "consider", (), 28, "1.5.11", "endometrial"),
        (
            ULTRASOUND,
            "non_urgent_investigation",
            "consider",
            ("pelvic_ultrasound",),
            None,
            "1.5.12",
            "endometrial",
        ),
        (CERVIX, "consider_referral", "consider", (), 28, "1.5.13", "cervical"),
        (VULVA, "consider_referral", "consider", (), 28, "1.5.14", "vulval"),
        (VAGINA, "consider_referral", "consider", (), 28, "1.5.15", "vaginal"),
    ],
)
def test_each_rule_carries_the_recommendation_as_worded(
    rule_id: str,
    recommendation: str,
    strength: str,
    investigations: tuple[str, ...],
    within_days: int | None,
    number: str,
    site: str,
) -> None:
    r = rule(rule_id)
    assert (r.recommendation, r.strength, r.investigations, r.within_days) == (
        recommendation,
        strength,
        investigations,
        within_days,
    )
    assert (r.applies_to, r.audience) == ("young_people_and_adults", "gp")
    assert (r.recommendation_number, r.cancer_site) == (number, site)
    assert [x.id for x in rules_with_number(number)] == [rule_id]


# --- 1.5.10, 1.5.11 post-menopausal bleeding -------------------------------------------------


def test_1_5_10_post_menopausal_bleeding_from_55_is_referred() -> None:
    evidence = matches(PMB_55, ctx(age=55, symptoms=["post_menopausal_bleeding"]))
    assert evidence is not None
    assert {"input": "age", "value": 55} in evidence
    assert {"input": "sex", "value": "female"} in evidence
    last_day_of_54 = ctx(age=54, last_day_of_age=True, symptoms=["post_menopausal_bleeding"])
    assert matches(PMB_55, last_day_of_54) is None


def test_1_5_11_post_menopausal_bleeding_under_55_is_considered() -> None:
    last_day_of_54 = ctx(age=54, last_day_of_age=True, symptoms=["post_menopausal_bleeding"])
    assert matches(PMB_UNDER_55, last_day_of_54)
    assert matches(PMB_UNDER_55, ctx(age=55, symptoms=["post_menopausal_bleeding"])) is None
    assert matches(PMB_UNDER_55, ctx(age=16, symptoms=["post_menopausal_bleeding"]))
    under_16 = ctx(age=15, last_day_of_age=True, symptoms=["post_menopausal_bleeding"])
    assert matches(PMB_UNDER_55, under_16) is None


@pytest.mark.parametrize("age", [16, 40, 54, 55, 70, 95])
def test_1_5_10_and_1_5_11_together_cover_every_age_once(age: int) -> None:
    context = ctx(age=age, symptoms=["post_menopausal_bleeding"])
    hits = [r for r in (PMB_55, PMB_UNDER_55) if matches(r, context)]
    assert hits == ([PMB_55] if age >= 55 else [PMB_UNDER_55])


@pytest.mark.parametrize("rule_id", [PMB_55, PMB_UNDER_55])
def test_post_menopausal_bleeding_is_unexplained_by_ng12s_definition(rule_id: str) -> None:
    explained = {"code": "post_menopausal_bleeding", "unexplained": False}
    for age in (50, 60):
        assert matches(rule_id, ctx(age=age, symptoms=[explained])) is None


@pytest.mark.parametrize("rule_id", [PMB_55, PMB_UNDER_55])
def test_post_menopausal_bleeding_rules_need_sex_female(rule_id: str) -> None:
    for age in (50, 60):
        assert (
            matches(rule_id, ctx(age=age, sex="male", symptoms=["post_menopausal_bleeding"]))
            is None
        )


@pytest.mark.parametrize("rule_id", [PMB_55, PMB_UNDER_55])
def test_other_bleeding_is_not_post_menopausal_bleeding(rule_id: str) -> None:
    for age in (50, 60):
        context = ctx(age=age, symptoms=["vulval_bleeding", "bleeding", "rectal_bleeding"])
        assert matches(rule_id, context) is None


# --- 1.5.12 direct access ultrasound ----------------------------------------------------------

RECURRENT_DISCHARGE: dict[str, Any] = {"code": "vaginal_discharge", "recurrent": True}
HAEMATURIA: dict[str, Any] = {"code": "visible_haematuria", "unexplained": False}


def test_1_5_12_unexplained_discharge_at_first_presentation_from_55() -> None:
    evidence = matches(ULTRASOUND, ctx(age=55, symptoms=["vaginal_discharge"]))
    assert evidence is not None
    assert any(e.get("code") == "vaginal_discharge" for e in evidence)
    last_day_of_54 = ctx(age=54, last_day_of_age=True, symptoms=["vaginal_discharge"])
    assert matches(ULTRASOUND, last_day_of_54) is None


def test_1_5_12_a_persistent_discharge_may_still_be_a_first_presentation() -> None:
    persistent = {"code": "vaginal_discharge", "persistent": True}
    assert matches(ULTRASOUND, ctx(age=60, symptoms=[persistent]))


def test_1_5_12_explained_discharge_does_not_count() -> None:
    explained = {"code": "vaginal_discharge", "unexplained": False}
    assert matches(ULTRASOUND, ctx(age=60, symptoms=[explained])) is None
    assert matches(ULTRASOUND, ctx(age=60, symptoms=[explained], labs=[("platelets", 450)])) is None


def test_1_5_12_a_recurrent_discharge_alone_is_not_a_first_presentation() -> None:
    assert matches(ULTRASOUND, ctx(age=60, symptoms=[RECURRENT_DISCHARGE])) is None


def test_1_5_12_recurrent_discharge_with_thrombocytosis() -> None:
    evidence = matches(
        ULTRASOUND, ctx(age=55, symptoms=[RECURRENT_DISCHARGE], labs=[("platelets", 401)])
    )
    assert evidence is not None
    assert {"input": "finding", "code": "thrombocytosis", "date": "2025-05-26"} in evidence
    # Thrombocytosis is a platelet count above 400 x 10^9/L, as in the lung rules.
    at_400 = ctx(age=55, symptoms=[RECURRENT_DISCHARGE], labs=[("platelets", 400)])
    assert matches(ULTRASOUND, at_400) is None
    too_young = ctx(
        age=54, last_day_of_age=True, symptoms=[RECURRENT_DISCHARGE], labs=[("platelets", 450)]
    )
    assert matches(ULTRASOUND, too_young) is None


def test_1_5_12_recurrent_discharge_with_reported_haematuria() -> None:
    assert matches(ULTRASOUND, ctx(age=55, symptoms=[RECURRENT_DISCHARGE, HAEMATURIA]))
    # "Report haematuria": NG12's table lists it as visible haematuria.
    non_visible = ctx(age=55, symptoms=[RECURRENT_DISCHARGE, "non_visible_haematuria"])
    assert matches(ULTRASOUND, non_visible) is None


def test_1_5_12_visible_haematuria_with_low_haemoglobin() -> None:
    # The female lower reference limit of haemoglobin is 7.3 mmol/L.
    evidence = matches(ULTRASOUND, ctx(age=55, symptoms=[HAEMATURIA], labs=[("haemoglobin", 7.2)]))
    assert evidence is not None
    assert any(e.get("code") == "anaemia" for e in evidence)
    normal = ctx(age=55, symptoms=[HAEMATURIA], labs=[("haemoglobin", 7.3)])
    assert matches(ULTRASOUND, normal) is None
    too_young = ctx(
        age=54, last_day_of_age=True, symptoms=[HAEMATURIA], labs=[("haemoglobin", 6.0)]
    )
    assert matches(ULTRASOUND, too_young) is None


def test_1_5_12_visible_haematuria_with_thrombocytosis() -> None:
    assert matches(ULTRASOUND, ctx(age=55, symptoms=[HAEMATURIA], labs=[("platelets", 401)]))
    assert (
        matches(ULTRASOUND, ctx(age=55, symptoms=[HAEMATURIA], labs=[("platelets", 400)])) is None
    )


def test_1_5_12_visible_haematuria_with_high_blood_glucose_as_the_gp_codes_it() -> None:
    evidence = matches(
        ULTRASOUND, ctx(age=55, symptoms=[HAEMATURIA], findings=["high_blood_glucose"])
    )
    assert evidence is not None
    assert any(e.get("code") == "high_blood_glucose" for e in evidence)
    # NG12 gives no glucose cut-off, so a glucose value alone is not read as high.
    glucose_only = ctx(age=70, symptoms=[HAEMATURIA], labs=[("glucose", 25.0)])
    assert matches(ULTRASOUND, glucose_only) is None


def test_1_5_12_visible_haematuria_alone_or_non_visible_haematuria_is_not_enough() -> None:
    assert matches(ULTRASOUND, ctx(age=70, symptoms=[HAEMATURIA])) is None
    non_visible = ctx(age=70, symptoms=["non_visible_haematuria"], labs=[("haemoglobin", 6.0)])
    assert matches(ULTRASOUND, non_visible) is None


def test_1_5_12_needs_sex_female() -> None:
    men = [
        ctx(age=60, sex="male", symptoms=["vaginal_discharge"]),
        ctx(age=60, sex="male", symptoms=[HAEMATURIA], labs=[("platelets", 500)]),
    ]
    for context in men:
        assert matches(ULTRASOUND, context) is None


# --- 1.5.13 cervix --------------------------------------------------------------------------


def test_1_5_13_cervix_consistent_with_cancer() -> None:
    finding = "cervix_appearance_consistent_with_cancer"
    assert matches(CERVIX, ctx(age=16, findings=[finding]))
    assert matches(CERVIX, ctx(age=15, last_day_of_age=True, findings=[finding])) is None
    assert matches(CERVIX, ctx(age=40, sex="male", findings=[finding])) is None
    assert matches(CERVIX, ctx(age=40, findings=["pelvic_mass"])) is None


# --- 1.5.14 vulva ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["vulval_lump", "vulval_ulceration", "vulval_bleeding"])
def test_1_5_14_each_unexplained_vulval_sign_from_16(code: str) -> None:
    assert matches(VULVA, ctx(age=16, symptoms=[code]))
    assert matches(VULVA, ctx(age=15, last_day_of_age=True, symptoms=[code])) is None
    assert matches(VULVA, ctx(age=70, symptoms=[{"code": code, "unexplained": False}])) is None
    assert matches(VULVA, ctx(age=70, sex="male", symptoms=[code])) is None


def test_1_5_14_other_genital_signs_are_not_vulval() -> None:
    assert (
        matches(VULVA, ctx(age=60, symptoms=["vaginal_mass", "post_menopausal_bleeding"])) is None
    )


# --- 1.5.15 vagina --------------------------------------------------------------------------


def test_1_5_15_unexplained_palpable_vaginal_mass_from_16() -> None:
    assert matches(VAGINA, ctx(age=16, symptoms=["vaginal_mass"]))
    assert matches(VAGINA, ctx(age=15, last_day_of_age=True, symptoms=["vaginal_mass"])) is None
    explained = {"code": "vaginal_mass", "unexplained": False}
    assert matches(VAGINA, ctx(age=60, symptoms=[explained])) is None
    assert matches(VAGINA, ctx(age=60, sex="male", symptoms=["vaginal_mass"])) is None


def test_1_5_15_a_pelvic_mass_or_vulval_lump_is_not_a_vaginal_mass() -> None:
    assert matches(VAGINA, ctx(age=60, findings=["pelvic_mass"], symptoms=["vulval_lump"])) is None
