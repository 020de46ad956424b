"""The catalogue of lighter alternatives to a full pathway: selection, languages, provenance."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import yaml

from opspor.engine.alternatives import (
    ALTERNATIVES_FILE,
    Alternative,
    AlternativesError,
    alternatives_for,
    load_catalogue,
    parse_catalogue,
)
from opspor.engine.rules.schema import INVESTIGATIONS


def raw() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(ALTERNATIVES_FILE.read_text(encoding="utf-8")))


def codes(entries: Iterable[Alternative]) -> list[str]:
    return [e.code for e in entries]


def test_catalogue_holds_the_options_the_design_names() -> None:
    assert {
        "direct_ct_thorax_abdomen",
        "chest_xray",
        "abdominal_ultrasound",
        "pelvic_ultrasound",
        "fit",
        "repeat_blood_tests",
        "advice_request_diagnostic_unit",
    } <= set(codes(load_catalogue().entries))


def test_every_entry_has_both_languages_and_a_cited_source() -> None:
    catalogue = load_catalogue()
    for entry in catalogue.entries:
        for text in (entry.labels, entry.description):
            assert text.da.strip() and text.en.strip()
            assert text.da != text.en
        cited = [p for p in entry.provenance if p.verified]
        assert cited, entry.code
        for p in cited:
            assert p.source in catalogue.sources and p.location


def test_investigation_codes_are_the_rules_codes() -> None:
    for entry in load_catalogue().entries:
        assert set(entry.investigations) <= set(INVESTIGATIONS)


def test_bispebjerg_ct_is_suggested_for_lung_and_for_ct_rules() -> None:
    assert "direct_ct_thorax_abdomen" in codes(alternatives_for(cancer_sites=["lung"]))
    assert "direct_ct_thorax_abdomen" in codes(
        alternatives_for(investigations=["ct_thorax_abdomen"])
    )
    ct = next(e for e in load_catalogue().entries if e.code == "direct_ct_thorax_abdomen")
    assert "Bispebjerg" in (ct.region or "")
    assert ct.waiting_time is None  # no source gives one


def test_selection_by_investigation_only() -> None:
    assert codes(alternatives_for(investigations=["fit"])) == ["fit"]
    assert codes(alternatives_for(investigations=["chest_xray"])) == ["chest_xray"]


def test_selection_by_site_only() -> None:
    assert codes(alternatives_for(cancer_sites=["ovarian"])) == ["pelvic_ultrasound"]
    assert "fit" in codes(alternatives_for(cancer_sites=["colorectal"]))


def test_nothing_matched_and_no_signal_gives_nothing() -> None:
    assert alternatives_for() == []
    assert alternatives_for(cancer_sites=[None], investigations=[None]) == []
    assert alternatives_for(cancer_sites=["no_such_site"]) == []


def test_signals_without_a_rule_suggest_the_light_options() -> None:
    found = codes(alternatives_for(without_rule=True))
    assert found == [
        "direct_ct_thorax_abdomen",
        "repeat_blood_tests",
        "advice_request_diagnostic_unit",
    ]


def test_each_entry_at_most_once_in_catalogue_order() -> None:
    found = codes(
        alternatives_for(
            cancer_sites=["lung", "kidney"],
            investigations=["ct_thorax_abdomen", "chest_xray"],
            without_rule=True,
        )
    )
    assert len(found) == len(set(found))
    order = codes(load_catalogue().entries)
    assert found == sorted(found, key=order.index)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda e: e["labels"].pop("en"), "labels.en", "Field required"),
        (lambda e: e["description"].update(da=""), "description.da", "at least 1 character"),
        (lambda e: e.update(provenance=[]), "(entry)", "must name a source"),
        (
            lambda e: e.update(provenance=[{"verified": False}]),
            "provenance.0",
            "needs a note",
        ),
        (lambda e: e.update(investigations=["mri_knee"]), "(entry)", "unknown investigation"),
        (
            lambda e: e.update(provenance=[{"source": "nowhere", "location": "p. 1"}]),
            "provenance.0.source",
            "unknown source",
        ),
    ],
)
def test_malformed_entry_is_refused_with_file_entry_and_field(
    change: Callable[[dict[str, Any]], object], field: str, message: str
) -> None:
    data = raw()
    entry = data["entries"][1]
    change(entry)
    with pytest.raises(AlternativesError) as err:
        parse_catalogue(data, file="test.yaml")
    text = str(err.value)
    assert text.startswith(f"test.yaml: entry {entry['code']!r}")
    assert f"field {field!r}" in text
    assert message in text
