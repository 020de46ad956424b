"""A staff user's "Your login" page, and passkeys: adding one there, removing one, and
logging in with one at the code step.

For staff only (a patient is refused, 403). Adding a passkey needs a session that the second
factor has verified already: a password alone must never be enough to put someone else's
key on the account. The JSON endpoints, called by `static/accounts/passkeys.js`, answer
`{"error": message}` with a 4xx status when they refuse (and `"redirect"` where the page
must change, as after a lock), and `{"redirect": url}` when done.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from opspor.accounts import lockout, passkeys, services, sessions, two_factor
from opspor.accounts.addresses import client_address
from opspor.accounts.forms import locked_message
from opspor.accounts.models import LoginAttempt, PasskeyDevice, User
from opspor.accounts.views import safe_next, staff_user

NAME_LENGTH = 64


def _json_body(request: HttpRequest) -> dict[str, Any] | None:
    if request.content_type != "application/json":
        return None
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _refused(message: str, status: int = 400, **extra: str) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _options(options_json: str) -> HttpResponse:
    return HttpResponse(options_json, content_type="application/json")


def _verified_staff(request: HttpRequest) -> User:
    # The guard middleware sends an unverified session to the code step before this; the
    # check here keeps the rule if a view is ever opened to such sessions by mistake.
    user = staff_user(request)
    if not two_factor.is_verified(user):
        raise PermissionDenied
    return user


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def account(request: HttpRequest) -> HttpResponse:
    """Everything about how this user logs in, in one place."""
    user = staff_user(request)
    return render(
        request,
        "accounts/account.html",
        {
            "authenticator": two_factor.authenticator(user),
            "recovery_left": two_factor.recovery_codes_left(user),
            "passkeys": passkeys.passkeys_of(user),
            "name_length": NAME_LENGTH,
        },
    )


@never_cache
@login_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    user = _verified_staff(request)
    return _options(passkeys.registration_options(request, user))


@never_cache
@login_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    user = _verified_staff(request)
    body = _json_body(request)
    if body is None:
        return _refused(_("The request was malformed. Reload the page and try again."))
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_LENGTH:
        return _refused(
            _("Give the passkey a name of at most %(n)d characters, such as the device it is on.")
            % {"n": NAME_LENGTH}
        )
    try:
        device = services.passkey_add(request, user, name.strip(), body.get("credential"))
    except passkeys.PasskeyRefused as refused:
        return _refused(refused.message)
    messages.success(
        request,
        _("The passkey “%(name)s” is added. You can use it at your next login.")
        % {"name": device.name},
    )
    return JsonResponse({"redirect": reverse("account")})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def passkey_remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """GET asks to confirm, POST removes. Another user's passkey is 404, whether it exists
    or not."""
    user = staff_user(request)
    if request.method != "POST":
        device = get_object_or_404(PasskeyDevice, user=user, pk=passkey_id)
        return render(request, "accounts/passkey_remove.html", {"passkey": device})
    try:
        name = services.passkey_remove(user, passkey_id)
    except PasskeyDevice.DoesNotExist:
        raise Http404 from None
    messages.success(
        request, _("The passkey “%(name)s” is removed: it no longer logs you in.") % {"name": name}
    )
    return redirect("account")


def _locked(request: HttpRequest, user: User, *, record: bool) -> JsonResponse | None:
    """As the code step: a locked account's session ends, and the login page says why."""
    lock = lockout.lock_for(user.get_username(), client_address(request))
    if lock is None:
        return None
    if record:
        services.user_attempt_record(
            request,
            user,
            step=LoginAttempt.Step.SECOND_FACTOR,
            outcome=LoginAttempt.Outcome.REFUSED,
            reason=lock.reason,
        )
    message = locked_message(lock)
    sessions.session_end(request, "locked")
    return _refused(message, status=403, redirect=reverse("login"))


@never_cache
@login_required
@require_POST
def passkey_login_options(request: HttpRequest) -> HttpResponse:
    """The challenge for the code step's "Use a passkey"."""
    user = staff_user(request)
    if two_factor.is_verified(user):
        return JsonResponse({"redirect": safe_next(request, request.GET.get("next", ""))})
    if (refused := _locked(request, user, record=True)) is not None:
        return refused
    if not passkeys.passkeys_of(user):
        return _refused(_("You have no passkey yet. Type the code from your app."), status=404)
    return _options(passkeys.authentication_options(request, user))


@never_cache
@login_required
@require_POST
def passkey_login(request: HttpRequest) -> HttpResponse:
    """The browser's signed answer. Every answer that is not accepted counts as a wrong
    code would: in the login trail and towards the account's lock."""
    user = staff_user(request)
    body = _json_body(request) or {}
    target = safe_next(request, str(body.get("next") or ""))
    if two_factor.is_verified(user):
        return JsonResponse({"redirect": target})
    if (refused := _locked(request, user, record=True)) is not None:
        return refused
    try:
        services.passkey_login(request, user, body.get("credential"))
    except passkeys.PasskeyRefused as refused_passkey:
        if (locked := _locked(request, user, record=False)) is not None:
            return locked
        return _refused(refused_passkey.message)
    return JsonResponse({"redirect": target})
