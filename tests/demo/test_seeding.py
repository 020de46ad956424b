"""`opspor seed`: a generated region in the database, idempotent, all or nothing."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pyarrow.compute as pc
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.demo import cases, imported_patient, region, safetynets, seeding
from opspor.demo.seed_arguments import SeedArguments
from opspor.demo.seed_practices import provider_number
from opspor.demo.stories import load_stories
from opspor.engine.vocab import load_vocabulary
from opspor.records.models import (
    CancerDiagnosis,
    Clinician,
    Condition,
    Contact,
    DiagnosticUnit,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    Practice,
    Region,
    Symptom,
)
from opspor.synth import generate_region_tables
from tests import factories

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 6, 30)
N = 200
SEED = 7
ARGS: dict[str, Any] = {"patients": N, "seed": SEED, "as_of": AS_OF.isoformat()}

ALL_MODELS: tuple[type[models.Model], ...] = (
    *seeding.SEEDED_MODELS,
    Region,
    DiagnosticUnit,
    User,
)


def demo_net_results() -> int:
    """Lab results the demo's safety nets add on top of the generated region."""
    return LabResult.objects.filter(
        pk__in=LabResult.history.filter(  # type: ignore[attr-defined]
            history_change_reason=safetynets.CHANGE_REASON
        ).values("id")
    ).count()


def seed(**overrides: Any) -> str:
    out = StringIO()
    call_command("seed", **{**ARGS, **overrides}, progress=False, stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    tables: dict[str, int] = {m.__name__: m._default_manager.count() for m in ALL_MODELS}
    for m in seeding.SEEDED_MODELS:
        tables[f"history of {m.__name__}"] = m.history.count()  # type: ignore[attr-defined]
    return tables


def assert_database_empty() -> None:
    assert {name: n for name, n in counts().items() if n} == {}


def test_seeding_twice_gives_the_same_counts_of_every_model() -> None:
    first_output = seed()
    first = counts()
    second_output = seed()

    assert counts() == first
    # The region, the story patients and Ib from the demo's FHIR extract.
    assert first["Patient"] == N + len(load_stories()) + 1
    assert "Seeded" in first_output
    assert "Already seeded" in second_output


def test_a_repeat_without_as_of_keeps_the_region_seeded_on_another_day() -> None:
    seed()
    before = counts()

    output = seed(as_of=None)

    assert "Already seeded" in output
    assert AS_OF.isoformat() in output
    assert counts() == before


def test_seeding_with_other_arguments_is_refused_and_changes_nothing() -> None:
    seed()
    before = counts()

    for other in ({"patients": N + 1}, {"seed": SEED + 1}, {"stories": False}, {"practices": 3}):
        with pytest.raises(CommandError, match="already holds a region seeded with"):
            seed(**other)
    with pytest.raises(CommandError, match="already holds a region"):
        seed(as_of=(AS_OF - timedelta(days=1)).isoformat())

    assert counts() == before


def test_counts_match_the_generated_tables() -> None:
    out = seed(stories=False)
    # Without the story patients, their safety nets are left out, and said so.
    assert "Left out (their patient is not in the database): bo, anne, joergen, erik." in out
    practices = seeding.default_practices(N)
    tables = generate_region_tables(N, SEED, AS_OF, n_practices=practices)

    expected = {
        Practice: tables["practices"].num_rows,
        Clinician: tables["clinicians"].num_rows + len(region.UNITS),  # the unit doctors
        Patient: tables["patients"].num_rows,
        Contact: tables["contacts"].num_rows,
        Symptom: tables["symptoms"].num_rows,
        # The demo's safety nets add the results that arrive in them (safetynets.yaml).
        LabResult: tables["labs"].num_rows + demo_net_results(),
        Condition: tables["conditions"].num_rows,
        Medication: tables["medications"].num_rows,
        CancerDiagnosis: tables["diagnoses"].num_rows,
        OccupationalExposure: pc.sum(
            pc.list_value_length(tables["patients"]["occupational_exposures"])
        ).as_py(),
        FamilyHistory: pc.sum(
            pc.list_value_length(tables["patients"]["family_history_sites"])
        ).as_py(),
    }
    assert {m.__name__: m._default_manager.count() for m in expected} == {
        m.__name__: n for m, n in expected.items()
    }
    assert Patient.objects.exclude(story="").count() == 0
    assert not Patient.objects.filter(is_fictional=False).exists()
    # Without the stories the only patient user is the demo's rejected-referral patient;
    # every other role has its demo user.
    patients = User.objects.filter(role=Role.PATIENT).values_list("username", flat=True)
    assert list(patients) == [cases.REJECTED_PATIENT_USERNAME]
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)


def test_the_stories_add_their_own_rows_to_the_region() -> None:
    seed()
    stories = load_stories()
    assert Patient.objects.exclude(story="").count() == len(stories)
    # With the stories comes Ib, imported from the demo's FHIR extract (no story key: he is
    # a record from a practice system, not one of the study's people).
    assert Patient.objects.filter(story="").count() == N + 1


def test_seeded_clinical_rows_have_their_created_history() -> None:
    seed()
    marker = SeedArguments(
        patients=N,
        seed=SEED,
        as_of=AS_OF,
        practices=seeding.default_practices(N),
        stories=True,
    ).marker()
    # Ib arrives through the FHIR import, with its history (tests/demo/test_imported_patient).
    imported = list(Patient.objects.filter(name=" ".join(imported_patient.NAME)).values("pk"))
    assert len(imported) == 1
    for model in seeding.SEEDED_MODELS:
        # The later changes: the demo gives the patient of a rejected referral a login, and
        # its safety nets add the lab results that arrive in them, each with its history.
        history = model.history.exclude(  # type: ignore[attr-defined]
            history_change_reason__in=[cases.LOGIN_CHANGE_REASON, safetynets.CHANGE_REASON]
        ).exclude(history_change_reason__startswith="FHIR import")
        added = demo_net_results() if model is LabResult else 0
        rows = model._default_manager.all()
        if model is Patient:
            rows = rows.exclude(pk__in=[i["pk"] for i in imported])
        elif hasattr(model, "patient_id"):
            rows = rows.exclude(patient_id__in=[i["pk"] for i in imported])
        assert history.count() + added == rows.count(), model.__name__
        assert set(history.values_list("history_type", flat=True)) == {"+"}
        assert set(history.values_list("history_change_reason", flat=True)) == {marker}
    assert (
        LabResult.history.filter(  # type: ignore[attr-defined]
            history_change_reason=safetynets.CHANGE_REASON, history_type="+"
        ).count()
        == demo_net_results()
        > 0
    )
    login = Patient.history.get(  # type: ignore[attr-defined]
        history_change_reason=cases.LOGIN_CHANGE_REASON
    )
    rejected = User.objects.get(username=cases.REJECTED_PATIENT_USERNAME)
    assert login.history_type == "~" and login.id == Patient.objects.get(user=rejected).pk
    contact = Contact.objects.exclude(reason_codes=[]).first()
    assert contact is not None
    created = contact.history.get()
    assert (created.at, created.reason_codes, created.kind) == (
        contact.at,
        contact.reason_codes,
        contact.kind,
    )


def test_seeded_rows_read_back_as_the_orm_writes_them() -> None:
    seed()
    # A row written by the ORM after the seed gets the next id, not one already used.
    patient = Patient.objects.filter(story="").first()
    assert patient is not None
    latest = Contact.objects.order_by("-id").values_list("id", flat=True).first()
    added = factories.contact(patient, on=AS_OF)
    assert latest is not None and added.pk > latest
    lab = LabResult.objects.filter(code="haemoglobin").first()
    assert lab is not None
    vocab = load_vocabulary().labs["haemoglobin"]
    assert lab.unit == vocab.unit
    assert lab.npu == vocab.npu[0].code


def test_every_role_has_a_demo_user_that_can_log_in() -> None:
    seed()
    for role in Role.values:
        users = User.objects.filter(role=role)
        assert users.exists(), role
        for user in users:
            client = Client()
            assert client.login(username=user.username, password=settings.OPSPOR_DEMO_PASSWORD)

    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN and admin.is_staff and admin.is_superuser
    assert User.objects.get(username="analytiker").role == Role.ANALYST


def test_demo_staff_get_an_authenticator_and_patients_none() -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from opspor.accounts.two_factor import DEMO_DEVICE_NAME

    seed()
    for user in User.objects.all():
        devices = list(TOTPDevice.objects.filter(user=user))
        if user.role == Role.PATIENT:
            assert devices == [], user.username
        else:
            assert [(d.name, d.confirmed) for d in devices] == [(DEMO_DEVICE_NAME, True)]


def test_demo_users_are_linked_to_their_clinician_or_record() -> None:
    seed()
    for spec in region.DEMO_GPS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:  # a practice with fewer GPs than the spec asks for
            continue
        assert user.clinician.role == Clinician.Role.GP
        assert user.clinician.name == spec.name
    assert User.objects.filter(username="laege.hansen").exists()
    for unit in region.UNITS:
        doctor = User.objects.get(username=f"de.{unit.short}").clinician
        assert doctor.role == Clinician.Role.UNIT_DOCTOR
        assert doctor.unit is not None and doctor.unit.code == unit.code
    for story in load_stories():
        user = User.objects.get(username=story.username)
        assert user.role == Role.PATIENT
        assert user.patient.story == story.key


def test_every_practice_with_story_patients_has_a_gp_user() -> None:
    seed()
    practices = Practice.objects.filter(patients__story__gt="").distinct()
    assert 2 <= practices.count() <= 3
    for practice in practices:
        assert practice.clinicians.filter(user__role=Role.GP).exists()
        # The story patients sit among ordinary synthetic patients.
        assert practice.patients.filter(story="").exists()


def test_the_four_diagnostic_units_have_real_names_and_fictional_numbers() -> None:
    seed()
    units = DiagnosticUnit.objects.order_by("code")
    assert [u.hospital for u in units] == [
        "Amager og Hvidovre Hospital",
        "Bispebjerg og Frederiksberg Hospital",
        "Herlev og Gentofte Hospital",
        "Nordsjællands Hospital",
    ]
    numbers = [n for u in units for n in (u.phone, u.direct_phone, u.on_call_phone)]
    numbers += [n for p in Practice.objects.all() for n in (p.phone, p.direct_phone)]
    # No Danish subscriber number starts with 0: none of these can reach a real line.
    assert all(n.startswith("+45 0") for n in numbers)
    assert all(u.email.endswith(".example") for u in units)


def test_contacts_fall_in_opening_hours_with_icpc2_reason_codes() -> None:
    seed(stories=False)
    local_minutes = [
        timezone.localtime(at).hour * 60 + timezone.localtime(at).minute
        for at in Contact.objects.values_list("at", flat=True)
    ]
    assert min(local_minutes) >= 8 * 60 and max(local_minutes) < 16 * 60
    codes = {c for row in Contact.objects.values_list("reason_codes", flat=True) for c in row}
    assert codes and all(len(c) == 3 and c[0].isalpha() and c[1:].isdigit() for c in codes)
    # A symptom is linked to the contact of the day it was recorded, which lists its code.
    vocab = load_vocabulary()
    linked = Symptom.objects.select_related("contact", "patient").exclude(contact=None)[:200]
    assert linked
    for symptom in linked:
        assert symptom.contact is not None
        assert timezone.localdate(symptom.contact.at) == symptom.recorded_on
        icpc2 = [m.code for m in vocab.symptoms[symptom.code].icpc2]
        if icpc2:
            assert set(icpc2) & set(symptom.contact.reason_codes)


def test_seeded_patients_are_fictional_with_valid_cpr_numbers() -> None:
    seed(stories=False)
    for patient in Patient.objects.all()[:300]:
        assert patient.is_fictional
        patient.full_clean()  # CPR format, birth date matching the CPR, registration period


BAD_ARGUMENTS: list[tuple[dict[str, Any], str]] = [
    ({"patients": 0}, "--patients must be between"),
    ({"patients": -5}, "--patients must be between"),
    ({"patients": 10**9}, "--patients must be between"),
    ({"patients": "many"}, "--patients must be a whole number"),
    ({"seed": -1}, "--seed must be between"),
    ({"seed": 2**40}, "--seed must be between"),
    ({"seed": "x"}, "--seed must be a whole number"),
    ({"as_of": "2025-13-01"}, "--as-of must be a date"),
    ({"as_of": "yesterday"}, "--as-of must be a date"),
    ({"as_of": "1999-12-31"}, "--as-of must be 2000-01-01 or later"),
    ({"practices": 0}, "--practices must be between"),
    ({"practices": N + 1}, "--practices must be between"),
    ({"quality_region": -1}, "--quality-region-patients must be between"),
    ({"quality_region": 2_000_001}, "--quality-region-patients must be between"),
    ({"quality_region": "many"}, "--quality-region-patients must be a whole number"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_ARGUMENTS)
def test_a_bad_argument_gives_one_clear_error_and_writes_nothing(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        seed(**overrides)
    assert_database_empty()


def test_an_as_of_date_in_the_future_is_refused() -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(CommandError, match="lies in the future"):
        seed(as_of=tomorrow.isoformat())
    assert_database_empty()


def test_a_failure_half_way_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(region, "demo_users_create", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        seed()
    assert_database_empty()


def test_rows_that_collide_with_the_region_are_refused() -> None:
    factories.practice(provider_number=provider_number(1))
    before = counts()
    with pytest.raises(CommandError, match="provider numbers already exist"):
        seed()
    assert counts() == before


def test_an_existing_user_with_another_role_is_refused() -> None:
    factories.user(Role.PATIENT, username="admin")
    before = counts()
    with pytest.raises(CommandError, match="already exists with role"):
        seed()
    assert counts() == before
