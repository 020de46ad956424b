"""The access log: every read of a record, and every refused attempt, with where it came from.

Reads go through real HTTP (Django's test client) with a client address of our choosing, a
logged-in session or an API bearer token; each row must carry the address, the method and
path, the session's or token's reference and the channel.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import ApiToken, Role, User
from opspor.accounts.tokens import api_token_issue
from opspor.casework.notifications import notify
from opspor.records import access_log
from opspor.records.models import AccessLogEntry, AppendOnly, Patient
from opspor.records.services import record_read_log, record_reads_log
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.workflow import AdviceState, NotificationKind, ReferralState
from opspor.safetynet import services as safetynet_services
from tests import factories
from tests.referrals.worlds import World, advice_in, make_world, patient_in, referral_in

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


def reference(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[: access_log.REFERENCE_LENGTH]


def web(user: User) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(user)
    return client


def session_of(client: Client) -> str:
    return f"session:{reference(client.session.session_key or '')}"


def api(user: User) -> tuple[Client, str]:
    raw = api_token_issue(user=user)
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client, raw


def rows_for(new_rows: Any, **filters: Any) -> list[AccessLogEntry]:
    return list(new_rows().filter(**filters).order_by("pk"))


def assert_from(
    row: AccessLogEntry, *, path: str, credential: str, channel: str, method: str = "GET"
) -> None:
    assert (row.address, row.method, row.path, row.credential, row.channel) == (
        ADDRESS,
        method,
        path,
        credential,
        channel,
    )


@pytest.fixture
def world() -> World:
    return make_world()


# --- reads on the screens ----------------------------------------------------------------


def test_a_record_page_read_carries_address_path_session_and_channel(world: World) -> None:
    client = web(world.gp)
    new_rows = factories.access_log_since_now()
    url = reverse("records:patient_detail", args=[world.patient.pk])
    assert client.get(url).status_code == 200
    [row] = rows_for(new_rows)
    assert (row.user, row.patient, row.what, row.refused) == (
        world.gp,
        world.patient,
        "record",
        False,
    )
    assert_from(row, path=url, credential=session_of(client), channel="web")
    assert row.credential.startswith("session:") and client.session.session_key not in (
        row.credential
    )


def test_the_patient_list_logs_each_patient_shown_and_keeps_no_search_term(
    world: World,
) -> None:
    other = patient_in(world.patient.practice)
    client = web(world.gp)
    new_rows = factories.access_log_since_now()
    url = reverse("records:practice_patients")
    # The search is a POST kept in the session; the list it leads to is the read.
    assert client.post(url, {"q": other.name}, follow=True).status_code == 200
    rows = rows_for(new_rows, what="patient list")
    assert [r.patient_id for r in rows] == [other.pk]
    assert_from(rows[0], path=url, credential=session_of(client), channel="web")
    assert other.name not in rows[0].path and "?" not in rows[0].path


def test_the_units_inbox_logs_each_patient_shown(world: World) -> None:
    second = patient_in(world.patient.practice)
    referral_in(world, ReferralState.SENT)
    referral_in(world, ReferralState.SENT, patient=second)
    client = web(world.doctor)
    new_rows = factories.access_log_since_now()
    url = reverse("referrals:unit_inbox")
    assert client.get(url).status_code == 200
    rows = rows_for(new_rows, what="unit inbox")
    assert sorted(r.patient_id for r in rows) == sorted([world.patient.pk, second.pk])
    for row in rows:
        assert row.user == world.doctor
        assert_from(row, path=url, credential=session_of(client), channel="web")


def test_the_gps_referral_list_logs_each_patient_shown(world: World) -> None:
    referral_in(world, ReferralState.SENT)
    advice_in(world, AdviceState.SENT)
    client = web(world.gp)
    new_rows = factories.access_log_since_now()
    assert client.get(reverse("referrals:list")).status_code == 200
    rows = rows_for(new_rows, what="referral list")
    # The patient is in both lists: one row for the page.
    assert [r.patient_id for r in rows] == [world.patient.pk]
    assert_from(
        rows[0], path=reverse("referrals:list"), credential=session_of(client), channel="web"
    )


def test_the_notifications_page_logs_each_patient_it_names(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    practice = world.patient.practice
    with transaction.atomic():
        notify(kind=NotificationKind.MESSAGE, at=timezone.now(), about=referral, practice=practice)
        # A notice about no case names no patient.
        notify(kind=NotificationKind.MESSAGE, at=timezone.now(), about=practice, practice=practice)
    client = web(world.gp)
    new_rows = factories.access_log_since_now()
    url = reverse("casework:notifications")
    assert client.get(url).status_code == 200
    [row] = rows_for(new_rows)
    assert (row.what, row.patient, row.user) == ("notifications", world.patient, world.gp)
    assert_from(row, path=url, credential=session_of(client), channel="web")


def _episode(world: World) -> Any:
    today = timezone.localdate()
    return safetynet_services.episode_open(
        patient=world.patient,
        by=world.gp,
        reason="pending_investigations",
        follow_up_on=today + timedelta(days=14),
        ends_on=today + timedelta(days=42),
        advice="Kom igen, hvis du hoster blod.",
    )


def test_the_safety_net_lists_log_each_patient_shown(world: World) -> None:
    _episode(world)
    client = web(world.gp)
    new_rows = factories.access_log_since_now()
    assert client.get(reverse("safetynet:list")).status_code == 200
    [row] = rows_for(new_rows, what="safety-net list")
    assert row.patient == world.patient
    assert_from(row, path=reverse("safetynet:list"), credential=session_of(client), channel="web")

    token_client, raw = api(world.gp)
    response = token_client.get("/api/v1/safety-nets")
    assert response.status_code == 200 and len(response.json()) == 1
    [row] = rows_for(new_rows, what="safety-net list", channel="api")
    assert_from(
        row, path="/api/v1/safety-nets", credential=f"token:{reference(raw)}", channel="api"
    )


# --- reads through the API -----------------------------------------------------------------


def test_the_apis_lists_log_one_row_per_patient_with_the_tokens_reference(world: World) -> None:
    second = patient_in(world.patient.practice)
    referral_in(world, ReferralState.SENT)
    referral_in(world, ReferralState.SENT, patient=second)
    referral_in(world, ReferralState.ACCEPTED, patient=second)
    advice_in(world, AdviceState.SENT)
    client, raw = api(world.gp)
    new_rows = factories.access_log_since_now()

    answer = client.get("/api/v1/referrals")
    assert answer.status_code == 200 and len(answer.json()) == 3
    rows = rows_for(new_rows, what="referral list")
    assert sorted(r.patient_id for r in rows) == sorted([world.patient.pk, second.pk])
    token = ApiToken.objects.get(user=world.gp)
    for row in rows:
        assert_from(
            row, path="/api/v1/referrals", credential=f"token:{reference(raw)}", channel="api"
        )
        # The reference finds the token row without being the token.
        assert token.digest.startswith(row.credential.removeprefix("token:"))
        assert raw not in row.credential

    assert client.get("/api/v1/advice-requests").status_code == 200
    [row] = rows_for(new_rows, what="advice request list")
    assert row.patient == world.patient
    assert_from(
        row, path="/api/v1/advice-requests", credential=f"token:{reference(raw)}", channel="api"
    )


@pytest.mark.parametrize(("fmt", "channel"), [("json", "api"), ("fhir", "fhir")])
def test_reading_a_thread_is_logged_in_json_and_in_fhir(
    world: World, fmt: str, channel: str
) -> None:
    referral = referral_in(world, ReferralState.SENT)
    advice = advice_in(world, AdviceState.SENT)
    client, raw = api(world.doctor)
    new_rows = factories.access_log_since_now()
    for url, what in (
        (f"/api/v1/referrals/{referral.pk}/messages", "referral messages"),
        (f"/api/v1/advice-requests/{advice.pk}/messages", "advice request messages"),
    ):
        assert client.get(url, {"format": fmt}).status_code == 200
        [row] = rows_for(new_rows, what=what)
        assert (row.user, row.patient, row.refused) == (world.doctor, world.patient, False)
        assert_from(row, path=url, credential=f"token:{reference(raw)}", channel=channel)


def test_the_fhir_api_logs_its_reads_on_the_fhir_channel(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    client, raw = api(world.doctor)
    new_rows = factories.access_log_since_now()
    response = client.get(
        "/api/v1/fhir/Communication", {"based-on": f"ServiceRequest/referral-{referral.pk}"}
    )
    assert response.status_code == 200, response.content
    [row] = rows_for(new_rows)
    assert row.what == "fhir Communication"
    assert_from(
        row, path="/api/v1/fhir/Communication", credential=f"token:{reference(raw)}", channel="fhir"
    )


# --- refused attempts ----------------------------------------------------------------------


def test_a_gp_of_another_practice_is_refused_and_the_attempt_is_logged(world: World) -> None:
    client = web(world.stranger_gp)
    new_rows = factories.access_log_since_now()
    url = reverse("records:patient_detail", args=[world.patient.pk])
    assert client.get(url).status_code == 404
    [row] = rows_for(new_rows)
    assert (row.user, row.patient, row.refused) == (world.stranger_gp, world.patient, True)
    assert_from(row, path=url, credential=session_of(client), channel="web")
    # An id that names no patient leaves nothing: there is no record to account for.
    missing = (Patient.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 99
    assert client.get(reverse("records:patient_detail", args=[missing])).status_code == 404
    assert new_rows().count() == 1


def test_a_patient_opening_a_gps_page_of_another_record_is_refused_and_logged(
    world: World,
) -> None:
    intruder = factories.user(Role.PATIENT)
    client = web(intruder)
    new_rows = factories.access_log_since_now()
    url = reverse("records:patient_overview", args=[world.patient.pk])
    assert client.get(url).status_code == 403
    [row] = rows_for(new_rows)
    assert (row.user, row.patient, row.what, row.refused) == (
        intruder,
        world.patient,
        "overview",
        True,
    )
    assert_from(row, path=url, credential=session_of(client), channel="web")


def test_the_api_refuses_another_units_case_and_thread_and_logs_each_attempt(
    world: World,
) -> None:
    referral = referral_in(world, ReferralState.SENT)
    client, raw = api(world.stranger_doctor)
    new_rows = factories.access_log_since_now()
    for url in (f"/api/v1/referrals/{referral.pk}", f"/api/v1/referrals/{referral.pk}/messages"):
        assert client.get(url).status_code == 404
    rows = rows_for(new_rows)
    assert [(r.what, r.refused, r.patient_id) for r in rows] == [
        ("referral", True, world.patient.pk),
        ("referral messages", True, world.patient.pk),
    ]
    assert_from(
        rows[1],
        path=f"/api/v1/referrals/{referral.pk}/messages",
        credential=f"token:{reference(raw)}",
        channel="api",
    )
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.SENT


def test_the_unit_page_of_another_units_advice_request_is_refused_and_logged(
    world: World,
) -> None:
    advice = advice_in(world, AdviceState.SENT)
    client = web(world.stranger_doctor)
    new_rows = factories.access_log_since_now()
    url = reverse("referrals:advice_detail", args=[advice.pk])
    assert client.get(url).status_code == 404
    [row] = rows_for(new_rows)
    assert (row.patient, row.refused, row.what) == (world.patient, True, "advice request")
    assert AdviceRequest.objects.get(pk=advice.pk).state == AdviceState.SENT


# --- the address behind a proxy -------------------------------------------------------------


def test_a_forwarded_address_is_ignored_unless_the_app_is_behind_a_trusted_proxy(
    world: World,
) -> None:
    client = web(world.gp)
    url = reverse("records:patient_detail", args=[world.patient.pk])
    new_rows = factories.access_log_since_now()
    client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert rows_for(new_rows)[-1].address == ADDRESS
    with override_settings(OPSPOR_TRUSTED_PROXIES=1):
        # The proxy appends the address it saw; what the client wrote before it is ignored.
        client.get(url, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.1")
        assert rows_for(new_rows)[-1].address == "198.51.100.1"
        client.get(url, HTTP_X_FORWARDED_FOR="not an address")
        assert rows_for(new_rows)[-1].address is None


# --- outside a request ------------------------------------------------------------------


def test_a_read_outside_a_request_is_logged_on_the_system_channel(world: World) -> None:
    new_rows = factories.access_log_since_now()
    record_read_log(user=world.gp, patient=world.patient, what="export")
    with access_log.outside_request(path="opspor export_fhir"):
        record_reads_log(user=world.gp, patient_ids=[world.patient.pk], what="export")
    first, second = rows_for(new_rows)
    assert (first.channel, first.address, first.path, first.credential) == ("system", None, "", "")
    assert (second.channel, second.path) == ("system", "opspor export_fhir")


# --- append-only ----------------------------------------------------------------------------


@pytest.fixture
def entry(world: World) -> AccessLogEntry:
    record_read_log(user=world.gp, patient=world.patient, what="record")
    return AccessLogEntry.objects.order_by("-pk")[0]


def _unchanged(entry: AccessLogEntry) -> None:
    stored = AccessLogEntry.objects.get(pk=entry.pk)
    assert (stored.what, stored.refused, stored.at) == ("record", False, entry.at)


def test_a_row_cannot_be_saved_again(entry: AccessLogEntry) -> None:
    entry.what = "nothing"
    with pytest.raises(AppendOnly):
        entry.save()
    _unchanged(entry)


def test_a_row_cannot_be_deleted(entry: AccessLogEntry) -> None:
    with pytest.raises(AppendOnly):
        entry.delete()
    _unchanged(entry)


def test_a_queryset_can_neither_update_nor_delete(entry: AccessLogEntry) -> None:
    rows = AccessLogEntry.objects.filter(pk=entry.pk)
    with pytest.raises(AppendOnly):
        rows.update(what="nothing")
    with pytest.raises(AppendOnly):
        rows.delete()
    with pytest.raises(AppendOnly):
        AccessLogEntry.objects.all().delete()
    entry.what = "nothing"
    with pytest.raises(AppendOnly):
        AccessLogEntry.objects.bulk_update([entry], ["what"])
    _unchanged(entry)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database trigger is PostgreSQL's only"
)
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE records_accesslogentry SET what = 'nothing' WHERE id = %s",
        "DELETE FROM records_accesslogentry WHERE id = %s",
    ],
)
def test_postgresql_refuses_update_and_delete_from_any_client(
    entry: AccessLogEntry, sql: str
) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])
    _unchanged(entry)


def test_the_admin_shows_the_log_read_only_and_without_a_delete_action(
    entry: AccessLogEntry,
) -> None:
    model_admin = admin.site._registry[AccessLogEntry]
    superuser = factories.user(Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    changelist = reverse("admin:records_accesslogentry_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    request = page.wsgi_request
    assert "delete_selected" not in model_admin.get_actions(request)
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()
    assert client.post(reverse("admin:records_accesslogentry_add"), {}).status_code == 403
    _unchanged(entry)


def _found(client: Client, **query: str) -> set[int]:
    response = client.get(reverse("admin:records_accesslogentry_changelist"), query)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def test_the_admin_searches_by_user_patient_and_path_and_filters_by_channel(
    world: World,
) -> None:
    other = patient_in(world.patient.practice)
    web(world.gp).get(reverse("records:patient_detail", args=[world.patient.pk]))
    api(world.gp)[0].get(f"/api/v1/patients/{other.pk}")
    web(world.stranger_gp).get(reverse("records:patient_detail", args=[other.pk]))
    mine = AccessLogEntry.objects.get(patient=world.patient)
    by_api = AccessLogEntry.objects.get(patient=other, channel="api")
    refused = AccessLogEntry.objects.get(refused=True)

    client = Client()
    client.force_login(factories.user(Role.ADMIN, is_staff=True, is_superuser=True))
    assert _found(client, q=world.stranger_gp.username) == {refused.pk}
    assert _found(client, q=world.patient.cpr) == {mine.pk}
    dashed = f"{other.cpr[:6]}-{other.cpr[6:]}"
    assert _found(client, q=dashed) == {by_api.pk, refused.pk}
    assert _found(client, q=str(other.pk)) >= {by_api.pk, refused.pk}
    assert _found(client, q="/api/v1/patients/") == {by_api.pk}
    assert _found(client, channel__exact="api") == {by_api.pk}
    assert _found(client, refused__exact="1") == {refused.pk}
    today = timezone.localdate()
    day = {"at__year": str(today.year), "at__month": str(today.month), "at__day": str(today.day)}
    assert _found(client, **day) == {mine.pk, by_api.pk, refused.pk}
    yesterday = today - timedelta(days=1)
    assert not _found(
        client,
        at__year=str(yesterday.year),
        at__month=str(yesterday.month),
        at__day=str(yesterday.day),
    )


def test_the_quality_pages_show_aggregates_and_write_no_row(world: World) -> None:
    referral_in(world, ReferralState.SENT)
    new_rows = factories.access_log_since_now()
    response = web(factories.user(Role.ANALYST)).get(reverse("quality:dashboard"))
    assert response.status_code == 200
    assert not new_rows().exists()
