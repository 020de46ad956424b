"""What a reference in an imported resource points at.

Forms:
- ``urn:uuid:...`` (or any ``fullUrl``): a resource of the same Bundle; one that is not
  there is a broken reference and rejects the file;
- ``Type/id``: a resource of the same Bundle with that type and id, else one imported
  before (``ImportedResource`` with that type and logical id); neither is a broken
  reference and rejects the file. An id imported before from two places is ambiguous and
  rejects the file too;
- ``Type?identifier=system|value`` (a conditional reference, as transaction bundles of
  synthetic-patient generators write them): the resource imported before under that key,
  if any; none is no error (it names something outside the file by identity);
- any other absolute URL that is no ``fullUrl`` of the Bundle: outside Opspor, unresolved.

Lookups in the database go by the batch (one query per resource type), and what was found
is kept for the rest of the file: only the maps the file needs, never the file's resources.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from opspor.interop.models import ImportedResource

_LOCAL = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/[A-Za-z0-9\-.]+)?$")
_CONDITIONAL = re.compile(r"^([A-Z][A-Za-z]+)\?identifier=(.+)$")
# Resource types whose kept resource a later one reads (a Practitioner's name for its
# clinician, a Medication's code for a statement).
_KEEP_RESOURCE = frozenset({"Practitioner", "Medication"})


@dataclass(frozen=True)
class Ref:
    raw: str
    kind: str  # "url", "local", "conditional" or "external"
    resource_type: str = ""
    fhir_id: str = ""
    key: str = ""  # for a conditional reference: "system|value"


# A file names the same few patients and practitioners over and over; bounded, so that
# memory stays flat.
@functools.lru_cache(maxsize=4096)
def parse(raw: str) -> Ref:
    if match := _LOCAL.match(raw):
        return Ref(raw, "local", match[1], match[2])
    if match := _CONDITIONAL.match(raw):
        return Ref(raw, "conditional", match[1], key=unquote(match[2]))
    if raw.startswith(("urn:uuid:", "urn:oid:", "http://", "https://")):
        return Ref(raw, "url")
    return Ref(raw, "external")


@dataclass
class Target:
    """A resource a reference resolved to: its ledger key and the row it became, if any."""

    resource_type: str
    key: str
    row_model: str | None = None  # "records.patient", ...
    row_id: int | None = None
    resource: dict[str, Any] | None = None  # kept for Practitioner and Medication

    def row_of(self, label: str) -> int | None:
        return self.row_id if self.row_model == label else None


class BrokenReference(Exception):
    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(reason)
        self.raw = raw
        self.reason = reason


class Resolver:
    """References of one file. `in_file` holds the identities of the Bundle's resources
    (``(type, id)`` and each ``fullUrl``) before any is imported; `known` those imported so
    far in the file; `_db` those found in the database."""

    def __init__(self, row_labels: dict[int, str]) -> None:
        self.row_labels = row_labels  # ContentType id → "app.model"
        self.in_file_ids: set[tuple[str, str]] = set()
        self.in_file_urls: dict[str, tuple[str, str]] = {}
        self.known: dict[tuple[str, str], Target] = {}
        self._db: dict[tuple[str, str], Target | None] = {}
        self._by_key: dict[tuple[str, str], Target | None] = {}
        self._ambiguous: set[tuple[str, str]] = set()

    def add_file_entry(self, resource_type: str, fhir_id: str, full_url: str | None) -> None:
        identity = (resource_type, fhir_id or f"url:{full_url}")
        if fhir_id:
            self.in_file_ids.add(identity)
        if full_url:
            self.in_file_urls[full_url] = identity

    def identity(self, resource_type: str, fhir_id: str, full_url: str | None) -> tuple[str, str]:
        return (resource_type, fhir_id or f"url:{full_url}")

    def remember(self, identity: tuple[str, str], target: Target) -> None:
        self.known[identity] = target
        self._by_key[(target.resource_type, target.key)] = target

    def prefetch(self, raws: list[str]) -> None:
        """Find the resources these references name in the database, a query per type."""
        wanted: dict[str, set[str]] = {}
        wanted_keys: dict[str, set[str]] = {}
        for raw in raws:
            ref = parse(raw)
            identity = (ref.resource_type, ref.fhir_id)
            if ref.kind == "local" and identity not in self.known and identity not in self._db:
                if identity not in self.in_file_ids:
                    wanted.setdefault(ref.resource_type, set()).add(ref.fhir_id)
            elif ref.kind == "conditional" and (ref.resource_type, ref.key) not in self._by_key:
                wanted_keys.setdefault(ref.resource_type, set()).add(ref.key)
        for resource_type, ids in wanted.items():
            for fhir_id in ids:
                self._db[(resource_type, fhir_id)] = None
            for row in self._query(resource_type).filter(fhir_id__in=ids):
                identity = (resource_type, row["fhir_id"])
                if self._db[identity] is not None:
                    self._ambiguous.add(identity)
                self._db[identity] = self._target(resource_type, row)
        for resource_type, keys in wanted_keys.items():
            for key in keys:
                self._by_key[(resource_type, key)] = None
            for row in self._query(resource_type).filter(key__in=keys):
                self._by_key[(resource_type, row["key"])] = self._target(resource_type, row)

    def _query(self, resource_type: str) -> Any:
        fields = ["fhir_id", "key", "row_type_id", "row_id"]
        if resource_type in _KEEP_RESOURCE:
            fields.append("unmapped")
        return ImportedResource.objects.filter(resource_type=resource_type).values(*fields)

    def _target(self, resource_type: str, row: dict[str, Any]) -> Target:
        return Target(
            resource_type=resource_type,
            key=row["key"],
            row_model=self.row_labels.get(row["row_type_id"]) if row["row_type_id"] else None,
            row_id=row["row_id"],
            resource=row.get("unmapped"),
        )

    def cached(self, raw: str) -> Target | None:
        """What a `Type/id` reference was found to be in the database, if looked up."""
        ref = parse(raw)
        return self._db.get((ref.resource_type, ref.fhir_id)) if ref.kind == "local" else None

    def resolve(self, raw: str) -> Target | None:
        """The target of a reference; None for one outside the file and outside Opspor, or
        for a resource of the file that became nothing. `BrokenReference` for a reference
        that should resolve and does not."""
        ref = parse(raw)
        if ref.kind == "url":
            identity = self.in_file_urls.get(raw)
            if identity is None:
                if raw.startswith("urn:"):
                    raise BrokenReference(raw, "names no resource of this bundle")
                return None
            return self.known.get(identity)
        if ref.kind == "local":
            identity = (ref.resource_type, ref.fhir_id)
            if identity in self.known:
                return self.known[identity]
            if identity in self.in_file_ids:
                return None
            if identity not in self._db:
                self.prefetch([raw])
            if identity in self._ambiguous:
                raise BrokenReference(raw, "names resources imported from more than one place")
            found = self._db[identity]
            if found is None:
                raise BrokenReference(raw, "names no resource of this file nor one imported before")
            return found
        if ref.kind == "conditional":
            if (ref.resource_type, ref.key) not in self._by_key:
                self.prefetch([raw])
            return self._by_key[(ref.resource_type, ref.key)]
        return None
