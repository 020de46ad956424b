"""The engine's stored signals for the demo practices, computed once at the end of `opspor seed`.

In a running system the worker computes a practice's signals each night; a fresh demo would
show no signal item on the GP's worklist until the first night. So the seed computes them
for the demo GPs' practices, on the seed's as-of date, through the worker's own function.

Running it again adds nothing: a practice whose signals were computed (a run row with a
moment) is left as it is, so a later nightly run's rows are not replaced by the seed's.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from opspor.demo.case_moments import Timeline
from opspor.demo.region import DEMO_GPS
from opspor.records.models import Clinician
from opspor.safetynet.models import PatientSignal, SignalRun
from opspor.safetynet.signal_compute import practice_signals_compute


@dataclass
class DemoSignals:
    practices: int = 0  # computed by this run
    patients: int = 0
    signals: int = 0
    already: int = 0  # computed before, left as they were
    seconds: float = 0.0

    def summary(self) -> str:
        if not self.practices and not self.already:
            return "No demo GP's practice in the database; no signals computed."
        if not self.practices:
            return "Demo signals already computed; nothing to do."
        return (
            f"Demo signals computed in {self.seconds:.1f} s: {self.practices} practices, "
            f"{self.patients:,} patients, {self.signals:,} signals."
        )


def demo_practice_ids() -> list[int]:
    """The practices of the demo GPs that exist, in order."""
    usernames = [gp.username for gp in DEMO_GPS]
    return sorted(
        set(
            Clinician.objects.filter(
                user__username__in=usernames, practice__isnull=False
            ).values_list("practice_id", flat=True)
        )
    )


def demo_signals_ensure(*, as_of: date, now: datetime | None = None) -> DemoSignals:
    """Compute the demo practices' signals on `as_of`, once (see the module doc)."""
    started = clock.perf_counter()
    anchor = Timeline.for_as_of(as_of, now or timezone.now()).anchor
    done = set(
        SignalRun.objects.filter(computed_at__isnull=False).values_list("practice_id", flat=True)
    )
    result = DemoSignals()
    for practice_id in demo_practice_ids():
        if practice_id in done:
            result.already += 1
            continue
        result.patients += practice_signals_compute(
            practice_id=practice_id, as_of=as_of, now=anchor
        )
        result.practices += 1
        result.signals += PatientSignal.objects.filter(practice_id=practice_id).count()
    result.seconds = clock.perf_counter() - started
    return result


__all__ = ["DemoSignals", "demo_practice_ids", "demo_signals_ensure"]
