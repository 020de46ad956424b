"""Every code the rule sets can put on the overview has a translated label."""

from __future__ import annotations

import pytest
from django.utils import translation

from opspor.engine.ppv import load_ppv_table
from opspor.engine.rules import conditions
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


def _has_weighted_score(condition: object) -> bool:
    if isinstance(condition, conditions.WeightedScore):
        return True
    inner = [
        *getattr(condition, "conditions", ()),
        *(c for _, c in getattr(condition, "items", ())),
    ]
    if isinstance(condition, conditions.Not):
        inner.append(condition.condition)
    return any(_has_weighted_score(c) for c in inner)


def test_every_rule_with_a_weighted_score_names_its_checklist() -> None:
    scored = {rule.id for rule in _rules() if _has_weighted_score(rule.when)}
    assert "ng12-1.7.1-melanoma-7-point-checklist" in scored
    assert scored == set(overview._SCORES)


MELANOMA = "ng12-1.7.1-melanoma-7-point-checklist"
SCORE = {"input": "score", "points": 5, "threshold": 3}


def test_the_7_point_checklist_score_is_shown_in_words() -> None:
    with translation.override("en"):
        assert overview.evidence_words(SCORE, MELANOMA) == (
            "7-point checklist score 5 (refer at 3 or more)"
        )
        assert overview.because_words([SCORE], MELANOMA) == [
            "7-point checklist score 5 (refer at 3 or more)"
        ]
        # A score of a rule that is not named is shown in general words, never as raw keys.
        other = overview.evidence_words(SCORE, "some-other-rule")
        assert other == "Score 5 (met at 3 or more)"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("da", "Score 5 på 7-punkts tjeklisten (henvis ved 3 eller mere)"),
        ("ar", "درجة قائمة التحقق ذات النقاط السبع 5 (الإحالة عند 3 أو أكثر)"),
        ("tr", "7 maddelik kontrol listesi puanı 5 (3 veya üzerinde sevk edin)"),
    ],
)
def test_the_7_point_checklist_score_is_translated(language: str, words: str) -> None:
    with translation.override(language):
        assert overview.evidence_words(SCORE, MELANOMA) == words
        assert "points" not in overview.evidence_words(SCORE, "some-other-rule")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Very urgent investigation (within 48 hours)"),
        ("da", "Meget hastende udredning (inden for 48 timer)"),
        ("ar", "فحص عاجل جدًا (خلال 48 ساعة)"),
        ("tr", "Çok acil tetkik (48 saat içinde)"),
    ],
)
def test_an_urgent_investigation_within_48_hours_is_called_very_urgent(
    language: str, words: str
) -> None:
    # NG12 1.10.3 offers a "very urgent full blood count (within 48 hours)".
    with translation.override(language):
        assert overview.recommendation_label("urgent_investigation", 2) == words
        assert overview.recommendation_label("urgent_investigation", 14) == str(
            overview._RECOMMENDATIONS["urgent_investigation"]
        )
        assert overview.recommendation_label("urgent_investigation") != words
    assert overview.recommendation_badge("urgent_investigation", 2) == "badge-error"
    assert overview.recommendation_badge("urgent_investigation", 14) == "badge-warning"
