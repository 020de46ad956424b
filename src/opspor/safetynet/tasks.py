"""The worker's safety-net task: a patient's watched signals after each new contact.

The whole region's signals are replaced each night by the population scan
(`opspor.population.tasks`); between two nights a new contact recomputes its patient here
at once, so the worklist never waits for the night to show what a contact changed.
"""

from __future__ import annotations

from django.db import transaction
from django.tasks import task

from opspor.records.models import Contact
from opspor.safetynet.signal_compute import patient_signals_compute


@task()
def patient_signals_run(patient_id: int) -> int:
    """Recompute one patient's signals for today; returns how many hold."""
    return len(patient_signals_compute(patient_id=patient_id))


def contact_recorded(
    sender: type[Contact], instance: Contact, created: bool, **kwargs: object
) -> None:
    """A new contact changes its patient's signals: recompute them once it is committed."""
    if not created or kwargs.get("raw"):
        return
    patient_id = instance.patient_id
    transaction.on_commit(lambda: patient_signals_run.enqueue(patient_id))
