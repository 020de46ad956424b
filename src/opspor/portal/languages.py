"""The languages an interpreter can be asked for at the consultation.

The languages most often needed in the Capital Region's general practice are not published
as a ranked list that could be cited here; this list holds the languages of the study's
patients (Arabic, Dari, Turkish) and the larger immigrant languages of Denmark, with
"another language" for the rest. The practice books the interpreter; the code only says
which language to ask for.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_LANGUAGES: tuple[tuple[str, Promise], ...] = (
    ("ar", _("Arabic")),
    ("fa-af", _("Dari")),
    ("fa", _("Farsi (Persian)")),
    ("ps", _("Pashto")),
    ("tr", _("Turkish")),
    ("ku", _("Kurdish")),
    ("so", _("Somali")),
    ("ti", _("Tigrinya")),
    ("ur", _("Urdu")),
    ("pl", _("Polish")),
    ("ro", _("Romanian")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("en", _("English")),
    ("other", _("Another language")),
)

INTERPRETER_LANGUAGES = tuple(code for code, _label in _LANGUAGES)


def interpreter_language_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in _LANGUAGES]


def interpreter_language_name(code: str) -> str:
    return next((str(label) for c, label in _LANGUAGES if c == code), code)
