"""NICE NG12 1.9 (brain and central nervous system cancers), each recommendation matched and not
matched as worded, at the edges of its age group.

Wording checked against NG12 as last updated 1 May 2025.
"""

from __future__ import annotations

import pytest

from tests.engine.rules.conftest import ctx, matches, rule, rules_with_number

ADULTS = "ng12-1.9.1-brain-mri-adults"
CHILDREN = "ng12-1.9.2-brain-children-and-young-people"


def test_every_brain_recommendation_is_encoded() -> None:
    for number in ("1.9.1", "1.9.2"):
        assert rules_with_number(number), number


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "strength", "applies_to", "investigations", "within_days"),
    [
        (ADULTS, "urgent_investigation", "consider", "adults", ("mri_brain",), 14),
        (
            CHILDREN,
            "very_urgent_referral",
            "consider",
            "children_and_young_people",
            (),
            2,
        ),
    ],
)
def test_each_rule_carries_the_recommendation_strength_and_number(
    rule_id: str,
    recommendation: str,
    strength: str,
    applies_to: str,
    investigations: tuple[str, ...],
    within_days: int,
) -> None:
    r = rule(rule_id)
    assert (r.recommendation, r.strength, r.applies_to) == (recommendation, strength, applies_to)
    assert (r.investigations, r.within_days) == (investigations, within_days)
    assert r.recommendation_number == rule_id.split("-")[1]
    assert r.cancer_site == "brain_cns"


# --- 1.9.1 adults ---------------------------------------------------------------------------


def test_1_9_1_progressive_loss_of_central_function_from_18() -> None:
    evidence = matches(ADULTS, ctx(age=18, symptoms=["progressive_neurological_deficit"]))
    assert evidence is not None
    assert {"input": "age", "value": 18} in evidence
    assert any(e.get("code") == "progressive_neurological_deficit" for e in evidence)
    assert matches(ADULTS, ctx(age=90, symptoms=["progressive_neurological_deficit"]))


def test_1_9_1_not_the_day_before_the_18th_birthday() -> None:
    context = ctx(age=17, last_day_of_age=True, symptoms=["progressive_neurological_deficit"])
    assert matches(ADULTS, context) is None


def test_1_9_1_matches_whether_or_not_explained() -> None:
    # NG12 does not say "unexplained".
    sign = {"code": "progressive_neurological_deficit", "unexplained": False}
    assert matches(ADULTS, ctx(age=60, symptoms=[sign]))


@pytest.mark.parametrize(
    "other", ["newly_abnormal_neurological_function", "headache", "new_epileptic_seizure"]
)
def test_1_9_1_other_neurological_symptoms_do_not_match(other: str) -> None:
    assert matches(ADULTS, ctx(age=60, symptoms=[other])) is None


def test_1_9_1_states_ct_when_mri_is_contraindicated() -> None:
    r = rule(ADULTS)
    assert "CT" in r.explanation.en and "contraindicated" in r.explanation.en
    assert "CT" in r.explanation.da and "kontraindiceret" in r.explanation.da
    assert "2 weeks" in r.explanation.en and "2 uger" in r.explanation.da


# --- 1.9.2 children and young people --------------------------------------------------------


@pytest.mark.parametrize("age", [0, 5, 15, 16, 24])
def test_1_9_2_newly_abnormal_central_function_from_birth_to_24(age: int) -> None:
    assert matches(CHILDREN, ctx(age=age, symptoms=["newly_abnormal_neurological_function"]))


def test_1_9_2_the_last_day_of_24_matches_and_25_does_not() -> None:
    symptoms = ["newly_abnormal_neurological_function"]
    assert matches(CHILDREN, ctx(age=24, last_day_of_age=True, symptoms=symptoms))
    assert matches(CHILDREN, ctx(age=25, symptoms=symptoms)) is None


def test_1_9_2_matches_whether_or_not_explained() -> None:
    sign = {"code": "newly_abnormal_neurological_function", "unexplained": False}
    assert matches(CHILDREN, ctx(age=8, symptoms=[sign]))


@pytest.mark.parametrize("other", ["progressive_neurological_deficit", "headache", "squint"])
def test_1_9_2_other_symptoms_do_not_match(other: str) -> None:
    assert matches(CHILDREN, ctx(age=8, symptoms=[other])) is None


def test_1_9_1_and_1_9_2_both_show_from_18_to_24_with_both_signs() -> None:
    # Each rule keeps NG12's own sign; a young adult with both is shown both recommendations.
    symptoms = ["progressive_neurological_deficit", "newly_abnormal_neurological_function"]
    for age in (18, 24):
        assert matches(ADULTS, ctx(age=age, symptoms=symptoms))
        assert matches(CHILDREN, ctx(age=age, symptoms=symptoms))
