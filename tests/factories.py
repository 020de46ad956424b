"""Small factories for tests: each builds one valid row with overridable fields."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from typing import Any

from opspor.accounts.models import Role, User
from opspor.records.models import (
    Clinician,
    Contact,
    DiagnosticUnit,
    Patient,
    Practice,
    Region,
)

_counter = itertools.count(1)


def region() -> Region:
    return Region.objects.get_or_create(
        code="hovedstaden", defaults={"name": "Region Hovedstaden"}
    )[0]


def unit(**fields: Any) -> DiagnosticUnit:
    n = next(_counter)
    values: dict[str, Any] = {
        "code": f"unit-{n}",
        "name": f"Diagnostisk Enhed {n}",
        "hospital": f"Hospital {n}",
        "region": region(),
        "phone": "38 62 00 00",
        "direct_phone": "38 62 00 01",
    }
    values.update(fields)
    return DiagnosticUnit.objects.create(**values)


def practice(**fields: Any) -> Practice:
    n = next(_counter)
    values: dict[str, Any] = {
        "provider_number": f"{n:06d}",
        "name": f"Lægerne {n}",
        "kind": Practice.Kind.PARTNERSHIP,
        "region": region(),
        "municipality": "København",
        "phone": "33 00 00 00",
        "direct_phone": "33 00 00 01",
    }
    values.update(fields)
    if "diagnostic_unit" not in values:
        values["diagnostic_unit"] = unit()
    return Practice.objects.create(**values)


def user(role: str = Role.GP, **fields: Any) -> User:
    n = next(_counter)
    values: dict[str, Any] = {"username": f"user{n}", "role": role}
    values.update(fields)
    made = User.objects.create_user(password="correct horse battery", **values)
    return made


def gp(practice_: Practice | None = None, *, with_user: bool = True) -> Clinician:
    the_practice = practice_ or practice()
    account = user(Role.GP) if with_user else None
    return Clinician.objects.create(
        name=f"Læge {next(_counter)}", role=Clinician.Role.GP, practice=the_practice, user=account
    )


def unit_doctor(unit_: DiagnosticUnit | None = None) -> Clinician:
    return Clinician.objects.create(
        name=f"Overlæge {next(_counter)}",
        role=Clinician.Role.UNIT_DOCTOR,
        unit=unit_ or unit(),
        user=user(Role.UNIT_DOCTOR),
    )


def cpr_for(birth_date: date, sex: str, serial: int) -> str:
    """A format-valid CPR number for a 20th-century birth date.

    The serial part stays below 4000 so that its first digit (the CPR's seventh) is 0-3,
    which means the 1900s for every year; larger serials wrap around.
    """
    last = (serial % 2000) * 2 + (1 if sex == "male" else 0)
    return f"{birth_date:%d%m%y}{last:04d}"


def patient(practice_: Practice | None = None, **fields: Any) -> Patient:
    born = fields.pop("birth_date", date(1970, 5, 17))
    sex = fields.pop("sex", "female")
    n = next(_counter)
    values: dict[str, Any] = {
        "cpr": cpr_for(born, sex, n % 4000),
        "name": f"Patient {n}",
        "birth_date": born,
        "sex": sex,
        "practice": practice_ or practice(),
        "registered_from": date(2010, 1, 1),
    }
    values.update(fields)
    made = Patient(**values)
    made.full_clean()
    made.save()
    return made


def contact(
    patient_: Patient, *, on: date, clinician: Clinician | None = None, **fields: Any
) -> Contact:
    values: dict[str, Any] = {
        "patient": patient_,
        "practice": patient_.practice,
        "clinician": clinician,
        "at": datetime.combine(on, time(9, 0), tzinfo=UTC),
        "kind": Contact.Kind.CONSULTATION,
    }
    values.update(fields)
    return Contact.objects.create(**values)


def access_log_since_now() -> Any:
    """The access-log rows written from now on (the log cannot be emptied: it is
    append-only), as a function returning them as a queryset."""
    from opspor.records.models import AccessLogEntry

    mark = AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return lambda: AccessLogEntry.objects.filter(pk__gt=mark)


def only_refused(rows: Any, user: Any, patient: Any) -> bool:
    """Whether the access-log rows are refused attempts of `user` on `patient`'s record and
    nothing else (at least one): what a refused read leaves."""
    return set(rows.values_list("user_id", "patient_id", "refused")) == {
        (user.pk, patient.pk, True)
    }
