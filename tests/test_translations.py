"""Every interface string is translated into Danish, Arabic and Turkish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "src" / "opspor" / "locale"
_ENTRY = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', re.M)


def _entries(po: Path) -> list[tuple[str, str, bool]]:
    text = po.read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        match = _ENTRY.search(block + "\n")
        if not match:
            continue
        msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
        msgstr = "".join(re.findall(r'"(.*)"', match.group(2)))
        entries.append((msgid, msgstr, "#, fuzzy" in block))
    return entries


@pytest.mark.parametrize("language", ["da", "ar", "tr"])
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    entries = [e for e in _entries(LOCALE / language / "LC_MESSAGES" / "django.po") if e[0]]
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr, _ in entries if not msgstr]
    fuzzy = [msgid for msgid, _, is_fuzzy in entries if is_fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_arabic_translations_are_in_arabic_script() -> None:
    entries = _entries(LOCALE / "ar" / "LC_MESSAGES" / "django.po")
    arabic = re.compile(r"[\u0600-\u06FF]")
    # Placeholders, codes and brand names may stay Latin; whole sentences may not.
    latin_sentences = [s for i, s, _ in entries if i and " " in i and not arabic.search(s)]
    assert latin_sentences == []
