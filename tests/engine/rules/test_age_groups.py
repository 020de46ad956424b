"""The age group a rule applies to, across every rule of both rule sets, and the two examples of
the children's recommendations end to end.

NG12's "Terms used": children are from birth to 15, children and young people from birth to 24,
young people 16 to 24; "adults" is read as 18 and over. The parser ANDs the group's band into
each rule; these tests check that no rule, whatever else its patient has, matches outside it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.assess import assess
from opspor.engine.context import PatientContext
from opspor.engine.rules.loader import RULESETS, load_ruleset
from opspor.engine.rules.schema import AGE_GROUPS, Rule
from opspor.engine.sites import SITE_NAMES
from opspor.engine.vocab import load_vocabulary
from tests.engine.rules.conftest import ctx, facts_of, uses_not

VOCAB = load_vocabulary()
SYMPTOMS = sorted(VOCAB.symptoms)
FINDINGS = sorted(VOCAB.findings)
LABS = sorted(VOCAB.labs)
ALL_SIGNALS = {
    "pattern_break": True,
    "long_absence": True,
    "low_continuity": True,
    "medication_rise": True,
}
ALL_RULES: list[tuple[str, Rule]] = [
    (name, rule) for name in RULESETS for rule in load_ruleset(name).rules
]
# An age no rule set is expected to reason beyond.
OLDEST = 110


MONOTONE_RULES = [(name, rule) for name, rule in ALL_RULES if not uses_not(rule.when)]


def saturated(
    *, age: int, sex: str, high_labs: frozenset[str], last_day_of_age: bool = False
) -> dict[str, Any]:
    """A patient who has as much as a rule can ask for, apart from age: every symptom,
    unexplained, persistent and recurrent, once recent and once long-standing (for `within_days`
    and `lasting_more_than_days` alike); every finding, dated today; every lab, today, either
    high or low; current smoking, every exposure, three relatives with each cancer."""
    symptoms = [
        {"code": code, "unexplained": True, "persistent": True, "recurrent": True, "days_ago": d}
        for code in SYMPTOMS
        for d in (1, 400)
    ]
    labs = [
        {"code": code, "value": 1000.0 if code in high_labs else 0.0, "days_ago": 0}
        for code in LABS
    ]
    family = [
        {"relation": relation, "cancer_site": site}
        for site in sorted(SITE_NAMES)
        for relation in ("mother", "father", "sister")
    ]
    return ctx(
        age=age,
        sex=sex,
        smoking="current",
        symptoms=symptoms,
        labs=labs,
        findings=[{"code": code, "days_ago": 0} for code in FINDINGS],
        exposures=sorted(VOCAB.exposures),
        family_history=family,
        last_day_of_age=last_day_of_age,
    )


def outside(group: str) -> st.SearchStrategy[int]:
    low, high = AGE_GROUPS[group]
    ages = []
    if low is not None:
        ages.append(st.integers(min_value=0, max_value=low - 1))
    if high is not None:
        ages.append(st.integers(min_value=high + 1, max_value=OLDEST))
    return st.one_of(*ages)


BANDED = ["adults", "young_people_and_adults", "children", "children_and_young_people"]


def test_the_age_groups_are_ng12s() -> None:
    assert AGE_GROUPS["adults"] == (18, None)
    assert AGE_GROUPS["young_people_and_adults"] == (16, None)
    assert AGE_GROUPS["children"] == (None, 15)
    assert AGE_GROUPS["children_and_young_people"] == (None, 24)


@pytest.mark.parametrize("group", BANDED)
def test_every_age_group_has_rules(group: str) -> None:
    assert any(rule.applies_to == group for _, rule in ALL_RULES)


@pytest.mark.parametrize("group", BANDED)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_no_rule_matches_outside_its_age_group(group: str, data: st.DataObject) -> None:
    age = data.draw(outside(group), label="age")
    context = saturated(
        age=age,
        sex=data.draw(st.sampled_from(["female", "male"]), label="sex"),
        high_labs=data.draw(st.frozensets(st.sampled_from(LABS)), label="high_labs"),
        last_day_of_age=data.draw(st.booleans(), label="last_day_of_age"),
    )
    facts = facts_of(context, ALL_SIGNALS)
    for name, rule in ALL_RULES:
        if rule.applies_to == group:
            assert rule.when.test(facts) is None, (name, rule.id, age)


# Ages at which the rule sets' own age thresholds change, and each band's ends.
PROBE_AGES = [0, 5, 15, 16, 17, 18, 24, 25, 30, 40, 45, 50, 55, 60, 65, 70, 80, 90]


@pytest.mark.parametrize(("name", "rule"), MONOTONE_RULES, ids=[r.id for _, r in MONOTONE_RULES])
def test_the_saturated_patient_meets_each_rule_at_some_age_of_its_group(
    name: str, rule: Rule
) -> None:
    # Without this the test above could pass because the saturated patient meets nothing.
    low, high = AGE_GROUPS[rule.applies_to]
    ages = [a for a in PROBE_AGES if (low is None or a >= low) and (high is None or a <= high)]
    met = any(
        rule.when.test(facts_of(saturated(age=age, sex=sex, high_labs=high_labs), ALL_SIGNALS))
        is not None
        for age in ages
        for sex in ("female", "male")
        for high_labs in (frozenset(LABS), frozenset())
    )
    assert met, (name, rule.id)


# --- more evidence never removes a match ------------------------------------------------------

_SYMPTOM = st.fixed_dictionaries(
    {
        "code": st.sampled_from(SYMPTOMS),
        "unexplained": st.booleans(),
        "persistent": st.booleans(),
        "recurrent": st.booleans(),
        "days_ago": st.integers(min_value=0, max_value=800),
    }
)
_FINDING = st.fixed_dictionaries(
    {"code": st.sampled_from(FINDINGS), "days_ago": st.integers(min_value=0, max_value=800)}
)
_LAB = st.fixed_dictionaries(
    {
        "code": st.sampled_from(LABS),
        "value": st.floats(min_value=0, max_value=500, allow_nan=False),
        "days_ago": st.integers(min_value=0, max_value=200),
    }
)
_SIGNALS = st.fixed_dictionaries({name: st.booleans() for name in ALL_SIGNALS})


def test_only_rules_with_not_are_left_out_of_the_property_below() -> None:
    left_out = {rule.id for _, rule in ALL_RULES} - {rule.id for _, rule in MONOTONE_RULES}
    assert all(uses_not(rule.when) for _, rule in ALL_RULES if rule.id in left_out)
    assert len(MONOTONE_RULES) > len(ALL_RULES) // 2


@settings(max_examples=150, deadline=None)
@given(
    age=st.integers(min_value=0, max_value=100),
    sex=st.sampled_from(["female", "male"]),
    smoking=st.sampled_from(["never", "former", "current", "unknown"]),
    symptoms=st.lists(_SYMPTOM, max_size=10),
    findings=st.lists(_FINDING, max_size=3),
    labs=st.lists(_LAB, max_size=3),
    signals=_SIGNALS,
    extra=st.one_of(_SYMPTOM.map(lambda s: ("symptom", s)), _FINDING.map(lambda f: ("finding", f))),
)
def test_an_extra_symptom_or_finding_never_removes_a_match(
    age: int,
    sex: str,
    smoking: str,
    symptoms: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    labs: list[dict[str, Any]],
    signals: dict[str, bool],
    extra: tuple[str, dict[str, Any]],
) -> None:
    kind, entry = extra
    base = {"age": age, "sex": sex, "smoking": smoking, "labs": labs}
    before = facts_of(ctx(**base, symptoms=symptoms, findings=findings), signals)
    if kind == "symptom":
        more = ctx(**base, symptoms=[*symptoms, entry], findings=findings)
    else:
        more = ctx(**base, symptoms=symptoms, findings=[*findings, entry])
    after = facts_of(more, signals)
    for name, rule in MONOTONE_RULES:
        if rule.when.test(before) is not None:
            assert rule.when.test(after) is not None, (name, rule.id)


# --- the two examples, end to end through assess() --------------------------------------------


def guideline_criteria(context: dict[str, Any]) -> dict[str, Any]:
    assessment = assess(PatientContext.model_validate(context), ruleset="nice-ng12")
    return {f.rule_id: f for f in assessment.findings if f.kind == "guideline_criterion"}


def test_a_boy_of_5_with_visible_haematuria_meets_wilms_tumour_not_the_adult_rules() -> None:
    found = guideline_criteria(ctx(age=5, sex="male", symptoms=["visible_haematuria"]))
    wilms = found["ng12-1.12.3-wilms-tumour"]
    assert (wilms.recommendation, wilms.strength, wilms.within_days) == (
        "very_urgent_referral",
        "consider",
        2,
    )
    assert wilms.applies_to == "children"
    # The adults' haematuria recommendations (PSA 1.6.2, bladder 1.6.4, renal 1.6.6) start at
    # 16 at the earliest.
    assert not {"psa"} & {i for f in found.values() for i in f.investigations}
    assert not {"prostate", "bladder", "kidney"} & {f.cancer_site for f in found.values()}
    assert set(found) == {"ng12-1.12.3-wilms-tumour"}


def test_a_24_year_old_with_unexplained_petechiae_is_referred_immediately() -> None:
    found = guideline_criteria(ctx(age=24, symptoms=["petechiae"]))
    immediate = found["ng12-1.10.2-leukaemia-immediate-referral"]
    assert (immediate.recommendation, immediate.strength, immediate.within_days) == (
        "immediate_referral",
        "offer",
        0,
    )
    assert immediate.applies_to == "children_and_young_people"
    # At 18 to 24 the adults' 1.10.1 (a very urgent full blood count) may match as well: NG12's
    # own groups overlap there ("adults" from 18, "children and young people" to 24), and NG12
    # lets young people be seen on either pathway. Both are shown; 1.10.2 is the more urgent.
    assert set(found) <= {
        "ng12-1.10.2-leukaemia-immediate-referral",
        "ng12-1.10.1-leukaemia-full-blood-count",
    }
    # At 25 only the adults' recommendation is left.
    older = guideline_criteria(ctx(age=25, symptoms=["petechiae"]))
    assert set(older) == {"ng12-1.10.1-leukaemia-full-blood-count"}
