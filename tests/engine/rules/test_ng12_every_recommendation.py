"""Every recommendation of NG12's chapter by site (1.1 to 1.13, as numbered in the guideline
last updated 1 May 2025) is a rule, or is stated in a rule's texts: none is dropped silently."""

from __future__ import annotations

import re

from opspor.engine.rules.loader import load_ruleset

# The numbers as they stand in the guideline, section by section.
SECTIONS = {
    "1.1": 6,
    "1.2": 11,
    "1.3": 6,
    "1.4": 3,
    "1.5": 15,
    "1.6": 10,
    "1.7": 7,
    "1.8": 5,
    "1.9": 2,
    "1.10": 10,
    "1.11": 7,
    "1.12": 3,
    "1.13": 4,
}
NUMBERS = [f"{section}.{n}" for section, count in SECTIONS.items() for n in range(1, count + 1)]


def test_every_recommendation_is_a_rule_or_stated_in_one() -> None:
    rules = load_ruleset("nice-ng12").rules
    numbers = {r.recommendation_number for r in rules}
    texts = " ".join(
        f"{r.explanation.en} {r.clinical_judgement.en if r.clinical_judgement else ''}"
        for r in rules
    )
    stated = set(re.findall(r"\b1\.\d+\.\d+\b", texts))
    missing = [n for n in NUMBERS if n not in numbers and n not in stated]
    assert missing == []


def test_only_three_are_carried_in_the_texts_of_other_rules() -> None:
    numbers = {r.recommendation_number for r in load_ruleset("nice-ng12").rules}
    # 1.3.4 (help to return a FIT sample), 1.5.6 (measure CA125, the test of 1.5.2-1.5.5) and
    # 1.7.7 (who excises a basal cell carcinoma) are advice on process, not on a patient.
    assert sorted(set(NUMBERS) - numbers) == ["1.3.4", "1.5.6", "1.7.7"]
    assert numbers <= set(NUMBERS)
