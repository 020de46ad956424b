"""Loading a population scan's result file as the practices' worklist signals.

`scan_import` checks the whole file first (`result_file.py`) and refuses it with
`ScanRefused` before anything is written. Then, in one transaction, the signals of every
practice the scan covered are replaced by the file's (through the same
`practice_signals_replace` the worker uses for one patient), and the import is recorded.

A row's patient is the record's patient with that id. An id the record does not have is
counted and left out, never created. A patient whose practice in the record is another
than the row's (moved since the data was exported) is stored under the record's practice
and counted as moved: the worklist is the practice's that has the patient now.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from opspor.population.models import ScanImport
from opspor.population.result_file import (
    ResultFile,
    ScanRefused,
    result_batches,
    result_file_check,
)
from opspor.population.scan.worklist import worklist_signals
from opspor.records.models import Patient, Practice
from opspor.safetynet.models import PatientSignal, SignalRun
from opspor.safetynet.signal_compute import (
    last_contacts,
    practice_signals_replace,
    signal_last_contact,
)

# Example ids in a report: enough to look a few up, few enough to read.
EXAMPLES = 5

__all__ = ["ImportReport", "ScanRefused", "scan_import"]


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a file imported before, what that import did)."""

    scan_import_id: int
    as_of: date
    sha256: str
    backend: str
    by: str
    imported_at: datetime
    practices: tuple[int, ...]
    rows: int
    patients_loaded: int
    signals: int
    unknown_patients: int
    moved_patients: int
    unknown_examples: tuple[int, ...] = ()
    moved_examples: tuple[int, ...] = ()
    already_imported: bool = False

    def lines(self) -> list[str]:
        """The report in a few lines, for the command's output (ids, never names)."""
        head = (
            f"population scan as of {self.as_of.isoformat()} ({self.backend}, "
            f"SHA-256 {self.sha256[:12]}…)"
        )
        if self.already_imported:
            when = timezone.localtime(self.imported_at)
            return [
                f"Already imported: the {head} was loaded on {when:%Y-%m-%d %H:%M} "
                f"({self.by}); nothing changed."
            ]
        lines = [
            f"Imported the {head}.",
            f"Practices: {len(self.practices):,} ({_ids(self.practices)}).",
            f"Rows: {self.rows:,}; patients loaded: {self.patients_loaded:,}; "
            f"signals stored: {self.signals:,}.",
            f"Unknown patients (not in the record, not created): {self.unknown_patients:,}"
            + (f" (e.g. {_ids(self.unknown_examples)})" if self.unknown_examples else "")
            + ".",
            f"Moved patients (stored under their practice in the record): "
            f"{self.moved_patients:,}"
            + (f" (e.g. {_ids(self.moved_examples)})" if self.moved_examples else "")
            + ".",
        ]
        return lines


def _ids(ids: tuple[int, ...]) -> str:
    return ", ".join(f"#{i}" for i in ids)


@dataclass
class _Found:
    """The file's patients against the record, before anything is written."""

    unknown: int = 0
    unknown_examples: list[int] = field(default_factory=list)
    moved: int = 0
    moved_examples: list[int] = field(default_factory=list)
    # Practices outside the scan that moved patients now belong to, with those patients.
    elsewhere: dict[int, set[int]] = field(default_factory=dict)


def scan_import(*, path: Path | str, now: datetime | None = None, by: str) -> ImportReport:
    """Load the scan's result file at `path` as the signals of the practices it scanned.

    Raises `ScanRefused` (nothing changed) for a file that is not a scan's result, or
    whose day lies in the future or before the signals stored for one of its practices,
    or that names a practice the record does not have. The same file a second time
    changes nothing: the report says it was already imported.
    """
    if by not in ScanImport.By.values:
        raise ValueError(f"by must be one of {ScanImport.By.values}, not {by!r}")
    now = now or timezone.now()
    file = result_file_check(Path(path), today=timezone.localdate(now))
    before = ScanImport.objects.filter(sha256=file.sha256, as_of=file.meta.as_of).first()
    if before is not None:
        return _report(before, already=True)
    _check_practices(file)
    found = _patients_found(file)
    with transaction.atomic():
        try:
            # Also the guard against the same file loaded twice at once: the second
            # insert waits for the first transaction and then fails on the constraint.
            with transaction.atomic():
                record = ScanImport.objects.create(
                    as_of=file.meta.as_of,
                    sha256=file.sha256,
                    imported_at=now,
                    by=by,
                    backend=file.meta.backend,
                    practices=sorted(file.meta.practices),
                    rows=file.rows,
                    unknown_patients=found.unknown,
                    moved_patients=found.moved,
                )
        except IntegrityError:
            return _report(
                ScanImport.objects.get(sha256=file.sha256, as_of=file.meta.as_of), already=True
            )
        loaded = [0]
        record.signals = practice_signals_replace(
            practices=file.meta.listed,
            patients_of=found.elsewhere,
            rows=_signal_rows(file, found, now=now, loaded=loaded),
            as_of=file.meta.as_of,
            now=now,
            source=SignalRun.Source.SCAN,
        )
        record.patients_loaded = loaded[0]
        record.save(update_fields=["signals", "patients_loaded"])
    return _report(
        record,
        unknown_examples=tuple(found.unknown_examples),
        moved_examples=tuple(found.moved_examples),
    )


def _check_practices(file: ResultFile) -> None:
    """The practices must be the record's, and none may hold signals of a later day."""
    practices = list(file.meta.practices)
    known = set(Practice.objects.filter(pk__in=practices).values_list("pk", flat=True))
    unknown = [p for p in practices if p not in known]
    if unknown:
        raise ScanRefused(
            f"The file is for practice(s) the record does not have: {_ids(tuple(unknown[:5]))}"
            + (" and more" if len(unknown) > 5 else "")
            + "; it belongs to another record."
        )
    later = (
        SignalRun.objects.filter(practice_id__in=practices, as_of__gt=file.meta.as_of)
        .order_by("-as_of", "practice_id")
        .first()
    )
    if later is not None and later.as_of is not None:
        raise ScanRefused(
            f"The file's signals are as of {file.meta.as_of.isoformat()}, but practice "
            f"#{later.practice_id} already has signals as of {later.as_of.isoformat()}; an "
            "older scan does not replace a newer one."
        )


def _patients_found(file: ResultFile) -> _Found:
    scanned = set(file.meta.practices)
    found = _Found()
    for batch in result_batches(file, columns=("patient_id", "practice_id")):
        record = dict(
            Patient.objects.filter(pk__in=[row["patient_id"] for row in batch]).values_list(
                "pk", "practice_id"
            )
        )
        for row in batch:
            patient_id = row["patient_id"]
            practice_id = record.get(patient_id)
            if practice_id is None:
                found.unknown += 1
                if len(found.unknown_examples) < EXAMPLES:
                    found.unknown_examples.append(patient_id)
            elif practice_id != row["practice_id"]:
                found.moved += 1
                if len(found.moved_examples) < EXAMPLES:
                    found.moved_examples.append(patient_id)
                if practice_id not in scanned:
                    found.elsewhere.setdefault(practice_id, set()).add(patient_id)
    return found


def _signal_rows(
    file: ResultFile, found: _Found, *, now: datetime, loaded: list[int]
) -> Iterator[PatientSignal]:
    """The file's signals as rows to store, a batch of the file at a time; `loaded[0]`
    counts the patients stored."""
    as_of = file.meta.as_of
    practices = set(file.meta.practices) | set(found.elsewhere)
    for batch in result_batches(file):
        ids = [row["patient_id"] for row in batch]
        record = {
            pk: (practice_id, registered_from)
            for pk, practice_id, registered_from in Patient.objects.filter(pk__in=ids).values_list(
                "pk", "practice_id", "registered_from"
            )
        }
        last = last_contacts(list(record), as_of=as_of)
        for row in batch:
            patient_id = row["patient_id"]
            if patient_id not in record:
                continue
            practice_id, registered_from = record[patient_id]
            # Moved again since the file was checked, to a practice not locked: its
            # signals come with the next scan or its next contact.
            if practice_id not in practices:
                continue
            loaded[0] += 1
            last_contact_at = signal_last_contact(last.get(patient_id), registered_from)
            for kind, figures in worklist_signals(row).items():
                yield PatientSignal(
                    patient_id=patient_id,
                    practice_id=practice_id,
                    kind=kind,
                    as_of=as_of,
                    figures=figures,
                    last_contact_at=last_contact_at,
                    computed_at=now,
                )


def _report(
    record: ScanImport,
    *,
    already: bool = False,
    unknown_examples: tuple[int, ...] = (),
    moved_examples: tuple[int, ...] = (),
) -> ImportReport:
    return ImportReport(
        scan_import_id=record.pk,
        as_of=record.as_of,
        sha256=record.sha256,
        backend=record.backend,
        by=record.by,
        imported_at=record.imported_at,
        practices=tuple(record.practices),
        rows=record.rows,
        patients_loaded=record.patients_loaded,
        signals=record.signals,
        unknown_patients=record.unknown_patients,
        moved_patients=record.moved_patients,
        unknown_examples=unknown_examples,
        moved_examples=moved_examples,
        already_imported=already,
    )
