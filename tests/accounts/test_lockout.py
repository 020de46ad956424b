"""Login throttling: an account locks after repeated failures, an address is refused after
many failures across usernames, every try is recorded, and the lock ends after its period."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from opspor.accounts.addresses import client_address
from opspor.accounts.models import LoginAttempt, Role
from tests import factories
from tests.two_factor import give_authenticator, next_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py gives every user this one
LOCKED = "data-locked"


def try_login(username: str, password: str, address: str = "192.0.2.10") -> str:
    response = Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password}
    )
    if response.status_code == 302:
        return "logged in"
    return response.content.decode()


def test_thirty_wrong_passwords_lock_the_account_and_the_right_one_is_refused() -> None:
    patient = factories.user(Role.PATIENT)
    answers = [try_login(patient.username, f"guess {n}") for n in range(30)]
    assert all(answer != "logged in" for answer in answers)
    # The fifth failure locks; the five failures are checked, the rest refused unchecked.
    assert LOCKED not in answers[3] and LOCKED in answers[4]
    assert all(LOCKED in answer for answer in answers[5:])
    assert LOCKED in try_login(patient.username, PASSWORD)
    rows = LoginAttempt.objects.filter(username=patient.username)
    assert rows.count() == 31
    assert rows.filter(outcome="failed", reason="wrong password", user=patient).count() == 5
    assert rows.filter(outcome="refused", reason="account locked").count() == 26
    assert not rows.filter(outcome="succeeded").exists()
    assert set(rows.values_list("address", flat=True)) == {"192.0.2.10"}


def test_the_lock_page_does_not_tell_whether_the_username_exists() -> None:
    real = factories.user(Role.GP)
    for n in range(5):
        try_login(real.username, f"guess {n}", "192.0.2.1")
        try_login("nobody.here", f"guess {n}", "192.0.2.2")
    on_real = try_login(real.username, PASSWORD, "192.0.2.1")
    on_made_up = try_login("nobody.here", PASSWORD, "192.0.2.2")

    def alert(html: str) -> str:
        # From the error to the form, which repeats the username typed.
        return html.split('data-testid="login-error"')[1].split("<form")[0]

    assert LOCKED in alert(on_real)
    assert alert(on_real) == alert(on_made_up)
    assert LoginAttempt.objects.filter(username="nobody.here", user=None).count() == 6


def test_the_lock_ends_after_its_period_and_a_success_is_recorded() -> None:
    patient = factories.user(Role.PATIENT)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(5):
            try_login(patient.username, f"guess {n}")
        assert LOCKED in try_login(patient.username, PASSWORD)
    with time_machine.travel(start + timedelta(minutes=14, seconds=59), tick=False):
        assert LOCKED in try_login(patient.username, PASSWORD)
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert try_login(patient.username, PASSWORD) == "logged in"
    latest = LoginAttempt.objects.filter(username=patient.username).first()
    assert latest is not None and latest.outcome == "succeeded" and latest.reason == "password"


def test_a_success_clears_the_accounts_failures() -> None:
    patient = factories.user(Role.PATIENT)
    for n in range(4):
        try_login(patient.username, f"guess {n}")
    assert try_login(patient.username, PASSWORD) == "logged in"
    for n in range(4):
        assert LOCKED not in try_login(patient.username, f"again {n}")
    assert try_login(patient.username, PASSWORD) == "logged in"


def test_one_address_trying_many_usernames_is_throttled(settings: Settings) -> None:
    settings.OPSPOR_LOGIN_ADDRESS_FAILURES = 20
    victim = factories.user(Role.PATIENT)
    for n in range(19):
        assert LOCKED not in try_login(f"made.up.{n}", "guess", "198.51.100.7")
    # The twentieth failure is answered with the lock already.
    assert LOCKED in try_login("made.up.19", "guess", "198.51.100.7")
    # Every username is refused from that address now, a right password included …
    assert LOCKED in try_login(victim.username, PASSWORD, "198.51.100.7")
    assert LoginAttempt.objects.filter(reason="address throttled").count() == 1
    # … while the same account logs in from elsewhere.
    assert try_login(victim.username, PASSWORD, "198.51.100.8") == "logged in"


def test_wrong_codes_lock_the_account_and_end_the_session() -> None:
    gp = factories.gp().user
    assert gp is not None
    device = give_authenticator(gp)
    start = timezone.now()
    client = Client(REMOTE_ADDR="192.0.2.20")
    with time_machine.travel(start, tick=False):
        client.post(reverse("login"), {"username": gp.username, "password": PASSWORD})
    # Each wrong code a few seconds after the last, past django-otp's own short wait.
    for n in range(5):
        with time_machine.travel(start + timedelta(seconds=20 * (n + 1)), tick=False):
            response = client.post(reverse("second_factor"), {"code": "000000"})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("login")).content.decode()
    assert 'data-testid="session-ended"' in page
    # The password alone does not reopen it: the account is locked.
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert LOCKED in try_login(gp.username, PASSWORD, "192.0.2.21")
    assert LoginAttempt.objects.filter(user=gp, reason="wrong code").count() == 5
    assert device.user_id == gp.pk


def test_a_right_password_alone_does_not_clear_failed_codes() -> None:
    # Else a thief with the password could guess codes for ever, four at a time.
    gp = factories.gp().user
    assert gp is not None
    give_authenticator(gp)
    start = timezone.now()
    for n in range(5):
        with time_machine.travel(start + timedelta(seconds=20 * n), tick=False):
            client = Client()
            client.post(reverse("login"), {"username": gp.username, "password": PASSWORD})
            client.post(reverse("second_factor"), {"code": "000000"})
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert LOCKED in try_login(gp.username, PASSWORD)


def test_the_admin_login_counts_and_is_locked_like_any_other() -> None:
    admin = factories.user(Role.ADMIN, is_staff=True, is_superuser=True)
    device = give_authenticator(admin)
    client = Client()
    for n in range(5):
        # The administration's login page sends to Opspor's, whose form takes the tries.
        response = client.get("/admin/login/?next=/admin/")
        assert response["Location"] == "/login/?next=/admin/"
        client.post(response["Location"], {"username": admin.username, "password": f"guess {n}"})
    response = client.post(
        "/login/?next=/admin/", {"username": admin.username, "password": PASSWORD}
    )
    assert LOCKED in response.content.decode()
    assert client.get("/admin/").status_code == 302
    assert LoginAttempt.objects.filter(user=admin, outcome="failed").count() == 5
    assert device.confirmed


def test_the_trail_is_append_only() -> None:
    try_login("someone", "guess")
    attempt = LoginAttempt.objects.get()
    attempt.reason = "nothing happened"
    with pytest.raises(ValueError, match="never changed"):
        attempt.save()
    with pytest.raises(ValueError, match="never deleted"):
        attempt.delete()
    assert LoginAttempt.objects.get().reason == "wrong password"
    admin = site._registry[LoginAttempt]
    request = RequestFactory().get("/admin/")
    request.user = factories.user(Role.ADMIN, is_staff=True, is_superuser=True)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, attempt)
    assert not admin.has_delete_permission(request, attempt)


def test_the_previous_login_and_failures_since_are_shown_after_login() -> None:
    gp = factories.gp().user
    assert gp is not None
    device = give_authenticator(gp)
    first = Client()
    first.post(reverse("login"), {"username": gp.username, "password": PASSWORD})
    first.post(reverse("second_factor"), {"code": next_code(device)})
    html = first.get("/safety-nets/worklist/").content.decode()
    shown = html.split('data-testid="previous-login">')[1].split("</p>")[0]
    assert "previous-login-at" not in shown and "failed-since" not in shown
    try_login(gp.username, "guess 1")
    try_login(gp.username, "guess 2")
    second = Client()
    second.post(reverse("login"), {"username": gp.username, "password": PASSWORD})
    second.post(reverse("second_factor"), {"code": next_code(device)})
    html = second.get("/safety-nets/worklist/").content.decode()
    shown = html.split('data-testid="previous-login">')[1].split("</p>")[0]
    assert 'data-testid="previous-login-at"' in shown
    assert '<strong data-testid="failed-since">2 ' in shown


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [
        (0, {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "10.1.1.1"}, "203.0.113.5"),
        (
            1,
            {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.5"},
            "203.0.113.5",
        ),
        (1, {"REMOTE_ADDR": "10.0.0.2"}, None),
        (0, {"REMOTE_ADDR": "not an address"}, None),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(
    settings: Settings, proxies: int, meta: dict[str, str], expected: str | None
) -> None:
    settings.OPSPOR_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", **meta)  # type: ignore[arg-type]
    assert client_address(request) == expected
