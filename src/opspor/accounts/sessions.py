"""How long a logged-in session lasts: it ends after a while without a request (idle) and,
however busy, a fixed time after the login (absolute); the cookie itself is a browser-session
cookie (`SESSION_EXPIRE_AT_BROWSER_CLOSE`). Also what the user is told about their previous
login, so that a login they did not make stands out."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse

from opspor.accounts import two_factor
from opspor.accounts.models import LoginAttempt, User

LOGGED_IN_AT = "opspor_logged_in_at"
SEEN_AT = "opspor_seen_at"
# Why the last session ended, for the login page to say (set on the new, empty session).
ENDED = "opspor_session_ended"
PREVIOUS_LOGIN = "opspor_previous_login"
# The last request's time is written at most this often: writing the session on every
# request would cost each page a database write, for a precision the idle timeout does not
# need (it ends at most this much later).
SEEN_AT_RESOLUTION = 60


def idle_seconds(user: Any) -> int:
    if two_factor.needs_second_factor(user):
        return int(settings.OPSPOR_SESSION_IDLE_SECONDS_STAFF)
    return int(settings.OPSPOR_SESSION_IDLE_SECONDS_PATIENT)


def session_started(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    """Every login (the login page, the admin's, a test client's) starts both clocks."""
    now = int(time.time())
    request.session[LOGGED_IN_AT] = now
    request.session[SEEN_AT] = now


user_logged_in.connect(session_started, dispatch_uid="opspor.accounts.sessions.started")


def why_ended(session: Any, user: Any, now: int) -> str | None:
    """ "idle", "lifetime" or None while the session may go on. A session without the clocks
    (made before they existed, or by hand) is treated as ended."""
    logged_in_at = session.get(LOGGED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(logged_in_at, int) or not isinstance(seen_at, int):
        return "lifetime"
    if now - logged_in_at > settings.OPSPOR_SESSION_MAX_SECONDS:
        return "lifetime"
    if now - seen_at > idle_seconds(user):
        return "idle"
    return None


def session_end(request: HttpRequest, why: str) -> None:
    """Log the user out and keep why, for the login page to say (`ENDED`)."""
    logout(request)
    request.session[ENDED] = why


class SessionLifetime:
    """Ends a session that has been idle too long or has lived too long, before any view
    sees its user; the next page then asks for a login as for anyone logged out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            ended = why_ended(request.session, user, now)
            if ended is not None:
                session_end(request, ended)
            elif now - request.session[SEEN_AT] >= SEEN_AT_RESOLUTION:
                request.session[SEEN_AT] = now
        return self.get_response(request)


def previous_login_remember(request: HttpRequest, user: User) -> None:
    """Keep in the session, for the header, when this user last logged in completely and
    how many tries failed since: called as a login completes, before it is recorded."""
    previous = (
        LoginAttempt.objects.filter(user=user, outcome=LoginAttempt.Outcome.SUCCEEDED)
        .order_by("-at", "-id")
        .first()
    )
    unsuccessful = LoginAttempt.objects.filter(
        username=user.get_username(),
        outcome__in=[LoginAttempt.Outcome.FAILED, LoginAttempt.Outcome.REFUSED],
    )
    if previous is not None:
        unsuccessful = unsuccessful.filter(at__gt=previous.at)
    request.session[PREVIOUS_LOGIN] = {
        "at": previous.at.timestamp() if previous is not None else None,
        "address": previous.address if previous is not None else None,
        "failed_since": unsuccessful.count(),
    }


def login_state(request: HttpRequest) -> dict[str, Any]:
    """Template context: `login_pending` while a staff session awaits its second factor (the
    header then shows no menu and no notifications), and `previous_login` for the header."""
    user = getattr(request, "user", None)
    pending = (
        user is not None
        and user.is_authenticated
        and two_factor.needs_second_factor(user)
        and not two_factor.is_verified(user)
    )
    remembered = getattr(request, "session", {}).get(PREVIOUS_LOGIN)
    if pending or not isinstance(remembered, dict):
        return {"login_pending": pending}
    at = remembered.get("at")
    return {
        "login_pending": False,
        "previous_login": {
            "at": datetime.fromtimestamp(at, UTC) if at is not None else None,
            "address": remembered.get("address"),
            "failed_since": remembered.get("failed_since", 0),
        },
    }
