"""An action taken from a dialog of a case's page, the same way for every kind of case.

The form is checked first (422 with the dialog open again); then the service acts. Its
refusal (`WorkflowError`) is shown on the page with its reason and nothing changed:
"forbidden" is a 403; when someone acted first ("not_allowed", "conflict") the dialog may
no longer apply, so the page opens without it and says why; any other refusal reopens
the dialog with what was typed. A success redirects, so a reload does not repeat it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from opspor.casework.errors import WorkflowError, screen_text, status_of

# Refusals after which the dialog the user filled in may no longer apply.
STALE = frozenset({"not_allowed", "conflict"})


class CasePage(Protocol):
    """The case's page as it is now, with a dialog open, its bound forms and a refusal."""

    def __call__(
        self,
        *,
        dialog: str,
        forms: dict[str, Any] | None,
        error: str = "",
        status: int = 200,
        missing: list[dict[str, Any]] | None = None,
    ) -> HttpResponse: ...


def dialog_action(
    request: HttpRequest,
    *,
    dialog: str,
    form: django_forms.Form | None,
    act: Callable[[dict[str, Any]], object],
    page: CasePage,
    done: str,
    then: str,
) -> HttpResponse:
    """Run `act` with the form's data and `seen_state` (the state the page showed, posted
    as `seen`: when it changed since, the service reports a conflict, not a plain
    refusal); on success say `done` and redirect to `then`."""
    bound = {dialog: form} if form is not None else None
    if form is not None and not form.is_valid():
        return page(dialog=dialog, forms=bound, status=422)
    data = {
        **(form.cleaned_data if form is not None else {}),
        "seen_state": request.POST.get("seen", ""),
    }
    try:
        act(data)
    except WorkflowError as refusal:
        if refusal.code == "forbidden":
            raise PermissionDenied(refusal.message) from None
        return page(
            dialog="" if refusal.code in STALE else dialog,
            forms=bound,
            error=screen_text(refusal),
            status=status_of(refusal),
            missing=refusal.missing or None,
        )
    messages.success(request, done)
    return redirect(then)
