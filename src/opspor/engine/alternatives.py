"""The catalogue of lighter options than a full cancer pathway (DESIGN.md row O4).

Data in ``alternatives.yaml`` beside this module: direct-access CT of thorax and abdomen
(Bispebjerg Hospital in the Capital Region), chest X-ray, ultrasound, FIT, repeat blood tests
after an interval, and an advice request to the diagnostic unit; each with Danish and English
text, the cancer sites and rule investigation codes it can replace or precede, and its
provenance. A malformed entry fails at load with file, entry and field named.

Selection::

    alternatives_for(cancer_sites=["lung"], investigations=["chest_xray"])
    alternatives_for(without_rule=True)          # no criterion matched, but a signal fired

An entry is returned when it shares a cancer site or an investigation code with the matched
rules, or, with ``without_rule=True``, when it is marked as suitable where no guideline
criterion applies (a pattern break, vague symptoms). The assessment passes the matched rules'
``cancer_site`` and ``investigation`` values; both may be empty. Entries keep catalogue
order, each at most once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import StringConstraints, ValidationError, model_validator

from opspor.engine.datafile import StrictModel, load_yaml, loc
from opspor.engine.rules.schema import INVESTIGATIONS

ALTERNATIVES_FILE = Path(__file__).resolve().parent / "alternatives.yaml"

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]


class AlternativesError(ValueError):
    """The catalogue is malformed; the message names the file, the entry and the field."""


class Text(StrictModel):
    da: NonEmpty
    en: NonEmpty

    def get(self, lang: str) -> str:
        return self.da if lang == "da" else self.en


class CatalogueSource(StrictModel):
    title: NonEmpty
    publisher: NonEmpty
    year: int | None = None
    url: NonEmpty
    version: str | None = None


class Provenance(StrictModel):
    """Either a source key and where in it, or an explicit statement of what is unverified."""

    source: str | None = None
    location: str | None = None
    verified: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _says_where(self) -> Self:
        if self.verified and not (self.source and self.location):
            raise ValueError("a verified item needs a source and a location")
        if not self.verified and not self.note:
            raise ValueError("an unverified item needs a note saying what is missing")
        return self


class Alternative(StrictModel):
    code: Code
    labels: Text
    description: Text
    cancer_sites: tuple[Code, ...] = ()
    investigations: tuple[Code, ...] = ()
    without_rule: bool = False
    region: str | None = None
    waiting_time: str | None = None
    """Only when a source gives one; never an estimate."""
    provenance: tuple[Provenance, ...]

    @model_validator(mode="after")
    def _checked(self) -> Self:
        unknown = [code for code in self.investigations if code not in INVESTIGATIONS]
        if unknown:
            raise ValueError(f"unknown investigation code(s) {unknown} (see rules INVESTIGATIONS)")
        if not any(p.verified for p in self.provenance):
            raise ValueError("at least one provenance item must name a source")
        if not (self.cancer_sites or self.investigations or self.without_rule):
            raise ValueError("an entry must say when it is suggested")
        return self


class _File(StrictModel):
    schema_version: Literal[1]
    sources: dict[str, CatalogueSource]
    entries: list[dict[str, Any]]


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[Alternative, ...]
    sources: Mapping[str, CatalogueSource]


def _fail(file: str, entry: object, field: str, message: str) -> AlternativesError:
    where = f"{file}: entry {entry!r}" if entry is not None else file
    return AlternativesError(f"{where}: field {field!r}: {message}")


def parse_catalogue(raw: object, *, file: str) -> Catalogue:
    if not isinstance(raw, dict):
        raise _fail(file, None, "(file)", "the top level must be a mapping")
    try:
        header = _File.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _fail(
            file, None, loc(err["loc"], "(entry)"), err["msg"].removeprefix("Value error, ")
        ) from exc
    entries: list[Alternative] = []
    for index, item in enumerate(header.entries):
        code = item.get("code", f"#{index}") if isinstance(item, dict) else f"#{index}"
        try:
            entry = Alternative.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise _fail(
                file, code, loc(err["loc"], "(entry)"), err["msg"].removeprefix("Value error, ")
            ) from exc
        if any(e.code == entry.code for e in entries):
            raise _fail(file, entry.code, "code", "duplicate code")
        for i, prov in enumerate(entry.provenance):
            if prov.source is not None and prov.source not in header.sources:
                raise _fail(
                    file, entry.code, f"provenance.{i}.source", f"unknown source {prov.source!r}"
                )
        entries.append(entry)
    return Catalogue(entries=tuple(entries), sources=dict(header.sources))


def _read(path: Path) -> Catalogue:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _fail(path.name, None, "(yaml)", f"cannot be read: {exc}") from exc
    return parse_catalogue(raw, file=path.name)


@functools.cache
def _packaged() -> Catalogue:
    return _read(ALTERNATIVES_FILE)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    return _packaged() if path is None else _read(Path(path))


def alternatives_for(
    *,
    cancer_sites: Iterable[str | None] = (),
    investigations: Iterable[str | None] = (),
    without_rule: bool = False,
    catalogue: Catalogue | None = None,
) -> list[Alternative]:
    """The catalogue entries that fit the matched rules, in catalogue order.

    ``cancer_sites`` and ``investigations`` are the matched rules' values (None is ignored,
    since many rules have no investigation). ``without_rule=True`` adds the entries meant for
    the case where no criterion matched but a signal fired.
    """
    sites = {s for s in cancer_sites if s}
    tests = {t for t in investigations if t}
    catalogue = catalogue or load_catalogue()
    return [
        entry
        for entry in catalogue.entries
        if sites & set(entry.cancer_sites)
        or tests & set(entry.investigations)
        or (without_rule and entry.without_rule)
    ]
