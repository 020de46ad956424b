"""Every code the rule sets can put on the overview has a translated label."""

from __future__ import annotations

import pytest
from django.utils import translation

from opspor.engine.ppv import load_ppv_table
from opspor.engine.rules.loader import RULESETS, load_ruleset
from opspor.engine.rules.schema import INVESTIGATIONS, RECOMMENDATIONS, SIGNALS
from opspor.engine.signals.vulnerability import FLAG_LABELS, FLAGS
from opspor.engine.urgency import urgency_key
from opspor.records.templatetags import overview


def _rules() -> list:
    return [rule for name in RULESETS for rule in load_ruleset(name).rules]


def test_every_investigation_the_rules_can_name_has_a_label() -> None:
    assert set(INVESTIGATIONS) <= set(overview._INVESTIGATIONS)
    used = {code for rule in _rules() for code in rule.investigations}
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


def test_every_recommendation_the_rules_can_make_has_a_label_and_an_urgency() -> None:
    assert set(overview._RECOMMENDATIONS) == set(RECOMMENDATIONS)
    # Only the recommendations that ask for action within a time draw the eye.
    assert set(overview._BADGES) < set(RECOMMENDATIONS)
    last = urgency_key("an unknown kind")
    assert all(urgency_key(code) < last for code in RECOMMENDATIONS)


@pytest.mark.parametrize("language", ["da", "ar", "tr"])
def test_every_recommendation_strength_and_age_group_is_translated(language: str) -> None:
    tables = (overview._RECOMMENDATIONS, overview._STRENGTHS, overview._AGE_GROUPS)
    with translation.override(language):
        for table in tables:
            for code, label in table.items():
                with translation.override("en"):
                    english = str(label)
                assert str(label) != english, (language, code)


def test_every_signal_a_rule_can_use_has_a_name() -> None:
    assert set(overview._SIGNAL_NAMES) == set(SIGNALS)
