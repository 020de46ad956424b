"""The patient's "who has read my record" page and its CSV (their right of access under
GDPR art. 15): over real HTTP, the patient sees only the reads of their own record, by
name, role and practice or unit, refused attempts marked; never another patient's."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.portal.selectors import READS_PER_PAGE
from opspor.records.models import AccessLogEntry, Patient
from opspor.records.services import record_read_log, record_reads_log
from opspor.referrals.workflow import ReferralState
from tests import factories
from tests.referrals.worlds import World, make_world, patient_in, referral_in

pytestmark = pytest.mark.django_db

PAGE = reverse("portal:access_log")
CSV = reverse("portal:access_log_csv")


def client_of(user: User, language: str = "en") -> Client:
    client = Client(REMOTE_ADDR="192.0.2.10")
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def own_account(patient: Patient) -> User:
    account = factories.user(Role.PATIENT)
    patient.user = account
    patient.save()
    return account


@pytest.fixture
def world() -> World:
    return make_world()


def test_the_page_names_who_read_the_record_and_what_and_marks_a_refusal(world: World) -> None:
    me = own_account(world.patient)
    referral_in(world, ReferralState.SENT)
    gp = Client()
    gp.force_login(world.gp)
    assert gp.get(reverse("records:patient_detail", args=[world.patient.pk])).status_code == 200
    doctor = Client()
    doctor.force_login(world.doctor)
    assert doctor.get(reverse("referrals:unit_inbox")).status_code == 200
    stranger = Client()
    stranger.force_login(world.stranger_gp)
    url = reverse("records:patient_detail", args=[world.patient.pk])
    assert stranger.get(url).status_code == 404

    client = client_of(me)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    gp_clinician = world.gp.clinician
    doctor_clinician = world.doctor.clinician
    stranger_clinician = world.stranger_gp.clinician
    assert gp_clinician.name in html and gp_clinician.practice.name in html
    assert doctor_clinician.name in html and doctor_clinician.unit.name in html
    assert "Your name in a list of referrals" in html and "Your record" in html
    assert stranger_clinician.name in html
    assert html.count('data-testid="access-log-refused"') == 1
    assert html.count('data-testid="access-log-row"') == 3
    # No internal ids or usernames, and the patient's own visits are left out (and the page
    # says so).
    table = html[html.index('data-testid="access-log-table"') :]
    assert "user" not in table.split("</table>")[0]
    assert "Your own visits to your pages are not listed" in html
    # Reading the page is itself logged, as the patient's own read.
    assert AccessLogEntry.objects.filter(user=me, what="own access log").count() == 1


def test_the_csv_holds_the_same_rows(world: World) -> None:
    me = own_account(world.patient)
    record_read_log(user=world.gp, patient=world.patient, what="overview")
    record_read_log(user=world.doctor, patient=world.patient, what="referral messages")
    response = client_of(me).get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="who-read-my-record.csv"'
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["When", "Who", "Role", "Practice or unit", "What", "Refused"]
    body = rows[1:]
    assert [row[1] for row in body] == [world.doctor.clinician.name, world.gp.clinician.name]
    assert body[0][3:] == [
        world.doctor.clinician.unit.name,
        "Messages about your referral or question",
        "no",
    ]
    assert body[1][2:] == [
        "General practitioner",
        world.gp.clinician.practice.name,
        "An overview of your record",
        "no",
    ]


def test_another_patients_attempt_is_refused_logged_and_shown_without_their_name(
    world: World,
) -> None:
    me = own_account(world.patient)
    neighbour = patient_in(world.patient.practice)
    intruder = own_account(neighbour)
    intruder.first_name, intruder.last_name = "Nabo", "Nysgerrig"
    intruder.save()
    before = AccessLogEntry.objects.count()
    # The intruder tries the GP's page of my record: refused, and kept.
    response = client_of(intruder).get(reverse("records:patient_detail", args=[world.patient.pk]))
    assert response.status_code == 403
    [attempt] = AccessLogEntry.objects.order_by("pk")[before:]
    assert (attempt.user, attempt.patient, attempt.refused) == (intruder, world.patient, True)
    assert (attempt.address, attempt.path) == ("192.0.2.10", f"/patients/{world.patient.pk}/")

    # Their own page lists nothing of mine; mine shows the attempt without their name.
    theirs = client_of(intruder).get(PAGE).content.decode()
    assert 'data-testid="access-log-row"' not in theirs
    assert 'data-testid="access-log-empty"' in theirs
    mine = client_of(me).get(PAGE).content.decode()
    assert "Another patient" in mine and "Nysgerrig" not in mine
    assert 'data-testid="access-log-refused"' in mine


def test_only_a_patient_with_a_record_has_the_page(world: World) -> None:
    for user in (world.gp, world.doctor, factories.user(Role.ANALYST)):
        assert client_of(user).get(PAGE).status_code == 403
        assert client_of(user).get(CSV).status_code == 403
    no_record = factories.user(Role.PATIENT)
    assert client_of(no_record).get(PAGE).status_code == 404
    assert client_of(no_record).get(CSV).status_code == 404
    assert Client().get(PAGE).status_code == 302  # to the login


def test_the_page_is_paged_and_the_csv_has_every_row(world: World) -> None:
    me = own_account(world.patient)
    for _ in range(READS_PER_PAGE + 3):
        record_reads_log(user=world.gp, patient_ids=[world.patient.pk], what="worklist")
    client = client_of(me)
    first = client.get(PAGE).content.decode()
    assert first.count('data-testid="access-log-row"') == READS_PER_PAGE
    second = client.get(PAGE, {"page": "2"}).content.decode()
    assert second.count('data-testid="access-log-row"') == 3
    rows = list(csv.reader(io.StringIO(client.get(CSV).content.decode("utf-8-sig"))))
    assert len(rows) == 1 + READS_PER_PAGE + 3


def test_the_record_page_links_to_it(world: World) -> None:
    me = own_account(world.patient)
    html = client_of(me).get(reverse("portal:my_record")).content.decode()
    assert f'href="{PAGE}"' in html


@pytest.mark.parametrize(
    ("language", "direction", "day_format"),
    [("da", "ltr", "%d.%m.%Y"), ("ar", "rtl", None), ("en", "ltr", None)],
)
def test_the_page_renders_in_danish_and_right_to_left(
    world: World, language: str, direction: str, day_format: str | None
) -> None:
    me = own_account(world.patient)
    record_read_log(user=world.gp, patient=world.patient, what="record")
    entry = AccessLogEntry.objects.get(user=world.gp)
    response = client_of(me, language).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert world.gp.clinician.name in html
    assert f'datetime="{timezone.localtime(entry.at).isoformat()}"' in html
    if day_format is not None:  # the Danish date, as Danes write it
        assert timezone.localtime(entry.at).strftime(day_format) in html
