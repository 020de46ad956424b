"""The plain-words catalogue (portal/data/words.yaml): every code is the vocabulary's, every
text is there in all five languages, a malformed file is refused naming the entry and the
field, and a patient is never offered a choice outside its sex or age."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.sites import SITE_NAMES
from opspor.engine.vocab import load_vocabulary
from opspor.portal import words as words_module
from opspor.portal.models import PreparedRiskFactor, PreparedSymptom
from opspor.portal.words import LANGUAGES, Words, WordsError, load_words, parse_words

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def words() -> Words:
    return load_words()


def _all_items(words: Words) -> list[Any]:
    return [*words.areas, *words.choices, *words.family_sites, *words.exposures]


# --- The catalogue as shipped ----------------------------------------------------------------


def test_every_choice_is_stored_as_a_symptom_code_of_the_vocabulary(words: Words) -> None:
    symptoms = load_vocabulary().symptoms
    assert [c.code for c in words.choices if c.code not in symptoms] == []


def test_every_exposure_of_the_vocabulary_is_offered_in_plain_words(words: Words) -> None:
    assert [e.key for e in words.exposures] == list(load_vocabulary().exposures)


def test_every_family_site_is_a_cancer_site_code(words: Words) -> None:
    assert [s.key for s in words.family_sites if s.key not in SITE_NAMES] == []
    # The cancers patients most often know in a relative are there.
    keys = {s.key for s in words.family_sites}
    assert {"breast", "ovarian", "colorectal", "prostate", "lung", "pancreatic"} <= keys


def test_every_text_is_given_in_all_five_languages(words: Words) -> None:
    for item in _all_items(words):
        assert set(item.texts) == set(LANGUAGES), item.key
        assert all(item.texts[lang].strip() for lang in LANGUAGES), item.key
        assert ARABIC_SCRIPT.search(item.texts["ar"]), item.key
        assert ARABIC_SCRIPT.search(item.texts["fa-af"]), item.key


def test_the_file_says_which_translations_are_unreviewed_drafts(words: Words) -> None:
    review = words.translation_review
    for language in ("Danish", "Arabic", "Turkish", "Dari"):
        assert language in review
    assert "NOT been reviewed" in review


def test_every_area_a_choice_names_exists_and_every_area_offers_a_choice(words: Words) -> None:
    area_keys = {a.key for a in words.areas}
    assert {a for c in words.choices for a in c.areas} == area_keys
    assert all(words.choices_for(key) for key in area_keys)


def test_keys_are_unique_and_fit_the_fields_that_store_them(words: Words) -> None:
    for kind in (words.areas, words.choices, words.family_sites, words.exposures):
        keys = [item.key for item in kind]
        assert len(keys) == len(set(keys))
    fields = {f.name: f for f in PreparedSymptom._meta.get_fields() if hasattr(f, "max_length")}
    assert max(len(c.key) for c in words.choices) <= fields["choice"].max_length
    assert max(len(c.code) for c in words.choices) <= fields["code"].max_length
    assert max(len(a.key) for a in words.areas) <= fields["body_area"].max_length
    risk = {f.name: f for f in PreparedRiskFactor._meta.get_fields() if hasattr(f, "max_length")}
    assert max(len(s.key) for s in words.family_sites) <= risk["cancer_site"].max_length
    assert max(len(e.key) for e in words.exposures) <= risk["exposure"].max_length


def test_sex_specific_choices_are_the_ones_of_one_sexs_organs(words: Words) -> None:
    female = {c.code for c in words.choices if c.sexes == {"female"}}
    male = {c.code for c in words.choices if c.sexes == {"male"}}
    assert "post_menopausal_bleeding" in female
    assert "testicular_symptoms" in male
    # Men get breast cancer too: the breast is offered to everyone.
    assert all(not c.sexes for c in words.choices_for("breast"))


def test_text_picks_the_language_and_falls_back_to_danish(words: Words) -> None:
    choice = words.choice("cough_blood")
    assert choice is not None
    assert choice.text("en") == "I cough up blood"
    assert choice.text("da") == "Jeg hoster blod op"
    assert choice.text("fa-AF") == choice.texts["fa-af"]
    assert choice.text("en-gb") == "I cough up blood"
    assert choice.text("de") == "Jeg hoster blod op"  # not in the catalogue: Danish
    assert choice.text("") == "Jeg hoster blod op"


def test_lookups_by_key_answer_none_for_an_unknown_key(words: Words) -> None:
    assert words.area("belly") is not None
    assert words.area("spleen") is None
    assert words.area(None) is None
    assert words.choice("no-such-choice") is None
    assert words.family_site("colorectal") is not None
    assert words.exposure("asbestos") is not None
    assert words.choices_for("spleen") == ()


def test_labelled_areas_name_each_area_in_the_language_in_the_catalogues_order(
    words: Words,
) -> None:
    labelled = words.labelled_areas("ar")
    assert [a.key for a in labelled] == [a.key for a in words.areas]
    assert [a.label for a in labelled] == [a.text("ar") for a in words.areas]
    assert labelled[0].side == words.areas[0].side


# --- The property: nobody is offered a choice outside its sex or age -------------------------

SEX = st.sampled_from([None, "female", "male"])
AGE = st.none() | st.integers(min_value=0, max_value=120)


@settings(max_examples=200, deadline=None)
@given(area=st.sampled_from([a.key for a in load_words().areas]), sex=SEX, age=AGE)
def test_choices_for_offers_exactly_the_choices_of_the_area_that_fit(
    area: str, sex: str | None, age: int | None
) -> None:
    words = load_words()
    offered = words.choices_for(area, sex=sex, age=age)
    for choice in offered:
        assert area in choice.areas
        assert sex is None or not choice.sexes or sex in choice.sexes
        assert age is None or choice.min_age is None or age >= choice.min_age
    # And nothing is withheld that fits, in the file's order.
    fitting = [c for c in words.choices if area in c.areas and c.offered_to(sex=sex, age=age)]
    assert list(offered) == fitting


def _minimal() -> dict[str, Any]:
    """The smallest valid catalogue: one area, one choice, one family site, one exposure."""
    texts = {"da": "Maven", "en": "Belly", "ar": "البطن", "tr": "Karın", "fa-af": "شکم"}
    return {
        "translation_review": "English only is reviewed.",
        "areas": [{"key": "belly", "side": "front", "texts": dict(texts)}],
        "choices": [
            {
                "key": "belly_pain",
                "code": "abdominal_pain",
                "areas": ["belly"],
                "texts": dict(texts),
            }
        ],
        "family_sites": [{"key": "colorectal", "texts": dict(texts)}],
        "exposures": [{"key": "asbestos", "texts": dict(texts)}],
    }


@settings(max_examples=100, deadline=None)
@given(
    rules=st.lists(
        st.tuples(
            st.sets(st.sampled_from(["female", "male"])),
            st.none() | st.integers(min_value=0, max_value=120),
        ),
        min_size=1,
        max_size=8,
    ),
    sex=SEX,
    age=AGE,
)
def test_choices_for_respects_any_sex_and_age_limits_a_catalogue_sets(
    rules: list[tuple[set[str], int | None]], sex: str | None, age: int | None
) -> None:
    data = _minimal()
    template = data["choices"][0]
    data["choices"] = []
    for i, (sexes, min_age) in enumerate(rules):
        choice = {**copy.deepcopy(template), "key": f"choice_{i}"}
        if sexes:
            choice["sexes"] = sorted(sexes)
        if min_age is not None:
            choice["min_age"] = min_age
        data["choices"].append(choice)
    words = parse_words(data)
    offered = {c.key for c in words.choices_for("belly", sex=sex, age=age)}
    for i, (sexes, min_age) in enumerate(rules):
        fits = (sex is None or not sexes or sex in sexes) and (
            age is None or min_age is None or age >= min_age
        )
        assert (f"choice_{i}" in offered) == fits


@pytest.mark.parametrize("sex", ["f", "Female", "other", ""])
def test_choices_for_refuses_a_sex_the_record_does_not_know(words: Words, sex: str) -> None:
    with pytest.raises(ValueError, match="sex must be one of"):
        words.choices_for("genitals", sex=sex)


# --- Malformed files ----------------------------------------------------------------------------


def _set(path: str, value: Any) -> Any:
    """A change to the minimal catalogue: set the value at a dotted path ("choices.0.code")."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        elif value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return change


_DELETE = object()
_AREA_TEXTS = {"da": "Ryg", "en": "Back", "ar": "الظهر", "tr": "Sırt", "fa-af": "پشت"}


def _append(kind: str, item: dict[str, Any]) -> Any:
    def change(data: dict[str, Any]) -> None:
        data[kind].append(item)

    return change


def _duplicate(kind: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        data[kind].append(copy.deepcopy(data[kind][0]))

    return change


BAD = [
    ("no review note", _set("translation_review", _DELETE), "needs 'translation_review'"),
    ("empty review note", _set("translation_review", "  "), "needs 'translation_review'"),
    ("no areas", _set("areas", _DELETE), "needs a non-empty list 'areas'"),
    ("areas not a list", _set("areas", {"belly": 1}), "needs a non-empty list 'areas'"),
    ("no choices", _set("choices", []), "needs a non-empty list 'choices'"),
    ("area not a mapping", _set("areas.0", "belly"), "area 1: not a mapping"),
    ("area key capitals", _set("areas.0.key", "Belly"), "area 1: field 'key': must be snake_case"),
    ("area key dash", _set("areas.0.key", "lower-back"), "area 1: field 'key': must be snake_case"),
    ("area key too long", _set("areas.0.key", "a" * 41), "area 1: field 'key': longer than 40"),
    ("area side", _set("areas.0.side", "left"), "area 'belly': field 'side': must be one of"),
    ("area no texts", _set("areas.0.texts", _DELETE), "area 'belly': field 'texts': missing"),
    (
        "area no Dari",
        _set("areas.0.texts.fa-af", _DELETE),
        "area 'belly': field 'texts': missing fa-af",
    ),
    ("area empty Danish", _set("areas.0.texts.da", " "), "area 'belly': field 'texts': missing da"),
    ("area text a number", _set("areas.0.texts.en", 3), "area 'belly': field 'texts': missing en"),
    ("area German", _set("areas.0.texts.de", "Bauch"), "field 'texts': unknown language de"),
    (
        "Arabic in Latin",
        _set("areas.0.texts.ar", "al-batn"),
        "field 'texts.ar': must be written in Arabic script",
    ),
    (
        "Dari in Latin",
        _set("areas.0.texts.fa-af", "shekam"),
        "field 'texts.fa-af': must be written in Arabic script",
    ),
    (
        "choice unknown code",
        _set("choices.0.code", "stomach_ache"),
        "choice 'belly_pain': field 'code': 'stomach_ache' is not a symptom code",
    ),
    (
        "choice finding code",
        _set("choices.0.code", "anaemia"),
        "choice 'belly_pain': field 'code': 'anaemia' is not a symptom code",
    ),
    (
        "choice no code",
        _set("choices.0.code", _DELETE),
        "choice 'belly_pain': field 'code': None is not",
    ),
    (
        "choice no areas",
        _set("choices.0.areas", []),
        "choice 'belly_pain': field 'areas': needs a list",
    ),
    (
        "choice areas a string",
        _set("choices.0.areas", "belly"),
        "choice 'belly_pain': field 'areas': needs a list",
    ),
    (
        "choice unknown area",
        _set("choices.0.areas", ["belly", "tummy"]),
        "choice 'belly_pain': field 'areas': unknown area 'tummy'",
    ),
    (
        "choice area twice",
        _set("choices.0.areas", ["belly", "belly"]),
        "field 'areas': an area is listed twice",
    ),
    (
        "choice sex word",
        _set("choices.0.sexes", ["woman"]),
        "choice 'belly_pain': field 'sexes': must be a non-empty list",
    ),
    ("choice sexes empty", _set("choices.0.sexes", []), "field 'sexes': must be a non-empty list"),
    (
        "choice sexes string",
        _set("choices.0.sexes", "female"),
        "field 'sexes': must be a non-empty list",
    ),
    (
        "choice min_age text",
        _set("choices.0.min_age", "50"),
        "choice 'belly_pain': field 'min_age': must be a whole number",
    ),
    (
        "choice min_age bool",
        _set("choices.0.min_age", True),
        "field 'min_age': must be a whole number",
    ),
    (
        "choice min_age negative",
        _set("choices.0.min_age", -1),
        "field 'min_age': must be a whole number",
    ),
    (
        "choice min_age too old",
        _set("choices.0.min_age", 121),
        "field 'min_age': must be a whole number",
    ),
    (
        "choice key too long",
        _set("choices.0.key", "a" * 61),
        "choice 1: field 'key': longer than 60",
    ),
    (
        "choice without texts",
        _set("choices.0.texts", "Belly pain"),
        "choice 'belly_pain': field 'texts'",
    ),
    ("duplicate area", _duplicate("areas"), "duplicate area keys ['belly']"),
    ("duplicate choice", _duplicate("choices"), "duplicate choice keys ['belly_pain']"),
    (
        "duplicate family site",
        _duplicate("family_sites"),
        "duplicate family_site keys ['colorectal']",
    ),
    ("duplicate exposure", _duplicate("exposures"), "duplicate exposure keys ['asbestos']"),
    (
        "area with no choice",
        _append("areas", {"key": "back", "side": "back", "texts": _AREA_TEXTS}),
        "areas with no choice: ['back']",
    ),
    (
        "family site unknown",
        _set("family_sites.0.key", "bowel"),
        "family_site 'bowel': field 'key': 'bowel' is not a cancer site",
    ),
    (
        "family site no texts",
        _set("family_sites.0.texts", _DELETE),
        "family_site 'colorectal': field 'texts'",
    ),
    (
        "exposure unknown",
        _set("exposures.0.key", "smoking"),
        "exposure 'smoking': field 'key': 'smoking' is not a vocabulary exposure",
    ),
    ("exposure not a mapping", _set("exposures.0", ["asbestos"]), "exposure 1: not a mapping"),
]


def test_the_minimal_catalogue_is_valid() -> None:
    words = parse_words(_minimal())
    assert [c.key for c in words.choices_for("belly")] == ["belly_pain"]


@pytest.mark.parametrize(("change", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_malformed_catalogue_is_refused_naming_the_entry_and_field(
    change: Any, message: str
) -> None:
    data = _minimal()
    change(data)
    with pytest.raises(WordsError) as refused:
        parse_words(data)
    assert str(refused.value).startswith("words.yaml: ")
    assert message in str(refused.value)


@pytest.mark.parametrize("data", [None, [], "areas: []", 3])
def test_a_file_that_is_not_a_mapping_is_refused(data: Any) -> None:
    with pytest.raises(WordsError, match="the top level must be a mapping"):
        parse_words(data)


def test_a_file_that_is_not_yaml_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "words.yaml"
    bad.write_text("areas: [unclosed\n", encoding="utf-8")
    monkeypatch.setattr(words_module, "WORDS_FILE", bad)
    with pytest.raises(WordsError, match="not valid YAML"):
        words_module.load_words.__wrapped__()


def test_the_shipped_file_parses_the_same_as_the_cached_load(words: Words) -> None:
    data = yaml.safe_load(words_module.WORDS_FILE.read_text(encoding="utf-8"))
    assert parse_words(data) == words
