"""NG12 1.2.4 and 1.2.5 pancreatic cancer, tested against the guideline's wording (NG12, last
updated 1 May 2025)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.rules.conftest import ctx, matches, rule


def test_rule_types_and_numbers() -> None:
    jaundice, ct = rule("ng12-1.2.4-jaundice"), rule("ng12-1.2.5-ct")
    assert (jaundice.recommendation, jaundice.investigation, jaundice.within_days) == (
        "suspected_cancer_referral",
        None,
        28,
    )
    assert (ct.recommendation, ct.investigation, ct.within_days) == (
        "urgent_investigation",
        "ct_abdomen",
        14,
    )
    assert (jaundice.recommendation_number, ct.recommendation_number) == ("1.2.4", "1.2.5")
    assert jaundice.cancer_site == ct.cancer_site == "pancreatic"


# -- 1.2.4 ----------------------------------------------------------------------------------


def test_1_2_4_jaundice_at_40_refers() -> None:
    assert matches("ng12-1.2.4-jaundice", ctx(age=40, symptoms=["jaundice"]))


def test_1_2_4_jaundice_the_day_before_40_does_not() -> None:
    context = ctx(age=39, last_day_of_age=True, symptoms=["jaundice"])
    assert matches("ng12-1.2.4-jaundice", context) is None


def test_1_2_4_no_jaundice_no_referral() -> None:
    assert matches("ng12-1.2.4-jaundice", ctx(age=70, symptoms=["pruritus"])) is None


# -- 1.2.5 ----------------------------------------------------------------------------------

COMPANIONS: list[dict[str, Any]] = [
    {"symptoms": ["weight_loss", s]}
    for s in (
        "diarrhoea",
        "back_pain",
        "abdominal_pain",
        "upper_abdominal_pain",
        "nausea",
        "vomiting",
        "constipation",
    )
] + [{"symptoms": ["weight_loss"], "findings": ["new_onset_diabetes"]}]


@pytest.mark.parametrize("presentation", COMPANIONS)
def test_1_2_5_weight_loss_with_a_companion_at_60_and_not_at_59(
    presentation: dict[str, Any],
) -> None:
    assert matches("ng12-1.2.5-ct", ctx(age=60, **presentation))
    assert matches("ng12-1.2.5-ct", ctx(age=59, last_day_of_age=True, **presentation)) is None


def test_1_2_5_companion_without_weight_loss_does_not_match() -> None:
    context = ctx(age=75, symptoms=["back_pain", "diarrhoea"], findings=["new_onset_diabetes"])
    assert matches("ng12-1.2.5-ct", context) is None


def test_1_2_5_weight_loss_alone_does_not_match() -> None:
    assert matches("ng12-1.2.5-ct", ctx(age=75, symptoms=["weight_loss"])) is None


def test_1_2_5_weight_loss_with_a_symptom_outside_the_list_does_not_match() -> None:
    assert matches("ng12-1.2.5-ct", ctx(age=75, symptoms=["weight_loss", "cough"])) is None
