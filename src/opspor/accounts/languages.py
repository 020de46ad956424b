"""Which interface languages each user is offered, and choosing one.

Every language is offered on the login page and to patients; a language for patients only
(Dari, `opspor.languages.PATIENT_ONLY_LANGUAGES`) is neither offered to staff nor used on
their pages, whose texts are not translated into it: a GP whose browser or cookie asks for
Dari gets Danish. A language Opspor does not have gets Danish too, however it is asked for:
Django's LocaleMiddleware ignores an unknown cookie or Accept-Language, and `set_language`
below turns an unknown choice into Danish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views import i18n

from opspor.accounts.models import Role
from opspor.languages import PATIENT_ONLY_LANGUAGES


def _offers_patient_languages(user: Any) -> bool:
    # The login page is where a patient first meets the language choice.
    return isinstance(user, AnonymousUser) or getattr(user, "role", None) == Role.PATIENT


def offered_language_codes(user: Any) -> list[str]:
    codes = [code for code, _name in settings.LANGUAGES]
    if _offers_patient_languages(user):
        return codes
    return [code for code in codes if code not in PATIENT_ONLY_LANGUAGES]


def offered_languages(request: HttpRequest) -> dict[str, Any]:
    """Template context: the languages the picker offers this user, with Django's info
    (code, name_local, bidi) for each."""
    user = getattr(request, "user", None)
    codes = offered_language_codes(user)
    return {"offered_languages": [translation.get_language_info(code) for code in codes]}


class StaffLanguages:
    """Staff pages in a patient-only language are shown in Danish instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The user is looked up only when the language asks for it.
        if translation.get_language() in PATIENT_ONLY_LANGUAGES and not (
            _offers_patient_languages(request.user)
        ):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return self.get_response(request)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's `set_language`, with a choice Opspor does not have stored as Danish.

    Django's own view stores any language it has a catalogue for (German, say) and ignores
    one it has none for, keeping the earlier choice; both would leave the page in a
    language nobody chose from this picker.
    """
    if request.method == "POST":
        choice = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER, "").strip().lower()
        post = request.POST.copy()
        post[i18n.LANGUAGE_QUERY_PARAMETER] = (
            choice if choice in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        )
        request.POST = post  # type: ignore[assignment]
    return i18n.set_language(request)
