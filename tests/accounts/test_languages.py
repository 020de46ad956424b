"""Choosing a language: Dari is offered before login and to patients, not to staff, and a
language Opspor does not have, however it is asked for, gives Danish."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from opspor.accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

CODES = [code for code, _name in settings.LANGUAGES]
LOGIN = "/login/"


def _lang(client: Client, url: str = LOGIN, **headers: str) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200
    found = re.search(r'<html lang="([^"]*)" dir="(ltr|rtl)">', response.content.decode())
    assert found is not None
    return found.group(1)


def _offered(client: Client, url: str = LOGIN) -> list[str]:
    page = client.get(url).content.decode()
    return re.findall(r'name="language" value="([^"]+)"', page)


def test_django_knows_dari_by_its_own_name_and_writes_it_right_to_left() -> None:
    info = translation.get_language_info("fa-af")
    assert (info["code"], info["name"], info["name_local"], info["bidi"]) == (
        "fa-af",
        "Dari",
        "دری",
        True,
    )
    with translation.override("fa-af"):
        assert translation.get_language_bidi() is True
        assert translation.gettext("Log out") == "خروج"
    # Persian itself keeps Django's own entry.
    assert translation.get_language_info("fa")["name_local"] == "فارسی"


def test_the_login_page_offers_every_language_dari_included() -> None:
    assert _offered(Client()) == ["da", "en", "ar", "tr", "fa-af"]
    page = Client().get(LOGIN).content.decode()
    assert 'value="fa-af" lang="fa-af"' in page and ">دری</button>" in page


def test_a_patient_is_offered_dari_and_gets_their_pages_in_it() -> None:
    client = Client()
    client.force_login(factories.user(Role.PATIENT))
    client.cookies["django_language"] = "fa-af"
    home = reverse("portal:my_record")
    assert "fa-af" in _offered(client, home)
    response = client.get(home)
    assert '<html lang="fa-af" dir="rtl">' in response.content.decode()


@pytest.mark.parametrize("role", [Role.GP, Role.UNIT_DOCTOR, Role.ANALYST])
def test_staff_are_not_offered_dari_and_get_danish_when_they_ask_for_it(role: str) -> None:
    """The staff pages are not translated into Dari: a cookie or a browser asking for it
    gives Danish, not English message ids written right to left."""
    client = Client()
    client.force_login(factories.user(role))
    start = client.get("/", follow=True).redirect_chain[-1][0]
    assert "fa-af" not in _offered(client, start)
    client.cookies["django_language"] = "fa-af"
    assert _lang(client, start) == "da"
    del client.cookies["django_language"]
    assert _lang(client, start, HTTP_ACCEPT_LANGUAGE="fa-AF,fa;q=0.9") == "da"
    # Arabic is theirs to choose.
    client.cookies["django_language"] = "ar"
    assert _lang(client, start) == "ar"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("de", "da"),
        ("de-DE,de;q=0.9", "da"),
        ("*", "da"),
        ("", "da"),
        ("xx-YY", "da"),
        ("tr-TR,tr;q=0.9", "tr"),
        ("fa-AF", "fa-af"),
        # Persian is the nearest language Opspor has to Iranian Persian.
        ("fa-IR", "fa-af"),
        ("de,en;q=0.5", "en"),
    ],
)
def test_the_browsers_language_is_used_when_opspor_has_it_else_danish(
    accept: str, expected: str
) -> None:
    assert _lang(Client(), HTTP_ACCEPT_LANGUAGE=accept) == expected


def test_a_language_in_the_address_is_not_a_choice() -> None:
    assert _lang(Client(), LOGIN + "?language=xx") == "da"
    assert _lang(Client(), LOGIN + "?language=ar") == "da"


@pytest.mark.parametrize(
    "garbage",
    ["xx", "de", "", "zz-ZZ", "../../etc/passwd", "<script>", "da;drop", "x" * 600, "ar" * 300],
)
def test_a_cookie_with_a_language_opspor_does_not_have_gives_danish(garbage: str) -> None:
    client = Client()
    client.cookies["django_language"] = garbage
    assert _lang(client) == "da"


_BASES = {code.split("-")[0] for code in CODES} | {"fa"}


# A header reaches Django as bytes read as Latin-1 (WSGI), so these are all a cookie can hold.
@hypothesis_settings(max_examples=60, deadline=None)
@given(value=st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40))
def test_any_cookie_gives_a_page_in_one_of_opspors_languages(value: str) -> None:
    client = Client()
    client.cookies["django_language"] = value
    lang = _lang(client)
    assert lang in CODES
    if value.strip().lower().split("-")[0] not in _BASES:
        assert lang == "da"


def _choose(client: Client, language: str | None) -> str:
    data = {"next": LOGIN} if language is None else {"language": language, "next": LOGIN}
    response = client.post(reverse("set_language"), data)
    assert response.status_code == 302 and response["Location"] == LOGIN
    return client.cookies["django_language"].value


@pytest.mark.parametrize(
    ("chosen", "stored"),
    [
        ("ar", "ar"),
        ("fa-af", "fa-af"),
        ("FA-AF", "fa-af"),
        (" tr ", "tr"),
        # Django has a catalogue for German and none for "xx"; Opspor has neither.
        ("de", "da"),
        ("xx", "da"),
        ("", "da"),
        (None, "da"),
        ("x" * 1000, "da"),
    ],
)
def test_choosing_a_language_opspor_does_not_have_stores_danish(
    chosen: str | None, stored: str
) -> None:
    client = Client()
    assert _choose(client, chosen) == stored
    assert _lang(client) == stored


def test_an_unknown_choice_after_a_known_one_gives_danish() -> None:
    client = Client()
    assert _choose(client, "ar") == "ar"
    assert _choose(client, "klingon") == "da"
    assert _lang(client) == "da"


def test_the_choice_is_a_post_a_get_changes_nothing() -> None:
    client = Client()
    response = client.get(reverse("set_language") + "?language=ar&next=/login/")
    assert response.status_code == 302
    assert "django_language" not in response.cookies
    assert _lang(client) == "da"
