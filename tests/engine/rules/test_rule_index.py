"""The index that lets the engine skip rules: a rule is skipped only when none of the inputs
it needs is present, so skipping never loses a match."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.rules import conditions as c
from opspor.engine.rules.loader import RULESETS, load_ruleset
from opspor.engine.vocab import load_vocabulary
from tests.engine.rules.conftest import ctx, facts_of

VOCAB = load_vocabulary()
RULES = [rule for name in RULESETS for rule in load_ruleset(name).rules]


def test_most_rules_need_an_input_so_the_index_can_skip_them() -> None:
    indexed = [r for r in RULES if c.required_inputs(r.when) is not None]
    assert len(indexed) >= 0.9 * len(RULES)


def test_the_requirement_of_all_is_its_narrowest_part_and_of_any_the_union() -> None:
    cough = c.Symptom("cough")
    fever = c.Symptom("fever")
    fit = c.Lab("fit", at_least=10)
    assert c.required_inputs(c.AllOf((c.Age(40), c.AnyOf((cough, fever)), fit))) == {("lab", "fit")}
    assert c.required_inputs(c.AnyOf((cough, fit))) == {("symptom", "cough"), ("lab", "fit")}
    # One branch that needs nothing makes the whole need nothing.
    assert c.required_inputs(c.AnyOf((cough, c.Age(40)))) is None
    assert c.required_inputs(c.Not(cough)) is None
    assert c.required_inputs(c.WeightedScore(3, ((2, cough), (1, fever)))) == {
        ("symptom", "cough"),
        ("symptom", "fever"),
    }


contexts = st.builds(
    lambda age, sex, symptoms, findings, labs: ctx(
        age=age,
        sex=sex,
        smoking="current",
        symptoms=[
            {"code": code, "persistent": i % 2 == 0, "recurrent": i % 3 == 0}
            for i, code in enumerate(symptoms)
        ],
        findings=findings,
        labs=[(code, value) for code, value in labs],
    ),
    st.integers(0, 100),
    st.sampled_from(["female", "male"]),
    st.lists(st.sampled_from(sorted(VOCAB.symptoms)), max_size=6, unique=True),
    st.lists(st.sampled_from(sorted(VOCAB.findings)), max_size=3, unique=True),
    st.lists(
        st.tuples(st.sampled_from(sorted(VOCAB.labs)), st.sampled_from([0.1, 5.0, 500.0])),
        max_size=4,
        unique_by=lambda t: t[0],
    ),
)


@settings(max_examples=200, deadline=None)
@given(contexts, st.fixed_dictionaries({"pattern_break": st.booleans()}))
def test_a_rule_whose_inputs_are_all_absent_never_matches(
    context: dict[str, Any], signals: dict[str, bool]
) -> None:
    facts = facts_of(context, signals)
    present = facts.inputs()
    for rule in RULES:
        needs = c.required_inputs(rule.when)
        if needs is not None and needs.isdisjoint(present):
            assert rule.when.test(facts) is None, rule.id
