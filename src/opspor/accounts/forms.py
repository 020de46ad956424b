"""The login forms: the password step with the lockout in front of it, and the code step."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opspor.accounts import lockout
from opspor.accounts.addresses import client_address
from opspor.accounts.models import LoginAttempt, User
from opspor.accounts.services import login_attempt_record


def locked_message(lock: lockout.Lock) -> str:
    # The same words whether the name exists or not, and for an account or an address.
    minutes = lock.minutes_left(timezone.now())
    return ngettext(
        "Too many failed login attempts. Try again in %(minutes)d minute, or ask your "
        "administrator.",
        "Too many failed login attempts. Try again in %(minutes)d minutes, or ask your "
        "administrator.",
        minutes,
    ) % {"minutes": minutes}


class PasswordStep(AuthenticationForm):
    """Django's login form, with the lockout checked before the password and every try
    recorded. A locked account or address is refused without looking at the password."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        address = client_address(self.request) if self.request is not None else None
        lock = lockout.lock_for(username, address)
        if lock is not None:
            self._record(username, LoginAttempt.Outcome.REFUSED, lock.reason)
            raise forms.ValidationError(locked_message(lock), code="locked")
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            self._record(username, LoginAttempt.Outcome.FAILED, "wrong password")
            lock = lockout.lock_for(username, address)
            if lock is not None:
                raise forms.ValidationError(locked_message(lock), code="locked")
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def _record(self, username: str, outcome: LoginAttempt.Outcome, reason: str) -> None:
        assert self.request is not None
        login_attempt_record(
            self.request,
            username=username,
            user=User.objects.filter(username=username).first(),
            step=LoginAttempt.Step.PASSWORD,
            outcome=outcome,
            reason=reason,
        )


class CodeStep(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none"}
        ),
    )
