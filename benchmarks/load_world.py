"""The load test's users and what each may open, in a seeded database (benchmarks/load.py).

Run with the load test's environment (DATABASE_URL and the production settings):

    python benchmarks/load_world.py --out world.json --gps 60 --unit-doctors 24 --analysts 12

A staff login takes a code from the user's authenticator, and django-otp accepts each code
once: two simulated clinicians logging in as one user within the same 30 seconds would
refuse each other. So every simulated staff member gets an account of their own, made here
like the seed's demo users (a clinician in a demo practice or unit, with a demo
authenticator whose key is written to the file for the load test to compute its codes).
Patients log in with the password alone and share the seeded patient users.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import django


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--gps", type=int, default=60)
    parser.add_argument("--unit-doctors", type=int, default=24)
    parser.add_argument("--analysts", type=int, default=12)
    parser.add_argument("--password", default="load-test-password-0123")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.settings")
    django.setup()
    world = world_build(
        gps=args.gps, unit_doctors=args.unit_doctors, analysts=args.analysts, password=args.password
    )
    args.out.write_text(json.dumps(world, indent=1))
    counts = {key: len(value) for key, value in world.items() if isinstance(value, list)}
    print(f"load world: {counts}")
    return 0


def world_build(*, gps: int, unit_doctors: int, analysts: int, password: str) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from opspor.accounts.models import Role, User
    from opspor.accounts.services import demo_authenticator_set_up
    from opspor.accounts.two_factor import authenticator
    from opspor.records.models import Clinician, DiagnosticUnit, Patient, Practice
    from opspor.referrals.models import Referral
    from opspor.referrals.workflow import ReferralState

    password_hash = make_password(password)
    # The demo practices (those with a demo GP) hold the referrals, safety nets and signals.
    practices = list(
        Practice.objects.filter(clinicians__user__role=Role.GP).distinct().order_by("pk")
    )
    units = list(DiagnosticUnit.objects.order_by("pk"))
    if not practices or not units:
        raise SystemExit("the database is not seeded (opspor seed)")

    def staff(username: str, role: str, name: str) -> tuple[User, dict]:
        """The user, and what the load test needs of it: its name and authenticator's key."""
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={"role": role, "password": password_hash, "first_name": name},
        )
        device = demo_authenticator_set_up(user) or authenticator(user)
        if device is None:
            raise SystemExit(f"{username} has no authenticator")
        return user, {"username": username, "key": device.key}

    accounts: dict[str, list[dict]] = {"gps": [], "unit_doctors": [], "analysts": []}
    with transaction.atomic():
        for i in range(gps):
            practice = practices[i % len(practices)]
            user, entry = staff(f"load.gp.{i:03d}", Role.GP, f"Load GP {i}")
            Clinician.objects.update_or_create(
                user=user,
                defaults={"name": user.first_name, "role": Clinician.Role.GP, "practice": practice},
            )
            accounts["gps"].append(entry | {"practice": practice.pk})
        for i in range(unit_doctors):
            unit = units[i % len(units)]
            user, entry = staff(f"load.unit.{i:03d}", Role.UNIT_DOCTOR, f"Load unit doctor {i}")
            Clinician.objects.update_or_create(
                user=user,
                defaults={
                    "name": user.first_name,
                    "role": Clinician.Role.UNIT_DOCTOR,
                    "unit": unit,
                },
            )
            accounts["unit_doctors"].append(entry | {"unit": unit.pk})
        for i in range(analysts):
            _, entry = staff(f"load.analyst.{i:03d}", Role.ANALYST, f"Load analyst {i}")
            accounts["analysts"].append(entry)

    # The practices' listed patients (not those who moved away), as the GP's list shows them.
    listed = Patient.objects.filter(registered_to__isnull=True)
    patients_of = {
        practice.pk: list(
            listed.filter(practice=practice).order_by("pk").values_list("pk", flat=True)
        )
        for practice in practices
    }
    # Searches as a GP types them: the first letters of a surname in the practice.
    searches_of = {
        practice.pk: sorted(
            {
                name.split()[-1][:3]
                for name in listed.filter(practice=practice).values_list("name", flat=True)[:200]
                if name.split()
            }
        )
        for practice in practices
    }
    referrals_of = {
        unit.pk: list(
            Referral.objects.filter(unit=unit)
            .exclude(state=ReferralState.DRAFT)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for unit in units
    }
    patient_users = list(
        User.objects.filter(role=Role.PATIENT, patient__isnull=False)
        .order_by("username")
        .values_list("username", flat=True)
    )
    return {
        "password": password,
        "patient_password": os.environ.get("OPSPOR_DEMO_PASSWORD", "opspor-demo"),
        **accounts,
        "patients": patient_users,
        "patients_of_practice": {str(k): v for k, v in patients_of.items()},
        "searches_of_practice": {str(k): v for k, v in searches_of.items()},
        "referrals_of_unit": {str(k): v for k, v in referrals_of.items()},
    }


if __name__ == "__main__":
    sys.exit(main())
