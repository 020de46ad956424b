"""A FHIR Patient carries no day of listing: an imported patient is listed from their first
contact with the practice, so the engine reads their history as their own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone

from opspor.interop.importing import import_paths
from opspor.records.models import Patient
from tests import factories
from tests.interop import bundles as fhir

pytestmark = pytest.mark.django_db


def test_a_new_patient_is_listed_from_the_first_imported_contact(tmp_path: Path) -> None:
    practice = factories.practice()
    ref = "Patient/anna"
    extract = fhir.bundle(
        fhir.patient(gp=[fhir.ydernummer(practice.provider_number)]),
        fhir.encounter("e1", ref, start="2021-06-01T09:00:00+02:00"),
        fhir.encounter("e2", ref, start="2019-02-11T23:30:00+00:00"),
    )
    assert import_paths([fhir.write_json(tmp_path / "a.json", extract)]).accepted
    # 23:30 UTC is the next day in Copenhagen.
    assert Patient.objects.get().registered_from == date(2019, 2, 12)


def test_without_contacts_the_listing_is_the_import_day(tmp_path: Path) -> None:
    practice = factories.practice()
    extract = fhir.bundle(fhir.patient(gp=[fhir.ydernummer(practice.provider_number)]))
    assert import_paths([fhir.write_json(tmp_path / "a.json", extract)]).accepted
    assert Patient.objects.get().registered_from == timezone.localdate()


def test_a_listing_known_to_be_earlier_is_kept(tmp_path: Path) -> None:
    patient = factories.patient(registered_from=date(2005, 1, 1))
    extract = fhir.bundle(
        fhir.patient(cpr=patient.cpr, birth=patient.birth_date.isoformat()),
        fhir.encounter("e1", "Patient/anna", start="2021-06-01T09:00:00+02:00"),
    )
    assert import_paths(
        [fhir.write_json(tmp_path / "a.json", extract)], practice=patient.practice
    ).accepted
    patient.refresh_from_db()
    assert patient.registered_from == date(2005, 1, 1)
