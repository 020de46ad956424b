"""How long a session lasts: idle timeout, absolute lifetime, a browser-session cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from opspor.accounts import sessions
from opspor.accounts.models import Role, User
from tests import factories

pytestmark = pytest.mark.django_db

WORKLIST = "/safety-nets/worklist/"


def gp() -> User:
    user = factories.gp().user
    assert user is not None
    return user


def test_a_staff_session_ends_after_thirty_idle_minutes() -> None:
    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        client.force_login(gp())
        assert client.get(WORKLIST).status_code == 200
    with time_machine.travel(start + timedelta(minutes=29, seconds=50), tick=False):
        assert client.get(WORKLIST).status_code == 200
    # Idle counts from the last request, not from the login.
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert client.get(WORKLIST).status_code == 200
    with time_machine.travel(start + timedelta(minutes=89, seconds=10), tick=False):
        response = client.get(WORKLIST)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert "_auth_user_id" not in client.session
        page = client.get(reverse("login")).content.decode()
    assert 'data-testid="session-ended" data-reason="idle"' in page


def test_a_busy_session_still_ends_at_its_absolute_lifetime(settings: Settings) -> None:
    settings.OPSPOR_SESSION_MAX_SECONDS = 3600
    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        client.force_login(gp())
    for minutes in (20, 40, 59):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(WORKLIST).status_code == 200
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert client.get(WORKLIST).status_code == 302
        assert client.session.get(sessions.ENDED) == "lifetime"


def test_patients_have_their_own_idle_timeout(settings: Settings) -> None:
    settings.OPSPOR_SESSION_IDLE_SECONDS_PATIENT = 600
    user = factories.user(Role.PATIENT)
    factories.patient(user=user)
    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        client.force_login(user)
        assert client.get("/patients/me/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        assert client.get("/patients/me/").status_code == 302


def test_a_session_without_its_clocks_is_ended() -> None:
    client = Client()
    client.force_login(gp())
    session = client.session
    del session[sessions.LOGGED_IN_AT]
    session.save()
    assert client.get(WORKLIST).status_code == 302


def test_the_session_cookie_ends_with_the_browser() -> None:
    user = factories.user(Role.PATIENT)
    factories.patient(user=user)
    client = Client()
    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct horse battery"}
    )
    cookie = response.cookies["sessionid"]
    assert cookie.value
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert cookie["httponly"]
