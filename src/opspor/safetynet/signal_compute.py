"""The engine's watched signals for a practice's patients, computed and stored with their date.

Two writers replace stored signals, both through `practice_signals_replace`: the region's
population scan each night (`opspor.population`, the whole practice at once) and the
worker after each new contact (`tasks.py`, one patient). The whole-practice computation here
(`practice_signals_compute`) is the application's own reading of the same definitions: the
demo's seed uses it, and the tests hold the scan to it. It reads the record in the same few
queries per chunk of patients as the per-patient one and calls the same engine function
(`engine/signals/watchlist.py`), so a patient's stored signals do not depend on which of the
two computed them.

Which patients: those listed with the practice on the as-of day (registered, not
deregistered, alive). Which contacts: every contact of the patient up to the end of the
as-of day, by its local (Copenhagen) day, as the engine's context reads them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from itertools import batched
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from opspor.engine.settings import DEFAULT_SETTINGS, EngineSettings
from opspor.engine.signals.new_symptom import familiar_symptoms
from opspor.engine.signals.repeat_symptom import repeated_consultations
from opspor.engine.signals.watchlist import watched_signals
from opspor.records.models import Condition, Contact, Medication, Patient, Symptom
from opspor.safetynet.models import PatientSignal, SignalRun

# Patients per round of queries: bounded memory and a bounded list of ids in each IN (...)
# (SQLite's default limit on parameters is far above it).
CHUNK = 2_000
# Signal rows per INSERT.
INSERT_BATCH = 1_000

# (id, birth date, sex, registered from) of one patient.
PatientRow = tuple[int, date, str, date]


def _listed_on(as_of: date) -> Q:
    return (
        Q(registered_from__lte=as_of, birth_date__lte=as_of)
        & (Q(registered_to__isnull=True) | Q(registered_to__gte=as_of))
        & (Q(died_on__isnull=True) | Q(died_on__gt=as_of))
    )


def listed_on(as_of: date) -> Q:
    """The patients listed with their practice on `as_of`, whose signals are computed: what
    the quality unit's signal rates count per patient too."""
    return _listed_on(as_of)


def _day_end(day: date) -> datetime:
    """The first moment after `day`, local time."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def signal_last_contact(last: datetime | None, registered_from: date) -> datetime:
    """The moment a stored signal's dismissal is measured against: the patient's latest
    contact, or for a patient never seen, midnight of their registration (a first contact
    is then "new")."""
    return last or timezone.make_aware(datetime.combine(registered_from, time.min))


def last_contacts(ids: Collection[int], *, as_of: date) -> dict[int, datetime]:
    """Each patient's latest contact up to the end of `as_of`; patients never seen left out."""
    return dict(
        Contact.objects.filter(patient_id__in=ids, at__lt=_day_end(as_of))
        .order_by()
        .values("patient_id")
        .annotate(last=Max("at"))
        .values_list("patient_id", "last")
    )


def _familiar(ids: Iterable[int], as_of: date) -> dict[int, frozenset[str]]:
    """The symptom codes each patient's chronic conditions and current medicines account
    for, as the engine's context reads them (unresolved conditions; medicines started by
    `as_of` and not stopped before it)."""
    ids = list(ids)
    if not ids:
        return {}
    chronic: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for pid, system, code in Condition.objects.filter(
        patient_id__in=ids, chronic=True, resolved__isnull=True
    ).values_list("patient_id", "system", "code"):
        chronic[pid].append((system, code))
    medicines: dict[int, list[str]] = defaultdict(list)
    for pid, atc in (
        Medication.objects.filter(patient_id__in=ids, start__lte=as_of)
        .filter(Q(stop__isnull=True) | Q(stop__gte=as_of))
        .values_list("patient_id", "atc")
    ):
        medicines[pid].append(atc)
    return {pid: familiar_symptoms(chronic=chronic[pid], medicines=medicines[pid]) for pid in ids}


def _signals_of(
    patients: Sequence[PatientRow],
    *,
    as_of: date,
    now: datetime,
    settings: EngineSettings = DEFAULT_SETTINGS,
    practice_of: dict[int, int],
) -> list[PatientSignal]:
    """The signal rows of one chunk of patients (not saved)."""
    ids = [row[0] for row in patients]
    end = _day_end(as_of)
    zone = timezone.get_default_timezone()
    days: dict[int, list[date]] = defaultdict(list)
    last: dict[int, datetime] = {}
    for pid, at in Contact.objects.filter(patient_id__in=ids, at__lt=end).values_list(
        "patient_id", "at"
    ):
        days[pid].append(at.astimezone(zone).date())
        if pid not in last or at > last[pid]:
            last[pid] = at
    window_start = as_of - timedelta(days=settings.repeat_symptom_days)
    consultations: dict[int, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    for pid, code, recorded_on, contact_at in Symptom.objects.filter(
        patient_id__in=ids, recorded_on__gte=window_start
    ).values_list("patient_id", "code", "recorded_on", "contact__at"):
        day = contact_at.astimezone(zone).date() if contact_at is not None else recorded_on
        consultations[pid][code].append(day)
    # Conditions and medicines are read only for the few patients with a repeated symptom.
    candidates = [
        pid
        for pid, by_code in consultations.items()
        if repeated_consultations(
            by_code,
            on=as_of,
            window_days=settings.repeat_symptom_days,
            threshold=settings.repeat_symptom_min_consultations,
        )
    ]
    familiar = _familiar(candidates, as_of)
    rows = []
    for pid, born, sex, registered_from in patients:
        contact_days = days.get(pid, [])
        by_code = consultations.get(pid, {})
        if not contact_days and not by_code:
            continue
        found = watched_signals(
            as_of=as_of,
            birth_date=born,
            sex=sex,
            registered_from=registered_from,
            contact_dates=contact_days,
            consultations=by_code,
            familiar=familiar.get(pid, frozenset()),
            settings=settings,
        )
        last_contact = signal_last_contact(last.get(pid), registered_from)
        rows += [
            PatientSignal(
                patient_id=pid,
                practice_id=practice_of[pid],
                kind=kind,
                as_of=as_of,
                figures=figures,
                last_contact_at=last_contact,
                computed_at=now,
            )
            for kind, figures in found.items()
        ]
    return rows


def practice_signals_replace(
    *,
    practices: Mapping[int, int],
    rows: Iterable[PatientSignal],
    as_of: date,
    now: datetime,
    source: str,
    patients_of: Mapping[int, Collection[int]] | None = None,
) -> int:
    """Replace stored signals with `rows` in one transaction; returns the rows written.

    `practices`: the practices whose signals are replaced as a whole, each with the number
    of its patients computed. Their rows go, also the rows of their patients still kept
    under another practice, and their run rows get `as_of`, `now`, that number and `source`.
    `patients_of`: practices whose other rows stay, with the patients whose rows are
    replaced (a patient after a new contact; a patient a scan found under a former
    practice). `rows` are written in batches as they come, so a caller may stream them.

    Each practice's run row is locked first, in order of practice: one writer of a
    practice's signals at a time, and two writers of many practices never wait for each
    other crosswise.
    """
    patients_of = patients_of or {}
    with transaction.atomic():
        runs = _run_rows_locked(set(practices) | set(patients_of))
        if practices:
            PatientSignal.objects.filter(
                Q(practice_id__in=list(practices)) | Q(patient__practice_id__in=list(practices))
            ).delete()
        for practice_id, patient_ids in sorted(patients_of.items()):
            if practice_id not in practices and patient_ids:
                PatientSignal.objects.filter(patient_id__in=list(patient_ids)).delete()
        written = 0
        for batch in batched(rows, INSERT_BATCH):
            PatientSignal.objects.bulk_create(batch)
            written += len(batch)
        dated = [run for run in runs if run.practice_id in practices]
        for run in dated:
            run.as_of = as_of
            run.computed_at = now
            run.patients = practices[run.practice_id]
            run.source = source
        SignalRun.objects.bulk_update(dated, ["as_of", "computed_at", "patients", "source"])
    return written


def _run_rows_locked(practice_ids: Collection[int]) -> list[SignalRun]:
    """The practices' run rows, made where missing, locked in order of practice."""
    if not practice_ids:
        return []
    SignalRun.objects.bulk_create(
        [SignalRun(practice_id=pid) for pid in sorted(practice_ids)], ignore_conflicts=True
    )
    return list(
        SignalRun.objects.select_for_update()
        .filter(practice_id__in=list(practice_ids))
        .order_by("practice_id")
    )


def practice_signals_compute(
    *, practice_id: int, as_of: date | None = None, now: datetime | None = None
) -> int:
    """Compute every listed patient's signals on `as_of` (default: today) and replace the
    practice's stored signals with them in one transaction; returns the patients computed."""
    now = now or timezone.now()
    as_of = as_of or timezone.localdate(now)
    patients: list[PatientRow] = list(
        Patient.objects.filter(_listed_on(as_of), practice_id=practice_id)
        .order_by("pk")
        .values_list("pk", "birth_date", "sex", "registered_from")
    )
    practice_of = dict.fromkeys((row[0] for row in patients), practice_id)
    rows: list[PatientSignal] = []
    for chunk in batched(patients, CHUNK):
        rows += _signals_of(chunk, as_of=as_of, now=now, practice_of=practice_of)
    practice_signals_replace(
        practices={practice_id: len(patients)},
        rows=rows,
        as_of=as_of,
        now=now,
        source=SignalRun.Source.WORKER,
    )
    return len(patients)


def patient_signals_compute(
    *, patient_id: int, as_of: date | None = None, now: datetime | None = None
) -> list[PatientSignal]:
    """Recompute one patient's signals (after a new contact) and store them."""
    now = now or timezone.now()
    as_of = as_of or timezone.localdate(now)
    practice_id = (
        Patient.objects.filter(pk=patient_id).values_list("practice_id", flat=True).first()
    )
    if practice_id is None:
        return []
    listed: list[PatientRow] = list(
        Patient.objects.filter(_listed_on(as_of), pk=patient_id).values_list(
            "pk", "birth_date", "sex", "registered_from"
        )
    )
    rows = _signals_of(listed, as_of=as_of, now=now, practice_of={patient_id: practice_id})
    practice_signals_replace(
        practices={},
        patients_of={practice_id: [patient_id]},
        rows=rows,
        as_of=as_of,
        now=now,
        source=SignalRun.Source.WORKER,
    )
    return rows


def stored_signals(patient_id: int) -> dict[str, dict[str, Any]]:
    """A patient's stored signals by kind, with their figures (for tests and the API)."""
    return dict(PatientSignal.objects.filter(patient_id=patient_id).values_list("kind", "figures"))
