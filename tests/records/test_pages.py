"""The record's pages: what each role sees, what it may not open, and what a page costs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoAssertNumQueries

from opspor.accounts.models import Role, User
from opspor.engine.vocab import load_vocabulary
from opspor.records.models import (
    AccessLogEntry,
    Symptom,
)
from tests import factories
from tests.records.worlds import Practices, firefighter, make_practices

pytestmark = pytest.mark.django_db

OTHER_ROLES_THAN_GP = [Role.PATIENT, Role.UNIT_DOCTOR, Role.ANALYST, Role.ADMIN]


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


# The GP's patient list


def test_patient_list_shows_only_the_gps_own_practice(practices: Practices) -> None:
    response = _client(practices.user).get(reverse("records:practice_patients"))
    html = _html(response)
    assert response.status_code == 200
    assert "Karen Holm" in html
    assert "Svend Ibsen" not in html
    assert practices.own.name in html


def test_patient_list_shows_age_sex_contacts_and_story_marker(practices: Practices) -> None:
    today = timezone.localdate()
    story = factories.patient(
        practices.own, name="Zahra Ahmadi", birth_date=date(1968, 2, 14), story="interpreter"
    )
    factories.contact(story, on=today - timedelta(days=3))
    factories.contact(story, on=today - timedelta(days=30))
    html = _html(_client(practices.user).get(reverse("records:practice_patients")))
    row = html[html.index("Zahra Ahmadi") :].split("</tr>")[0]
    assert f">{story.age_on(today)}<" in row
    assert "Kvinde" in row
    assert f">{(today - timedelta(days=3)):%d.%m.%Y}" in row
    assert ">2<" in row
    assert "Fiktiv historiepatient" in row
    karen = html[html.index("Karen Holm") :].split("</tr>")[0]
    assert "Fiktiv historiepatient" not in karen


def test_name_search_narrows_the_list_and_htmx_gets_only_the_table(practices: Practices) -> None:
    factories.patient(practices.own, name="Bent Mortensen")
    client = _client(practices.user)
    url = reverse("records:practice_patients")
    searched = client.post(url, {"q": "mort"})
    assert searched.status_code == 302
    assert searched["Location"] == url, "the search is not put into the address"
    full = _html(client.get(url))
    assert "Bent Mortensen" in full
    assert "Karen Holm" not in full
    assert 'value="mort"' in full, "the field shows the search kept"
    fragment = client.post(url, {"q": "holm"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "Karen Holm" in _html(fragment)
    assert "Bent Mortensen" not in _html(fragment)
    assert "<html" not in _html(fragment)
    assert "HX-Request" in fragment["Vary"]


def test_the_search_form_posts_and_no_search_term_is_read_from_the_address(
    practices: Practices,
) -> None:
    factories.patient(practices.own, name="Bent Mortensen")
    client = _client(practices.user)
    url = reverse("records:practice_patients")
    html = _html(client.get(url))
    form = html[html.index('role="search"') - 200 :].split("</form>")[0]
    assert 'method="post"' in form and 'hx-post="' in form and "hx-get" not in form
    assert "csrfmiddlewaretoken" in form
    # An old bookmark's ?q= is not a search: the list is the whole list.
    old_link = _html(client.get(url, {"q": "mort"}))
    assert "Karen Holm" in old_link and "Bent Mortensen" in old_link
    assert 'value="mort"' not in old_link


def test_a_search_without_the_csrf_token_is_refused_and_nothing_is_kept(
    practices: Practices,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(practices.user)
    url = reverse("records:practice_patients")
    response = client.post(url, {"q": "holm"})
    assert response.status_code == 403
    assert "records.patient_search" not in client.session
    listing = _html(client.get(url))
    assert "Karen Holm" in listing and 'value="holm"' not in listing


def test_the_patient_list_takes_no_other_method(practices: Practices) -> None:
    response = _client(practices.user).put(reverse("records:practice_patients"), {"q": "holm"})
    assert response.status_code == 405


def test_the_pages_of_a_search_keep_the_search(practices: Practices) -> None:
    for i in range(55):
        factories.patient(practices.own, name=f"Zz Patient {i:02d}")
    client = _client(practices.user)
    url = reverse("records:practice_patients")
    client.post(url, {"q": "zz patient"})
    first = _html(client.get(url))
    assert "Viser 1–50 af 55 patienter" in first
    assert 'href="?page=2"' in first
    second = _html(client.get(url, {"page": "2"}))
    assert "Viser 51–55 af 55 patienter" in second
    assert "Karen Holm" not in second
    # A new search starts again at the first page, whatever page the list was on.
    again = _html(client.post(url, {"q": "zz"}, headers={"HX-Request": "true"}))
    assert "Viser 1–50 af 55 patienter" in again
    # An empty search is the whole list again.
    client.post(url, {"q": ""})
    assert "Viser 1–50 af 56 patienter" in _html(client.get(url))


def test_search_never_reaches_another_practice(practices: Practices) -> None:
    client = _client(practices.user)
    html = _html(client.post(reverse("records:practice_patients"), {"q": "Svend"}, follow=True))
    assert "Svend Ibsen" not in html
    assert "Ingen patients navn indeholder" in html


def test_a_search_is_kept_per_session_not_per_user_of_the_practice(
    practices: Practices,
) -> None:
    searching, other = _client(practices.user), _client(practices.user)
    searching.post(reverse("records:practice_patients"), {"q": "nobody"})
    assert "Karen Holm" in _html(other.get(reverse("records:practice_patients")))


def test_story_filter_keeps_only_the_story_patients(practices: Practices) -> None:
    factories.patient(practices.own, name="Inge Story", story="leukaemia")
    client = _client(practices.user)
    html = _html(client.post(reverse("records:practice_patients"), {"stories": "1"}, follow=True))
    assert "Inge Story" in html
    assert "Karen Holm" not in html


def test_patient_list_is_paginated(practices: Practices) -> None:
    for i in range(55):
        factories.patient(practices.own, name=f"Zz Patient {i:02d}")
    client = _client(practices.user)
    first = _html(client.get(reverse("records:practice_patients")))
    assert "Viser 1–50 af 56 patienter" in first
    second = _html(client.get(reverse("records:practice_patients"), {"page": "2"}))
    assert "Viser 51–56 af 56 patienter" in second
    assert "Zz Patient 54" in second


@pytest.mark.parametrize("role", OTHER_ROLES_THAN_GP)
def test_patient_list_is_forbidden_for_other_roles(role: str, practices: Practices) -> None:
    client = _client(factories.user(role))
    response = client.get(reverse("records:practice_patients"))
    assert response.status_code == 403
    searched = client.post(reverse("records:practice_patients"), {"q": "holm"})
    assert searched.status_code == 403
    assert "records.patient_search" not in client.session
    assert "Karen Holm" not in _html(response)
    assert "Siden er ikke beregnet til din rolle" in _html(response)


def test_patient_list_costs_a_bounded_number_of_queries(
    practices: Practices, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    today = timezone.localdate()
    for i in range(30):
        patient = factories.patient(practices.own, name=f"Patient {i}")
        for days in (5, 50, 500):
            factories.contact(patient, on=today - timedelta(days=days + i))
    client = _client(practices.user)
    # 9: the session, the user, the second factor's device, the clinician, the practice, the
    # count and the page of patients, the access log's one insert, the notifications' count.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("records:practice_patients"))
    assert response.status_code == 200


# The record page


def test_record_page_shows_the_record(practices: Practices) -> None:
    patient = firefighter(practices.own, practices.gp)
    response = _client(practices.user).get(reverse("records:patient_detail", args=[patient.pk]))
    html = _html(response)
    assert response.status_code == 200
    expected = [
        "Michael Frandsen",
        "Fiktiv demopatient",
        f"{patient.age_on(timezone.localdate())} år",
        "Mand",
        "040380-xxxx",
        practices.own.name,
        practices.gp.name,
        "Tyrkisk",
        "Behov for tolk",
        "Ja, bor alene",
        "Tidligere ryger",
        "Tidligere brandmand",
        _label("firefighting_smoke"),
        "Far",
        "Lungekræft",
        _label("cough"),
        "Vedvarende",
        "“Jeg hoster og tænker på røgen”",
        _label("crp"),
        "34",
        "mg/L",
        "≤ 8",
        "Høj",
        "Kronisk",
        "Astma",
        "R03AK06",
        _label("chest_xray_suggests_lung_cancer"),
        "Nyrekræft",
        "C64",
        "R05",
        "Telefonkonsultation",
    ]
    for text in expected:
        assert text in html, text
    assert patient.cpr not in html
    assert html.index("Astma") < html.index("Hypertension"), "chronic conditions come first"


def test_record_page_shows_recent_contacts_and_offers_the_older(practices: Practices) -> None:
    patient = firefighter(practices.own, practices.gp)
    client = _client(practices.user)
    url = reverse("records:patient_detail", args=[patient.pk])
    html = _html(client.get(url))
    assert "Rygsmerter efter løft" not in html
    assert "Vis alle kontakter (1 ældre)" in html
    assert f'href="{url}?contacts=all#contacts-heading"' in html
    assert f'hx-get="{reverse("records:patient_contacts", args=[patient.pk])}"' in html
    everything = _html(client.get(url, {"contacts": "all"}))
    assert "Rygsmerter efter løft" in everything
    fragment = client.get(reverse("records:patient_contacts", args=[patient.pk]))
    assert "Rygsmerter efter løft" in _html(fragment)
    assert "<html" not in _html(fragment)
    reads = list(AccessLogEntry.objects.values_list("what", flat=True).order_by("at", "pk"))
    assert reads == ["record", "record", "contacts"]


def test_record_page_falls_back_to_the_code_for_an_unknown_vocabulary_code(
    practices: Practices,
) -> None:
    today = timezone.localdate()
    Symptom.objects.create(
        patient=practices.mine, code="not_in_vocabulary", onset=today, recorded_on=today
    )
    html = _html(
        _client(practices.user).get(reverse("records:patient_detail", args=[practices.mine.pk]))
    )
    assert "not_in_vocabulary" in html


def test_record_page_in_arabic_is_right_to_left_with_arabic_labels(practices: Practices) -> None:
    patient = firefighter(practices.own, practices.gp)
    client = _client(practices.user)
    client.cookies["django_language"] = "ar"
    html = _html(client.get(reverse("records:patient_detail", args=[patient.pk])))
    assert '<html lang="ar" dir="rtl">' in html
    assert _label("cough", "ar") in html
    assert "مريض تجريبي خيالي" in html


def test_gp_of_another_practice_gets_404_and_only_the_refusals_are_logged(
    practices: Practices,
) -> None:
    response = _client(practices.user).get(
        reverse("records:patient_detail", args=[practices.theirs.pk])
    )
    assert response.status_code == 404
    assert "Svend Ibsen" not in _html(response)
    contacts = _client(practices.user).get(
        reverse("records:patient_contacts", args=[practices.theirs.pk])
    )
    assert contacts.status_code == 404
    rows = AccessLogEntry.objects.all()
    assert rows.count() == 2
    assert factories.only_refused(rows, practices.user, practices.theirs)


@pytest.mark.parametrize("role", OTHER_ROLES_THAN_GP)
def test_record_page_is_forbidden_for_other_roles_and_only_the_refusals_are_logged(
    role: str, practices: Practices
) -> None:
    user = factories.user(role)
    client = _client(user)
    for name in ("records:patient_detail", "records:patient_contacts"):
        response = client.get(reverse(name, args=[practices.mine.pk]))
        assert response.status_code == 403
        assert "Karen Holm" not in _html(response)
    rows = AccessLogEntry.objects.all()
    assert rows.count() == 2
    assert factories.only_refused(rows, user, practices.mine)


def test_record_page_costs_a_bounded_number_of_queries(
    practices: Practices, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    patient = firefighter(practices.own, practices.gp)
    today = timezone.localdate()
    for days in range(1, 60):
        factories.contact(patient, on=today - timedelta(days=days * 7), clinician=practices.gp)
    client = _client(practices.user)
    with django_assert_max_num_queries(18):
        response = client.get(reverse("records:patient_detail", args=[patient.pk]))
    assert response.status_code == 200


# The diagnostic unit's page


def test_the_unit_page_keeps_its_top_level_address() -> None:
    assert reverse("unit") == "/unit/"


def test_unit_doctor_sees_their_unit_and_its_practice_directory(practices: Practices) -> None:
    unit = factories.unit(
        name="Diagnostisk Enhed Herlev",
        hospital="Herlev og Gentofte Hospital",
        phone="38 68 38 68",
        direct_phone="38 68 11 22",
        on_call_phone="38 68 99 99",
    )
    near = factories.practice(
        name="Lægerne i Herlev", diagnostic_unit=unit, direct_phone="44 94 12 34"
    )
    doctor = factories.unit_doctor(unit)
    assert doctor.user is not None
    response = _client(doctor.user).get(reverse("unit"))
    html = _html(response)
    assert response.status_code == 200
    for text in (
        "Diagnostisk Enhed Herlev",
        "Herlev og Gentofte Hospital",
        "38 68 38 68",
        "38 68 11 22",
        "38 68 99 99",
        near.name,
        "44 94 12 34",
        'href="tel:+4544941234"',
        "Åbn visitationen",
        'href="/referrals/inbox/"',
    ):
        assert text in html, text
    assert practices.own.name not in html, "a practice of another unit"
    assert "Karen Holm" not in html


def test_unit_doctor_without_a_unit_is_told_so() -> None:
    response = _client(factories.user(Role.UNIT_DOCTOR)).get(reverse("unit"))
    assert response.status_code == 200
    assert "ikke knyttet til en diagnostisk enhed" in _html(response)


@pytest.mark.parametrize("role", [Role.GP, Role.PATIENT, Role.ANALYST, Role.ADMIN])
def test_unit_page_is_forbidden_for_other_roles(role: str) -> None:
    assert _client(factories.user(role)).get(reverse("unit")).status_code == 403


# Dates


@pytest.mark.django_db
def test_english_pages_show_dates_day_first_with_the_month_in_letters() -> None:
    from django.template import Context, Template
    from django.utils import translation

    with translation.override("en"):
        rendered = Template('{{ day|date:"SHORT_DATE_FORMAT" }}').render(
            Context({"day": date(2026, 5, 1)})
        )
    assert rendered == "1 May 2026"
