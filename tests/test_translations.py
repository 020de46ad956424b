"""Every interface string is translated into Danish, Arabic and Turkish, every text a patient
sees into Dari, and each .po file states whether a fluent speaker has reviewed it."""

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


# The texts a patient sees come from these sources (paths as the .po files' references give
# them): the portal, the base templates, the record page a patient shares with the GP and
# the filters and choices it shows. Each is translated into Dari.
PATIENT_FACING = (
    "portal/",
    "templates/",
    "records/templates/records/patient_detail.html",
    "records/templates/records/_contacts.html",
    "records/templatetags/clinical.py",
    "records/models.py",
    "safetynet/workflow.py",
    "accounts/models.py",
    "casework/errors.py",
    "languages.py",
)
_REFERENCE = re.compile(r"^#: (.*)$", re.M)
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _strings(block: str, keyword: str) -> str | None:
    """The text of `msgid`, `msgstr` or `msgstr[0]` in an entry, its lines joined."""
    found = re.search(rf"^{re.escape(keyword)} ((?:\".*\"\n?)+)", block + "\n", re.M)
    return "".join(re.findall(r'"(.*)"', found.group(1))) if found else None


def _po_entries(locale: str = "fa_AF") -> list[tuple[str, str, bool, list[str]]]:
    po = LOCALE / locale / "LC_MESSAGES" / "django.po"
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        msgid = _strings(block, "msgid")
        msgstr = _strings(block, "msgstr")
        if msgstr is None:
            msgstr = _strings(block, "msgstr[0]")
        if msgid is None or msgstr is None:
            continue
        refs = [ref.rsplit(":", 1)[0] for line in _REFERENCE.findall(block) for ref in line.split()]
        entries.append((msgid, msgstr, "#, fuzzy" in block, refs))
    return entries


def _patient_facing(refs: list[str]) -> bool:
    return any(ref.startswith(PATIENT_FACING) for ref in refs)


def test_every_text_a_patient_sees_is_translated_into_dari() -> None:
    facing = [e for e in _po_entries() if e[0] and _patient_facing(e[3])]
    assert len(facing) > 250
    assert [msgid for msgid, msgstr, _, _ in facing if not msgstr] == []
    assert [msgid for msgid, _, fuzzy, _ in facing if fuzzy] == []
    # A text missing from the Dari file altogether (makemessages run without -l fa_AF) is
    # found through the Danish file, which every run of makemessages updates.
    in_dari = {msgid for msgid, _, _, _ in _po_entries()}
    danish = [e for e in _po_entries("da") if e[0] and _patient_facing(e[3])]
    assert [msgid for msgid, _, _, _ in danish if msgid not in in_dari] == []


def test_dari_is_written_in_perso_arabic_script_with_the_same_placeholders() -> None:
    arabic_script = re.compile(r"[\u0600-\u06FF]")
    entries = [e for e in _po_entries() if e[0] and e[1]]
    # Placeholders, codes and brand names may stay Latin; whole sentences may not.
    latin_sentences = [
        i
        for i, s, _, _ in entries
        if " " in _PLACEHOLDER.sub("", i).strip() and not arabic_script.search(s)
    ]
    assert latin_sentences == []
    changed = [
        i
        for i, s, _, _ in entries
        if sorted(_PLACEHOLDER.findall(i)) != sorted(_PLACEHOLDER.findall(s))
    ]
    assert changed == []


def test_dari_uses_afghan_words_where_iranian_persian_has_others() -> None:
    """Dari's own words for the things a patient reads most: doctor, hospital, medicine,
    phone, patient, need (داکتر، شفاخانه، دوا، تیلفون، مریض، ضرورت)."""
    iranian = ["پزشک", "بیمارستان", "دارو", "تلفن", "بیمار", "نیاز"]
    texts = " ".join(s for _, s, _, _ in _po_entries())
    assert [word for word in iranian if word in texts] == []


def _po_header(language: str) -> dict[str, str]:
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    header = text.split("\n\n", 1)[0]
    lines = "".join(re.findall(r'^"(.*)"$', header, re.M)).split("\\n")
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def test_every_po_header_states_the_review_status_that_review_yaml_gives() -> None:
    from opspor.languages import PO_HEADER_WORDS, load_reviews

    reviews = load_reviews().languages
    directories = sorted(p.name for p in LOCALE.iterdir() if p.is_dir())
    assert sorted(reviews) == directories
    for locale, review in reviews.items():
        assert _po_header(locale).get("X-Review-Status") == PO_HEADER_WORDS[review.status], locale


def test_the_vocabularys_review_notes_agree_with_review_yaml() -> None:
    """engine/vocab/*.yaml say their Danish, Arabic and Turkish labels are not reviewed by a
    fluent clinician; review.yaml may not claim more for the same languages."""
    import yaml

    from opspor.languages import load_reviews

    reviews = load_reviews().languages
    vocab = LOCALE.parent / "engine" / "vocab"
    for path in sorted(vocab.glob("*.yaml")):
        note = str(yaml.safe_load(path.read_text(encoding="utf-8")).get("translation_review", ""))
        assert "NOT yet been reviewed" in note, path.name
        for locale in ("da", "ar", "tr"):
            assert not reviews[locale].reviewed, (path.name, locale)
    assert reviews["en"].status == "source"
