"""The plain-words catalogue of "Prepare my consultation" (`data/words.yaml`).

Study finding 7: patients with little Danish, older men and people with low literacy tell
their symptoms "not in the words of the book". The patient picks a body area (on the body
map or in a list) and then a symptom in plain words in their own language; each choice
stands for one code of the clinical vocabulary (`engine/vocab/symptoms.yaml`), so the GP
reads it in Danish whatever language it was picked in. Relatives' cancers and work
exposures the patient can name are here too, as cancer-site codes (`engine/sites.py`) and
vocabulary exposure codes.

Pure Python and YAML: the forms and pages read it, the catalogue knows nothing of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from opspor.engine.sites import SITE_NAMES
from opspor.engine.vocab import load_vocabulary

WORDS_FILE = Path(__file__).parent / "data" / "words.yaml"
# Every text is given in each of these; the page's language picks one, anything else
# falls back to Danish (`text()`).
LANGUAGES = ("da", "en", "ar", "tr", "fa-af")
FALLBACK_LANGUAGE = "da"
RIGHT_TO_LEFT_SCRIPT = frozenset({"ar", "fa-af"})  # must be written in Arabic script
SIDES = frozenset({"front", "back", "both"})
SEXES = frozenset({"female", "male"})  # records.models.Sex
# The fields of PreparedSymptom that store the keys (models.py): choice 60, body_area 40.
CHOICE_KEY_LENGTH = 60
AREA_KEY_LENGTH = 40

_KEY = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")


class WordsError(ValueError):
    """The catalogue file is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class _Texts:
    key: str
    texts: Mapping[str, str]

    def text(self, language: str) -> str:
        """The text in `language` ("ar", "fa-af", "en-gb" reads as "en"), else Danish."""
        wanted = language.lower()
        return (
            self.texts.get(wanted)
            or self.texts.get(wanted.split("-", 1)[0])
            or self.texts[FALLBACK_LANGUAGE]
        )


@dataclass(frozen=True)
class Area(_Texts):
    """A body area: where the body map draws it (front, back or both) and its short name."""

    side: str


@dataclass(frozen=True)
class Choice(_Texts):
    """A symptom in plain words: the vocabulary code it is stored as, the areas it is
    offered in and, where it only concerns some patients, the sexes and the youngest age."""

    code: str
    areas: tuple[str, ...]
    sexes: frozenset[str] = frozenset()  # empty: everyone
    min_age: int | None = None

    def offered_to(self, *, sex: str | None = None, age: int | None = None) -> bool:
        """Whether a patient of this sex and age is offered the choice. An unknown sex or
        age hides nothing: a choice is never withheld for want of a fact."""
        if sex is not None and self.sexes and sex not in self.sexes:
            return False
        return age is None or self.min_age is None or age >= self.min_age


@dataclass(frozen=True)
class FamilySite(_Texts):
    """A cancer a patient can name for a relative; `key` is a site code of engine/sites.py."""


@dataclass(frozen=True)
class Exposure(_Texts):
    """A work or home exposure in plain words; `key` is a vocabulary exposure code."""


@dataclass(frozen=True)
class LabelledArea:
    """An area with its name in one language, as the body map template takes it."""

    key: str
    side: str
    label: str


@dataclass(frozen=True)
class Words:
    areas: tuple[Area, ...]
    choices: tuple[Choice, ...]
    family_sites: tuple[FamilySite, ...]
    exposures: tuple[Exposure, ...]
    translation_review: str

    def area(self, key: str | None) -> Area | None:
        """The area with this key, or None (a key from a query string may be anything)."""
        return next((a for a in self.areas if a.key == key), None)

    def choice(self, key: str | None) -> Choice | None:
        return next((c for c in self.choices if c.key == key), None)

    def family_site(self, key: str | None) -> FamilySite | None:
        return next((s for s in self.family_sites if s.key == key), None)

    def exposure(self, key: str | None) -> Exposure | None:
        return next((e for e in self.exposures if e.key == key), None)

    def choices_for(
        self, area_key: str, *, sex: str | None = None, age: int | None = None
    ) -> tuple[Choice, ...]:
        """The choices offered in an area to a patient of this sex and age, in the file's
        order; none for an unknown area."""
        if sex is not None and sex not in SEXES:
            raise ValueError(f"sex must be one of {sorted(SEXES)} or None, not {sex!r}")
        return tuple(
            c for c in self.choices if area_key in c.areas and c.offered_to(sex=sex, age=age)
        )

    def labelled_areas(self, language: str) -> tuple[LabelledArea, ...]:
        """The areas named in `language`: the `areas` the body map include takes."""
        return tuple(LabelledArea(a.key, a.side, a.text(language)) for a in self.areas)


def _fail(where: str, field: str, message: str) -> WordsError:
    return WordsError(f"{WORDS_FILE.name}: {where}: field {field!r}: {message}")


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise WordsError(f"{WORDS_FILE.name}: {where}: not a mapping")
    return raw


def _key(raw: dict[str, Any], where: str, length: int) -> str:
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise _fail(where, "key", f"must be snake_case (a-z, 0-9, _), not {key!r}")
    if len(key) > length:
        raise _fail(where, "key", f"longer than {length} characters")
    return key


def _texts(raw: dict[str, Any], where: str) -> Mapping[str, str]:
    texts = raw.get("texts")
    if not isinstance(texts, dict):
        raise _fail(where, "texts", "missing, or not a mapping of language to text")
    missing = [lang for lang in LANGUAGES if not isinstance(texts.get(lang), str)]
    missing += [lang for lang in LANGUAGES if lang not in missing and not texts[lang].strip()]
    if missing:
        raise _fail(where, "texts", f"missing {', '.join(missing)}")
    unknown = sorted(set(texts) - set(LANGUAGES))
    if unknown:
        raise _fail(where, "texts", f"unknown language {', '.join(map(str, unknown))}")
    for lang in sorted(RIGHT_TO_LEFT_SCRIPT):
        if not _ARABIC_SCRIPT.search(texts[lang]):
            raise _fail(where, f"texts.{lang}", "must be written in Arabic script")
    return MappingProxyType({lang: " ".join(texts[lang].split()) for lang in LANGUAGES})


def _area(raw: Any, index: int) -> Area:
    where = f"area {index}"
    raw = _mapping(raw, where)
    key = _key(raw, where, AREA_KEY_LENGTH)
    where = f"area {key!r}"
    side = raw.get("side")
    if side not in SIDES:
        raise _fail(where, "side", f"must be one of {sorted(SIDES)}, not {side!r}")
    return Area(key=key, texts=_texts(raw, where), side=side)


def _choice(raw: Any, index: int, areas: set[str], symptoms: Mapping[str, object]) -> Choice:
    where = f"choice {index}"
    raw = _mapping(raw, where)
    key = _key(raw, where, CHOICE_KEY_LENGTH)
    where = f"choice {key!r}"
    code = raw.get("code")
    if code not in symptoms:
        raise _fail(where, "code", f"{code!r} is not a symptom code of the vocabulary")
    listed = raw.get("areas")
    if not isinstance(listed, list) or not listed:
        raise _fail(where, "areas", "needs a list of at least one area key")
    unknown = [a for a in listed if a not in areas]
    if unknown:
        raise _fail(where, "areas", f"unknown area {', '.join(map(repr, unknown))}")
    if len(set(listed)) != len(listed):
        raise _fail(where, "areas", "an area is listed twice")
    sexes = raw.get("sexes", [])
    if "sexes" in raw and (
        not isinstance(sexes, list) or not sexes or any(s not in SEXES for s in sexes)
    ):
        raise _fail(where, "sexes", f"must be a non-empty list of {sorted(SEXES)}")
    min_age = raw.get("min_age")
    if min_age is not None and (
        isinstance(min_age, bool) or not isinstance(min_age, int) or not 0 <= min_age <= 120
    ):
        raise _fail(where, "min_age", f"must be a whole number of years 0-120, not {min_age!r}")
    return Choice(
        key=key,
        texts=_texts(raw, where),
        code=code,
        areas=tuple(listed),
        sexes=frozenset(sexes),
        min_age=min_age,
    )


def _coded(
    raw: Any, index: int, kind: str, known: Mapping[str, object], what: str
) -> tuple[str, Mapping[str, str]]:
    """The key, which must be a code of `known`, and the texts of a family site or exposure."""
    where = f"{kind} {index}"
    raw = _mapping(raw, where)
    key = _key(raw, where, AREA_KEY_LENGTH)
    where = f"{kind} {key!r}"
    if key not in known:
        raise _fail(where, "key", f"{key!r} is not {what}")
    return key, _texts(raw, where)


def _no_duplicates(kind: str, keys: list[str]) -> None:
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise WordsError(f"{WORDS_FILE.name}: duplicate {kind} keys {duplicated}")


def _list(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    if not isinstance(value, list) or not value:
        raise WordsError(f"{WORDS_FILE.name}: needs a non-empty list {name!r}")
    return value


def parse_words(data: Any) -> Words:
    """Validate the catalogue's YAML content; `WordsError` names the entry and field."""
    if not isinstance(data, dict):
        raise WordsError(f"{WORDS_FILE.name}: the top level must be a mapping")
    review = data.get("translation_review")
    if not isinstance(review, str) or not review.strip():
        raise WordsError(f"{WORDS_FILE.name}: needs 'translation_review' saying what is reviewed")
    vocabulary = load_vocabulary()

    areas = tuple(_area(raw, i) for i, raw in enumerate(_list(data, "areas"), start=1))
    _no_duplicates("area", [a.key for a in areas])
    area_keys = {a.key for a in areas}

    choices = tuple(
        _choice(raw, i, area_keys, vocabulary.symptoms)
        for i, raw in enumerate(_list(data, "choices"), start=1)
    )
    _no_duplicates("choice", [c.key for c in choices])
    offered = {area for c in choices for area in c.areas}
    empty = [a.key for a in areas if a.key not in offered]
    if empty:
        raise WordsError(f"{WORDS_FILE.name}: areas with no choice: {empty}")

    family_sites = tuple(
        FamilySite(*_coded(raw, i, "family_site", SITE_NAMES, "a cancer site of engine/sites.py"))
        for i, raw in enumerate(_list(data, "family_sites"), start=1)
    )
    _no_duplicates("family_site", [s.key for s in family_sites])

    exposures = tuple(
        Exposure(*_coded(raw, i, "exposure", vocabulary.exposures, "a vocabulary exposure code"))
        for i, raw in enumerate(_list(data, "exposures"), start=1)
    )
    _no_duplicates("exposure", [e.key for e in exposures])

    return Words(
        areas=areas,
        choices=choices,
        family_sites=family_sites,
        exposures=exposures,
        translation_review=" ".join(review.split()),
    )


@cache
def load_words() -> Words:
    """The catalogue, read and validated once."""
    try:
        data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WordsError(f"{WORDS_FILE.name}: not valid YAML: {exc}") from exc
    return parse_words(data)
