"""The user's own API tokens: list them, create one (shown once), revoke one.

For the staff roles, which use the API; a patient is refused (403). A token of another user
is 404, whether it exists or not.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from opspor.accounts.guards import require_role
from opspor.accounts.models import ApiToken, Role, TokenScope, User
from opspor.accounts.tokens import (
    api_token_issue,
    api_token_revoke,
    longest_lifetime_days,
    token_state,
    tokens_of,
)

TOKEN_ROLES = (Role.GP, Role.UNIT_DOCTOR, Role.ANALYST, Role.ADMIN)
# The session remembers the one form it handed out, so that sending it twice (reloading the
# page that showed the token) does not make a second token.
_FORM_KEY = "api_token_form"


class NewTokenForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("What the token may do"),
        choices=[
            (TokenScope.READ, _("Read only (GET and HEAD)")),
            (TokenScope.WRITE, _("Read and write")),
        ],
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
    )
    once = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        longest = longest_lifetime_days()
        self.fields["days"] = forms.IntegerField(
            label=_("Valid for (days)"), min_value=1, max_value=longest, initial=longest
        )


def _owner(request: HttpRequest) -> User:
    return require_role(request.user, *TOKEN_ROLES)


def _fresh_form(request: HttpRequest) -> NewTokenForm:
    once = secrets.token_urlsafe(16)
    request.session[_FORM_KEY] = once
    return NewTokenForm(initial={"once": once})


def _page(
    request: HttpRequest,
    user: User,
    form: NewTokenForm,
    *,
    new_token: str | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "tokens": [(token, token_state(token)) for token in tokens_of(user)],
        "form": form,
        "new_token": new_token,
        "longest_days": longest_lifetime_days(),
    }
    return render(request, "accounts/api_tokens.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    user = _owner(request)
    if request.method != "POST":
        return _page(request, user, _fresh_form(request))
    form = NewTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, user, form, status=400)
    expected = request.session.pop(_FORM_KEY, None)
    if expected is None or not secrets.compare_digest(form.cleaned_data["once"], expected):
        messages.error(
            request,
            gettext(
                "This form was sent already, and its token shown once. No new token was "
                "made; revoke the earlier one if you did not copy it."
            ),
        )
        return redirect("api_tokens")
    raw = api_token_issue(
        user=user, scope=form.cleaned_data["scope"], days=form.cleaned_data["days"]
    )
    # Shown in the answer to the POST itself (never_cache: not kept by the browser), never
    # stored anywhere readable.
    return _page(request, user, _fresh_form(request), new_token=raw)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    """GET asks to confirm, POST revokes; revoking a revoked token changes nothing."""
    user = _owner(request)
    if request.method != "POST":
        token = get_object_or_404(tokens_of(user), pk=token_id)
        return render(request, "accounts/api_token_revoke.html", {"token": token})
    try:
        revoked = api_token_revoke(user=user, token_id=token_id)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    if revoked:
        messages.success(request, gettext("The token is revoked: it no longer works."))
    else:
        messages.info(request, gettext("The token was revoked already; nothing changed."))
    return redirect("api_tokens")
