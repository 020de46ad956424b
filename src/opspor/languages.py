"""The interface's languages: which there are, which only patients are offered, what Django
does not know about Dari, and whether each language's texts have been reviewed by a person
fluent in it (`locale/review.yaml`).

Dari is offered on the patient's pages only: the staff pages are not translated into it, and
a GP, a unit doctor or an analyst whose browser asks for it gets Danish
(`accounts.languages.StaffLanguages`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext_lazy as _
from django.utils.translation import to_locale

DEFAULT_LANGUAGE = "da"
# Django's language codes; the locale directories are their `to_locale` forms (fa_AF).
LANGUAGES: list[tuple[str, Any]] = [
    ("da", _("Danish")),
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("tr", _("Turkish")),
    ("fa-af", _("Dari")),
]
PATIENT_ONLY_LANGUAGES = frozenset({"fa-af"})

# Django's LANG_INFO has Persian ("fa") but no Dari: without this entry
# `get_language_info("fa-af")` answers with Persian's name and the code "fa". Right to left
# it is either way (LANGUAGES_BIDI lists "fa", and Django reads the base of "fa-af").
EXTRA_LANG_INFO: dict[str, dict[str, Any]] = {
    "fa-af": {"bidi": True, "code": "fa-af", "name": "Dari", "name_local": "دری"},
}


def install_language_info() -> None:
    """Add Dari to Django's table of languages (in place: Django's translation machinery
    holds a reference to the table, not to the module attribute)."""
    from django.conf import locale

    for code, info in EXTRA_LANG_INFO.items():
        locale.LANG_INFO.setdefault(code, dict(info))


LOCALE_DIR = Path(__file__).resolve().parent / "locale"
REVIEW_FILE = LOCALE_DIR / "review.yaml"


class ReviewStatus:
    SOURCE = "source"  # the message ids are written in it
    REVIEWED = "reviewed"  # reviewed by a person fluent in the language
    NOT_REVIEWED = "not_reviewed"

    ALL = (SOURCE, REVIEWED, NOT_REVIEWED)


# The words each status has in the `X-Review-Status` line of a .po file's header.
PO_HEADER_WORDS = {
    ReviewStatus.SOURCE: "source language",
    ReviewStatus.REVIEWED: "reviewed by a fluent speaker",
    ReviewStatus.NOT_REVIEWED: "not reviewed by a fluent speaker",
}


class ReviewFileError(ValueError):
    """`review.yaml` is malformed; the message names the language and the field."""


@dataclass(frozen=True)
class LanguageReview:
    locale: str  # the locale directory's name: da, en, ar, tr, fa_AF
    status: str
    # Whether a patient's page in this language says that the translation is unchecked.
    patient_note: bool
    note: str
    reviewed_on: date | None = None

    @property
    def reviewed(self) -> bool:
        return self.status in {ReviewStatus.SOURCE, ReviewStatus.REVIEWED}


@dataclass(frozen=True)
class Reviews:
    languages: dict[str, LanguageReview]  # by locale name

    def for_language(self, code: str) -> LanguageReview | None:
        """The review of a Django language code (fa-af) or locale name (fa_AF)."""
        return self.languages.get(to_locale(code))


def _review(locale: str, raw: Any) -> LanguageReview:
    where = f"{REVIEW_FILE.name}: {locale}"
    if not isinstance(raw, dict):
        raise ReviewFileError(f"{where}: not a mapping")
    unknown = set(raw) - {"status", "patient_note", "note", "reviewed_on"}
    if unknown:
        raise ReviewFileError(f"{where}: unknown fields {sorted(unknown)}")
    status = raw.get("status")
    if status not in ReviewStatus.ALL:
        raise ReviewFileError(f"{where}: status must be one of {', '.join(ReviewStatus.ALL)}")
    note = raw.get("note")
    if not isinstance(note, str) or not note.strip():
        raise ReviewFileError(f"{where}: note must say who reviewed it, or that nobody has")
    patient_note = raw.get("patient_note")
    if not isinstance(patient_note, bool):
        raise ReviewFileError(f"{where}: patient_note must be true or false")
    reviewed_on = raw.get("reviewed_on")
    if status == ReviewStatus.REVIEWED and not isinstance(reviewed_on, date):
        raise ReviewFileError(f"{where}: a reviewed language needs reviewed_on (YYYY-MM-DD)")
    if status != ReviewStatus.REVIEWED and reviewed_on is not None:
        raise ReviewFileError(f"{where}: reviewed_on is only for a reviewed language")
    if status != ReviewStatus.NOT_REVIEWED and patient_note:
        raise ReviewFileError(f"{where}: only a language not reviewed has a note for patients")
    return LanguageReview(
        locale=locale,
        status=status,
        patient_note=patient_note,
        note=" ".join(note.split()),
        reviewed_on=reviewed_on,
    )


def parse_reviews(data: Any, *, languages: list[str]) -> Reviews:
    """Check the file's shape: exactly one entry per interface language, one source."""
    if not isinstance(data, dict) or not isinstance(data.get("languages"), dict):
        raise ReviewFileError(f"{REVIEW_FILE.name}: needs a mapping 'languages'")
    expected = {to_locale(code) for code in languages}
    given = {str(key) for key in data["languages"]}
    if given != expected:
        missing, extra = sorted(expected - given), sorted(given - expected)
        wanted = ", ".join(sorted(expected))
        raise ReviewFileError(
            f"{REVIEW_FILE.name}: languages must be the interface's ({wanted});"
            f" missing {missing}, not an interface language {extra}"
        )
    reviews = {str(k): _review(str(k), v) for k, v in data["languages"].items()}
    sources = [r.locale for r in reviews.values() if r.status == ReviewStatus.SOURCE]
    if len(sources) != 1:
        raise ReviewFileError(f"{REVIEW_FILE.name}: exactly one source language, not {sources}")
    return Reviews(languages=reviews)


@cache
def load_reviews() -> Reviews:
    return parse_reviews(
        yaml.safe_load(REVIEW_FILE.read_text(encoding="utf-8")),
        languages=[code for code, _name in LANGUAGES],
    )
