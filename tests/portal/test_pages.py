"""The patient's own record: only a patient opens it, only their own, and the read is logged."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from opspor.accounts.models import Role, User
from opspor.engine.vocab import load_vocabulary
from opspor.records.models import AccessLogEntry
from tests import factories
from tests.records.worlds import Practices, firefighter, make_practices

pytestmark = pytest.mark.django_db


def _label(code: str, lang: str = "da") -> str:
    return load_vocabulary().lookup(code).label(lang)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _html(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    return response.content.decode()


@pytest.fixture
def practices() -> Practices:
    return make_practices()


def test_the_patients_pages_keep_their_addresses_under_patients() -> None:
    assert reverse("portal:my_record") == "/patients/me/"
    assert reverse("portal:my_contacts") == "/patients/me/contacts/"


def test_patient_sees_their_own_record_and_the_read_is_logged(practices: Practices) -> None:
    account = factories.user(Role.PATIENT)
    patient = firefighter(practices.own, practices.gp)
    patient.user = account
    patient.save()
    response = _client(account).get(reverse("portal:my_record"))
    html = _html(response)
    assert response.status_code == 200
    assert "Michael Frandsen" in html
    assert _label("cough") in html
    assert "Karen Holm" not in html
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.patient, entry.what) == (account, patient, "own record")
    # The older contacts are offered on the patient's own URLs, never on the GP's.
    assert 'href="/patients/me/?contacts=all#contacts-heading"' in html
    assert 'hx-get="/patients/me/contacts/"' in html
    assert f"/patients/{patient.pk}/" not in html
    older = _client(account).get(reverse("portal:my_contacts"))
    assert "Rygsmerter efter løft" in _html(older)


def test_patient_without_a_record_is_told_so(practices: Practices) -> None:
    response = _client(factories.user(Role.PATIENT)).get(reverse("portal:my_record"))
    assert response.status_code == 404
    assert "ikke knyttet til en patientjournal" in _html(response)


@pytest.mark.parametrize("role", [Role.GP, Role.UNIT_DOCTOR, Role.ANALYST, Role.ADMIN])
def test_my_record_is_forbidden_for_other_roles(role: str, practices: Practices) -> None:
    response = _client(factories.user(role)).get(reverse("portal:my_record"))
    assert response.status_code == 403
    assert AccessLogEntry.objects.count() == 0
