"""The pathway the referral form is prefilled with: the most urgent referral criterion's, never
a test's, and the diagnostic pathway when no referral criterion points elsewhere."""

from __future__ import annotations

from opspor.referrals.findings import suggested_pathway, summary_view
from opspor.referrals.workflow import PATHWAY_OF_SITE, PATHWAYS


def _criterion(site: str, recommendation: str | None) -> dict[str, object]:
    item: dict[str, object] = {
        "kind": "guideline_criterion",
        "text": {"da": "x", "en": "x"},
        "cancer_site": site,
    }
    if recommendation is not None:
        item["recommendation"] = recommendation
    return item


def _suggested(*items: dict[str, object]) -> str:
    return suggested_pathway(summary_view({"ruleset": "nice-ng12", "findings": list(items)}))


def test_a_test_to_take_first_does_not_choose_the_pathway() -> None:
    # Myeloma blood tests first: the pathway is not yet myeloma's.
    assert _suggested(_criterion("myeloma", "non_urgent_investigation")) == "dpf"
    assert _suggested(_criterion("lung", "urgent_investigation")) == "dpf"


def test_the_first_referral_criterion_chooses_it() -> None:
    assert (
        _suggested(
            _criterion("myeloma", "non_urgent_investigation"),
            _criterion("melanoma", "suspected_cancer_referral"),
            _criterion("lung", "consider_referral"),
        )
        == "melanoma"
    )


def test_a_snapshot_without_recommendations_keeps_the_earlier_reading() -> None:
    assert _suggested(_criterion("lung", None)) == "lung"


def test_every_site_points_to_a_pathway_the_form_offers() -> None:
    assert set(PATHWAY_OF_SITE.values()) <= set(PATHWAYS)
