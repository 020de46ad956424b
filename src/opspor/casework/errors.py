"""A refused action, and what it means over HTTP and on a screen: one mapping for the API
(registered once as its exception handler) and for the views."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass
class WorkflowError(Exception):
    """A refused action. `code` is stable for the API and the screens; nothing was changed.

    Codes: ``not_allowed`` (the action does not apply in the current state), ``forbidden``
    (the user may not act on this row), ``conflict`` (someone else changed the row first,
    or a concurrent request holds the same idempotency key), ``key_reused`` (an
    idempotency key sent again with a different request), ``incomplete`` (sending a
    referral that lacks something, without a stated reason; ``missing`` lists what),
    ``missing_plan`` (a rejection without an alternative plan), ``workup_incomplete`` (a
    conclusion such as "no cancer found" while results or referrals are pending; ``missing``
    names each), ``invalid`` (a malformed argument).
    """

    code: str
    message: str
    missing: list[dict[str, Any]] = field(default_factory=list)
    # What this refusal means to the person at the screen, when the service can say it
    # more exactly than its code's general text (`REFUSALS`); the API keeps `message`.
    screen: str | Promise = ""

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class Refusal:
    status: int
    # What the refusal means to the person at the screen. The services' own messages are
    # written for the API's developers; these are for the clinician.
    screen_text: str | Promise


# Who may act (403), whether the state allows it now (409), or what the request lacks (422).
REFUSALS: dict[str, Refusal] = {
    "forbidden": Refusal(403, _("You may not do this on this case.")),
    "not_allowed": Refusal(409, _("This cannot be done in the case's present state.")),
    "conflict": Refusal(
        409,
        _("Someone else changed the case first. The page shows it as it is now; decide again."),
    ),
    "incomplete": Refusal(
        422,
        _("The referral is incomplete. Complete what is missing, or write why it is sent anyway."),
    ),
    "missing_plan": Refusal(
        422,
        _(
            "A rejection needs an alternative plan: choose one from the catalogue or write "
            "one. Nothing was changed."
        ),
    ),
    "workup_incomplete": Refusal(
        409,
        _(
            "The workup is not complete: every result must be in and told to the patient, "
            "and no referral open, before this conclusion. Nothing was changed."
        ),
    ),
    "key_reused": Refusal(
        422,
        _(
            "This form was already used for another request. Nothing was changed; open the "
            "form again."
        ),
    ),
    "invalid": Refusal(422, _("Something in the form was not accepted. Check it and try again.")),
}


def refusal_of(error: WorkflowError) -> Refusal:
    return REFUSALS.get(error.code, REFUSALS["invalid"])


def status_of(error: WorkflowError) -> int:
    return refusal_of(error).status


def screen_text(error: WorkflowError) -> str:
    """The refusal for the page: the service's own words for it, else its code's text."""
    return str(error.screen or refusal_of(error).screen_text)
