"""The referral, advice-request and frailty figures, from the referrals app's own rows.

What counts (the page shows the same in `indicators.py`):

- A referral counts from the moment it was sent (``sent_at``), by the local day sent; a
  draft, never sent, is not a referral. A referral withdrawn after sending counts as sent;
  it is decided only if the unit had decided before the GP withdrew it (an acceptance
  stays an acceptance), and a referral withdrawn before its deadline owes no decision.
- The unit's decision is one of three: accepted (then booked, completed, or withdrawn by
  the GP afterwards), rejected, or returned with advice. All three are "decided"; a return
  with advice is neither an acceptance nor a rejection.
- Everything is read as it stood at the end of the day of the figures (`moments.py`).
- The patient's groups are taken on the day the referral or the request was sent.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from opspor.casework.text import has_words
from opspor.quality.aggregate import Item, Who
from opspor.quality.cells import Cell
from opspor.quality.figures import Period, indicators_cells
from opspor.quality.figures.moments import day_end, day_start, known, local_day, practice_ids
from opspor.quality.groups import WhoBook
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.workflow import (
    FRAILTY_AGE,
    FRAILTY_FIELDS,
    ReferralState,
    RejectionReason,
)

# An advice request "ended without a referral" when no referral of the patient was sent
# within this long after the answer. Opspor's working definition: NONE FOUND published.
ADVICE_FOLLOW_UP = timedelta(days=90)

_REFERRAL_FIELDS = (
    "pk",
    "patient_id",
    "practice_id",
    "state",
    "sent_at",
    "triage_due_at",
    "decided_at",
    "reason_category",
    "alternative_plan_code",
    "acknowledged_at",
    "first_contact_due_at",
    "first_contact_at",
    "withdrawn_at",
    "patient__birth_date",
    *FRAILTY_FIELDS,
)


def frailty_section_complete(row: dict[str, Any]) -> bool:
    """Every field of the frailty section given, as the completeness check at sending asks
    (`referral_missing_items`): a scale and yes/no answers not left empty, the texts with
    words in them."""
    for name in FRAILTY_FIELDS:
        value = row[name]
        if value is None or (isinstance(value, str) and not has_words(value)):
            return False
    return True


def _age(birth: date, on: date) -> int:
    # As `Patient.age_on`, which the completeness check at sending uses.
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _decision(row: dict[str, Any], cutoff: datetime) -> str | None:
    """accepted, rejected, returned, or None while undecided (as of the cutoff)."""
    if not known(row["decided_at"], cutoff):
        return None
    if row["state"] == ReferralState.REJECTED:
        return "rejected"
    if row["state"] == ReferralState.RETURNED_WITH_ADVICE:
        return "returned"
    return "accepted"


def _waited_past(due: datetime, row: dict[str, Any], cutoff: datetime) -> bool:
    """Whether the deadline passed while the referral still waited: before the cutoff and
    before the GP withdrew it (a withdrawn referral owes nothing after)."""
    withdrawn = row["withdrawn_at"]
    stop = withdrawn if known(withdrawn, cutoff) else cutoff
    return due < stop


def _add(
    items: dict[str, list[Item]], practice: int, who: Who, indicator: str, **values: Any
) -> None:
    items[indicator].append(Item(practice_id=practice, who=who, **values))


def cells(period: Period, *, as_of: date) -> list[Cell]:
    cutoff = day_end(as_of)
    start, end = day_start(period.start), min(day_end(period.end), cutoff)
    practices = practice_ids()

    referrals = list(
        Referral.objects.filter(sent_at__gte=start, sent_at__lt=end)
        .exclude(state=ReferralState.DRAFT)
        .order_by()
        .values(*_REFERRAL_FIELDS)
    )
    advice_in_period = AdviceRequest.objects.filter(sent_at__gte=start, sent_at__lt=end)
    advice = list(
        advice_in_period.order_by().values(
            "pk", "patient_id", "practice_id", "sent_at", "answered_at"
        )
    )
    # Every referral sent to a patient who asked for advice in the period, from the first
    # request on: what could have followed one of the requests.
    followers: dict[int, list[datetime]] = defaultdict(list)
    from_advice: set[int] = set()
    for patient_id, sent_at, advice_id in (
        Referral.objects.filter(
            patient_id__in=advice_in_period.values("patient_id"),
            sent_at__gte=start,
            sent_at__lt=cutoff,
        )
        .exclude(state=ReferralState.DRAFT)
        .order_by("sent_at")
        .values_list("patient_id", "sent_at", "from_advice_id")
    ):
        if sent_at is not None:  # pragma: no branch - the query asks for a date
            followers[patient_id].append(sent_at)
        if advice_id is not None:
            from_advice.add(advice_id)

    book = WhoBook([row["patient_id"] for row in referrals] + [row["patient_id"] for row in advice])
    items: dict[str, list[Item]] = defaultdict(list)

    for row in referrals:
        day = local_day(row["sent_at"])
        who = book.who(row["patient_id"], day)
        practice = row["practice_id"]

        add = partial(_add, items, practice, who)
        add("referrals_sent")
        decision = _decision(row, cutoff)
        if decision is not None:
            add("referral_accepted", hit=decision == "accepted")
            add("referral_rejected", hit=decision == "rejected")
            add("triage_in_time", hit=row["decided_at"] <= row["triage_due_at"])
            add("time_to_triage", value=(row["decided_at"] - row["sent_at"]).total_seconds() / 3600)
        elif _waited_past(row["triage_due_at"], row, cutoff):
            add("triage_in_time", hit=False)
        if decision == "rejected":
            add("rejections_by_reason", extra=row["reason_category"])
            add("rejection_with_plan", hit=has_words(row["alternative_plan_code"]))
            if not known(row["acknowledged_at"], cutoff):
                add("rejection_unacknowledged")
        due = row["first_contact_due_at"]
        # Every acceptance through the services sets the deadline; one without has none to
        # be measured against.
        if decision == "accepted" and due is not None:
            if known(row["first_contact_at"], cutoff):
                add("first_contact_in_time", hit=row["first_contact_at"] <= due)
            elif _waited_past(due, row, cutoff):
                add("first_contact_in_time", hit=False)
        if _age(row["patient__birth_date"], day) >= FRAILTY_AGE:
            add("referrals_75_plus")
            add("frailty_section_75_plus", hit=frailty_section_complete(row))

    for row in advice:
        who = book.who(row["patient_id"], local_day(row["sent_at"]))
        items["advice_requests"].append(Item(practice_id=row["practice_id"], who=who))
        answered_at = row["answered_at"]
        if not known(answered_at, cutoff) or answered_at + ADVICE_FOLLOW_UP > cutoff:
            continue
        sent = followers.get(row["patient_id"], [])
        # A referral of the patient sent from the request on, up to 90 days after the answer;
        # one made from the request itself counts whenever it was sent.
        first = bisect.bisect_left(sent, row["sent_at"])
        followed = row["pk"] in from_advice or (
            first < len(sent) and sent[first] <= answered_at + ADVICE_FOLLOW_UP
        )
        items["advice_without_referral"].append(
            Item(practice_id=row["practice_id"], who=who, hit=not followed)
        )

    return indicators_cells(
        {indicator: items[indicator] for indicator in INDICATOR_IDS},
        period=period,
        practices=practices,
        own_splits={"rejections_by_reason": ("reason", tuple(RejectionReason.values))},
    )


INDICATOR_IDS: tuple[str, ...] = (
    "referrals_sent",
    "referral_accepted",
    "referral_rejected",
    "rejections_by_reason",
    "rejection_with_plan",
    "rejection_unacknowledged",
    "triage_in_time",
    "time_to_triage",
    "first_contact_in_time",
    "advice_requests",
    "advice_without_referral",
    "referrals_75_plus",
    "frailty_section_75_plus",
)
