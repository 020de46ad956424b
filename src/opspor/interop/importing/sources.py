"""Where resources come from: files and folders of Bundles (``*.json``) and FHIR Bulk Data
NDJSON files (``*.ndjson``), or one request body.

An NDJSON file is read line by line and never held whole: a bulk export of a region is
gigabytes. A Bundle is one JSON document and is read whole (a bundle is one patient's or one
message's worth). Order: ``.json`` files first, as given (a folder's files sorted by name),
then ``.ndjson`` files in dependency order (organisations, practitioners, their roles,
patients, medicines, encounters, then the rest), whatever order they were given in, so that
every reference points at something imported before.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opspor.interop.importing.report import Rejected

# Resource types in the order their references need them; anything else comes after.
DEPENDENCY_ORDER = (
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "Medication",
    "Encounter",
)
BUNDLE_TYPES = frozenset({"transaction", "batch", "collection", "searchset"})
SUFFIXES = (".json", ".ndjson")


def rank(resource_type: str) -> int:
    try:
        return DEPENDENCY_ORDER.index(resource_type)
    except ValueError:
        return len(DEPENDENCY_ORDER)


@dataclass(frozen=True)
class Entry:
    resource: dict[str, Any]
    position: str  # "line 12" or "entry[3]"
    full_url: str | None = None

    # Asked several times a resource; its resource is not changed once read.
    @functools.cached_property
    def resource_type(self) -> str:
        return str(self.resource.get("resourceType", ""))

    @functools.cached_property
    def fhir_id(self) -> str:
        return str(self.resource.get("id") or "")

    @property
    def where(self) -> str:
        """The resource as a report names it: position, type and id (no patient data)."""
        name = self.resource_type or "resource"
        if self.fhir_id:
            name = f"{name}/{self.fhir_id}"
        return f"{self.position} {name}"


def files_in(paths: Iterable[Path]) -> list[Path]:
    """The files to import, in import order. A missing path is a `FileNotFoundError`."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(str(path))
    bundles = [p for p in found if p.suffix != ".ndjson"]
    ndjson = [p for p in found if p.suffix == ".ndjson"]
    # A stable sort: files of one type keep the order they were given in.
    ndjson.sort(key=lambda p: rank(ndjson_type(p)))
    return bundles + ndjson


def ndjson_type(path: Path) -> str:
    """The resource type of an NDJSON file (one type per file in a bulk export): the first
    line's, else the file name's (``Patient.ndjson``, ``Patient.000.ndjson``)."""
    try:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    return str(json.loads(line).get("resourceType", ""))
    except (ValueError, AttributeError, OSError):
        pass  # the import reports the unreadable line
    return path.name.split(".")[0]


def _object(value: Any, position: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise Rejected(position, "resourceType", "not a FHIR resource (no resourceType)")
    return value


def ndjson_entries(lines: Iterable[str]) -> Iterator[Entry]:
    """One entry per non-blank line; a line that is not a JSON resource rejects the file."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        position = f"line {number}"
        try:
            value = json.loads(line)
        except ValueError as error:
            raise Rejected(position, "", f"not JSON: {error}") from None
        yield Entry(_object(value, position), position)


def document_entries(value: Any) -> list[Entry]:
    """The entries of a JSON document: a Bundle's resources, or one resource alone."""
    resource = _object(value, "document")
    if resource["resourceType"] != "Bundle":
        return [Entry(resource, "document")]
    kind = resource.get("type")
    if kind not in BUNDLE_TYPES:
        raise Rejected(
            "Bundle",
            "Bundle.type",
            f"a {kind!r} bundle is not imported (only {', '.join(sorted(BUNDLE_TYPES))})",
        )
    entries = []
    for index, entry in enumerate(resource.get("entry") or []):
        position = f"entry[{index}]"
        if not isinstance(entry, dict) or "resource" not in entry:
            raise Rejected(
                position, f"Bundle.entry[{index}].resource", "an entry without a resource"
            )
        entries.append(Entry(_object(entry["resource"], position), position, entry.get("fullUrl")))
    return entries


def read_document(path: Path) -> list[Entry]:
    try:
        with path.open("rb") as f:
            value = json.load(f)
    except ValueError as error:  # not UTF-8, or not JSON; the message gives the position
        raise Rejected("", "", f"not JSON: {error}") from None
    return document_entries(value)


def body_entries(body: bytes) -> tuple[str, list[Entry]]:
    """A request body: one JSON document (a Bundle), else NDJSON text. `ValueError` when it
    is neither; the message says why."""
    try:
        return "bundle", document_entries(json.loads(body))
    except Rejected:
        raise
    except ValueError as first:
        text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError too
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise ValueError(f"The body is not JSON: {first}") from None
        values = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    values.append((number, json.loads(line)))
                except ValueError as error:
                    raise ValueError(f"Line {number} of the body is not JSON: {error}") from None
        # JSON throughout: what is wrong now is a resource, and the import reports it.
        return "ndjson", [Entry(_object(v, f"line {n}"), f"line {n}") for n, v in values]


def by_dependency(entries: Sequence[Entry]) -> list[Entry]:
    """Entries of one document in dependency order (stable within a type)."""
    return sorted(entries, key=lambda e: rank(e.resource_type))
