"""The second-factor guard: a staff session that only a password has opened reaches the
code step and nothing else, whichever page it asks for (the administration included)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from opspor.accounts import two_factor

# What an unverified staff session may still open: the steps that verify it (the code, the
# enrolment, a passkey), the way out,
# the language choice and the password reset (which logs nobody in).
OPEN_BEFORE_SECOND_FACTOR = frozenset(
    {
        "login",
        "logout",
        "second_factor",
        "second_factor_enrol",
        "passkey_login_options",
        "passkey_login",
        "set_language",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
    }
)


class RequireSecondFactor:
    """After django-otp's `OTPMiddleware`, which tells whether the session is verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not two_factor.needs_second_factor(user) or two_factor.is_verified(user):
            return None
        # The JSON API never reads the session: its callers send a bearer token.
        if request.path.startswith("/api/"):
            return None
        match = request.resolver_match
        if (
            match is not None
            and match.url_name in OPEN_BEFORE_SECOND_FACTOR
            and not match.namespace
        ):
            return None
        step = "second_factor" if two_factor.authenticator(user) else "second_factor_enrol"
        target = reverse(step)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
