"""Passkeys as the second factor of a staff login, end to end over the test client with a
software authenticator (tests/accounts/soft_authenticator.py): adding one on "Your login",
logging in with it at the code step, removing it, and every answer that must be refused
(with nothing saved, the session left unverified, and the try in the login trail)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from pytest_django.fixtures import Settings

from opspor.accounts.models import LoginAttempt, PasskeyDevice, Role, User
from tests import factories
from tests.accounts.soft_authenticator import SoftAuthenticator
from tests.two_factor import give_authenticator, next_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py gives every user this one
NEXT = "/referrals/"


def gp() -> User:
    clinician = factories.gp()
    assert clinician.user is not None
    give_authenticator(clinician.user)
    return clinician.user


def post_json(client: Client, name: str, body: Any = None, **extra: Any) -> Any:
    return client.post(
        reverse(name), json.dumps(body or {}), content_type="application/json", **extra
    )


def verified_client(user: User) -> Client:
    client = Client()
    client.force_login(user)  # verified by the app (tests/conftest.py)
    return client


def add_passkey(user: User, key: SoftAuthenticator, name: str = "Work laptop") -> PasskeyDevice:
    client = verified_client(user)
    options = post_json(client, "passkey_register_options").json()
    response = post_json(
        client, "passkey_register", {"name": name, "credential": key.create(options)}
    )
    assert response.status_code == 200, response.content
    return PasskeyDevice.objects.get(credential_id=key.credential_id_text)


def password_step(user: User) -> Client:
    client = Client()
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD, "next": NEXT}
    )
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session
    return client


def login_options(client: Client) -> dict[str, Any]:
    response = post_json(client, "passkey_login_options")
    assert response.status_code == 200, response.content
    return response.json()


def is_verified(client: Client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


def attempts(user: User) -> list[tuple[str, str, str]]:
    return [
        (a.step, a.outcome, a.reason)
        for a in LoginAttempt.objects.filter(user=user).order_by("at", "id")
    ]


# --- adding a passkey -------------------------------------------------------------------


def test_a_passkey_is_added_from_the_account_page_and_listed_there() -> None:
    user = gp()
    key = SoftAuthenticator()
    client = verified_client(user)
    options = post_json(client, "passkey_register_options").json()
    assert options["rp"]["id"] == "testserver"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert options["excludeCredentials"] == []
    response = post_json(
        client, "passkey_register", {"name": "  Work laptop ", "credential": key.create(options)}
    )
    assert response.status_code == 200
    assert response.json() == {"redirect": reverse("account")}
    device = PasskeyDevice.objects.get(user=user)
    assert device.name == "Work laptop"
    assert device.credential_id == key.credential_id_text
    assert device.transports == ["internal"]
    assert device.created_at is not None and device.last_used_at is None
    assert device.verify_token("123456") is False

    page = client.get(reverse("account"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="passkey-name">Work laptop<' in html
    assert reverse("passkey_remove", args=[device.pk]) in html
    # A second registration names the first, so that the same key is not added twice.
    again = post_json(client, "passkey_register_options").json()
    assert [c["id"] for c in again["excludeCredentials"]] == [key.credential_id_text]


def test_the_account_page_shows_everything_about_the_login() -> None:
    user = gp()
    client = verified_client(user)
    html = client.get(reverse("account"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for testid in (
        "authenticator",
        "recovery-left",
        "recovery-codes-link",
        "no-passkeys",
        "passkey-add-form",
        "password-change-link",
        "api-tokens-link",
    ):
        assert f'data-testid="{testid}"' in html, testid
    assert f'href="{reverse("api_tokens")}" data-testid="api-tokens-link"' in html
    assert f'href="{reverse("recovery_codes")}"' in html
    assert f'href="{reverse("password_change")}"' in html
    # The form is hidden until the script finds WebAuthn; the note says why it is missing.
    assert "data-passkey-register hidden" in html
    assert "<script src=" in html and "accounts/passkeys" in html


def test_the_header_links_your_login_to_the_account_page_and_no_longer_to_api_tokens() -> None:
    user = gp()
    client = password_step(user)
    # A complete login (code step) puts the previous login, and the link, in the header.
    client.post(reverse("second_factor"), {"code": next_code(give_authenticator(user))})
    assert is_verified(client)
    html = client.get(reverse("account")).content.decode()
    assert f'href="{reverse("account")}" data-testid="nav-account"' in html
    assert 'data-testid="nav-api-tokens"' not in html


@pytest.mark.parametrize(
    "spoil",
    [
        "wrong challenge",
        "replayed",
        "wrong origin",
        "wrong rp id",
        "not verified",
        "no options asked",
        "expired",
        "malformed",
        "not json",
        "no name",
        "long name",
    ],
)
def test_a_bad_registration_is_refused_and_saves_nothing(spoil: str) -> None:
    user = gp()
    key = SoftAuthenticator()
    client = verified_client(user)
    if spoil == "replayed":
        add_passkey(user, SoftAuthenticator())
    options = post_json(client, "passkey_register_options").json()
    body: dict[str, Any] = {"name": "Key", "credential": None}
    if spoil == "wrong challenge":
        body["credential"] = key.create(options, challenge="c29tZXRoaW5nIGVsc2U")
    elif spoil == "wrong origin":
        body["credential"] = key.create(options, origin="https://evil.example")
    elif spoil == "wrong rp id":
        body["credential"] = key.create(options, rp_id="evil.example")
    elif spoil == "not verified":
        body["credential"] = key.create(options, verified=False)
    elif spoil == "no options asked":
        session = client.session
        session.pop("opspor_passkey_register")
        session.save()
        body["credential"] = key.create(options)
    elif spoil == "expired":
        # Older than CHALLENGE_SECONDS.
        session = client.session
        session["opspor_passkey_register"]["until"] = time.time() - 1
        session.save()
        body["credential"] = key.create(options)
    elif spoil == "malformed":
        body["credential"] = {"id": "x", "response": "nonsense"}
    elif spoil == "no name":
        body = {"name": "  ", "credential": key.create(options)}
    elif spoil == "long name":
        body = {"name": "k" * 65, "credential": key.create(options)}
    elif spoil == "replayed":
        # The same answer twice: the second finds its challenge used.
        credential = key.create(options)
        first = post_json(client, "passkey_register", {"name": "A", "credential": credential})
        assert first.status_code == 200
        PasskeyDevice.objects.filter(credential_id=key.credential_id_text).delete()
        body["credential"] = credential
    before = PasskeyDevice.objects.count()
    if spoil == "not json":
        response = client.post(reverse("passkey_register"), {"name": "Key"})
    else:
        response = post_json(client, "passkey_register", body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert PasskeyDevice.objects.count() == before
    assert not PasskeyDevice.objects.filter(credential_id=key.credential_id_text).exists()


def test_the_error_is_in_words_the_person_reads() -> None:
    user = gp()
    client = verified_client(user)
    options = post_json(client, "passkey_register_options").json()
    credential = SoftAuthenticator().create(options, origin="https://evil.example")
    with translation.override("en"):
        response = post_json(
            client,
            "passkey_register",
            {"name": "Key", "credential": credential},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.json() == {
        "error": "The passkey could not be added: the browser's answer did not check out. "
        "Try again."
    }


def test_the_same_passkey_is_not_added_twice() -> None:
    user = gp()
    key = SoftAuthenticator()
    add_passkey(user, key)
    client = verified_client(user)
    options = post_json(client, "passkey_register_options").json()
    response = post_json(
        client, "passkey_register", {"name": "Again", "credential": key.create(options)}
    )
    assert response.status_code == 400
    assert list(PasskeyDevice.objects.values_list("name", flat=True)) == ["Work laptop"]


def test_a_session_that_only_a_password_opened_cannot_add_a_passkey(
    password_only_login: Callable[..., None],
) -> None:
    user = gp()
    client = Client()
    password_only_login(client, user)
    for name in ("passkey_register_options", "passkey_register"):
        response = post_json(client, name, {"name": "Thief's key", "credential": {}})
        assert response.status_code == 302
        assert response["Location"] == reverse("second_factor")
    assert client.get(reverse("account"))["Location"].startswith(reverse("second_factor"))
    assert "opspor_passkey_register" not in client.session
    assert not PasskeyDevice.objects.exists()


def test_patients_have_no_passkeys_and_no_account_page() -> None:
    patient = factories.user(Role.PATIENT)
    client = Client()
    client.force_login(patient)
    assert client.get(reverse("account")).status_code == 403
    for name in (
        "passkey_register_options",
        "passkey_register",
        "passkey_login_options",
        "passkey_login",
    ):
        assert post_json(client, name, {"name": "Key", "credential": {}}).status_code == 403
    assert not PasskeyDevice.objects.exists()
    assert not LoginAttempt.objects.exists()


def test_the_relying_party_is_the_host_without_its_port_unless_configured(
    settings: Settings,
) -> None:
    user = gp()
    client = verified_client(user)
    options = post_json(client, "passkey_register_options", HTTP_HOST="localhost:8123").json()
    assert options["rp"] == {"id": "localhost", "name": "Opspor"}
    key = SoftAuthenticator(rp_id="localhost", origin="http://localhost:8123")
    response = post_json(
        client,
        "passkey_register",
        {"name": "Key", "credential": key.create(options)},
        HTTP_HOST="localhost:8123",
    )
    assert response.status_code == 200

    settings.OPSPOR_WEBAUTHN_RP_ID = "opspor.example"
    settings.OPSPOR_WEBAUTHN_ORIGINS = ["https://opspor.example"]
    options = post_json(client, "passkey_register_options").json()
    assert options["rp"]["id"] == "opspor.example"
    # The request's own origin is not one of those configured.
    other = SoftAuthenticator(rp_id="opspor.example", origin="http://testserver")
    response = post_json(
        client, "passkey_register", {"name": "Key", "credential": other.create(options)}
    )
    assert response.status_code == 400
    options = post_json(client, "passkey_register_options").json()
    good = SoftAuthenticator(rp_id="opspor.example", origin="https://opspor.example")
    response = post_json(
        client, "passkey_register", {"name": "Key 2", "credential": good.create(options)}
    )
    assert response.status_code == 200


# --- logging in with a passkey ----------------------------------------------------------


def test_a_staff_user_logs_in_with_password_and_passkey() -> None:
    user = gp()
    key = SoftAuthenticator()
    device = add_passkey(user, key)
    client = password_step(user)
    page = client.get(reverse("second_factor"), {"next": NEXT}).content.decode()
    assert 'data-testid="passkey-login"' in page
    assert "data-passkey-login hidden" in page
    options = login_options(client)
    assert options["rpId"] == "testserver"
    assert options["userVerification"] == "required"
    assert [c["id"] for c in options["allowCredentials"]] == [key.credential_id_text]

    response = post_json(client, "passkey_login", {"credential": key.get(options), "next": NEXT})
    assert response.status_code == 200
    assert response.json() == {"redirect": NEXT}
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    device.refresh_from_db()
    assert device.sign_count == 1 and device.last_used_at is not None
    assert attempts(user)[-1] == ("second_factor", "succeeded", "passkey")
    # The session is verified like one the code verified: staff pages open.
    assert client.get("/safety-nets/worklist/").status_code == 200


def test_the_next_page_must_be_on_this_site() -> None:
    user = gp()
    key = SoftAuthenticator()
    add_passkey(user, key)
    client = password_step(user)
    options = login_options(client)
    response = post_json(
        client, "passkey_login", {"credential": key.get(options), "next": "https://evil.example/"}
    )
    assert response.json() == {"redirect": "/"}


def test_a_user_without_passkeys_sees_no_passkey_button_and_gets_no_options() -> None:
    user = gp()
    client = password_step(user)
    page = client.get(reverse("second_factor")).content.decode()
    assert 'data-testid="passkey-login"' not in page
    assert "accounts/passkeys" not in page
    response = post_json(client, "passkey_login_options")
    assert response.status_code == 404
    assert response.json()["error"]


LOGIN_SPOILS = [
    "wrong challenge",
    "replayed",
    "wrong origin",
    "wrong rp id",
    "another user's credential",
    "unknown credential",
    "lowered sign count",
    "not verified",
    "no options asked",
    "bad signature",
    "malformed",
]


@pytest.mark.parametrize("spoil", LOGIN_SPOILS)
def test_a_bad_passkey_answer_is_refused_and_counts_as_a_failed_try(spoil: str) -> None:
    user = gp()
    key = SoftAuthenticator()
    device = add_passkey(user, key)
    if spoil == "lowered sign count":
        PasskeyDevice.objects.filter(pk=device.pk).update(sign_count=10)
        key.sign_count = 4
    stranger = gp()
    strangers_key = SoftAuthenticator()
    add_passkey(stranger, strangers_key)
    client = password_step(user)
    options = login_options(client)
    reason = "passkey refused"
    if spoil == "wrong challenge":
        credential = key.get(options, challenge="c29tZXRoaW5nIGVsc2U")
    elif spoil == "replayed":
        credential = key.get(options)
        assert post_json(client, "passkey_login", {"credential": credential}).status_code == 200
        # Another session of the same user, the first answer sent again.
        client = password_step(user)
        login_options(client)
    elif spoil == "wrong origin":
        credential = key.get(options, origin="https://evil.example")
    elif spoil == "wrong rp id":
        credential = key.get(options, rp_id="evil.example")
    elif spoil == "another user's credential":
        credential = strangers_key.get(options)
        reason = "unknown passkey"
    elif spoil == "unknown credential":
        credential = SoftAuthenticator().get(options)
        reason = "unknown passkey"
    elif spoil == "lowered sign count":
        credential = key.get(options)
        reason = "passkey sign count not increased"
    elif spoil == "not verified":
        credential = key.get(options, verified=False)
    elif spoil == "no options asked":
        credential = key.get(options)
        session = client.session
        session.pop("opspor_passkey_login")
        session.save()
        reason = "passkey challenge missing or expired"
    elif spoil == "bad signature":
        credential = SoftAuthenticator(credential_id=key.credential_id).get(options)
    elif spoil == "malformed":
        credential = {"id": key.credential_id_text, "rawId": "!!", "response": {}}
    device.refresh_from_db()
    before = (device.sign_count, device.last_used_at)
    trail = len(attempts(user))

    response = post_json(client, "passkey_login", {"credential": credential, "next": NEXT})

    assert response.status_code == 400
    assert response.json()["error"]
    assert "redirect" not in response.json()
    assert not is_verified(client)
    assert client.session[SESSION_KEY] == str(user.pk)  # still at the code step
    device.refresh_from_db()
    assert (device.sign_count, device.last_used_at) == before
    assert attempts(user)[trail:] == [("second_factor", "failed", reason)]
    # The challenge is gone with the answer: sending it again is refused the same way.
    again = post_json(client, "passkey_login", {"credential": credential})
    assert again.status_code == 400
    assert client.get("/safety-nets/worklist/").status_code == 302


def test_a_cloned_key_is_named_in_the_message() -> None:
    user = gp()
    key = SoftAuthenticator()
    device = add_passkey(user, key)
    client = password_step(user)
    first = post_json(client, "passkey_login", {"credential": key.get(login_options(client))})
    assert first.status_code == 200
    device.refresh_from_db()
    assert device.sign_count == 1
    client = password_step(user)
    clone_answer = key.get(login_options(client), count=1)
    with translation.override("en"):
        response = post_json(
            client, "passkey_login", {"credential": clone_answer}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 400
    assert "copied key" in response.json()["error"]


def test_failed_passkeys_lock_the_account_like_wrong_codes(settings: Settings) -> None:
    settings.OPSPOR_LOGIN_ACCOUNT_FAILURES = 3
    user = gp()
    key = SoftAuthenticator()
    add_passkey(user, key)
    client = password_step(user)
    for _ in range(2):
        options = login_options(client)
        response = post_json(
            client, "passkey_login", {"credential": key.get(options, origin="https://x.example")}
        )
        assert response.status_code == 400
    options = login_options(client)
    response = post_json(
        client, "passkey_login", {"credential": key.get(options, origin="https://x.example")}
    )
    assert response.status_code == 403
    assert response.json()["redirect"] == reverse("login")
    assert SESSION_KEY not in client.session  # logged out
    assert [a[1] for a in attempts(user)].count("failed") == 3


def test_a_locked_account_is_refused_before_the_passkey_is_checked(settings: Settings) -> None:
    settings.OPSPOR_LOGIN_ACCOUNT_FAILURES = 2
    user = gp()
    key = SoftAuthenticator()
    device = add_passkey(user, key)
    client = password_step(user)
    options = login_options(client)
    good = key.get(options)
    for _ in range(2):
        LoginAttempt.objects.create(
            username=user.username,
            user=user,
            at=LoginAttempt.objects.latest("at").at,
            step=LoginAttempt.Step.SECOND_FACTOR,
            outcome=LoginAttempt.Outcome.FAILED,
            reason="wrong code",
        )
    response = post_json(client, "passkey_login", {"credential": good})
    assert response.status_code == 403
    assert response.json()["redirect"] == reverse("login")
    assert not is_verified(client) and SESSION_KEY not in client.session
    device.refresh_from_db()
    assert device.sign_count == 0 and device.last_used_at is None
    assert attempts(user)[-1] == ("second_factor", "refused", "account locked")


def test_an_already_verified_session_is_sent_on() -> None:
    user = gp()
    client = verified_client(user)
    response = post_json(client, "passkey_login_options")
    assert response.json() == {"redirect": "/"}
    assert not LoginAttempt.objects.filter(user=user).exists()


# --- removing a passkey -----------------------------------------------------------------


def test_a_passkey_is_removed_after_confirming_and_then_no_longer_logs_in() -> None:
    user = gp()
    key = SoftAuthenticator()
    device = add_passkey(user, key)
    add_passkey(user, SoftAuthenticator(), name="Spare key")
    client = verified_client(user)
    url = reverse("passkey_remove", args=[device.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert 'data-testid="confirm-remove"' in confirm.content.decode()
    assert PasskeyDevice.objects.filter(pk=device.pk).exists()  # a GET changes nothing
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("account")
    assert not PasskeyDevice.objects.filter(pk=device.pk).exists()
    assert PasskeyDevice.objects.filter(user=user, name="Spare key").exists()

    login = password_step(user)
    refused = post_json(login, "passkey_login", {"credential": key.get(login_options(login))})
    assert refused.status_code == 400
    assert attempts(user)[-1] == ("second_factor", "failed", "unknown passkey")


def test_another_users_passkey_cannot_be_seen_or_removed() -> None:
    owner, other = gp(), gp()
    device = add_passkey(owner, SoftAuthenticator())
    client = verified_client(other)
    url = reverse("passkey_remove", args=[device.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.post(reverse("passkey_remove", args=[device.pk + 999])).status_code == 404
    assert PasskeyDevice.objects.filter(pk=device.pk, user=owner).exists()


# --- the administration -----------------------------------------------------------------


def test_an_administrator_sees_and_deletes_a_lost_passkey_but_cannot_change_or_add_one() -> None:
    user = gp()
    device = add_passkey(user, SoftAuthenticator())
    admin = factories.user(Role.ADMIN, is_staff=True, is_superuser=True)
    other = gp()
    client = verified_client(admin)
    changelist = client.get(reverse("admin:accounts_passkeydevice_changelist"))
    assert changelist.status_code == 200
    assert "Work laptop" in changelist.content.decode()
    change_url = reverse("admin:accounts_passkeydevice_change", args=[device.pk])
    assert client.get(change_url).status_code == 200
    client.post(change_url, {"user": other.pk, "name": "Moved", "sign_count": 0})
    device.refresh_from_db()
    assert (device.user_id, device.name) == (user.pk, "Work laptop")
    assert client.get(reverse("admin:accounts_passkeydevice_add")).status_code == 403
    delete_url = reverse("admin:accounts_passkeydevice_delete", args=[device.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not PasskeyDevice.objects.filter(pk=device.pk).exists()
