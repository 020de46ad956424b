"""What the patient is told to come back for: the safety-net advice catalogue.

Data in ``advice.yaml`` beside this module. For each symptom of the engine's vocabulary that a
GP commonly safety-nets: the "come back sooner if ..." items and a default review interval in
days, each text in Danish, English, Arabic and Turkish, and each item and interval with its
provenance: a source and the words of it the item rests on, or ``source: null`` with the
reason no source was found and ``verified: false``.

The loader refuses, naming file, entry and field: an unknown symptom code, a duplicate
symptom, a missing language or an empty text, Arabic text not in Arabic script, a review
interval below one day, an unknown source, a verified item without a source and quote (or an
unverified one without a reason), and any text that says or implies the symptom is not
cancer, in any of the four languages: a safety net is there because it has not been ruled
out.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from opspor.engine.datafile import StrictModel, load_yaml, loc
from opspor.engine.vocab import LANGUAGES, load_vocabulary

ADVICE_FILE = Path(__file__).resolve().parent / "advice.yaml"

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]

RULE_OUT_PHRASES: tuple[str, ...] = (
    # English
    "not cancer",
    "not a cancer",
    "no cancer",
    "isn't cancer",
    "cancer-free",
    "cancer free",
    "ruled out cancer",
    "cancer ruled out",
    "cancer has been ruled out",
    "cancer is ruled out",
    "nothing serious",
    # Danish
    "ikke kræft",
    "ikke cancer",
    "ingen kræft",
    "ingen cancer",
    "kræft er udelukket",
    "udelukket kræft",
    "intet alvorligt",
    "ikke noget alvorligt",
    # Turkish
    "kanser değil",
    "kanser değildir",
    "kanser yok",
    "kanser olmadığı",
    "ciddi bir şey değil",
    # Arabic (matched without diacritics, so "سرطانًا" is caught as "سرطانا")
    "ليس سرطان",
    "ليس سرطانا",
    "ليس بسرطان",
    "لا يوجد سرطان",
    "لا سرطان",
    "ليس شيئا خطيرا",
)
"""Phrases that rule cancer out, or wave the symptom away, in any of the four languages.

Each is refused in every language's text, matched as whole words after case folding and with
Arabic diacritics removed. A short list of the obvious forms; review still reads the texts.
"""

_ARABIC_DIACRITICS = re.compile("[\u064b-\u0652\u0670]")
_RULE_OUT = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(p.casefold()) for p in RULE_OUT_PHRASES) + r")(?!\w)"
)


class AdviceError(ValueError):
    """The catalogue is malformed; the message names the file, the entry and the field."""


def _visible(text: str) -> str:
    """The text without invisible format characters, so a zero-width space is not content."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


def _normalised(text: str) -> str:
    text = unicodedata.normalize("NFKC", _visible(text)).casefold()
    text = text.replace("\u2019", "'")
    return " ".join(_ARABIC_DIACRITICS.sub("", text).split())


def rules_out_cancer(text: str) -> str | None:
    """The phrase in ``text`` that rules cancer out, or None."""
    found = _RULE_OUT.search(_normalised(text))
    return found.group(1) if found else None


def _is_arabic(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("ARABIC")


class Text(StrictModel):
    """One text in each of the four languages of the interface."""

    da: str
    en: str
    ar: str
    tr: str

    @field_validator("da", "en", "ar", "tr")
    @classmethod
    def _safe(cls, value: str) -> str:
        if not _visible(value):
            raise ValueError("is empty")
        phrase = rules_out_cancer(value)
        if phrase is not None:
            raise ValueError(f"says or implies that it is not cancer ({phrase!r})")
        return value.strip()

    @field_validator("ar")
    @classmethod
    def _arabic_script(cls, value: str) -> str:
        letters = [ch for ch in value if ch.isalpha()]
        if not letters or not all(_is_arabic(ch) for ch in letters):
            raise ValueError("must be written in Arabic script")
        return value

    def get(self, lang: str) -> str:
        return str(getattr(self, lang)) if lang in LANGUAGES else self.en


class AdviceSource(StrictModel):
    title: NonEmpty
    publisher: NonEmpty
    url: NonEmpty
    year: int | None = None
    accessed_through: str | None = None
    """Where the text was read when that is not the publisher's own page (a copy, an archive)."""


class Provenance(StrictModel):
    """Either a source and the words of it an item rests on, or why there is none."""

    source: str | None
    quote: str | None = None
    verified: bool
    unsourced_reason: str | None = None

    @model_validator(mode="after")
    def _says_where(self) -> Self:
        if self.verified:
            if not (self.source and self.quote and self.quote.strip()):
                raise ValueError("a verified item needs a source and a quote from it")
            if self.unsourced_reason:
                raise ValueError("a verified item has no unsourced_reason")
        else:
            if self.source is not None:
                raise ValueError("an unverified item has source: null")
            if not (self.unsourced_reason and self.unsourced_reason.strip()):
                raise ValueError("an item without a source needs an unsourced_reason")
        return self


class ComeBackIf(StrictModel):
    """One "come back sooner if ..." item."""

    text: Text
    provenance: Provenance


class Review(StrictModel):
    """The default review interval; the GP agrees the actual date with the patient."""

    days: int = Field(ge=1)
    provenance: Provenance


class Advice(StrictModel):
    symptom: Code
    review: Review
    come_back_if: tuple[ComeBackIf, ...] = Field(min_length=1)

    def provenances(self) -> list[tuple[str, Provenance]]:
        """Every provenance of the entry with the dotted field it belongs to."""
        found = [("review.provenance", self.review.provenance)]
        found += [
            (f"come_back_if.{i}.provenance", item.provenance)
            for i, item in enumerate(self.come_back_if)
        ]
        return found


class _File(StrictModel):
    schema_version: Literal[1]
    translation_review: NonEmpty
    sources: dict[str, AdviceSource]
    entries: list[Any]


@dataclass(frozen=True)
class AdviceCatalogue:
    entries: Mapping[str, Advice]
    """By symptom code, in file order."""
    sources: Mapping[str, AdviceSource]

    def for_symptom(self, code: str) -> Advice | None:
        return self.entries.get(code)


def _fail(file: str, entry: object, field: str, message: str) -> AdviceError:
    where = f"{file}: entry {entry!r}" if entry is not None else file
    return AdviceError(f"{where}: field {field!r}: {message.removeprefix('Value error, ')}")


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    return loc(err["loc"], "(entry)"), err["msg"]


def parse_advice(
    raw: object, *, file: str, symptoms: Collection[str] | None = None
) -> AdviceCatalogue:
    """Validate a parsed catalogue; ``symptoms`` defaults to the engine's symptom codes."""
    known = symptoms if symptoms is not None else load_vocabulary().symptoms.keys()
    if not isinstance(raw, dict):
        raise _fail(file, None, "(file)", "the top level must be a mapping")
    try:
        header = _File.model_validate(raw)
    except ValidationError as exc:
        raise _fail(file, None, *_first_error(exc)) from exc
    entries: dict[str, Advice] = {}
    for index, item in enumerate(header.entries):
        name = item.get("symptom", f"#{index}") if isinstance(item, dict) else f"#{index}"
        try:
            entry = Advice.model_validate(item)
        except ValidationError as exc:
            raise _fail(file, name, *_first_error(exc)) from exc
        if entry.symptom not in known:
            raise _fail(
                file,
                entry.symptom,
                "symptom",
                "unknown symptom code (see engine/vocab/symptoms.yaml)",
            )
        if entry.symptom in entries:
            raise _fail(file, entry.symptom, "symptom", "duplicate symptom")
        for where, prov in entry.provenances():
            if prov.source is not None and prov.source not in header.sources:
                raise _fail(
                    file, entry.symptom, f"{where}.source", f"unknown source {prov.source!r}"
                )
        entries[entry.symptom] = entry
    return AdviceCatalogue(
        entries=MappingProxyType(entries), sources=MappingProxyType(dict(header.sources))
    )


def _read(path: Path, symptoms: Collection[str] | None) -> AdviceCatalogue:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _fail(path.name, None, "(yaml)", f"cannot be read: {exc}") from exc
    return parse_advice(raw, file=path.name, symptoms=symptoms)


@functools.cache
def _packaged() -> AdviceCatalogue:
    return _read(ADVICE_FILE, None)


def load_advice(
    path: str | Path | None = None, *, symptoms: Collection[str] | None = None
) -> AdviceCatalogue:
    """The shipped catalogue (read once), or the one at ``path`` (read every time)."""
    if path is None and symptoms is None:
        return _packaged()
    return _read(Path(path) if path is not None else ADVICE_FILE, symptoms)
