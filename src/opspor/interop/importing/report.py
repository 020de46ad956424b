"""What an import did, file by file: every resource read lands in exactly one bucket.

Buckets:
- ``imported``: a new row (or a new link to a known practice or clinician);
- ``updated``: a resource imported before whose content changed; its row changed;
- ``unchanged``: a resource imported before with the same content; nothing written;
- ``kept_unmapped``: stored as received in ``ImportedResource.unmapped`` (an observation of
  nothing the vocabulary knows, an organisation that is no known practice, ...);
- ``ignored``: a resource type Opspor reads but deliberately does not keep (allergies);
- ``out_of_scope``: a resource (or an encounter class) Opspor has no place for.

A rejected file imported nothing; its counts are those read before the rejection and say
nothing was written. The report holds file names, resource types and ids, line numbers and
field paths, never patient data, so that it may be logged and stored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

BUCKETS = ("imported", "updated", "unchanged", "kept_unmapped", "ignored", "out_of_scope")


@dataclass(frozen=True)
class Rejection:
    """Why a file imported nothing: where (resource, field) and what."""

    resource: str  # "Observation/abc (line 12)", "entry[3] Patient/p1", or "" for the file
    field: str  # "Observation.valueQuantity.value", or "" where no one field is at fault
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"resource": self.resource, "field": self.field, "message": self.message}


class Rejected(Exception):
    """Raised inside a file's transaction: the file is rolled back and reported."""

    def __init__(self, resource: str, field_path: str, message: str) -> None:
        super().__init__(f"{resource} {field_path}: {message}")
        self.rejection = Rejection(resource, field_path, message)


@dataclass
class FileResult:
    source: str
    format: str  # "bundle", "resource" or "ndjson"
    rejection: Rejection | None = None
    counts: Counter[str] = field(default_factory=Counter)
    # resource type → bucket → count
    by_type: dict[str, Counter[str]] = field(default_factory=dict)
    seconds: float = 0.0
    read: int = 0  # resources read, rejected files' too

    @property
    def accepted(self) -> bool:
        return self.rejection is None

    @property
    def resources(self) -> int:
        return sum(self.counts.values())

    def reject(self, rejection: Rejection) -> None:
        """Nothing of the file was imported: its counts go."""
        self.rejection = rejection
        self.counts.clear()
        self.by_type.clear()

    def add(self, resource_type: str, bucket: str, n: int = 1) -> None:
        assert bucket in BUCKETS, bucket
        self.counts[bucket] += n
        self.by_type.setdefault(resource_type, Counter())[bucket] += n

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "accepted": self.accepted,
            "rejection": self.rejection.as_dict() if self.rejection else None,
            "resources": self.resources,
            "read": self.read,
            "counts": {b: self.counts.get(b, 0) for b in BUCKETS},
            "by_type": {t: dict(sorted(c.items())) for t, c in sorted(self.by_type.items())},
            "seconds": round(self.seconds, 3),
        }


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    import_id: int | None = None

    @property
    def accepted(self) -> bool:
        return all(f.accepted for f in self.files)

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if not f.accepted]

    @property
    def resources(self) -> int:
        return sum(f.resources for f in self.files)

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            if f.accepted:
                total.update(f.counts)
        return total

    @property
    def throughput(self) -> float:
        """Resources read per second, over every file, rejected ones too."""
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        counts = self.counts
        return {
            "import_id": self.import_id,
            "accepted": self.accepted,
            "files": [f.as_dict() for f in self.files],
            "files_rejected": len(self.rejected),
            "resources": self.resources,
            "read": self.read,
            "counts": {b: counts.get(b, 0) for b in BUCKETS},
            "seconds": round(self.seconds, 3),
            "resources_per_second": round(self.throughput, 1),
        }

    def lines(self) -> list[str]:
        out = []
        for f in self.files:
            if f.accepted:
                counts = ", ".join(f"{b} {f.counts[b]}" for b in BUCKETS if f.counts.get(b))
                out.append(f"{f.source}: {f.resources} resources ({counts or 'none'})")
            else:
                assert f.rejection is not None
                r = f.rejection
                where = " ".join(x for x in (r.resource, r.field) if x)
                out.append(f"{f.source}: REJECTED, nothing imported: {where}: {r.message}")
        total = self.counts
        out.append(
            f"{len(self.files)} files, {len(self.rejected)} rejected; "
            + ", ".join(f"{b} {total.get(b, 0)}" for b in BUCKETS)
        )
        out.append(
            f"{self.read} resources read in {self.seconds:.1f} s "
            f"({self.throughput:,.0f} resources/s)"
        )
        return out
