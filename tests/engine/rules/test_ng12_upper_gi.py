"""NG12 1.2 oesophageal (1.2.1-1.2.3) and stomach (1.2.6-1.2.9) cancer, tested against the
guideline's wording (NG12, last updated 1 May 2025; 1.2.1 and 1.2.7 amended May 2025 to a
suspected cancer pathway referral)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.rules.conftest import ctx, matches, rule

REFERRAL = {
    "oesophageal": "ng12-1.2.1-oesophageal-referral",
    "stomach": "ng12-1.2.7-stomach-referral",
}
HAEMATEMESIS = {"oesophageal": "ng12-1.2.2-haematemesis", "stomach": "ng12-1.2.8-haematemesis"}
ENDOSCOPY = {"oesophageal": "ng12-1.2.3-endoscopy", "stomach": "ng12-1.2.9-endoscopy"}
SITES = ["oesophageal", "stomach"]


@pytest.mark.parametrize(
    ("rule_id", "recommendation", "investigation", "within_days", "number", "site"),
    [
        (
            "ng12-1.2.1-oesophageal-referral",
            "suspected_cancer_referral",
            None,
            28,
            "1.2.1",
            "oesophageal",
        ),
        (
            "ng12-1.2.2-haematemesis",
            "non_urgent_investigation",
            "upper_gi_endoscopy",
            None,
            "1.2.2",
            "oesophageal",
        ),
        (
            "ng12-1.2.3-endoscopy",
            "non_urgent_investigation",
            "upper_gi_endoscopy",
            None,
            "1.2.3",
            "oesophageal",
        ),
        ("ng12-1.2.6-upper-abdominal-mass", "consider_referral", None, 28, "1.2.6", "stomach"),
        ("ng12-1.2.7-stomach-referral", "suspected_cancer_referral", None, 28, "1.2.7", "stomach"),
        (
            "ng12-1.2.8-haematemesis",
            "non_urgent_investigation",
            "upper_gi_endoscopy",
            None,
            "1.2.8",
            "stomach",
        ),
        (
            "ng12-1.2.9-endoscopy",
            "non_urgent_investigation",
            "upper_gi_endoscopy",
            None,
            "1.2.9",
            "stomach",
        ),
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


# -- 1.2.1 / 1.2.7 ------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_dysphagia_refers_at_any_adult_age(site: str) -> None:
    assert matches(REFERRAL[site], ctx(age=25, symptoms=["dysphagia"]))


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("companion", ["upper_abdominal_pain", "reflux", "dyspepsia"])
def test_weight_loss_with_a_companion_at_55_refers(site: str, companion: str) -> None:
    assert matches(REFERRAL[site], ctx(age=55, symptoms=["weight_loss", companion]))


@pytest.mark.parametrize("site", SITES)
def test_weight_loss_with_reflux_the_day_before_55_does_not_refer(site: str) -> None:
    context = ctx(age=54, last_day_of_age=True, symptoms=["weight_loss", "reflux"])
    assert matches(REFERRAL[site], context) is None


@pytest.mark.parametrize("site", SITES)
def test_weight_loss_alone_or_reflux_alone_at_70_does_not_refer(site: str) -> None:
    assert matches(REFERRAL[site], ctx(age=70, symptoms=["weight_loss"])) is None
    assert matches(REFERRAL[site], ctx(age=70, symptoms=["reflux", "dyspepsia"])) is None


@pytest.mark.parametrize("site", SITES)
def test_weight_loss_with_nausea_is_not_the_referral_combination(site: str) -> None:
    assert matches(REFERRAL[site], ctx(age=70, symptoms=["weight_loss", "nausea"])) is None


# -- 1.2.2 / 1.2.8 ------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_haematemesis_considers_non_urgent_endoscopy(site: str) -> None:
    assert matches(HAEMATEMESIS[site], ctx(age=30, symptoms=["haematemesis"]))
    assert matches(HAEMATEMESIS[site], ctx(age=30, symptoms=["haemoptysis"])) is None


# -- 1.2.3 / 1.2.9 ------------------------------------------------------------------------

ENDOSCOPY_MATCHES: list[dict[str, Any]] = [
    {"symptoms": ["treatment_resistant_dyspepsia"]},
    {"symptoms": ["upper_abdominal_pain"], "labs": [("haemoglobin", 6.0)]},
    *(
        {"symptoms": [s], "labs": [("platelets", 480)]}
        for s in (
            "nausea",
            "vomiting",
            "weight_loss",
            "reflux",
            "dyspepsia",
            "upper_abdominal_pain",
        )
    ),
    *(
        {"symptoms": [nv, s]}
        for nv in ("nausea", "vomiting")
        for s in ("weight_loss", "reflux", "dyspepsia", "upper_abdominal_pain")
    ),
]


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("presentation", ENDOSCOPY_MATCHES)
def test_each_branch_at_55_considers_endoscopy_and_not_at_54(
    site: str, presentation: dict[str, Any]
) -> None:
    assert matches(ENDOSCOPY[site], ctx(age=55, sex="male", **presentation))
    context = ctx(age=54, last_day_of_age=True, sex="male", **presentation)
    assert matches(ENDOSCOPY[site], context) is None


@pytest.mark.parametrize(
    "presentation",
    [
        {"symptoms": ["dyspepsia"]},  # not treatment-resistant
        {"symptoms": ["upper_abdominal_pain"], "labs": [("haemoglobin", 9.0)]},  # normal Hb
        {"symptoms": ["upper_abdominal_pain"], "labs": [("platelets", 300)]},  # normal platelets
        {"labs": [("platelets", 480)]},  # raised platelets alone
        {"symptoms": ["nausea", "vomiting"]},  # nausea with vomiting is not on the second list
        {"symptoms": ["nausea", "diarrhoea"]},
    ],
)
@pytest.mark.parametrize("site", SITES)
def test_endoscopy_does_not_match_short_of_a_branch(
    site: str, presentation: dict[str, Any]
) -> None:
    assert matches(ENDOSCOPY[site], ctx(age=70, sex="male", **presentation)) is None


# -- 1.2.6 ----------------------------------------------------------------------------------


def test_1_2_6_upper_abdominal_mass_considers_referral() -> None:
    assert matches(
        "ng12-1.2.6-upper-abdominal-mass", ctx(age=45, symptoms=["upper_abdominal_mass"])
    )


def test_1_2_6_another_abdominal_mass_is_not_enough() -> None:
    assert (
        matches("ng12-1.2.6-upper-abdominal-mass", ctx(age=45, symptoms=["abdominal_mass"])) is None
    )
