"""The worklist in words, for the page and the API: one label per kind of item, the item's
case by name, how long it has waited, and who owns it.

The labels are one mapping keyed by the kind's code (its name in lower case), so a kind
added to `ItemKind` needs only its label here; a kind without one is shown with a generic
label rather than not at all. Some labels are for kinds that other parts of the safety net
add (the patient's own messages, the engine's signals).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opspor.accounts.models import User
from opspor.records.templatetags.clinical import vocab_label
from opspor.referrals.forms import pathway_label
from opspor.referrals.templatetags.referrals import person
from opspor.safetynet.workflow import EpisodeReason, InvestigationKind
from opspor.safetynet.worklist import ItemKind, WorklistItem

KIND_LABELS: dict[str, Promise] = {
    "patient_got_worse": _("The patient says it got worse"),
    "patient_not_heard": _("The patient has not heard anything"),
    "rejection_unacknowledged": _("Rejected referral, not yet acknowledged"),
    "patient_not_contacted": _("Accepted referral, patient not contacted in time"),
    "result_unseen": _("Result not seen by a GP"),
    "result_not_told": _("Result not told to the patient"),
    "investigation_overdue": _("Investigation past its expected date"),
    "follow_up_due": _("Follow-up due"),
    "safety_net_ended": _("Safety net at its end date"),
    "pattern_break": _("Signal: a break in the contact pattern"),
    "long_absence": _("Signal: back after a long absence"),
    "repeat_symptom": _("Signal: 3 or more consultations for the same symptom"),
    "low_user_rise": _("Signal: marked rise in contacts in a previously low user"),
}
GENERIC_LABEL = _("Waits for a GP")

# What an item's `detail` names, by the kind of case it comes from.
_REFERRAL_KINDS = {"rejection_unacknowledged", "patient_not_contacted"}
_INVESTIGATION_KINDS = {"result_unseen", "result_not_told", "investigation_overdue"}


def kind_label(code: str) -> str:
    return str(KIND_LABELS.get(code, GENERIC_LABEL))


def detail_label(code: str, detail: str) -> str:
    """The case of an item by name: the pathway, the test, or why the safety net is open."""
    if not detail:
        return ""
    if code in _REFERRAL_KINDS:
        return pathway_label(detail)
    if code in _INVESTIGATION_KINDS:
        if detail in InvestigationKind.values:
            return str(InvestigationKind(detail).label)
        return vocab_label(detail)
    if detail in EpisodeReason.values:
        return str(EpisodeReason(detail).label)
    return detail


@dataclass(frozen=True)
class WorklistRow:
    item: WorklistItem
    label: str
    detail: str
    owner: str  # the owner's name; empty when the owner is not a GP of the practice now
    waited_days: int  # whole days since `item.since`; never below zero


def worklist_rows(
    items: Iterable[WorklistItem], *, owners: dict[int, str], today: date
) -> list[WorklistRow]:
    return [
        WorklistRow(
            item=item,
            label=kind_label(item.code),
            detail=detail_label(item.code, item.detail),
            owner=owners.get(item.owner_id, "") if item.owner_id is not None else "",
            waited_days=max((today - item.since).days, 0),
        )
        for item in items
    ]


def owner_names(gps: Iterable[User]) -> dict[int, str]:
    return {gp.pk: person(gp) for gp in gps}


@dataclass(frozen=True)
class KindCount:
    code: str
    label: str
    count: int


def kind_counts(items: Sequence[WorklistItem]) -> list[KindCount]:
    """How many items of each kind wait, most urgent kind first; kinds with none left out."""
    counts = Counter(item.kind for item in items)
    return [
        KindCount(code=kind.name.lower(), label=kind_label(kind.name.lower()), count=n)
        for kind, n in sorted(counts.items())
    ]


def kind_of(code: str) -> ItemKind | None:
    """The kind a filter's code names; None for a code that names none."""
    return ItemKind.__members__.get(code.upper()) if code.islower() else None
