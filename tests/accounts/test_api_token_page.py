"""The user's own API tokens page (create, shown once, revoke) and the admin's view of
tokens, which cannot move a token to another user."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from opspor.accounts.models import ApiToken, Role, TokenScope, User
from opspor.accounts.tokens import api_token_issue
from tests import factories

pytestmark = pytest.mark.django_db

PAGE = "/account/api-tokens/"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def once_of(html: str) -> str:
    found = re.search(r'name="once" value="([^"]+)"', html)
    assert found, "the form carries its one-time value"
    return found.group(1)


def new_token_of(html: str) -> str:
    found = re.search(r'id="new-token-value" type="text" value="([^"]+)"', html)
    assert found, "the new token is shown"
    return found.group(1)


def test_the_page_has_its_address_and_a_link_on_your_login() -> None:
    assert reverse("api_tokens") == PAGE
    # Reached from "Your login" (the account page), not from a link of its own in the header.
    client = logged_in(factories.user(Role.GP))
    assert 'data-testid="nav-api-tokens"' not in client.get(PAGE).content.decode()
    html = client.get(reverse("account")).content.decode()
    assert f'href="{PAGE}" data-testid="api-tokens-link"' in html


def test_create_shows_the_token_once_and_it_works(settings: Settings) -> None:
    settings.OPSPOR_API_TOKEN_DAYS = 30
    gp = factories.user(Role.GP)
    client = logged_in(gp)
    page = client.get(PAGE)
    assert page["Cache-Control"].startswith("max-age=0") and "no-store" in page["Cache-Control"]
    assert 'data-testid="no-tokens"' in page.content.decode()
    response = client.post(
        PAGE, {"scope": "read", "days": "7", "once": once_of(page.content.decode())}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = new_token_of(response.content.decode())
    token = ApiToken.objects.get(user=gp)
    assert token.scope == TokenScope.READ and raw.startswith(token.prefix)
    assert token.expires_at - timezone.now() == pytest.approx(
        timedelta(days=7), abs=timedelta(seconds=5)
    )
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    # Not shown again.
    again = client.get(PAGE).content.decode()
    assert raw not in again and 'data-testid="new-token"' not in again
    assert token.prefix in again


def test_sending_the_same_form_twice_makes_one_token() -> None:
    gp = factories.user(Role.GP)
    client = logged_in(gp)
    form = {"scope": "write", "days": "30", "once": once_of(client.get(PAGE).content.decode())}
    first = client.post(PAGE, form)
    assert first.status_code == 200
    second = client.post(PAGE, form, follow=True)
    assert "Denne formular er allerede sendt" in second.content.decode()
    assert 'data-testid="new-token"' not in second.content.decode()
    assert ApiToken.objects.filter(user=gp).count() == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"scope": "admin", "days": "30"}, "Select a valid choice"),
        ({"scope": "read", "days": "91"}, "less than or equal to 90"),
        ({"scope": "read", "days": "0"}, "greater than or equal to 1"),
        ({"scope": "read", "days": "soon"}, "Enter a whole number"),
    ],
)
def test_a_bad_form_is_refused_with_the_reason_and_makes_no_token(
    settings: Settings, fields: dict[str, str], error: str
) -> None:
    settings.OPSPOR_API_TOKEN_DAYS = 90
    gp = factories.user(Role.GP)
    client = logged_in(gp)
    client.cookies.load({"django_language": "en"})
    once = once_of(client.get(PAGE).content.decode())
    response = client.post(PAGE, fields | {"once": once})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert ApiToken.objects.count() == 0
    # The same form, corrected, still goes through once.
    assert client.post(PAGE, {"scope": "read", "days": "5", "once": once}).status_code == 200
    assert ApiToken.objects.count() == 1


def test_the_page_lists_only_the_users_own_tokens_with_their_details() -> None:
    gp, other = factories.user(Role.GP), factories.user(Role.GP)
    api_token_issue(user=gp, scope=TokenScope.READ, days=10)
    api_token_issue(user=gp)
    api_token_issue(user=other)
    revoked = ApiToken.objects.filter(user=gp).latest("pk")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    mine = set(ApiToken.objects.filter(user=gp).values_list("prefix", flat=True))
    theirs = ApiToken.objects.get(user=other).prefix
    client = logged_in(gp)
    client.cookies.load({"django_language": "en"})
    html = client.get(PAGE).content.decode()
    assert html.count('data-testid="api-token"') == 2
    for prefix in mine:
        assert prefix in html
    assert theirs not in html
    for heading in ("Scope", "Created", "Last used", "Expires"):
        assert f">{heading}</th>" in html
    states = re.findall(r'data-testid="token-state"><span class="[^"]*">(\w+)<', html)
    assert sorted(states) == ["Active", "Revoked"]
    assert html.count('data-testid="revoke"') == 1  # only the active one


def test_revoke_asks_then_revokes_and_a_second_revoke_is_harmless() -> None:
    gp = factories.user(Role.GP)
    raw = api_token_issue(user=gp)
    token = ApiToken.objects.get()
    client = logged_in(gp)
    address = reverse("api_token_revoke", args=[token.pk])
    confirm = client.get(address)
    assert confirm.status_code == 200
    assert 'data-testid="revoke-form"' in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # asking is not revoking
    response = client.post(address)
    assert response.status_code == 302 and response["Location"] == PAGE
    token.refresh_from_db()
    revoked_at = token.revoked_at
    assert revoked_at is not None
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    again = client.post(address, follow=True)
    assert again.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert 'data-testid="already-revoked"' in client.get(address).content.decode()


def test_another_users_token_is_404_and_stays_as_it_was() -> None:
    owner, intruder = factories.user(Role.GP), factories.user(Role.UNIT_DOCTOR)
    raw = api_token_issue(user=owner)
    token = ApiToken.objects.get()
    client = logged_in(intruder)
    address = reverse("api_token_revoke", args=[token.pk])
    assert client.get(address).status_code == 404
    assert client.post(address).status_code == 404
    assert client.post(reverse("api_token_revoke", args=[10**9])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_patients_and_visitors_have_no_token_page() -> None:
    patient = factories.user(Role.PATIENT)
    factories.patient(user=patient)
    client = logged_in(patient)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"scope": "write", "days": "5", "once": "x"}).status_code == 403
    assert f'href="{PAGE}"' not in client.get("/patients/me/").content.decode()
    assert client.get(reverse("account")).status_code == 403
    anonymous = Client().get(PAGE)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert ApiToken.objects.count() == 0


def test_the_admin_cannot_move_a_token_to_another_user_or_change_it() -> None:
    admin = factories.user(Role.ADMIN, is_staff=True, is_superuser=True)
    owner, other = factories.user(Role.GP), factories.user(Role.GP)
    api_token_issue(user=owner, scope=TokenScope.READ)
    token = ApiToken.objects.get()
    before = ApiToken.objects.filter(pk=token.pk).values().get()
    client = logged_in(admin)
    address = reverse("admin:accounts_apitoken_change", args=[token.pk])
    form = client.get(address).content.decode()
    assert 'name="user"' not in form and 'name="digest"' not in form
    assert token.digest not in form
    response = client.post(
        address,
        {
            "user": other.pk,
            "digest": "0" * 64,
            "prefix": "hijacked",
            "scope": "write",
            "expires_at_0": "2099-01-01",
            "expires_at_1": "00:00:00",
            "revoked_at_0": "",
        },
    )
    assert response.status_code == 302
    assert ApiToken.objects.filter(pk=token.pk).values().get() == before
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403


def test_the_admin_revokes_selected_tokens_once() -> None:
    admin = factories.user(Role.ADMIN, is_staff=True, is_superuser=True)
    gp = factories.user(Role.GP)
    api_token_issue(user=gp)
    api_token_issue(user=gp)
    first, second = ApiToken.objects.order_by("pk")
    earlier = timezone.now() - timedelta(days=1)
    ApiToken.objects.filter(pk=first.pk).update(revoked_at=earlier)
    client = logged_in(admin)
    client.cookies.load({"django_language": "en"})
    response = client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "1 token revoked." in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.revoked_at == earlier  # the earlier revocation is kept
    assert second.revoked_at is not None
