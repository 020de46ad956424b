"""The demo's patient from a FHIR extract: imported through the real import, once, and
assessed like any other patient."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from opspor.demo.imported_patient import GP_USERNAME, demo_import_ensure
from opspor.engine.assess import assess
from opspor.records.context import patient_context_for
from opspor.records.models import Contact, Patient
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_extract_gives_a_patient_with_a_pattern_break_and_his_own_history() -> None:
    gp = factories.gp()
    assert gp.user is not None
    gp.user.username = GP_USERNAME
    gp.user.save()
    today = timezone.localdate()

    assert demo_import_ensure(as_of=today).made
    patient = Patient.objects.get(practice=gp.practice)
    assert patient.name == "Ib Lindberg" and patient.smoking == "former"
    assert patient.is_fictional
    contacts = Contact.objects.filter(patient=patient)
    assert contacts.count() == 8
    # Listed since his first contact, not since the day of the import.
    first = min(timezone.localdate(c.at) for c in contacts)
    assert patient.registered_from == first <= today - timedelta(days=1000)

    kinds = {f.kind for f in assess(patient_context_for(patient, as_of=today)).findings}
    assert {"pattern_break", "guideline_criterion"} <= kinds

    again = demo_import_ensure(as_of=today)
    assert again.already and not again.made
    assert Patient.objects.filter(practice=gp.practice).count() == 1


def test_without_the_demo_gp_nothing_is_imported() -> None:
    assert demo_import_ensure(as_of=timezone.localdate()).skipped
    assert not Patient.objects.exists()
