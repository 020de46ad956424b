"""The safety-net advice catalogue: the shipped file, its languages and sources, and the clear
errors a malformed file gives."""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from opspor.engine.vocab import LANGUAGES, load_vocabulary
from opspor.safetynet.advice import (
    ADVICE_FILE,
    AdviceError,
    Text,
    load_advice,
    parse_advice,
    rules_out_cancer,
)

Raw = dict[str, Any]


def raw() -> Raw:
    return copy.deepcopy(yaml.safe_load(ADVICE_FILE.read_text(encoding="utf-8")))


def write(tmp_path: Path, data: object, name: str = "advice.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def texts(entry: Any) -> list[Text]:
    return [item.text for item in entry.come_back_if]


# --- the shipped catalogue --------------------------------------------------------------------


def test_the_shipped_file_loads_with_the_commonly_safety_netted_symptoms():
    catalogue = load_advice()
    assert {
        "cough",
        "haemoptysis",
        "hoarseness",
        "weight_loss",
        "fatigue",
        "abdominal_pain",
        "change_in_bowel_habit",
        "rectal_bleeding",
        "dysphagia",
        "breast_lump",
        "visible_haematuria",
        "lymphadenopathy",
        "night_sweats",
        "bruising",
    } <= set(catalogue.entries)
    assert catalogue.for_symptom("cough") is catalogue.entries["cough"]
    assert catalogue.for_symptom("finger_clubbing") is None


def test_every_symptom_is_a_symptom_of_the_engine_vocabulary():
    symptoms = load_vocabulary().symptoms
    for code in load_advice().entries:
        assert code in symptoms, code


def test_every_entry_has_the_four_languages_and_the_arabic_is_in_arabic_script():
    assert set(LANGUAGES) == {"da", "en", "ar", "tr"}
    for code, entry in load_advice().entries.items():
        assert entry.come_back_if, code
        for text in texts(entry):
            values = {lang: getattr(text, lang) for lang in LANGUAGES}
            assert all(v.strip() for v in values.values()), (code, values)
            assert len(set(values.values())) == 4, (code, values)  # not copied across
            letters = [ch for ch in text.ar if ch.isalpha()]
            assert letters
            assert all(unicodedata.name(ch).startswith("ARABIC") for ch in letters), text.ar
            assert not any("a" <= ch.lower() <= "z" for ch in text.ar), text.ar


def test_no_entry_rules_cancer_out():
    # Independent of the loader's list: the plain words, in each language, must not occur.
    forbidden = (
        "not cancer",
        "no cancer",
        "ikke kræft",
        "ingen kræft",
        "kanser değil",
        "ليس سرطان",
    )
    for code, entry in load_advice().entries.items():
        for text in texts(entry):
            for lang in LANGUAGES:
                value = getattr(text, lang)
                assert rules_out_cancer(value) is None, (code, lang, value)
                assert not any(f in value.casefold() for f in forbidden), (code, lang, value)


def test_every_item_and_interval_is_sourced_with_a_quote_or_marked_unverified_with_a_reason():
    catalogue = load_advice()
    verified = unverified = 0
    for code, entry in catalogue.entries.items():
        for where, prov in entry.provenances():
            if prov.verified:
                verified += 1
                assert prov.source in catalogue.sources, (code, where)
                assert prov.quote and prov.quote.strip(), (code, where)
                assert prov.unsourced_reason is None
            else:
                unverified += 1
                assert prov.source is None, (code, where)
                assert prov.unsourced_reason and len(prov.unsourced_reason) > 20, (code, where)
        assert entry.review.days >= 1
    # Both kinds occur: the file does not pretend every item was found in a source.
    assert verified and unverified


def test_the_catalogue_ships_with_the_package():
    assert ADVICE_FILE.name == "advice.yaml"
    assert ADVICE_FILE.parent.name == "safetynet"
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"*.yaml"' in pyproject


def test_a_text_is_given_in_the_asked_language_with_english_as_fallback():
    text = load_advice().entries["cough"].come_back_if[0].text
    assert text.get("da") == text.da
    assert text.get("ar") == text.ar
    assert text.get("fr") == text.en


# --- the rule-out check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "This is not cancer.",
        "It is probably NOT CANCER.",
        "There is no cancer.",
        "It isn't cancer.",
        "It isn\u2019t cancer.",
        "Det er ikke kræft.",
        "Det er nok ikke\u00a0kræft.",
        "Der er ingen kræft.",
        "Bu kanser değil.",
        "Bu kanser değildir.",
        "هذا ليس سرطانًا.",
        "هذا ليس سرطان",
        "Det er ikke noget alvorligt.",
    ],
)
def test_phrases_that_rule_cancer_out_are_found(text):
    assert rules_out_cancer(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Come back if you cough up blood.",
        "Kom igen, hvis du hoster blod op.",
        "Rygning er ikke kræftfremkaldende for alle.",  # a longer word, not the phrase
        "Tekrar gelin.",
        "تسعل دمًا.",
    ],
)
def test_ordinary_texts_pass_the_rule_out_check(text):
    assert rules_out_cancer(text) is None


# --- malformed files: each refused with file, entry and field named ---------------------------


def _first_entry(data: Raw) -> Raw:
    entry: Raw = data["entries"][0]
    return entry


def _item_text(data: Raw) -> Raw:
    text: Raw = _first_entry(data)["come_back_if"][0]["text"]
    return text


def _set(lang: str, value: str) -> Callable[[Raw], None]:
    def change(data: Raw) -> None:
        _item_text(data)[lang] = value

    return change


def _drop_language(data: Raw) -> None:
    del _item_text(data)["tr"]


def _unknown_symptom(data: Raw) -> None:
    _first_entry(data)["symptom"] = "persistent_hiccups"


def _duplicate(data: Raw) -> None:
    data["entries"].append(copy.deepcopy(_first_entry(data)))


def _interval(days: int) -> Callable[[Raw], None]:
    def change(data: Raw) -> None:
        _first_entry(data)["review"]["days"] = days

    return change


def _verified_without_quote(data: Raw) -> None:
    prov = _first_entry(data)["come_back_if"][0]["provenance"]
    assert prov["verified"] is True
    del prov["quote"]


def _unverified_with_source(data: Raw) -> None:
    prov = _first_entry(data)["review"]["provenance"]
    assert prov["verified"] is False
    prov["source"] = "nhs-cancer-symptoms"


def _unverified_without_reason(data: Raw) -> None:
    prov = _first_entry(data)["review"]["provenance"]
    del prov["unsourced_reason"]


def _unknown_source(data: Raw) -> None:
    _first_entry(data)["come_back_if"][0]["provenance"]["source"] = "a-blog-somewhere"


def _unknown_field(data: Raw) -> None:
    _first_entry(data)["come_back_if"][0]["urgency"] = "high"


def _no_items(data: Raw) -> None:
    _first_entry(data)["come_back_if"] = []


CASES = [
    ("unknown symptom", _unknown_symptom, "persistent_hiccups", "symptom", "unknown symptom code"),
    ("missing language", _drop_language, "cough", "come_back_if.0.text.tr", "Field required"),
    ("empty text", _set("da", "   "), "cough", "come_back_if.0.text.da", "is empty"),
    ("invisible text", _set("en", "\u200b\u200b"), "cough", "come_back_if.0.text.en", "is empty"),
    ("duplicate symptom", _duplicate, "cough", "symptom", "duplicate symptom"),
    ("negative interval", _interval(-7), "cough", "review.days", "greater than or equal to 1"),
    ("zero interval", _interval(0), "cough", "review.days", "greater than or equal to 1"),
    (
        "rules out, English",
        _set("en", "It is not cancer."),
        "cough",
        "come_back_if.0.text.en",
        "not cancer",
    ),
    (
        "rules out, Danish",
        _set("da", "Det er ikke kræft."),
        "cough",
        "come_back_if.0.text.da",
        "ikke kræft",
    ),
    (
        "rules out, Turkish",
        _set("tr", "Bu kanser değil."),
        "cough",
        "come_back_if.0.text.tr",
        "kanser değil",
    ),
    (
        "rules out, Arabic",
        _set("ar", "هذا ليس سرطانًا."),
        "cough",
        "come_back_if.0.text.ar",
        "it is not cancer",
    ),
    (
        "Arabic in Latin script",
        _set("ar", "Tas'al daman."),
        "cough",
        "come_back_if.0.text.ar",
        "Arabic script",
    ),
    (
        "verified without quote",
        _verified_without_quote,
        "cough",
        "come_back_if.0.provenance",
        "needs a source and a quote",
    ),
    (
        "unverified with a source",
        _unverified_with_source,
        "cough",
        "review.provenance",
        "has source: null",
    ),
    (
        "unverified without reason",
        _unverified_without_reason,
        "cough",
        "review.provenance",
        "needs an unsourced_reason",
    ),
    (
        "unknown source",
        _unknown_source,
        "cough",
        "come_back_if.0.provenance.source",
        "unknown source 'a-blog-somewhere'",
    ),
    ("unknown field", _unknown_field, "cough", "come_back_if.0.urgency", "Extra inputs"),
    ("no items", _no_items, "cough", "come_back_if", "at least 1 item"),
]


@pytest.mark.parametrize(
    ("change", "entry", "field", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_malformed_entry_is_refused_naming_file_entry_and_field(
    tmp_path, change, entry, field, message
):
    data = raw()
    assert _first_entry(data)["symptom"] == "cough"
    change(data)
    path = write(tmp_path, data, "broken-advice.yaml")
    with pytest.raises(AdviceError) as caught:
        load_advice(path)
    text = str(caught.value)
    assert text.startswith(f"broken-advice.yaml: entry {entry!r}: field {field!r}: "), text
    assert message in text, text
    # The shipped catalogue is untouched by a failed read.
    assert (
        load_advice().entries["cough"].come_back_if[0].text.en
        == raw()["entries"][0]["come_back_if"][0]["text"]["en"]
    )


def test_an_unchanged_copy_loads(tmp_path):
    path = write(tmp_path, raw())
    assert list(load_advice(path).entries) == list(load_advice().entries)


def test_the_symptom_list_can_be_given(tmp_path):
    path = write(tmp_path, raw())
    with pytest.raises(AdviceError, match="entry 'cough': field 'symptom': unknown symptom code"):
        load_advice(path, symptoms={"fatigue"})


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        ("- just\n- a list\n", "(file)", "top level must be a mapping"),
        ("schema_version: [1\n", "(yaml)", "cannot be read"),
        ("schema_version: 1\nschema_version: 1\n", "(yaml)", "duplicate key"),
    ],
)
def test_an_unreadable_file_is_refused_naming_the_file(tmp_path, content, field, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AdviceError) as caught:
        load_advice(path)
    assert str(caught.value).startswith(f"bad.yaml: field {field!r}: ")
    assert message in str(caught.value)


def test_a_header_error_names_the_field(tmp_path):
    data = raw()
    data["schema_version"] = 2
    with pytest.raises(AdviceError, match=r"^advice\.yaml: field 'schema_version': "):
        load_advice(write(tmp_path, data))
    data = raw()
    del data["translation_review"]
    with pytest.raises(AdviceError, match=r"field 'translation_review': Field required"):
        load_advice(write(tmp_path, data))


def test_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(AdviceError, match=r"^nowhere\.yaml: field '\(yaml\)': cannot be read"):
        load_advice(tmp_path / "nowhere.yaml")


def test_parse_advice_refuses_an_entry_that_is_not_a_mapping():
    data = raw()
    data["entries"].insert(0, "cough")
    with pytest.raises(AdviceError, match=r"^x\.yaml: entry '#0': field '\(entry\)'"):
        parse_advice(data, file="x.yaml")
