"""Who acts in the demo's cases and for whom: the demo GPs, their practices' unit doctors,
and the generated patients of those practices.

Shared by the referral cases (``cases.py``) and the safety nets (``safetynets.py``), so both
pick their patients the same way: living, listed, generated patients (never the story
patients, whose records tell their own story), each used once while there are enough.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from opspor.accounts.models import User
from opspor.demo.case_file import Actor
from opspor.demo.region import DEMO_GPS
from opspor.records.models import Clinician, Patient, Practice
from opspor.referrals.workflow import FRAILTY_AGE

# Patients of these ages are picked, so no case needs the frailty section (75+).
YOUNGEST, OLDEST = 40, FRAILTY_AGE - 1
ADULT = 18


@dataclass
class Patients:
    """A practice's patients for the demo, each used once while there are enough."""

    rows: list[Patient]
    used: set[int] = field(default_factory=set)

    def take(self, fits: Callable[[Patient], bool] | None = None) -> Patient:
        unused = [p for p in self.rows if p.pk not in self.used] or self.rows
        chosen = next((p for p in unused if fits is None or fits(p)), unused[0])
        self.used.add(chosen.pk)
        return chosen


@dataclass
class Side:
    """A demo GP, their practice, the practice's unit doctor, and its patients."""

    gp: User
    practice: Practice
    doctor: User
    patients: Patients

    def patient(self, fits: Callable[[Patient], bool] | None = None) -> Patient:
        return self.patients.take(fits)

    def user(self, actor: Actor) -> User:
        return self.gp if actor == "gp" else self.doctor


def demo_sides(as_of: date, *, exclude: Collection[int] = ()) -> dict[str, Side]:
    """The demo GPs that exist, each with their practice's unit doctor and patients (less
    the patients in ``exclude``)."""
    usernames = [gp.username for gp in DEMO_GPS]
    clinicians = Clinician.objects.filter(user__username__in=usernames).select_related(
        "user", "practice__diagnostic_unit"
    )
    sides: dict[str, Side] = {}
    pools: dict[int, Patients] = {}  # one per practice: its GPs share its patients
    by_username = {c.user.username: c for c in clinicians if c.user is not None}
    for username in usernames:
        clinician = by_username.get(username)
        practice = clinician.practice if clinician is not None else None
        if clinician is None or clinician.user is None or practice is None:
            continue
        doctor = (
            Clinician.objects.filter(
                unit=practice.diagnostic_unit, role=Clinician.Role.UNIT_DOCTOR, user__isnull=False
            )
            .select_related("user")
            .order_by("pk")
            .first()
        )
        rows = patients_of(practice, as_of, exclude=exclude)
        if doctor is None or doctor.user is None or not rows:
            continue
        sides[clinician.user.username] = Side(
            gp=clinician.user,
            practice=practice,
            doctor=doctor.user,
            patients=pools.setdefault(practice.pk, Patients(rows)),
        )
    return sides


def patients_of(practice: Practice, as_of: date, *, exclude: Collection[int] = ()) -> list[Patient]:
    """Listed, living, generated patients of the practice, aged 40 to 74 where there are
    some, else any adult under 75 (a tiny region may have none of that age)."""
    listed = (
        Patient.objects.filter(
            Q(registered_to__isnull=True) | Q(registered_to__gt=as_of),
            Q(died_on__isnull=True) | Q(died_on__gt=as_of),
            practice=practice,
            is_fictional=True,
            story="",
            registered_from__lte=as_of,
            birth_date__gt=years_before(as_of, OLDEST + 1),
        )
        .exclude(pk__in=list(exclude))
        .order_by("pk")
    )
    for youngest in (YOUNGEST, ADULT):
        rows = list(listed.filter(birth_date__lte=years_before(as_of, youngest))[:40])
        if rows:
            return rows
    return []


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
