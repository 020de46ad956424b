"""The second factor of staff logins: enrolment on the first login, the code step, recovery
codes, the guard that keeps an unverified staff session out, and the demo's code aid."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from opspor.accounts import services, two_factor
from opspor.accounts.models import LoginAttempt, Role, User
from opspor.accounts.tokens import api_token_issue
from tests import factories
from tests.two_factor import give_authenticator, next_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py gives every user this one
STAFF_PAGES = {
    Role.GP: "/safety-nets/worklist/",
    Role.UNIT_DOCTOR: "/referrals/inbox/",
    Role.ANALYST: "/quality/",
    Role.ADMIN: "/admin/",
}


def staff(role: str = Role.GP) -> User:
    if role == Role.GP:
        clinician = factories.gp()
        assert clinician.user is not None
        return clinician.user
    if role == Role.UNIT_DOCTOR:
        doctor = factories.unit_doctor()
        assert doctor.user is not None
        return doctor.user
    return factories.user(role, is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)


def password_step(client: Client, user: User, next_page: str = "/") -> None:
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD, "next": next_page}
    )
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.parametrize("role", list(STAFF_PAGES))
def test_an_unverified_staff_session_reaches_only_the_code_step(
    role: str, password_only_login: Callable[..., None]
) -> None:
    user = staff(role)
    give_authenticator(user)
    client = Client()
    password_only_login(client, user)
    page = STAFF_PAGES[role]
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"/login/code/?next={page.replace('/', '%2F')}"
    # A form sent without the code step is refused the same way, and changes nothing.
    response = client.post(reverse("password_change"), {"old_password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/login/code/"
    # The same session, verified, opens the page (the patched force_login of tests/conftest).
    client.force_login(user)
    assert client.get(page).status_code == 200


def test_an_unverified_staff_session_without_an_app_is_sent_to_enrolment(
    password_only_login: Callable[..., None],
) -> None:
    user = staff()
    client = Client()
    password_only_login(client, user)
    response = client.get("/safety-nets/worklist/")
    assert response["Location"] == "/login/authenticator/?next=%2Fsafety-nets%2Fworklist%2F"


def test_the_api_still_takes_bearer_tokens_only(password_only_login: Callable[..., None]) -> None:
    user = staff()
    token = api_token_issue(user=user)
    response = Client().get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    # An unverified browser session is no way into the API either.
    client = Client()
    password_only_login(client, user)
    assert client.get("/api/v1/me").status_code == 401


def test_a_patient_logs_in_with_the_password_alone() -> None:
    user = factories.user(Role.PATIENT)
    factories.patient(user=user)
    client = Client()
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/patients/me/"
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get(reverse("second_factor")).status_code == 403
    assert client.get(reverse("recovery_codes")).status_code == 403


def test_first_login_enrols_the_authenticator_only_after_a_right_code() -> None:
    user = staff()
    client = Client()
    password_step(client, user, "/safety-nets/worklist/")
    response = client.get("/safety-nets/worklist/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/authenticator/")
    html = response.content.decode()
    assert '<svg width="' in html and 'class="qr-code"' in html
    key = client.session["opspor_enrol_key"]
    assert two_factor.secret_text(key) in html
    # Nothing is saved before the app has shown that it works.
    assert not TOTPDevice.objects.filter(user=user).exists()

    response = client.post(
        reverse("second_factor_enrol"), {"code": "000000", "next": "/safety-nets/worklist/"}
    )
    assert response.status_code == 200
    assert 'data-testid="code-error"' in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert client.get("/safety-nets/worklist/").status_code == 302

    code = two_factor.code_now(key)
    response = client.post(
        reverse("second_factor_enrol"), {"code": code, "next": "/safety-nets/worklist/"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    tokens = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(tokens) == two_factor.RECOVERY_CODES
    assert all(token in html for token in tokens)
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and device.key == key
    assert client.get("/safety-nets/worklist/").status_code == 200
    trail = list(
        LoginAttempt.objects.filter(user=user).order_by("id").values_list("outcome", "reason")
    )
    assert trail == [
        ("continued", "password"),
        ("failed", "wrong code at enrolment"),
        ("succeeded", "enrolled"),
    ]


def test_enrolment_never_replaces_an_app_already_set_up(
    password_only_login: Callable[..., None],
) -> None:
    # A password alone must not let anyone swap the owner's authenticator for their own.
    user = staff()
    device = give_authenticator(user)
    client = Client()
    password_only_login(client, user)
    response = client.get(reverse("second_factor_enrol"))
    assert response["Location"] == reverse("second_factor")
    response = client.post(reverse("second_factor_enrol"), {"code": "123456"})
    assert response["Location"] == reverse("second_factor")
    assert list(TOTPDevice.objects.filter(user=user)) == [device]


def test_the_code_step_takes_the_current_code_once() -> None:
    user = staff(Role.ANALYST)
    device = give_authenticator(user)
    client = Client()
    password_step(client, user, "/quality/")
    response = client.post(reverse("second_factor"), {"code": "12", "next": "/quality/"})
    assert response.status_code == 200
    assert 'data-testid="code-error"' in response.content.decode()
    code = next_code(device)
    # Right after a wrong code the next is not even checked (django-otp's throttle)…
    response = client.post(reverse("second_factor"), {"code": code, "next": "/quality/"})
    assert "data-throttled" in response.content.decode()
    assert LoginAttempt.objects.filter(user=user, reason="code throttled").count() == 1
    # … until the wait is over: one second after the first wrong code.
    time.sleep(1.1)
    response = client.post(reverse("second_factor"), {"code": code, "next": "/quality/"})
    assert response.status_code == 302 and response["Location"] == "/quality/"
    assert client.get("/quality/").status_code == 200

    # The same code, seen over a shoulder, does not open a second session.
    other = Client()
    password_step(other, user)
    response = other.post(reverse("second_factor"), {"code": code})
    assert response.status_code == 200
    assert other.get("/quality/").status_code == 302


def test_the_code_step_refuses_a_next_page_on_another_site() -> None:
    user = staff()
    give_authenticator(user)
    client = Client()
    password_step(client, user)
    response = client.post(
        reverse("second_factor"),
        {"code": next_code(give_authenticator(user)), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_a_recovery_code_logs_in_once_and_new_ones_replace_the_old() -> None:
    user = staff()
    give_authenticator(user)
    old_codes = services.recovery_codes_renew(user)
    client = Client()
    password_step(client, user)
    response = client.post(reverse("second_factor"), {"code": old_codes[0].upper()})
    assert response.status_code == 302
    assert client.get("/safety-nets/worklist/").status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9
    assert LoginAttempt.objects.filter(user=user, reason="recovery code").count() == 1

    again = Client()
    password_step(again, user)
    assert again.post(reverse("second_factor"), {"code": old_codes[0]}).status_code == 200
    assert again.get("/safety-nets/worklist/").status_code == 302

    page = client.get(reverse("recovery_codes")).content.decode()
    assert "9" in page
    response = client.post(reverse("recovery_codes"))
    new_codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert all(code in response.content.decode() for code in new_codes)
    third = Client()
    password_step(third, user)
    assert third.post(reverse("second_factor"), {"code": old_codes[1]}).status_code == 200
    time.sleep(1.1)  # the throttle after a wrong code
    assert third.post(reverse("second_factor"), {"code": new_codes[0]}).status_code == 302


def test_the_demo_code_is_shown_in_development_and_never_in_production(
    settings: Settings,
) -> None:
    user = staff()
    device = services.demo_authenticator_set_up(user)
    assert device is not None and device.name == two_factor.DEMO_DEVICE_NAME
    client = Client()
    password_step(client, user)

    settings.PRODUCTION = False
    html = client.get(reverse("second_factor")).content.decode()
    assert 'data-testid="demo-code"' in html
    shown = html.split('data-testid="demo-code-value">')[1][:6]
    assert shown == two_factor.code_now(device.key) or shown == two_factor.code_now(
        device.key, now=time.time() - two_factor.STEP_SECONDS
    )
    response = client.post(reverse("second_factor"), {"code": shown})
    assert response.status_code == 302

    settings.PRODUCTION = True
    production = Client()
    password_step(production, user)
    html = production.get(reverse("second_factor")).content.decode()
    assert "demo-code" not in html
    assert two_factor.code_now(device.key) not in html


def test_a_real_authenticator_never_shows_its_code() -> None:
    user = staff()
    device = give_authenticator(user)
    client = Client()
    password_step(client, user)
    html = client.get(reverse("second_factor")).content.decode()
    assert "demo-code" not in html
    assert two_factor.code_now(device.key) not in html


def test_demo_authenticators_go_to_staff_only() -> None:
    patient = factories.user(Role.PATIENT)
    assert services.demo_authenticator_set_up(patient) is None
    gp = staff()
    first = services.demo_authenticator_set_up(gp)
    assert first is not None
    assert services.demo_authenticator_set_up(gp) is None
    assert TOTPDevice.objects.filter(user=gp).count() == 1


def test_the_admin_login_is_opspors_with_its_second_factor() -> None:
    admin = staff(Role.ADMIN)
    device = give_authenticator(admin)
    client = Client()
    response = client.get("/admin/", follow=True)
    assert [url for url, _ in response.redirect_chain] == [
        "/admin/login/?next=/admin/",
        "/login/?next=/admin/",
    ]
    # The administration's own form takes no password: it only sends to Opspor's.
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin.username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/login/?next=/admin/"
    assert "_auth_user_id" not in client.session
    password_step(client, admin, "/admin/")
    assert client.get("/admin/")["Location"] == "/login/code/?next=%2Fadmin%2F"
    response = client.post(reverse("second_factor"), {"code": next_code(device), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_code_step_asks_for_a_login_first() -> None:
    response = Client().get(reverse("second_factor"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_code_step_shows_no_menu_and_no_notifications(
    password_only_login: Callable[..., None],
) -> None:
    user = staff()
    give_authenticator(user)
    client = Client()
    password_only_login(client, user)
    html = client.get(reverse("second_factor")).content.decode()
    assert 'data-testid="current-user"' in html
    assert 'data-testid="nav-worklist"' not in html
    assert 'data-testid="notification-count"' not in html
    client.force_login(user)
    html = client.get("/safety-nets/worklist/").content.decode()
    assert 'data-testid="nav-worklist"' in html and 'data-testid="notification-count"' in html
