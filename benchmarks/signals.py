"""The nightly signal computation for one practice of 10,000 patients, in patients per second.

A throwaway SQLite database under /tmp holds one practice with `--patients` listed patients
(ages 0-95, both sexes, registered for 1 to 15 years) and three years of contacts at the
population rates of `population.yaml` (about 6 a patient-year), with one patient in twenty
given a recent burst of contacts (a pattern break for some), symptom codes on about a third
of the contacts, and chronic conditions and medicines on some patients. Rows are written
with bulk_create, so no recomputation is queued while building.

Timed: `practice_signals_compute` for the whole practice as the worker task runs it (the
queries, the engine for every patient, and replacing the stored rows in one transaction),
`--rounds` times; the figure is the median. The baseline, in the same process and against
the same rows, is reading them: the same patient, contact and symptom queries, converted to
local days, without computing anything. The issue's target is 2,000 patients/s on one core.

    .venv/bin/python benchmarks/signals.py [--patients 10000] [--rounds 5] [--profile]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

# The same throwaway database and machine line as the overview's benchmark (this folder is
# on the path when a script in it runs).
from pages import cpu_model, django_setup

SYMPTOMS = ("cough", "fatigue", "back_pain", "abdominal_pain", "weight_loss", "dyspepsia")


def _practice(n_patients: int, today: date, seed: int) -> tuple[int, dict[str, int]]:
    """Build the practice; returns its id and what was made."""
    from tests import factories

    from opspor.engine.population import contacts_per_year
    from opspor.records.models import Condition, Contact, Medication, Patient, Symptom

    rng = random.Random(seed)
    practice = factories.practice()
    patients = []
    for i in range(n_patients):
        age = rng.randint(0, 95)
        sex = rng.choice(("female", "male"))
        born = today - timedelta(days=age * 365 + rng.randint(0, 364))
        patients.append(
            Patient(
                cpr=f"{i:010d}",
                name=f"Patient {i}",
                birth_date=born,
                sex=sex,
                practice=practice,
                registered_from=max(born, today - timedelta(days=rng.randint(365, 15 * 365))),
            )
        )
    Patient.objects.bulk_create(patients, batch_size=2_000)
    contacts: list[Any] = []
    for patient in Patient.objects.filter(practice=practice):
        age = today.year - patient.birth_date.year
        rate = contacts_per_year(age, patient.sex)
        first = max(patient.registered_from, today - timedelta(days=3 * 365))
        span = (today - first).days
        n = sum(1 for _ in range(span) if rng.random() < rate / 365)
        days = [rng.randint(0, span) for _ in range(n)]
        if rng.random() < 0.05:  # a recent burst
            days += [rng.randint(0, 90) for _ in range(rng.randint(3, 7))]
        for d in days:
            at = datetime.combine(today - timedelta(days=d), datetime.min.time(), UTC)
            contacts.append(
                Contact(
                    patient=patient,
                    practice=practice,
                    at=at + timedelta(hours=rng.randint(7, 15)),
                    kind="consultation",
                )
            )
    Contact.objects.bulk_create(contacts, batch_size=5_000)
    symptoms = []
    for contact in Contact.objects.filter(practice=practice).only("pk", "patient_id", "at"):
        if rng.random() < 0.33:
            day = contact.at.date()
            symptoms.append(
                Symptom(
                    patient_id=contact.patient_id,
                    contact=contact,
                    code=rng.choice(SYMPTOMS),
                    onset=day - timedelta(days=rng.randint(0, 30)),
                    recorded_on=day,
                )
            )
    Symptom.objects.bulk_create(symptoms, batch_size=5_000)
    ids = list(Patient.objects.filter(practice=practice).values_list("pk", flat=True))
    conditions = [
        Condition(
            patient_id=pid,
            code=rng.choice(("J44", "K21", "M54", "I10")),
            system="icd10",
            chronic=True,
        )
        for pid in ids
        if rng.random() < 0.2
    ]
    Condition.objects.bulk_create(conditions, batch_size=5_000)
    medications = [
        Medication(
            patient_id=pid,
            atc=rng.choice(("M01AE01", "C07AB02", "N02AA01")),
            start=today - timedelta(days=rng.randint(30, 2000)),
        )
        for pid in ids
        if rng.random() < 0.15
    ]
    Medication.objects.bulk_create(medications, batch_size=5_000)
    return practice.pk, {
        "patients": n_patients,
        "contacts": len(contacts),
        "symptoms": len(symptoms),
        "conditions": len(conditions),
        "medications": len(medications),
    }


def _read_baseline(practice_id: int, as_of: date) -> int:
    """Reading what the computation reads, without computing: the rows, as local days."""
    from django.utils import timezone

    from opspor.records.models import Contact, Patient, Symptom

    zone = timezone.get_default_timezone()
    ids = list(
        Patient.objects.filter(practice_id=practice_id).values_list(
            "pk", "birth_date", "sex", "registered_from"
        )
    )
    n = 0
    for at in Contact.objects.filter(patient__practice_id=practice_id).values_list("at", flat=True):
        at.astimezone(zone).date()
        n += 1
    for _, _, _recorded_on, contact_at in Symptom.objects.filter(
        patient__practice_id=practice_id, recorded_on__gte=as_of - timedelta(days=365)
    ).values_list("patient_id", "code", "recorded_on", "contact__at"):
        if contact_at is not None:
            contact_at.astimezone(zone).date()
    return len(ids) + n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="print the top of a profile")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    with tempfile.TemporaryDirectory(prefix="opspor-bench-signals-", dir="/tmp") as var_dir:
        django_setup(var_dir)
        from django.utils import timezone

        from opspor.safetynet.models import PatientSignal
        from opspor.safetynet.signal_compute import practice_signals_compute

        today = timezone.localdate()
        built = time.perf_counter()
        practice_id, made = _practice(args.patients, today, args.seed)
        built = time.perf_counter() - built
        practice_signals_compute(practice_id=practice_id, as_of=today)  # warm up
        computed: list[float] = []
        baseline: list[float] = []
        # Interleaved, so that a slow spell of the machine hits both alike.
        for _ in range(args.rounds):
            start = time.perf_counter()
            count = practice_signals_compute(practice_id=practice_id, as_of=today)
            computed.append(time.perf_counter() - start)
            start = time.perf_counter()
            _read_baseline(practice_id, today)
            baseline.append(time.perf_counter() - start)
        assert count == args.patients, count
        by_kind: dict[str, int] = {}
        for kind in PatientSignal.objects.values_list("kind", flat=True):
            by_kind[kind] = by_kind.get(kind, 0) + 1
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            practice_signals_compute(practice_id=practice_id, as_of=today)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)

        median = statistics.median(computed)
        base = statistics.median(baseline)
        print(
            f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}"
            ", pinned to one core"
        )
        print(
            "practice: "
            + ", ".join(f"{v:,} {k}" for k, v in made.items())
            + f" (built in {built:.0f} s); SQLite, DEBUG off, one process"
        )
        print("signals stored: " + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())))
        print(
            f"computation: median {median:.2f} s over {args.rounds} rounds "
            f"(min {min(computed):.2f}, max {max(computed):.2f}) = "
            f"{args.patients / median:,.0f} patients/s"
        )
        print(f"reading the same rows (baseline): median {base:.2f} s")
        print(f"ratio computation / reading: {median / base:.2f}")
        target = "met" if args.patients / median >= 2_000 else "NOT met"
        print(f"target >= 2,000 patients/s on one core: {target}")


if __name__ == "__main__":
    main()
