"""Who may read which patient's record, and that every granted read is logged."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from opspor.accounts.models import Role
from opspor.records import selectors
from opspor.records.models import AccessLogEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_practices() -> dict[str, object]:
    own_gp = factories.gp()
    other_gp = factories.gp()
    mine = factories.patient(own_gp.practice)
    theirs = factories.patient(other_gp.practice)
    return {"gp": own_gp, "other_gp": other_gp, "mine": mine, "theirs": theirs}


def test_gp_sees_only_their_practice(two_practices: dict) -> None:
    visible = selectors.patients_visible_to(two_practices["gp"].user)
    assert list(visible) == [two_practices["mine"]]


def test_gp_reading_own_patient_is_logged(two_practices: dict) -> None:
    gp, mine = two_practices["gp"], two_practices["mine"]
    selectors.patient_record(user=gp.user, patient_id=mine.pk, what="record")
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.patient, entry.what, entry.channel) == (
        gp.user,
        mine,
        "record",
        "system",  # read outside a request
    )


def _only_refused(user: object, patient: object) -> None:
    """Nothing was read: the one row is the refused attempt, on the record asked for."""
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.patient, entry.refused) == (user, patient, True)


def test_gp_of_another_practice_gets_404_and_the_refusal_is_logged(two_practices: dict) -> None:
    with pytest.raises(Http404):
        selectors.patient_record(
            user=two_practices["other_gp"].user, patient_id=two_practices["mine"].pk
        )
    _only_refused(two_practices["other_gp"].user, two_practices["mine"])


def test_a_patient_sees_only_themself() -> None:
    practice = factories.practice()
    account = factories.user(Role.PATIENT)
    me = factories.patient(practice, user=account)
    neighbour = factories.patient(practice)
    assert list(selectors.patients_visible_to(account)) == [me]
    with pytest.raises(Http404):
        selectors.patient_get(user=account, patient_id=neighbour.pk, what="record")
    _only_refused(account, neighbour)


@pytest.mark.parametrize("role", [Role.UNIT_DOCTOR, Role.ANALYST, Role.ADMIN])
def test_roles_without_a_care_relation_see_no_named_record(role: str, two_practices: dict) -> None:
    account = factories.user(role)
    assert not selectors.patients_visible_to(account).exists()
    with pytest.raises(Http404):
        selectors.patient_get(user=account, patient_id=two_practices["mine"].pk, what="record")
    _only_refused(account, two_practices["mine"])


def test_inactive_gp_sees_nothing(two_practices: dict) -> None:
    user = two_practices["gp"].user
    user.is_active = False
    user.save()
    assert not selectors.patients_visible_to(user).exists()


def test_record_page_over_http_refuses_another_practice(two_practices: dict) -> None:
    client = Client()
    client.force_login(two_practices["other_gp"].user)
    url = reverse("records:patient_detail", args=[two_practices["mine"].pk])
    assert client.get(url).status_code == 404
    _only_refused(two_practices["other_gp"].user, two_practices["mine"])


def test_record_page_over_http_logs_the_read(two_practices: dict) -> None:
    client = Client()
    client.force_login(two_practices["gp"].user)
    url = reverse("records:patient_detail", args=[two_practices["mine"].pk])
    assert client.get(url).status_code == 200
    assert AccessLogEntry.objects.filter(patient=two_practices["mine"]).count() == 1


def test_anonymous_visitor_is_sent_to_login(two_practices: dict) -> None:
    url = reverse("records:patient_detail", args=[two_practices["mine"].pk])
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert AccessLogEntry.objects.count() == 0


def test_access_log_rows_cannot_be_edited_in_the_admin(two_practices: dict) -> None:
    admin_user = factories.user(Role.ADMIN, is_staff=True, is_superuser=True)
    selectors.patient_get(
        user=two_practices["gp"].user, patient_id=two_practices["mine"].pk, what="x"
    )
    entry = AccessLogEntry.objects.get()
    client = Client()
    client.force_login(admin_user)
    change_url = reverse("admin:records_accesslogentry_change", args=[entry.pk])
    response = client.post(change_url, {"what": "tampered"})
    entry.refresh_from_db()
    assert entry.what == "x"
    assert response.status_code == 403
    delete_url = reverse("admin:records_accesslogentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AccessLogEntry.objects.count() == 1
