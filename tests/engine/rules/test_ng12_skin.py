"""NICE NG12 1.7 (skin cancers), each recommendation matched and not matched as worded, and the
weighted 7-point checklist of 1.7.1 scored on every combination of its items.

Wording checked against NG12 as last updated 1 May 2025.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.rules.conftest import SymptomSpec, ctx, matches, rule, rules_with_number

CHECKLIST = "ng12-1.7.1-melanoma-7-point-checklist"
MAJOR = [
    "skin_lesion_change_in_size",
    "skin_lesion_irregular_shape",
    "skin_lesion_irregular_colour",
]
MINOR = [
    "skin_lesion_diameter_7mm_or_more",
    "skin_lesion_inflammation",
    "skin_lesion_oozing",
    "skin_lesion_change_in_sensation",
]
POINTS = {**dict.fromkeys(MAJOR, 2), **dict.fromkeys(MINOR, 1)}
ALL_SEVEN = [*MAJOR, *MINOR]


def test_every_skin_recommendation_is_encoded() -> None:
    # 1.7.7 is a process recommendation, stated in the clinical judgement of 1.7.5.
    for number in ("1.7.1", "1.7.2", "1.7.3", "1.7.4", "1.7.5", "1.7.6"):
        assert rules_with_number(number), number


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "strength", "within_days", "number", "site"),
    [
        (CHECKLIST, "suspected_cancer_referral", "offer", 28, "1.7.1", "melanoma"),
        (
            "ng12-1.7.2-dermoscopy-suggests-melanoma",
            "suspected_cancer_referral",
            "offer",
            28,
            "1.7.2",
            "melanoma",
        ),
        ("ng12-1.7.3-nodular-melanoma", "consider_referral", "consider", 28, "1.7.3", "melanoma"),
        (
            "ng12-1.7.4-squamous-cell-carcinoma",
            "consider_referral",
            "consider",
            28,
            "1.7.4",
            "skin_scc",
        ),
        (
            "ng12-1.7.5-basal-cell-carcinoma-routine",
            "non_urgent_referral",
            "consider",
            None,
            "1.7.5",
            "skin_bcc",
        ),
        (
            "ng12-1.7.6-basal-cell-carcinoma-delay-concern",
            "consider_referral",
            "consider",
            28,
            "1.7.6",
            "skin_bcc",
        ),
    ],
)
def test_each_rule_carries_the_recommendation_strength_and_number(
    rule_id: str,
    recommendation: str,
    strength: str,
    within_days: int | None,
    number: str,
    site: str,
) -> None:
    r = rule(rule_id)
    assert (r.recommendation, r.strength, r.within_days) == (recommendation, strength, within_days)
    # "People", and not in NG12's table of symptoms in children and young people.
    assert r.applies_to == "young_people_and_adults"
    assert r.investigations == ()
    assert (r.recommendation_number, r.cancer_site) == (number, site)


# --- 1.7.1 the weighted 7-point checklist ----------------------------------------------------


def lesion(*features: str, age: int = 50, last_day_of_age: bool = False) -> dict[str, object]:
    symptoms: list[SymptomSpec] = ["pigmented_skin_lesion", *features]
    return ctx(age=age, last_day_of_age=last_day_of_age, symptoms=symptoms)


def score_of(evidence: list[dict[str, object]]) -> object:
    (score,) = [e for e in evidence if e["input"] == "score"]
    assert score["threshold"] == 3
    return score["points"]


@pytest.mark.parametrize("major", MAJOR)
def test_1_7_1_a_single_major_feature_scores_2_and_does_not_refer(major: str) -> None:
    assert matches(CHECKLIST, lesion(major)) is None


@pytest.mark.parametrize("minor", MINOR)
def test_1_7_1_a_single_minor_feature_scores_1_and_does_not_refer(minor: str) -> None:
    assert matches(CHECKLIST, lesion(minor)) is None


@pytest.mark.parametrize(("major", "minor"), list(itertools.product(MAJOR, MINOR)))
def test_1_7_1_a_major_and_a_minor_feature_score_3_and_refer(major: str, minor: str) -> None:
    evidence = matches(CHECKLIST, lesion(major, minor))
    assert evidence is not None
    assert score_of(evidence) == 3
    named = {e.get("code") for e in evidence}
    assert {"pigmented_skin_lesion", major, minor} <= named


@pytest.mark.parametrize("minors", list(itertools.combinations(MINOR, 3)))
def test_1_7_1_three_minor_features_score_3_and_refer(minors: tuple[str, ...]) -> None:
    evidence = matches(CHECKLIST, lesion(*minors))
    assert evidence is not None
    assert score_of(evidence) == 3


@pytest.mark.parametrize("minors", list(itertools.combinations(MINOR, 2)))
def test_1_7_1_two_minor_features_score_2_and_do_not_refer(minors: tuple[str, ...]) -> None:
    assert matches(CHECKLIST, lesion(*minors)) is None


@pytest.mark.parametrize("majors", list(itertools.combinations(MAJOR, 2)))
def test_1_7_1_two_major_features_score_4_and_refer(majors: tuple[str, ...]) -> None:
    evidence = matches(CHECKLIST, lesion(*majors))
    assert evidence is not None
    assert score_of(evidence) == 4


def test_1_7_1_all_seven_features_score_10() -> None:
    evidence = matches(CHECKLIST, lesion(*ALL_SEVEN))
    assert evidence is not None
    assert score_of(evidence) == 10


def test_1_7_1_no_feature_scores_0() -> None:
    assert matches(CHECKLIST, lesion()) is None


def test_1_7_1_the_features_alone_without_a_pigmented_lesion_do_not_refer() -> None:
    assert matches(CHECKLIST, ctx(symptoms=ALL_SEVEN)) is None


def test_1_7_1_features_count_whether_or_not_explained() -> None:
    # NG12 does not say "unexplained": a lesion already given a diagnosis still scores.
    symptoms: list[SymptomSpec] = [
        {"code": "pigmented_skin_lesion", "unexplained": False},
        {"code": "skin_lesion_irregular_colour", "unexplained": False},
        {"code": "skin_lesion_oozing", "unexplained": False},
    ]
    evidence = matches(CHECKLIST, ctx(symptoms=symptoms))
    assert evidence is not None
    assert score_of(evidence) == 3


def test_1_7_1_applies_from_16() -> None:
    features = ["skin_lesion_change_in_size", "skin_lesion_inflammation"]
    assert matches(CHECKLIST, lesion(*features, age=16))
    assert matches(CHECKLIST, lesion(*features, age=15, last_day_of_age=True)) is None
    assert matches(CHECKLIST, lesion(*features, age=95))


def test_1_7_1_other_skin_findings_do_not_score() -> None:
    context = lesion(
        "skin_lesion_suspicious_of_bcc", "skin_lesion_suspicious_of_scc", "pruritus", "bleeding"
    )
    assert matches(CHECKLIST, context) is None


@pytest.mark.parametrize("mask", range(2**7))
def test_1_7_1_refers_exactly_when_the_score_is_3_or_more_over_all_128_combinations(
    mask: int,
) -> None:
    present = [code for bit, code in enumerate(ALL_SEVEN) if mask >> bit & 1]
    score = sum(POINTS[code] for code in present)
    evidence = matches(CHECKLIST, lesion(*present))
    if score >= 3:
        assert evidence is not None
        assert score_of(evidence) == score
    else:
        assert evidence is None


@settings(max_examples=200, deadline=None)
@given(
    features=st.dictionaries(st.sampled_from(ALL_SEVEN), st.booleans()),
    lesion_explained=st.booleans(),
    age=st.integers(min_value=16, max_value=110),
)
def test_1_7_1_property_match_iff_two_points_per_major_plus_one_per_minor_reach_3(
    features: dict[str, bool], lesion_explained: bool, age: int
) -> None:
    # Each present feature with a random unexplained flag: the flag must not change the score.
    symptoms: list[SymptomSpec] = [
        {"code": "pigmented_skin_lesion", "unexplained": not lesion_explained},
        *({"code": code, "unexplained": flag} for code, flag in features.items()),
    ]
    majors = sum(code in features for code in MAJOR)
    minors = sum(code in features for code in MINOR)
    score = 2 * majors + minors
    evidence = matches(CHECKLIST, ctx(age=age, symptoms=symptoms))
    assert (evidence is not None) == (score >= 3)
    if evidence is not None:
        assert score_of(evidence) == score


# --- 1.7.2 dermoscopy -----------------------------------------------------------------------


def test_1_7_2_dermoscopy_suggesting_melanoma_refers() -> None:
    rule_id = "ng12-1.7.2-dermoscopy-suggests-melanoma"
    evidence = matches(rule_id, ctx(age=16, findings=["dermoscopy_suggests_melanoma"]))
    assert evidence is not None
    assert {"input": "finding", "code": "dermoscopy_suggests_melanoma", "date": "2025-05-26"} in (
        evidence
    )
    too_young = ctx(age=15, last_day_of_age=True, findings=["dermoscopy_suggests_melanoma"])
    assert matches(rule_id, too_young) is None


def test_1_7_2_needs_the_dermoscopy_finding_not_just_a_lesion() -> None:
    context = lesion("skin_lesion_change_in_size", "skin_lesion_irregular_shape")
    assert matches("ng12-1.7.2-dermoscopy-suggests-melanoma", context) is None


# --- 1.7.3 nodular melanoma, 1.7.4 squamous cell carcinoma ---------------------------------


@pytest.mark.parametrize(
    ("rule_id", "code"),
    [
        ("ng12-1.7.3-nodular-melanoma", "skin_lesion_suggesting_nodular_melanoma"),
        ("ng12-1.7.4-squamous-cell-carcinoma", "skin_lesion_suspicious_of_scc"),
    ],
)
def test_1_7_3_and_1_7_4_the_suspicious_lesion_from_16_explained_or_not(
    rule_id: str, code: str
) -> None:
    assert matches(rule_id, ctx(age=16, symptoms=[code]))
    assert matches(rule_id, ctx(age=70, symptoms=[{"code": code, "unexplained": False}]))
    assert matches(rule_id, ctx(age=15, last_day_of_age=True, symptoms=[code])) is None


def test_1_7_3_nodular_melanoma_needs_no_checklist_score() -> None:
    # A non-pigmented nodule scores nothing on the checklist and still counts.
    context = ctx(symptoms=["skin_lesion_suggesting_nodular_melanoma"])
    assert matches("ng12-1.7.3-nodular-melanoma", context)
    assert matches(CHECKLIST, context) is None


@pytest.mark.parametrize(
    ("rule_id", "other"),
    [
        ("ng12-1.7.3-nodular-melanoma", "skin_lesion_suspicious_of_scc"),
        ("ng12-1.7.3-nodular-melanoma", "pigmented_skin_lesion"),
        ("ng12-1.7.4-squamous-cell-carcinoma", "skin_lesion_suspicious_of_bcc"),
        ("ng12-1.7.4-squamous-cell-carcinoma", "skin_lesion_suggesting_nodular_melanoma"),
    ],
)
def test_1_7_3_and_1_7_4_another_lesion_does_not_match(rule_id: str, other: str) -> None:
    assert matches(rule_id, ctx(symptoms=[other])) is None


# --- 1.7.5, 1.7.6 basal cell carcinoma (1.7.7 in the judgement) ----------------------------

BCC_ROUTINE = "ng12-1.7.5-basal-cell-carcinoma-routine"
BCC_DELAY = "ng12-1.7.6-basal-cell-carcinoma-delay-concern"


@pytest.mark.parametrize("rule_id", [BCC_ROUTINE, BCC_DELAY])
def test_1_7_5_and_1_7_6_a_lesion_raising_suspicion_of_bcc(rule_id: str) -> None:
    assert matches(rule_id, ctx(age=16, symptoms=["skin_lesion_suspicious_of_bcc"]))
    explained = {"code": "skin_lesion_suspicious_of_bcc", "unexplained": False}
    assert matches(rule_id, ctx(age=80, symptoms=[explained]))
    too_young = ctx(age=15, last_day_of_age=True, symptoms=["skin_lesion_suspicious_of_bcc"])
    assert matches(rule_id, too_young) is None
    assert matches(rule_id, ctx(symptoms=["skin_lesion_suspicious_of_scc"])) is None


def test_1_7_5_routine_referral_names_the_delay_exception_and_who_excises() -> None:
    judgement = rule(BCC_ROUTINE).clinical_judgement
    assert judgement is not None
    assert "1.7.6" in judgement.en and "1.7.6" in judgement.da
    assert "1.7.7" in judgement.en and "1.7.7" in judgement.da
    assert "excise" in judgement.en


def test_1_7_6_leaves_the_concern_about_delay_to_the_doctor() -> None:
    r = rule(BCC_DELAY)
    assert r.clinical_judgement is not None
    assert "delay" in r.clinical_judgement.en
    assert "forsinkelse" in r.clinical_judgement.da
    assert r.explanation.en.startswith("Skin lesion") and "Only" in r.explanation.en
