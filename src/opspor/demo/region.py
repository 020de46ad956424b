"""The fixed parts of the demo: the region, its diagnostic units, the demo users, and the
times of day at which practices see their patients.

Everything here is fictional except the names of the region and its four diagnostic units.
Phone numbers are deliberately undiallable (see ``fictional_phone``) so that nobody using the
demo is sent to a real hospital switchboard or a real practice; the one real number is the
region's public out-of-hours line for patients (``PRACTICE_ON_CALL_PHONE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from django.contrib.auth.hashers import make_password

from opspor.accounts.models import Role, User
from opspor.accounts.services import demo_authenticator_set_up
from opspor.records.models import Clinician, Contact, DiagnosticUnit, Patient, Region


class PatientLogin(Protocol):
    """A story patient as far as their login goes (`stories.Story` is one)."""

    @property
    def username(self) -> str: ...

    @property
    def name(self) -> str: ...


COPENHAGEN = ZoneInfo("Europe/Copenhagen")

REGION_CODE = "hovedstaden"
REGION_NAME = "Region Hovedstaden"


def fictional_phone(block: int, number: int) -> str:
    """An undiallable Danish-looking number: ``+45 0B NN NN NN``.

    Danish subscriber numbers never start with 0, so no number made here can reach a real
    line; the block digit keeps units, practice switchboards and direct lines apart.
    """
    digits = f"{number:06d}"
    if not 0 <= block <= 9 or len(digits) != 6:
        raise ValueError("block is one digit and number has at most six digits")
    return f"+45 0{block} {digits[0:2]} {digits[2:4]} {digits[4:6]}"


# A practice's out-of-hours contact for its patients: in the Capital Region that is the
# region's own line, Akuttelefonen 1813, so every demo practice gives it. It is public and
# meant for patients, so showing it sends nobody to a private line.
PRACTICE_ON_CALL_PHONE = "1813"


def second_contact(staff: Sequence[Clinician]) -> Clinician | None:
    """Who takes over a rejection nobody acknowledged in time: the practice's second GP in
    clinician order, or its only GP in a solo practice."""
    gps = [c for c in staff if c.role == Clinician.Role.GP]
    if not gps:
        return None
    return gps[1] if len(gps) > 1 else gps[0]


@dataclass(frozen=True)
class UnitSpec:
    code: str
    hospital: str
    short: str  # for the demo doctor's username

    @property
    def name(self) -> str:
        return f"Diagnostisk Enhed, {self.hospital}"


# The real diagnostic units of the Capital Region; codes match the synthetic generator's
# catchment codes. Contact details are fictional (see ``fictional_phone``).
UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("amager_hvidovre", "Amager og Hvidovre Hospital", "amager"),
    UnitSpec("bispebjerg_frederiksberg", "Bispebjerg og Frederiksberg Hospital", "bispebjerg"),
    UnitSpec("herlev_gentofte", "Herlev og Gentofte Hospital", "herlev"),
    UnitSpec("nordsjaelland", "Nordsjællands Hospital", "nordsjaelland"),
)

# Fictional doctors of the four units, one demo user each.
UNIT_DOCTORS: dict[str, str] = {
    "amager_hvidovre": "Lise Kjær",
    "bispebjerg_frederiksberg": "Anders Vinther",
    "herlev_gentofte": "Birgitte Holt",
    "nordsjaelland": "Torben Friis",
}


@dataclass(frozen=True)
class DemoGP:
    """A fixed identity for a GP of a demo practice, so the demo users never change name."""

    slot: int  # which demo practice
    index: int  # which of the practice's GPs, in clinician order
    name: str
    username: str


DEMO_GPS: tuple[DemoGP, ...] = (
    DemoGP(0, 0, "Karen Hansen", "laege.hansen"),
    DemoGP(0, 1, "Jonas Berg", "laege.berg"),
    DemoGP(1, 0, "Peter Holm", "laege.holm"),
    DemoGP(2, 0, "Sara Lund", "laege.lund"),
)
DEMO_PRACTICE_SLOTS = 3
ANALYST = ("analytiker", "Quality analyst", "Maria Winther")
ADMIN = ("admin", "Administrator", "Opspor Admin")


def demo_region_ensure() -> tuple[Region, dict[str, DiagnosticUnit]]:
    """The region and its four diagnostic units, created once and found again by code."""
    region, _ = Region.objects.get_or_create(code=REGION_CODE, defaults={"name": REGION_NAME})
    units: dict[str, DiagnosticUnit] = {}
    for i, spec in enumerate(UNITS, start=1):
        units[spec.code], _ = DiagnosticUnit.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "hospital": spec.hospital,
                "region": region,
                "phone": fictional_phone(0, i * 100),
                "direct_phone": fictional_phone(0, i * 100 + 1),
                "on_call_phone": fictional_phone(0, i * 100 + 2),
                # .example is reserved (RFC 2606): mail to it never reaches anyone.
                "email": f"diagnostisk.enhed@{spec.short}.example",
            },
        )
    return region, units


def demo_practice_order(practices: Sequence[tuple[int, int, str]]) -> list[int]:
    """Which generated practices hold the story patients, as (practice_id, n_gps, unit) rows.

    The largest practices first, each from another diagnostic unit where possible, so the
    demo shows a multi-GP practice (continuity matters there) and more than one unit.
    """
    ranked = sorted(practices, key=lambda p: (-p[1], p[0]))
    chosen: list[int] = []
    units_used: set[str] = set()
    for pid, _, unit in ranked:
        if unit not in units_used and len(chosen) < DEMO_PRACTICE_SLOTS:
            chosen.append(pid)
            units_used.add(unit)
    for pid, _, _ in ranked:
        if len(chosen) >= DEMO_PRACTICE_SLOTS:
            break
        if pid not in chosen:
            chosen.append(pid)
    return chosen


# --- Demo users -----------------------------------------------------------------------------


@dataclass
class DemoUsers:
    by_username: dict[str, User] = field(default_factory=dict)
    created: list[User] = field(default_factory=list)
    kept: list[User] = field(default_factory=list)


class DemoError(Exception):
    """The database holds something that contradicts the demo (reported to the user)."""


def _demo_user(
    *,
    username: str,
    role: str,
    full_name: str,
    password_hash: str,
    result: DemoUsers,
    **extra: bool,
) -> None:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        if existing.role != role:
            raise DemoError(
                f"A user named {username!r} already exists with role {existing.role!r}; "
                f"the demo needs it as {role!r}."
            )
        linked = (
            Clinician.objects.filter(user=existing).exists()
            or Patient.objects.filter(user=existing).exists()
        )
        if linked:
            raise DemoError(f"The user {username!r} already belongs to another record.")
        result.kept.append(existing)
        result.by_username[username] = existing
        return
    first, _, last = full_name.partition(" ")
    user = User(
        username=username, role=role, first_name=first, last_name=last, password=password_hash
    )
    for key, value in extra.items():
        setattr(user, key, value)
    user.save()
    result.created.append(user)
    result.by_username[username] = user


def demo_users_create(
    *, gps: Sequence[DemoGP], stories: Sequence[PatientLogin], password: str
) -> DemoUsers:
    """Demo users for every role, all with the same demo password.

    They are made before the rows they belong to (GPs, unit doctors, story patients), so
    those rows are created already linked and their history starts with one clean entry.
    A user that already exists with the right role and no record of its own is kept as it is.
    """
    # One hash for every demo user: the slow hasher would otherwise dominate the seed time,
    # and these accounts share a published password anyway.
    password_hash = make_password(password)
    result = DemoUsers()
    wanted: list[tuple[str, str, str]] = [(gp.username, Role.GP, gp.name) for gp in gps]
    wanted += [(f"de.{u.short}", Role.UNIT_DOCTOR, UNIT_DOCTORS[u.code]) for u in UNITS]
    wanted += [(s.username, Role.PATIENT, s.name) for s in stories]
    wanted += [(ANALYST[0], Role.ANALYST, ANALYST[2])]
    for username, role, name in wanted:
        _demo_user(
            username=username, role=role, full_name=name, password_hash=password_hash, result=result
        )
    _demo_user(
        username=ADMIN[0],
        role=Role.ADMIN,
        full_name=ADMIN[2],
        password_hash=password_hash,
        result=result,
        is_staff=True,
        is_superuser=True,
    )
    # Staff log in with a second factor; the demo's is shown on the code page in development.
    for user in (*result.created, *result.kept):
        demo_authenticator_set_up(user)
    return result


def unit_doctors_build(*, units: dict[str, DiagnosticUnit], users: DemoUsers) -> list[Clinician]:
    """Unsaved clinicians for the demo doctors of the four units, linked to their users."""
    return [
        Clinician(
            name=UNIT_DOCTORS[u.code],
            role=Clinician.Role.UNIT_DOCTOR,
            unit=units[u.code],
            user=users.by_username[f"de.{u.short}"],
        )
        for u in UNITS
    ]


# --- Contact times --------------------------------------------------------------------------

# Minutes after midnight, local time, by contact kind: consultations in 15-minute slots
# around a lunch break, phone consultations mostly in the morning phone hour (telefontid),
# e-mail consultations answered during the day, home visits around midday.
CONSULTATION_SLOTS: tuple[int, ...] = tuple(
    [8 * 60 + 15 * i for i in range(15)] + [12 * 60 + 30 + 15 * i for i in range(14)]
)


def opening_minutes(
    kinds: npt.NDArray[np.object_], u: npt.NDArray[np.float64], v: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """Minute of the day (local time) for contacts of ``kinds``, from uniform numbers in [0, 1)."""
    slots = np.asarray(CONSULTATION_SLOTS, dtype=np.int64)
    minute = slots[np.minimum((u * len(slots)).astype(np.int64), len(slots) - 1)]
    phone = kinds == Contact.Kind.PHONE
    morning = 8 * 60 + (v * 60).astype(np.int64)
    later = 9 * 60 + (v * 6 * 60).astype(np.int64)
    minute = np.where(phone, np.where(u < 0.8, morning, later), minute)
    minute = np.where(kinds == Contact.Kind.EMAIL, 9 * 60 + (v * 7 * 60).astype(np.int64), minute)
    home = 11 * 60 + 15 * (v * 14).astype(np.int64)
    return np.where(kinds == Contact.Kind.HOME_VISIT, home, minute)


def utc_offset_minutes(day: date) -> int:
    """Copenhagen's UTC offset on ``day`` during opening hours (DST switches at night)."""
    offset = datetime.combine(day, time(12), tzinfo=COPENHAGEN).utcoffset()
    assert offset is not None
    return int(offset.total_seconds()) // 60


def local_to_utc(day: date, minute: int) -> datetime:
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    return naive.replace(tzinfo=COPENHAGEN).astimezone(UTC)
