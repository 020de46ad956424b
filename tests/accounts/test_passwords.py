"""Self-service password change and password reset by e-mail."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import LoginAttempt, Role, User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py gives every user this one
NEW_PASSWORD = "a quiet harbour at dusk"


def gp() -> User:
    user = factories.gp().user
    assert user is not None
    return user


def test_a_logged_in_user_changes_their_password() -> None:
    user = gp()
    client = Client()
    client.force_login(user)
    page = client.get(reverse("password_change")).content.decode()
    assert "dkfds.min.css" in page and 'name="old_password"' in page

    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200 and "form-error-message" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert 'data-testid="password-changed"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The session that changed it stays logged in (and verified).
    assert client.get("/safety-nets/worklist/").status_code == 200


def test_the_password_change_needs_a_login_and_for_staff_the_second_factor(
    password_only_login: Callable[..., None],
) -> None:
    response = Client().get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    user = gp()
    client = Client()
    password_only_login(client, user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_password_is_reset_through_a_link_by_e_mail() -> None:
    user = factories.user(Role.PATIENT, email="ole@example.org")
    factories.patient(user=user)
    client = Client()
    page = client.get(reverse("password_reset")).content.decode()
    assert 'name="email"' in page and "dkfds.min.css" in page
    response = client.post(reverse("password_reset"), {"email": "ole@example.org"}, follow=True)
    assert 'data-testid="reset-sent"' in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ole@example.org"]
    assert "Opspor" in message.subject
    link = re.search(r"https?://testserver(/password-reset/\S+/)", message.body)
    assert link is not None

    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0]
    assert 'name="new_password1"' in response.content.decode()
    response = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert 'data-testid="reset-complete"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The reset logs nobody in, and its link works once.
    assert "_auth_user_id" not in client.session
    again = client.get(link.group(1), follow=True).content.decode()
    assert 'data-testid="reset-invalid"' in again


def test_an_unknown_address_gets_the_same_answer_and_no_mail() -> None:
    response = Client().post(
        reverse("password_reset"), {"email": "nobody@example.org"}, follow=True
    )
    assert 'data-testid="reset-sent"' in response.content.decode()
    assert mail.outbox == []


def test_reset_links_to_one_address_are_limited_and_the_answer_does_not_change(
    settings: Any,
) -> None:
    settings.OPSPOR_PASSWORD_RESET_LIMIT = 2
    factories.user(Role.PATIENT, email="ole@example.org")
    client = Client()
    for _ in range(4):
        response = client.post(reverse("password_reset"), {"email": "ole@example.org"}, follow=True)
        # The same answer every time: nothing tells a throttled request apart.
        assert 'data-testid="reset-sent"' in response.content.decode()
    assert len(mail.outbox) == 2
    trail = LoginAttempt.objects.filter(step=LoginAttempt.Step.PASSWORD_RESET).order_by("pk")
    assert [a.outcome for a in trail] == ["continued", "continued", "refused", "refused"]
    assert {a.username for a in trail} == {"ole@example.org"}
    # The requests are not failed logins: the account is not locked by them.
    assert not LoginAttempt.objects.filter(outcome=LoginAttempt.Outcome.FAILED).exists()
    # After the period, a link can be asked for again.
    later = timezone.now() + timedelta(seconds=settings.OPSPOR_LOGIN_LOCK_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        client.post(reverse("password_reset"), {"email": "ole@example.org"})
    assert len(mail.outbox) == 3


def test_reset_requests_from_one_client_address_are_limited_across_addresses(
    settings: Any,
) -> None:
    settings.OPSPOR_LOGIN_ADDRESS_FAILURES = 3
    for n in range(5):
        factories.user(Role.PATIENT, email=f"p{n}@example.org")
    client = Client(REMOTE_ADDR="192.0.2.50")
    for n in range(5):
        client.post(reverse("password_reset"), {"email": f"p{n}@example.org"})
    assert len(mail.outbox) == 3
    # Another client address is not held back by it.
    Client(REMOTE_ADDR="192.0.2.51").post(reverse("password_reset"), {"email": "p4@example.org"})
    assert len(mail.outbox) == 4
