"""The security headers on pages, API answers and static files; no inline code in any
template; the API docs for staff only, from Opspor's own static files. (`check --deploy`
with production settings: tests/test_config.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import ninja
import pytest
from django.test import Client, override_settings

from opspor.accounts.models import Role
from opspor.accounts.tokens import api_token_issue
from opspor.headers import DENIED_FEATURES, PERMISSIONS_POLICY
from opspor.records.presenters import timeline_stylesheet
from tests import factories

SRC = Path(__file__).resolve().parents[1] / "src" / "opspor"

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "frame-src": "'none'",
    "worker-src": "'none'",
    "manifest-src": "'self'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";"))
    return {name: value for name, value in directives}  # noqa: C416 (a pair each)


def _assert_browser_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert _policy(headers["Content-Security-Policy"]) == POLICY
    assert headers["Permissions-Policy"] == PERMISSIONS_POLICY
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in headers["Permissions-Policy"]
    # Passkeys: Opspor's own pages only, never a frame of another origin.
    for feature in ("publickey-credentials-create", "publickey-credentials-get"):
        assert f"{feature}=(self)" in headers["Permissions-Policy"]
    assert len(headers["Permissions-Policy"].split(", ")) == len(DENIED_FEATURES) + 2
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def _no_store(response: object) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")  # type: ignore[attr-defined]


# --- pages, API answers, static files -----------------------------------------------------


@pytest.mark.django_db
def test_a_page_for_a_signed_in_user_has_every_header_and_is_not_stored(client: Client) -> None:
    client.force_login(factories.user(Role.GP))
    response = client.get("/", follow=True)
    assert response.status_code == 200
    _assert_browser_headers(response)
    assert _no_store(response)
    assert "private" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_an_api_answer_is_not_stored_with_a_token_or_without(client: Client) -> None:
    token = api_token_issue(user=factories.user(Role.GP))
    answered = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answered.status_code == 200
    assert _no_store(answered)
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert _no_store(refused)
    assert _no_store(client.get("/api/v1/no-such-endpoint"))


@pytest.mark.django_db
def test_an_anonymous_page_has_the_policy_too(client: Client) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    _assert_browser_headers(response)


@pytest.mark.django_db
@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_a_static_file_keeps_its_caching_for_a_signed_in_user() -> None:
    # A new client builds the middleware chain again, so WhiteNoise sees the settings.
    client = Client()
    client.force_login(factories.user(Role.GP))
    response = client.get("/static/opspor/layout.css")
    assert response.status_code == 200
    assert not _no_store(response)
    assert "public" in response.headers["Cache-Control"]
    # ...while a page for the same user is not stored.
    assert _no_store(client.get("/", follow=True))


# --- no inline code ---------------------------------------------------------------------

SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
DATA_TYPES = {"application/json", "application/ld+json"}
# An attribute inside a tag: the tag's name right after "<", no "<" or ">" before it.
HANDLER = re.compile(r"<[a-z][\w:-]*\s[^<>]*?\bon[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"<[a-z][\w:-]*\s[^<>]*?\bstyle\s*=|<style\b", re.IGNORECASE)
# E-mails are read in a mail program, never under the site's policy.
EMAIL_TEMPLATES = re.compile(r"/(emails?|mail)/")


def _templates() -> list[Path]:
    found = [p for p in SRC.rglob("templates/**/*.html") if not EMAIL_TEMPLATES.search(str(p))]
    assert len(found) > 50
    return sorted(found)


def inline_code(text: str) -> list[str]:
    """What a strict policy would refuse in this HTML: a script without src that is not a
    JSON data block, an on...= handler, a style attribute or element."""
    problems = []
    for match in SCRIPT.finditer(text):
        attributes = match.group(1)
        kind = re.search(r"""type\s*=\s*["']?([^"'\s>]+)""", attributes)
        if "src=" not in attributes and not (kind and kind.group(1) in DATA_TYPES):
            problems.append(match.group(0))
    problems += [m.group(0)[-60:] for m in HANDLER.finditer(text)]
    problems += [m.group(0)[-60:] for m in STYLE.finditer(text)]
    return problems


def test_the_scan_finds_inline_code() -> None:
    assert inline_code('<script>alert(1)</script><script type="module">x()</script>') == [
        "<script>",
        '<script type="module">',
    ]
    assert inline_code('<button class="b" onclick="go()">') != []
    assert inline_code('<span style="color: red">') != []
    assert inline_code("<style>p {}</style>") != []
    assert inline_code('<script src="/static/a.js" defer></script>') == []
    assert inline_code('<script id="x" type="application/json">{}</script>') == []
    assert inline_code('<a href="/" data-reveals="x" hx-get="/">Questions</a>') == []


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_template_holds_inline_code(template: Path) -> None:
    assert inline_code(template.read_text()) == []


def test_no_python_module_writes_inline_code() -> None:
    found = {
        str(path.relative_to(SRC)): inline_code(path.read_text())
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {path: problems for path, problems in found.items() if problems} == {}


def test_the_swagger_page_ninja_serves_holds_no_inline_code() -> None:
    template = Path(ninja.__file__).parent / "templates" / "ninja" / "swagger.html"
    assert inline_code(template.read_text()) == []


def test_the_timeline_stylesheet_is_current() -> None:
    written = SRC / "records" / "static" / "records" / "timeline.css"
    assert written.read_text() == timeline_stylesheet()


# --- the API docs -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_docs_send_an_anonymous_visitor_to_the_login_page(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/api/v1/docs")
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 401
    assert schema["WWW-Authenticate"] == "Bearer"
    assert "paths" not in schema.json()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.GP, Role.UNIT_DOCTOR, Role.ANALYST, Role.PATIENT])
def test_the_api_docs_refuse_a_signed_in_user_who_is_not_staff(client: Client, role: str) -> None:
    client.force_login(factories.user(role))
    for path in ("/api/v1/docs", "/api/v1/openapi.json"):
        response = client.get(path)
        assert response.status_code == 403
        assert "paths" not in response.json()


@pytest.mark.django_db
def test_a_wrong_token_does_not_open_the_schema(client: Client) -> None:
    response = client.get("/api/v1/openapi.json", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401


@pytest.mark.django_db
def test_the_api_docs_open_for_staff_from_our_own_static_files(client: Client) -> None:
    client.force_login(factories.user(Role.ADMIN, is_staff=True))
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), html
    assets = re.findall(r"""(?:src|href)="([^"]+)""", html)
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    assert "/static/ninja/swagger-ui.css" in assets
    assert inline_code(html) == []
    # Swagger UI draws its icons as data: images: that page alone allows them.
    assert _policy(response["Content-Security-Policy"]) == {**POLICY, "img-src": "'self' data:"}
    assert _no_store(response)
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/me" in schema.json()["paths"]


@pytest.mark.django_db
def test_an_api_token_reads_the_schema(client: Client) -> None:
    token = api_token_issue(user=factories.user(Role.GP))
    response = client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "/api/v1/me" in response.json()["paths"]
