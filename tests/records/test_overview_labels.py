"""Every code the rule sets can put on the overview has a translated label."""

from __future__ import annotations

import pytest
from django.utils import translation

from opspor.engine.ppv import load_ppv_table
from opspor.engine.rules.loader import RULESETS, load_ruleset
from opspor.engine.rules.schema import RECOMMENDATIONS, SIGNALS
from opspor.engine.signals.vulnerability import FLAG_LABELS, FLAGS
from opspor.records.templatetags import overview


def _rules() -> list:
    return [rule for name in RULESETS for rule in load_ruleset(name).rules]


def test_every_investigation_of_the_rules_has_a_label() -> None:
    used = {rule.investigation for rule in _rules() if rule.investigation}
    assert used <= set(overview._INVESTIGATIONS)


def test_every_cancer_site_of_the_rules_has_a_label() -> None:
    for rule in _rules():
        label = overview.site_label(rule.cancer_site)
        assert label and label != rule.cancer_site, rule.cancer_site


def test_every_cancer_site_of_the_ppv_table_has_a_label() -> None:
    for site in {row.cancer_site for row in load_ppv_table().rows}:
        label = overview.site_label(site)
        assert label and label != site, site


def test_every_ruleset_has_a_name() -> None:
    assert set(RULESETS) <= set(overview._RULESETS)


@pytest.mark.parametrize("language", ["da", "en", "ar", "tr"])
def test_every_vulnerability_flag_is_shown_in_the_engines_words(language: str) -> None:
    with translation.override(language):
        shown = {flag: overview.flag_label(flag) for flag in FLAGS}
    assert shown == {flag: FLAG_LABELS[flag][language] for flag in FLAGS}


def test_every_recommendation_the_rules_can_make_has_a_label_an_urgency_and_a_badge() -> None:
    for table in (overview._RECOMMENDATIONS, overview._URGENCY, overview._BADGES):
        assert set(table) == set(RECOMMENDATIONS)


def test_every_signal_a_rule_can_use_has_a_name() -> None:
    assert set(overview._SIGNAL_NAMES) == set(SIGNALS)
