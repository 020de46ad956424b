"""NICE NG12 1.6 (urological cancers), each recommendation matched and not matched as worded.

Wording checked against NG12 as last updated 1 May 2025.
"""

from __future__ import annotations

import pytest

from tests.engine.rules.conftest import SymptomSpec, ctx, matches, rule, rules_with_number

LUTS = [
    "lower_urinary_tract_symptoms",
    "nocturia",
    "urinary_frequency",
    "urinary_hesitancy",
    "urinary_urgency",
    "urinary_retention",
]


def test_every_urological_recommendation_is_encoded() -> None:
    for number in (
        "1.6.1",
        "1.6.2",
        "1.6.3",
        "1.6.4",
        "1.6.5",
        "1.6.6",
        "1.6.7",
        "1.6.8",
        "1.6.9",
        "1.6.10",
    ):
        assert rules_with_number(number), number


# --- 1.6.1 prostate feels malignant on DRE --------------------------------------------------


def test_1_6_1_malignant_feeling_prostate_is_referred_at_any_age_and_psa() -> None:
    evidence = matches(
        "ng12-1.6.1-prostate-dre",
        ctx(age=35, sex="male", findings=["rectal_exam_abnormal_prostate"], labs=[("psa", 0.5)]),
    )
    assert evidence == [
        {"input": "age", "value": 35},
        {"input": "finding", "code": "rectal_exam_abnormal_prostate", "date": "2025-05-26"},
    ]


def test_1_6_1_no_finding_no_match() -> None:
    assert (
        matches("ng12-1.6.1-prostate-dre", ctx(age=70, sex="male", findings=["rectal_mass"]))
        is None
    )


# --- 1.6.2 consider PSA and DRE ---------------------------------------------------------------


@pytest.mark.parametrize("code", [*LUTS, "erectile_dysfunction", "visible_haematuria"])
def test_1_6_2_each_listed_symptom_prompts_psa_even_when_explained(code: str) -> None:
    # NG12 does not say "unexplained" here.
    symptom = {"code": code, "unexplained": False}
    assert matches("ng12-1.6.2-psa-and-dre", ctx(age=30, sex="male", symptoms=[symptom]))


def test_1_6_2_not_for_other_urinary_symptoms() -> None:
    assert matches("ng12-1.6.2-psa-and-dre", ctx(age=65, sex="male", symptoms=["dysuria"])) is None


def test_1_6_2_not_for_women() -> None:
    assert matches("ng12-1.6.2-psa-and-dre", ctx(age=65, symptoms=["nocturia"])) is None


# --- 1.6.3 PSA above the age-specific threshold of table 1 ------------------------------------

THRESHOLDS = [(40, 49, 2.5), (50, 59, 3.5), (60, 69, 4.5), (70, 79, 6.5)]


@pytest.mark.parametrize(("low", "high", "threshold"), THRESHOLDS)
def test_1_6_3_more_than_the_threshold_at_both_ends_of_each_band(
    low: int, high: int, threshold: float
) -> None:
    for age in (low, high):
        context = ctx(age=age, sex="male", symptoms=["nocturia"], labs=[("psa", threshold + 0.1)])
        assert matches("ng12-1.6.3-psa-above-age-threshold", context), age


@pytest.mark.parametrize(("low", "high", "threshold"), THRESHOLDS)
def test_1_6_3_exactly_the_threshold_is_not_more_than_it(
    low: int, high: int, threshold: float
) -> None:
    for age in (low, high):
        context = ctx(age=age, sex="male", symptoms=["nocturia"], labs=[("psa", threshold)])
        assert matches("ng12-1.6.3-psa-above-age-threshold", context) is None, age


def test_1_6_3_the_threshold_follows_the_age_band() -> None:
    # 3.0 is above the 40-49 threshold (2.5) but not the 50-59 one (3.5).
    rule = "ng12-1.6.3-psa-above-age-threshold"
    at_49 = ctx(age=49, sex="male", symptoms=["nocturia"], labs=[("psa", 3.0)])
    at_50 = ctx(age=50, sex="male", symptoms=["nocturia"], labs=[("psa", 3.0)])
    assert matches(rule, at_49)
    assert matches(rule, at_50) is None
    last_day_of_49 = ctx(
        age=49, last_day_of_age=True, sex="male", symptoms=["nocturia"], labs=[("psa", 3.0)]
    )
    assert matches(rule, last_day_of_49)


@pytest.mark.parametrize("age", [39, 80, 90])
def test_1_6_3_clinical_judgement_below_40_and_above_79(age: int) -> None:
    context = ctx(age=age, sex="male", symptoms=["nocturia"], labs=[("psa", 30.0)])
    assert matches("ng12-1.6.3-psa-above-age-threshold", context) is None


def test_1_6_3_needs_a_symptom_of_1_6_2() -> None:
    context = ctx(age=65, sex="male", labs=[("psa", 10.0)])
    assert matches("ng12-1.6.3-psa-above-age-threshold", context) is None


def test_1_6_3_an_old_psa_does_not_count() -> None:
    context = ctx(age=65, sex="male", symptoms=["erectile_dysfunction"], labs=[("psa", 10.0, 200)])
    assert matches("ng12-1.6.3-psa-above-age-threshold", context) is None


# --- 1.6.4 bladder: visible haematuria at 45+ ---------------------------------------------


def test_1_6_4_unexplained_visible_haematuria_at_45() -> None:
    rule = "ng12-1.6.4-bladder-visible-haematuria"
    assert matches(rule, ctx(age=45, symptoms=["visible_haematuria"]))
    assert matches(rule, ctx(age=44, symptoms=["visible_haematuria"])) is None
    assert matches(rule, ctx(age=44, last_day_of_age=True, symptoms=["visible_haematuria"])) is None


def test_1_6_4_visible_haematuria_explained_once_does_not_match() -> None:
    symptom = {"code": "visible_haematuria", "unexplained": False}
    assert matches("ng12-1.6.4-bladder-visible-haematuria", ctx(age=70, symptoms=[symptom])) is None


@pytest.mark.parametrize("course", ["persistent", "recurrent"])
def test_1_6_4_visible_haematuria_that_persists_or_recurs_after_uti_treatment(course: str) -> None:
    symptom = {"code": "visible_haematuria", "unexplained": False, course: True}
    rule = "ng12-1.6.4-bladder-visible-haematuria"
    assert matches(rule, ctx(age=45, symptoms=[symptom]))
    assert matches(rule, ctx(age=44, symptoms=[symptom])) is None


# --- 1.6.4 bladder: non-visible haematuria at 60+ -----------------------------------------


def test_1_6_4_non_visible_haematuria_with_dysuria_at_60() -> None:
    rule = "ng12-1.6.4-bladder-non-visible-haematuria"
    symptoms: list[SymptomSpec] = [
        "non_visible_haematuria",
        {"code": "dysuria", "unexplained": False},
    ]
    assert matches(rule, ctx(age=60, symptoms=symptoms))
    assert matches(rule, ctx(age=59, symptoms=symptoms)) is None


def test_1_6_4_non_visible_haematuria_with_raised_white_cell_count_at_60() -> None:
    rule = "ng12-1.6.4-bladder-non-visible-haematuria"
    raised = ctx(age=60, symptoms=["non_visible_haematuria"], labs=[("leukocytes", 14.0)])
    normal = ctx(age=60, symptoms=["non_visible_haematuria"], labs=[("leukocytes", 6.0)])
    evidence = matches(rule, raised)
    assert evidence
    assert ("finding", "raised_white_cell_count") in [(e["input"], e.get("code")) for e in evidence]
    assert matches(rule, normal) is None
    too_young = ctx(age=59, symptoms=["non_visible_haematuria"], labs=[("leukocytes", 14.0)])
    assert matches(rule, too_young) is None


def test_1_6_4_non_visible_haematuria_alone_or_explained_does_not_match() -> None:
    rule = "ng12-1.6.4-bladder-non-visible-haematuria"
    assert matches(rule, ctx(age=75, symptoms=["non_visible_haematuria"])) is None
    explained = {"code": "non_visible_haematuria", "unexplained": False}
    assert matches(rule, ctx(age=75, symptoms=[explained, "dysuria"])) is None


# --- 1.6.5 bladder: recurrent or persistent unexplained UTI at 60+ ------------------------


def test_1_6_5_recurrent_or_persistent_unexplained_uti_at_60() -> None:
    rule = "ng12-1.6.5-bladder-urinary-tract-infection"
    assert matches(rule, ctx(age=60, symptoms=["recurrent_urinary_tract_infection"]))
    persistent = {"code": "urinary_tract_infection", "persistent": True}
    recurrent = {"code": "urinary_tract_infection", "recurrent": True}
    assert matches(rule, ctx(age=60, symptoms=[persistent]))
    assert matches(rule, ctx(age=60, symptoms=[recurrent]))
    assert matches(rule, ctx(age=59, symptoms=[persistent])) is None


def test_1_6_5_a_single_or_explained_uti_does_not_match() -> None:
    rule = "ng12-1.6.5-bladder-urinary-tract-infection"
    assert matches(rule, ctx(age=70, symptoms=["urinary_tract_infection"])) is None
    explained = {"code": "recurrent_urinary_tract_infection", "unexplained": False}
    assert matches(rule, ctx(age=70, symptoms=[explained])) is None


# --- 1.6.6 renal ----------------------------------------------------------------------------


def test_1_6_6_renal_visible_haematuria_at_45() -> None:
    rule = "ng12-1.6.6-renal-visible-haematuria"
    assert matches(rule, ctx(age=45, sex="male", symptoms=["visible_haematuria"]))
    assert matches(rule, ctx(age=44, sex="male", symptoms=["visible_haematuria"])) is None
    recurs = {"code": "visible_haematuria", "unexplained": False, "recurrent": True}
    assert matches(rule, ctx(age=45, symptoms=[recurs]))
    once_explained = {"code": "visible_haematuria", "unexplained": False}
    assert matches(rule, ctx(age=80, symptoms=[once_explained])) is None


def test_1_6_6_non_visible_haematuria_is_not_enough_for_renal() -> None:
    context = ctx(age=70, symptoms=["non_visible_haematuria", "dysuria"])
    assert matches("ng12-1.6.6-renal-visible-haematuria", context) is None


# --- 1.6.7, 1.6.8 testicular --------------------------------------------------------------


def test_1_6_7_non_painful_testicular_change() -> None:
    rule = "ng12-1.6.7-testicular-enlargement"
    assert matches(rule, ctx(age=25, sex="male", symptoms=["testicular_enlargement"]))
    assert matches(rule, ctx(age=25, sex="male", symptoms=["testicular_symptoms"])) is None


def test_1_6_8_unexplained_or_persistent_testicular_symptoms() -> None:
    rule = "ng12-1.6.8-testicular-symptoms"
    assert matches(rule, ctx(age=30, sex="male", symptoms=["testicular_symptoms"]))
    persistent = {"code": "testicular_symptoms", "unexplained": False, "persistent": True}
    assert matches(rule, ctx(age=30, sex="male", symptoms=[persistent]))
    explained = {"code": "testicular_symptoms", "unexplained": False}
    assert matches(rule, ctx(age=30, sex="male", symptoms=[explained])) is None
    assert matches(rule, ctx(age=30, symptoms=["testicular_symptoms"])) is None


# --- 1.6.9, 1.6.10 penile -------------------------------------------------------------------

PENILE = "ng12-1.6.9-penile-mass-or-ulceration"
FORESKIN = "ng12-1.6.10-penile-foreskin-or-glans"


@pytest.mark.parametrize(("rule_id", "number"), [(PENILE, "1.6.9"), (FORESKIN, "1.6.10")])
def test_penile_rules_consider_a_suspected_cancer_pathway_referral(
    rule_id: str, number: str
) -> None:
    r = rule(rule_id)
    assert (r.recommendation, r.strength, r.applies_to, r.audience) == (
        "consider_referral",
        "consider",
        "young_people_and_adults",
        "gp",
    )
    assert (r.investigations, r.within_days) == ((), 28)
    assert (r.recommendation_number, r.cancer_site) == (number, "penile")
    assert [x.id for x in rules_with_number(number)] == [rule_id]


@pytest.mark.parametrize("code", ["penile_mass", "penile_ulceration"])
def test_1_6_9_unexplained_penile_mass_or_ulceration_from_16(code: str) -> None:
    # "When a sexually transmitted infection has been excluded": the rule reads the lesion's
    # unexplained flag and the GP confirms the exclusion (clinical_judgement).
    evidence = matches(PENILE, ctx(age=16, sex="male", symptoms=[code]))
    assert evidence is not None
    assert any(e.get("code") == code for e in evidence)
    under_16 = ctx(age=15, last_day_of_age=True, sex="male", symptoms=[code])
    assert matches(PENILE, under_16) is None


@pytest.mark.parametrize("code", ["penile_mass", "penile_ulceration"])
def test_1_6_9_a_lesion_persisting_after_treatment_counts_though_explained(code: str) -> None:
    persistent = {"code": code, "unexplained": False, "persistent": True}
    assert matches(PENILE, ctx(age=30, sex="male", symptoms=[persistent]))
    treated_once = {"code": code, "unexplained": False}
    assert matches(PENILE, ctx(age=30, sex="male", symptoms=[treated_once])) is None


def test_1_6_9_needs_sex_male_and_a_penile_lesion() -> None:
    assert matches(PENILE, ctx(age=40, sex="female", symptoms=["penile_mass"])) is None
    other = ["foreskin_or_glans_symptoms", "testicular_enlargement", "anal_ulceration"]
    assert matches(PENILE, ctx(age=40, sex="male", symptoms=other)) is None


def test_1_6_10_unexplained_or_persistent_foreskin_or_glans_symptoms_from_16() -> None:
    code = "foreskin_or_glans_symptoms"
    assert matches(FORESKIN, ctx(age=16, sex="male", symptoms=[code]))
    under_16 = ctx(age=15, last_day_of_age=True, sex="male", symptoms=[code])
    assert matches(FORESKIN, under_16) is None
    persistent = {"code": code, "unexplained": False, "persistent": True}
    assert matches(FORESKIN, ctx(age=50, sex="male", symptoms=[persistent]))
    explained = {"code": code, "unexplained": False}
    assert matches(FORESKIN, ctx(age=50, sex="male", symptoms=[explained])) is None
    assert matches(FORESKIN, ctx(age=50, sex="female", symptoms=[code])) is None
    assert matches(FORESKIN, ctx(age=50, sex="male", symptoms=["penile_mass"])) is None
