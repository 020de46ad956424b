"""Loading and validating the vocabulary's YAML data files."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import cast

import yaml
from pydantic import BaseModel, ValidationError

from opspor.engine.datafile import load_yaml
from opspor.engine.vocab.model import (
    Entry,
    Exposure,
    Finding,
    Kind,
    Lab,
    Source,
    Symptom,
    VocabularyFile,
)

FILES: Mapping[Kind, str] = MappingProxyType(
    {
        "symptom": "symptoms.yaml",
        "lab": "labs.yaml",
        "finding": "findings.yaml",
        "exposure": "exposures.yaml",
    }
)

_MODELS: Mapping[Kind, type[Entry]] = MappingProxyType(
    {"symptom": Symptom, "lab": Lab, "finding": Finding, "exposure": Exposure}
)


class VocabularyError(ValueError):
    """A data file is missing or malformed; the message names the file, entry and field."""


def _error(file: str, code: object, field_name: str, message: str) -> VocabularyError:
    where = f"{file}: entry {code!r}" if code is not None else file
    return VocabularyError(f"{where}: field {field_name!r}: {message}")


def _source_references(obj: object, path: str) -> Iterator[tuple[str, str]]:
    """Every ``source`` key used anywhere inside a model, with the dotted path to it."""
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            sub = f"{path}.{name}" if path else name
            if name == "source" and isinstance(value, str):
                yield sub, value
            else:
                yield from _source_references(value, sub)
    elif isinstance(obj, tuple | list):
        for i, item in enumerate(obj):
            yield from _source_references(item, f"{path}.{i}")


def _msg(text: str) -> str:
    # pydantic prefixes custom validator messages; the file/entry/field prefix says it already.
    return text.removeprefix("Value error, ")


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(entry)"


def _read(directory: Traversable, kind: Kind) -> tuple[dict[str, Entry], dict[str, Source]]:
    name = FILES[kind]
    resource = directory / name
    if not resource.is_file():
        raise _error(name, None, "(file)", f"missing from {directory}")
    try:
        raw = load_yaml(resource.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _error(name, None, "(yaml)", f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise _error(name, None, "(file)", "the top level must be a mapping")

    try:
        header = VocabularyFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _error(name, None, _loc(err["loc"]), _msg(err["msg"])) from exc
    if header.kind != kind:
        raise _error(name, None, "kind", f"is {header.kind!r}, expected {kind!r}")

    model = _MODELS[kind]
    entries: dict[str, Entry] = {}
    for index, item in enumerate(header.entries):
        code = item.get("code", f"#{index}")
        try:
            entry = model.model_validate(item)
        except ValidationError as exc:
            problems = [(_loc(e["loc"]), _msg(e["msg"])) for e in exc.errors()]
            first_field, first_msg = problems[0]
            more = "; ".join(f"field {f!r}: {m}" for f, m in problems[1:])
            raise _error(
                name, code, first_field, first_msg + (f" (and {more})" if more else "")
            ) from exc
        if entry.code in entries:
            raise _error(name, entry.code, "code", "duplicate code in this file")
        for where, key in _source_references(entry, ""):
            if key not in header.sources:
                raise _error(name, entry.code, where, f"unknown source {key!r}")
        entries[entry.code] = entry
    return entries, dict(header.sources)


@dataclass(frozen=True)
class Vocabulary:
    """The validated vocabulary, one read-only mapping per kind, keyed by code."""

    symptoms: Mapping[str, Symptom]
    labs: Mapping[str, Lab]
    findings: Mapping[str, Finding]
    exposures: Mapping[str, Exposure]
    sources: Mapping[Kind, Mapping[str, Source]] = field(default_factory=dict)

    def _by_kind(self) -> tuple[Mapping[str, Entry], ...]:
        return (self.symptoms, self.labs, self.findings, self.exposures)

    def lookup(self, code: str) -> Entry:
        """The entry with this code, whatever its kind; KeyError if unknown."""
        for table in self._by_kind():
            if code in table:
                return table[code]
        raise KeyError(code)

    def is_known(self, code: str) -> bool:
        return any(code in table for table in self._by_kind())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.is_known(code)

    def kind_of(self, code: str) -> Kind:
        return self.lookup(code).kind

    def codes(self) -> frozenset[str]:
        return frozenset(code for table in self._by_kind() for code in table)

    def source_of(self, kind: Kind, key: str) -> Source:
        """The full citation behind a ``source`` key used in a file of this kind."""
        return self.sources[kind][key]


def _load(directory: Traversable) -> Vocabulary:
    tables: dict[Kind, dict[str, Entry]] = {}
    sources: dict[Kind, Mapping[str, Source]] = {}
    owner: dict[str, str] = {}
    for kind, name in FILES.items():
        entries, srcs = _read(directory, kind)
        for code in entries:
            if code in owner:
                raise _error(name, code, "code", f"already defined in {owner[code]}")
            owner[code] = name
        tables[kind] = entries
        sources[kind] = MappingProxyType(srcs)

    for code, finding in cast(dict[str, Finding], tables["finding"]).items():
        if finding.derived_from and finding.derived_from.lab not in tables["lab"]:
            raise _error(
                FILES["finding"],
                code,
                "derived_from.lab",
                f"unknown lab {finding.derived_from.lab!r}",
            )

    return Vocabulary(
        symptoms=MappingProxyType(cast(dict[str, Symptom], tables["symptom"])),
        labs=MappingProxyType(cast(dict[str, Lab], tables["lab"])),
        findings=MappingProxyType(cast(dict[str, Finding], tables["finding"])),
        exposures=MappingProxyType(cast(dict[str, Exposure], tables["exposure"])),
        sources=MappingProxyType(sources),
    )


@functools.cache
def _load_packaged() -> Vocabulary:
    return _load(resources.files("opspor.engine.vocab"))


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Load and validate the vocabulary.

    Without ``path`` the data files shipped with the package are read once and cached.
    With ``path`` the four files are read from that directory every time, uncached, so a
    test can rewrite them between calls.
    """
    if path is None:
        return _load_packaged()
    return _load(Path(path))
