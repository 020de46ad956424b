"""A refusal on a screen: the service's own words for it when it has them, else the
general text of its code; the API's message is the service's, whatever the screen says."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from opspor.casework.errors import REFUSALS, WorkflowError, screen_text, status_of


def test_a_refusal_with_its_own_words_shows_them_in_the_readers_language() -> None:
    refusal = WorkflowError(
        "invalid",
        "The follow-up date cannot be in the past.",
        screen=_("The follow-up date cannot be in the past."),
    )
    with translation.override("da"):
        shown = screen_text(refusal)
    assert shown != str(REFUSALS["invalid"].screen_text)
    assert shown == "Opfølgningsdatoen kan ikke ligge i fortiden."
    assert status_of(refusal) == 422
    assert refusal.message == "The follow-up date cannot be in the past."


def test_without_its_own_words_the_codes_text_is_shown() -> None:
    for code, refusal in REFUSALS.items():
        assert screen_text(WorkflowError(code, "for the API")) == str(refusal.screen_text)
    assert screen_text(WorkflowError("unheard_of", "x")) == str(REFUSALS["invalid"].screen_text)
