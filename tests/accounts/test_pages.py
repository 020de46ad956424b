"""Login, logout, the start page of each role, the language switcher and the error pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from opspor.accounts.models import Role
from opspor.records.models import AccessLogEntry
from tests import factories
from tests.two_factor import give_authenticator, next_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py gives every user this one


@pytest.mark.parametrize(
    ("role", "start"),
    [
        (Role.GP, "/safety-nets/worklist/"),
        (Role.PATIENT, "/patients/me/"),
        (Role.UNIT_DOCTOR, "/referrals/inbox/"),
        (Role.ANALYST, "/quality/"),
        (Role.ADMIN, "/admin/"),
    ],
)
def test_login_sends_each_role_to_its_start_page(role: str, start: str) -> None:
    account = factories.user(role, is_staff=role == Role.ADMIN)
    if role == Role.PATIENT:
        factories.patient(user=account)
    else:
        give_authenticator(account)
    client = Client()
    response = client.post(
        reverse("login"), {"username": account.username, "password": PASSWORD}, follow=True
    )
    if role != Role.PATIENT:
        # Staff go through the code step first, then on to where they were going.
        assert response.redirect_chain[-1][0] == "/login/code/?next=%2F"
        response = client.post(
            reverse("second_factor"),
            {"code": next_code(give_authenticator(account)), "next": "/"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == start
    assert response.status_code == 200


def test_anonymous_visitor_of_the_start_page_is_sent_to_login() -> None:
    response = Client().get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_is_danish_with_a_language_switcher() -> None:
    html = Client().get(reverse("login")).content.decode()
    assert '<html lang="da" dir="ltr">' in html
    assert "Log ind på Opspor" in html
    assert "vendor/dkfds/css/dkfds.min.css" in html
    assert "vendor/htmx/htmx.min.js" in html
    assert f'action="{reverse("set_language")}"' in html
    for code in ("da", "en", "ar", "tr"):
        assert f'name="language" value="{code}"' in html


def test_wrong_password_shows_an_error_and_does_not_log_in() -> None:
    account = factories.user(Role.GP)
    client = Client()
    response = client.post(reverse("login"), {"username": account.username, "password": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="login-error"' in html
    assert "Du blev ikke logget ind" in html
    assert "_auth_user_id" not in client.session


def test_language_switcher_turns_the_page_arabic_and_right_to_left() -> None:
    client = Client()
    response = client.post(
        reverse("set_language"), {"language": "ar", "next": reverse("login")}, follow=True
    )
    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "تسجيل الدخول إلى Opspor" in html


@pytest.mark.parametrize(("code", "heading"), [("en", "Log in to Opspor"), ("tr", "giriş")])
def test_english_and_turkish_login_pages(code: str, heading: str) -> None:
    client = Client()
    client.cookies["django_language"] = code
    html = client.get(reverse("login")).content.decode()
    assert f'<html lang="{code}" dir="ltr">' in html
    assert heading in html


def test_header_shows_user_role_and_a_post_logout() -> None:
    gp = factories.gp()
    assert gp.user is not None
    gp.user.first_name, gp.user.last_name = "Mette", "Sørensen"
    gp.user.save()
    client = Client()
    client.force_login(gp.user)
    html = client.get(reverse("records:practice_patients")).content.decode()
    assert "Mette Sørensen" in html
    assert "Praktiserende læge" in html
    assert f'<form method="post" action="{reverse("logout")}">' in html


def test_logout_needs_a_post_and_ends_the_session() -> None:
    client = Client()
    client.force_login(factories.user(Role.ANALYST))
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("quality:dashboard")).status_code == 302


def test_forbidden_page_says_why_and_leads_back() -> None:
    client = Client()
    client.force_login(factories.user(Role.ANALYST, first_name="Ole", last_name="Dam"))
    response = client.get(reverse("records:practice_patients"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Siden er ikke beregnet til din rolle" in html
    assert "Ole Dam (Kvalitetsanalytiker)" in html
    assert f'href="{reverse("home")}"' in html
    assert AccessLogEntry.objects.count() == 0


def test_not_found_page_is_the_projects_own() -> None:
    client = Client()
    client.force_login(factories.user(Role.GP))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Siden findes ikke" in response.content.decode()
