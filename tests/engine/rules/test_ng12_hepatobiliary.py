"""NICE NG12 1.2.10 (gall bladder) and 1.2.11 (liver), matched and not matched as worded in the
guideline last updated 1 May 2025."""

from __future__ import annotations

import pytest

from tests.engine.rules.conftest import ctx, matches, rule, rules_with_number

GALL_BLADDER = "ng12-1.2.10-gall-bladder-ultrasound"
LIVER = "ng12-1.2.11-liver-ultrasound"


@pytest.mark.parametrize(
    ("rule_id", "number", "site"),
    [(GALL_BLADDER, "1.2.10", "gall_bladder"), (LIVER, "1.2.11", "liver")],
)
def test_each_rule_is_an_urgent_direct_access_ultrasound_to_consider(
    rule_id: str, number: str, site: str
) -> None:
    r = rule(rule_id)
    assert (r.recommendation, r.strength, r.applies_to, r.audience) == (
        "urgent_investigation",
        "consider",
        "young_people_and_adults",
        "gp",
    )
    assert r.investigations == ("abdominal_ultrasound",)
    assert r.within_days == 14
    assert (r.recommendation_number, r.cancer_site) == (number, site)
    assert [x.id for x in rules_with_number(number)] == [rule_id]


@pytest.mark.parametrize(
    ("rule_id", "sign"), [(GALL_BLADDER, "enlarged_gall_bladder"), (LIVER, "enlarged_liver")]
)
def test_the_sign_from_16_for_either_sex(rule_id: str, sign: str) -> None:
    for sex in ("female", "male"):
        evidence = matches(rule_id, ctx(age=16, sex=sex, symptoms=[sign]))
        assert evidence is not None
        assert {"input": "age", "value": 16} in evidence
        assert any(e.get("code") == sign for e in evidence)
        too_young = ctx(age=15, last_day_of_age=True, sex=sex, symptoms=[sign])
        assert matches(rule_id, too_young) is None


@pytest.mark.parametrize(
    ("rule_id", "sign"), [(GALL_BLADDER, "enlarged_gall_bladder"), (LIVER, "enlarged_liver")]
)
def test_the_sign_need_not_be_unexplained(rule_id: str, sign: str) -> None:
    # NG12 does not say "unexplained" in 1.2.10 or 1.2.11.
    assert matches(rule_id, ctx(age=70, symptoms=[{"code": sign, "unexplained": False}]))


def test_each_organ_has_its_own_rule() -> None:
    assert matches(GALL_BLADDER, ctx(age=60, symptoms=["enlarged_liver"])) is None
    assert matches(LIVER, ctx(age=60, symptoms=["enlarged_gall_bladder"])) is None


@pytest.mark.parametrize("other", ["upper_abdominal_mass", "abdominal_mass", "hepatosplenomegaly"])
def test_a_mass_not_coded_as_the_organ_is_not_enough(other: str) -> None:
    # "Consistent with an enlarged gall bladder / liver" is the GP's judgement of the mass.
    for rule_id in (GALL_BLADDER, LIVER):
        assert matches(rule_id, ctx(age=60, symptoms=[other])) is None
