"""Danish head and neck pathway, partly: the symptoms Region Syddanmark's page for general
practice lists before its stored copy is cut off; the GP refers acutely to an ENT specialist."""

from __future__ import annotations

from typing import Any

import pytest

from opspor.engine.rules.loader import load_ruleset
from tests.engine.rules.conftest import ctx, matches, rule

RULESET = "dk-pakkeforloeb"
ULCER = "dk-pkf-hoved-hals-saar-i-mundhulen-uden-heling"
MASS = "dk-pkf-hoved-hals-tumor-i-mundhule-eller-svaelg"
SALIVARY = "dk-pkf-hoved-hals-tumor-i-spytkirtel"
HOARSE = "dk-pkf-hoved-hals-haeshed-over-40-aar"
THREE_WEEKS = {
    ULCER: "oral_ulceration",
    MASS: "oral_or_pharyngeal_mass",
    SALIVARY: "salivary_gland_lump",
}


def m(rule_id: str, context: dict[str, Any]) -> list[dict[str, object]] | None:
    return matches(rule_id, context, ruleset=RULESET)


def test_partly_encoded_with_what_was_tried() -> None:
    (pathway,) = [p for p in load_ruleset(RULESET).pathways if p.code == "head_and_neck"]
    assert pathway.entry_criteria == "partly_encoded"
    assert len(pathway.tried) >= 3
    for rule_id in (ULCER, MASS, SALIVARY, HOARSE):
        r = rule(rule_id, RULESET)
        assert r.recommendation == "urgent_referral" and r.within_days is None
        assert r.cancer_site == "head_and_neck" and r.applies_to == "adults"
        assert "Region Syddanmark" in r.recommendation_number


@pytest.mark.parametrize(("rule_id", "code"), THREE_WEEKS.items())
def test_more_than_three_weeks_matches_and_three_weeks_does_not(rule_id: str, code: str) -> None:
    assert m(rule_id, ctx(age=50, symptoms=[{"code": code, "days_ago": 22}])) is not None
    assert m(rule_id, ctx(age=50, symptoms=[{"code": code, "days_ago": 21}])) is None


def test_explained_oral_ulcer_does_not_match() -> None:
    ulcer = {"code": "oral_ulceration", "days_ago": 40, "unexplained": False}
    assert m(ULCER, ctx(age=50, symptoms=[ulcer])) is None


def test_rules_are_for_adults() -> None:
    lump = {"code": "salivary_gland_lump", "days_ago": 30}
    assert m(SALIVARY, ctx(age=18, symptoms=[lump])) is not None
    assert m(SALIVARY, ctx(age=17, last_day_of_age=True, symptoms=[lump])) is None


def test_hoarseness_over_two_weeks_at_40_matches() -> None:
    evidence = m(HOARSE, ctx(age=40, symptoms=[{"code": "hoarseness", "days_ago": 15}]))
    assert evidence is not None


def test_hoarseness_under_40_or_two_weeks_or_explained_does_not_match() -> None:
    hoarse = {"code": "hoarseness", "days_ago": 15}
    assert m(HOARSE, ctx(age=39, last_day_of_age=True, symptoms=[hoarse])) is None
    assert m(HOARSE, ctx(age=60, symptoms=[{"code": "hoarseness", "days_ago": 14}])) is None
    explained = {"code": "hoarseness", "days_ago": 30, "unexplained": False}
    assert m(HOARSE, ctx(age=60, symptoms=[explained])) is None


def test_neck_lump_is_not_encoded_from_the_cut_off_part_of_the_page() -> None:
    lump = {"code": "neck_lump", "days_ago": 60}
    assert all(m(r, ctx(age=60, symptoms=[lump])) is None for r in (ULCER, MASS, SALIVARY, HOARSE))
