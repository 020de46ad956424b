"""The order of recommendations: NG12's most urgent action first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opspor.engine.rules.schema import RECOMMENDATIONS, STRENGTHS
from opspor.engine.urgency import is_very_urgent, urgency_key


def ordered(*items: tuple[str, int | None, str]) -> list[str]:
    return [r for r, _d, _s in sorted(items, key=lambda i: urgency_key(*i))]


def test_immediate_before_very_urgent_before_pathway_referral_before_urgent_tests() -> None:
    assert ordered(
        ("safety_net", None, "offer"),
        ("non_urgent_investigation", None, "consider"),
        ("urgent_investigation", 14, "offer"),
        ("suspected_cancer_referral", 28, "offer"),
        ("very_urgent_referral", 2, "consider"),
        ("immediate_referral", 0, "offer"),
    ) == [
        "immediate_referral",
        "very_urgent_referral",
        "suspected_cancer_referral",
        "urgent_investigation",
        "non_urgent_investigation",
        "safety_net",
    ]


def test_a_test_within_48_hours_ranks_with_very_urgent_referrals() -> None:
    assert urgency_key("urgent_investigation", 2, "offer") < urgency_key(
        "suspected_cancer_referral", 28, "offer"
    )
    assert urgency_key("urgent_investigation", 14, "offer") > urgency_key(
        "suspected_cancer_referral", 28, "offer"
    )


def test_offer_before_consider_within_the_same_kind() -> None:
    assert urgency_key("urgent_investigation", 14, "offer") < urgency_key(
        "urgent_investigation", 14, "consider"
    )


def test_an_unknown_kind_sorts_last_but_is_kept() -> None:
    assert urgency_key("something_new") > urgency_key("safety_net")


@given(
    st.sampled_from(RECOMMENDATIONS), st.sampled_from(STRENGTHS), st.none() | st.integers(0, 365)
)
def test_every_recommendation_has_a_rank_before_unknown_kinds(
    recommendation: str, strength: str, days: int | None
) -> None:
    assert urgency_key(recommendation, days, strength) < urgency_key("something_new")


def test_very_urgent_means_immediate_or_within_48_hours() -> None:
    assert is_very_urgent("immediate_referral", 0)
    assert is_very_urgent("very_urgent_referral", 2)
    assert is_very_urgent("urgent_investigation", 2)
    assert not is_very_urgent("urgent_investigation", 14)
    assert not is_very_urgent("suspected_cancer_referral", 28)


def test_a_child_with_bruising_and_pallor_is_offered_no_lighter_option() -> None:
    from opspor.engine.assess import assess
    from opspor.engine.context import PatientContext

    context = PatientContext.model_validate(
        {
            "as_of": "2026-11-20",
            "patient": {"birth_date": "2020-06-01", "sex": "female"},
            "symptoms": [
                {"code": "bruising", "onset": "2026-11-01"},
                {"code": "pallor", "onset": "2026-11-01"},
            ],
        }
    )
    found = assess(context, ruleset="nice-ng12")
    rules = {f.rule_id for f in found.of_kind("guideline_criterion")}
    assert "ng12-1.10.3-leukaemia-full-blood-count-children" in rules
    assert found.of_kind("alternative") == []
