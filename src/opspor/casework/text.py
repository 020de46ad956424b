"""Free text from a person: what counts as written, and how long it may be.

A required field is checked after removing whitespace and the invisible characters
(Unicode format characters, category Cf, such as the zero-width space, and the
separators, categories Zs, Zl and Zp): a rejection whose reason is one zero-width space
says nothing, and must be refused like an empty one.

The limits are the same for the API and the forms, so a text accepted on one channel is
never refused on the other.
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext_lazy as _

from opspor.casework.errors import WorkflowError

# A clinical question, a reason, a plan, an answer, a message: about four pages of text.
MAX_TEXT_LENGTH = 10_000
# A name, a phone number, a clinic: one line.
MAX_LINE_LENGTH = 200

_INVISIBLE = frozenset({"Cf", "Zs", "Zl", "Zp", "Cc"})


def visible(text: str) -> str:
    """`text` without whitespace and invisible characters (for checking, never storing)."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)


def has_words(text: str | None) -> bool:
    """Whether `text` holds anything a reader can see."""
    return bool(text and visible(text))


def require_text(value: str | None, *, what: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """`value` without its outer whitespace, or a refusal when nothing visible is written
    or it is longer than `limit` characters."""
    text = (value or "").strip()
    if not has_words(text):
        raise WorkflowError(
            "invalid",
            f"{what} cannot be empty.",
            screen=_("A required text is empty: write it (spaces alone do not count)."),
        )
    return check_length(text, what=what, limit=limit)


def check_length(value: str, *, what: str, limit: int = MAX_TEXT_LENGTH) -> str:
    if len(value) > limit:
        raise WorkflowError(
            "invalid",
            f"{what} has at most {limit:,} characters.",
            screen=_("A text is too long: at most %(limit)s characters.") % {"limit": limit},
        )
    return value
