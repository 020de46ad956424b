"""The Danish a patient reads is plain: measured with LIX, the Scandinavian readability index.

LIX (C.H. Björnsson, 1968) = words per sentence + the percentage of words of seven letters
or more. Its usual Danish scale (dansksproghistorie.dk, "Lix – læsbarhed på formel"): up to
24 very easy, 25-34 easy, 35-44 medium (newspapers), 45-54 hard, 55 and over very hard.
Children's books lie in the "very easy" band; the preparation aims at a reading age of
9-11, so its pages must stay there; the plain-words catalogue, the pathway and the
information pages, which must name body parts, referrals and waiting times, at "easy".
LIX counts only length: a short word can still be hard, so this is a floor, not proof.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
import yaml

from opspor.portal.words import WORDS_FILE
from tests.test_translations import _po_entries

VERY_EASY = 24
EASY = 34

_TAG = re.compile(r"<[^>]+>")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?:]+(?:\s|$)")


def lix(texts: Iterable[str]) -> float:
    """LIX over texts that each end at least one sentence (a label or a button is one)."""
    words = long_words = sentences = 0
    for text in texts:
        found = _WORD.findall(_PLACEHOLDER.sub(" ", _TAG.sub(" ", text)))
        if not found:
            continue
        words += len(found)
        long_words += sum(1 for word in found if len(word) >= 7)
        sentences += max(1, len(_SENTENCE_END.findall(text)))
    assert words, "no text to measure"
    return words / sentences + 100 * long_words / words


def danish_texts(*sources: str) -> list[str]:
    return [
        msgstr
        for msgid, msgstr, _, refs in _po_entries("da")
        if msgid and msgstr and any(ref.startswith(sources) for ref in refs)
    ]


def test_lix_counts_sentence_length_and_long_words() -> None:
    assert lix(["Min mave gør ondt."]) == pytest.approx(4 + 0)
    # 5 words in 1 sentence, 1 of 7 letters or more (20 %).
    assert lix(["Hosten begyndte for længe siden."]) == pytest.approx(5 + 20)
    # Two sentences of 2 words; a label without a full stop counts as one sentence.
    assert lix(["Ring nu. Tak igen.", "Gem"]) == pytest.approx(5 / 3 + 0)
    assert lix(["<a href='x'>%(phone)s</a> ringer"]) == pytest.approx(1 + 0)


def test_the_preparation_pages_are_very_easy_danish() -> None:
    texts = danish_texts(
        "portal/templates/portal/prepare/",
        "portal/forms.py",
        "portal/services/preparation.py",
        "portal/views_prepare.py",
    )
    assert len(texts) > 100
    assert lix(texts) <= VERY_EASY


def test_the_plain_words_catalogue_is_easy_danish() -> None:
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    texts = [
        item["texts"]["da"]
        for part in ("areas", "choices", "family_sites", "exposures")
        for item in data[part]
    ]
    # Measured 25.0 on 2026-12-03, the bottom of "easy": each choice is one sentence, and a
    # few are long ("Jeg bløder let, eller det bliver ved med at bløde længe (...)").
    assert lix(texts) <= EASY


def test_the_pathway_and_information_pages_are_easy_danish() -> None:
    for page in (
        "portal/templates/portal/my_pathway.html",
        "portal/templates/portal/information.html",
    ):
        assert lix(danish_texts(page)) <= EASY, page
