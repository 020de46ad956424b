"""The worker's safety-net tasks: the engine's watched signals, each night for every
practice and after each new contact for that patient.

"Nightly": the sweep (`opspor worker`, every minute) enqueues a practice's computation once
per local day, at its first pass from `NIGHTLY_FROM` (02:00 Copenhagen time), for every
practice with patients whose computation was not yet enqueued that day. A run that is lost
(the worker stopped) leaves the signals of the day before, and the next night computes
them again; a new contact recomputes its patient at once either way.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, time

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.tasks import task
from django.utils import timezone

from opspor.records.models import Contact, Patient, Practice
from opspor.safetynet.models import SignalRun
from opspor.safetynet.signal_compute import patient_signals_compute, practice_signals_compute

logger = logging.getLogger(__name__)

# After the day's contacts are in and before the practice opens.
NIGHTLY_FROM = time(2, 0)


@task()
def practice_signals_run(practice_id: int) -> int:
    """Compute and store one practice's signals for today; returns the patients computed."""
    count = practice_signals_compute(practice_id=practice_id)
    # Counts only, never a patient.
    logger.info("signals: practice #%s, %s patients", practice_id, count)
    return count


@task()
def patient_signals_run(patient_id: int) -> int:
    """Recompute one patient's signals for today; returns how many hold."""
    return len(patient_signals_compute(patient_id=patient_id))


def signals_enqueue_nightly(now: datetime) -> int:
    """The sweep step: enqueue each practice's computation once a night; how many were."""
    local = timezone.localtime(now)
    if local.time() < NIGHTLY_FROM:
        return 0
    today = local.date()
    due = (
        Practice.objects.filter(Exists(Patient.objects.filter(practice=OuterRef("pk"))))
        .exclude(Exists(SignalRun.objects.filter(practice=OuterRef("pk"), enqueued_on__gte=today)))
        .values_list("pk", flat=True)
    )
    enqueued = 0
    for practice_id in list(due):
        with transaction.atomic():
            SignalRun.objects.get_or_create(practice_id=practice_id)
            run = SignalRun.objects.select_for_update().get(practice_id=practice_id)
            # Re-checked on the locked row: two workers sweeping at once enqueue it once.
            if run.enqueued_on is not None and run.enqueued_on >= today:
                continue
            run.enqueued_on = today
            run.save(update_fields=["enqueued_on"])
            transaction.on_commit(functools.partial(practice_signals_run.enqueue, practice_id))
        enqueued += 1
    return enqueued


def contact_recorded(
    sender: type[Contact], instance: Contact, created: bool, **kwargs: object
) -> None:
    """A new contact changes its patient's signals: recompute them once it is committed."""
    if not created or kwargs.get("raw"):
        return
    patient_id = instance.patient_id
    transaction.on_commit(lambda: patient_signals_run.enqueue(patient_id))
