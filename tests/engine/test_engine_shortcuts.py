"""The engine's shortcuts give what the plain reading gives: evidence without repeats, and
the PPV rows that apply, found through the index of rows by their first feature."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.facts import Facts
from opspor.engine.ppv import load_ppv_table, ppv_findings, present_features
from opspor.engine.rules.conditions import dedupe
from tests.engine.rules.conftest import ctx, facts_of

items = st.fixed_dictionaries(
    {"input": st.sampled_from(["age", "symptom", "lab"]), "code": st.sampled_from("abc")}
)


@given(st.lists(items, max_size=60))
def test_dedupe_keeps_the_first_of_each_item_in_order(evidence: list[dict[str, Any]]) -> None:
    expected: list[dict[str, Any]] = []
    seen: set[tuple[tuple[str, Any], ...]] = set()
    for item in evidence:
        key = tuple(sorted(item.items()))
        if key not in seen:
            seen.add(key)
            expected.append(item)
    assert dedupe(evidence) == expected


TABLE = load_ppv_table()
FEATURES = sorted({code for row in TABLE.rows for code in row.features})


def _scan(facts: Facts) -> dict[str, float]:
    """Every row read in turn, the highest value per site: the reading the index replaces."""
    have = present_features(facts)
    best: dict[str, float] = {}
    for row in TABLE.rows:
        if set(row.features) <= have and row.applies_to(age=facts.age, sex=facts.sex):
            best[row.cancer_site] = max(best.get(row.cancer_site, 0.0), row.ppv_percent)
    return best


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 95),
    st.sampled_from(["female", "male"]),
    st.lists(st.sampled_from(FEATURES), max_size=5, unique=True),
)
def test_the_indexed_ppv_rows_are_the_scanned_ones(age: int, sex: str, codes: list[str]) -> None:
    from opspor.engine.vocab import load_vocabulary

    vocab = load_vocabulary()
    facts = facts_of(
        ctx(
            age=age,
            sex=sex,
            symptoms=[c for c in codes if c in vocab.symptoms],
            findings=[c for c in codes if c in vocab.findings],
        )
    )
    found = {m.cancer_site: m.ppv_percent for m in ppv_findings(facts, max_sites=99)}
    assert found == _scan(facts)


def test_dedupe_keeps_one_of_two_equal_items_written_in_another_key_order() -> None:
    # Long enough for the hashed path: equal dicts are one item whatever their key order.
    evidence = [{"input": "lab", "code": str(i)} for i in range(30)]
    evidence += [{"input": "age", "code": "a"}, {"code": "a", "input": "age"}]
    assert dedupe(evidence) == evidence[:31]
