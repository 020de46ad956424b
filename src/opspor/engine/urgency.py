"""The order in which recommendations are shown: the most urgent action first.

NG12 shows its symptom tables "in order of urgency of the action needed, to make sure that
the most urgent actions are not missed"; this is that order, in the guideline's own terms:
immediate, very urgent (48 hours), a suspected cancer pathway referral, urgent (2 weeks),
then what NG12 gives no urgency. A test due within 48 hours ranks with very urgent referrals.
Within a rank, "refer"/"offer" comes before "consider", and a shorter time frame first.
"""

from __future__ import annotations

_RANK = {
    "immediate_referral": 0,
    "very_urgent_referral": 1,
    "suspected_cancer_referral": 2,
    "consider_referral": 3,
    "urgent_referral": 4,
    "urgent_investigation_or_referral": 4,
    "urgent_investigation": 5,
    "non_urgent_investigation": 6,
    "non_urgent_referral": 7,
    "referral": 7,
    "safety_net": 8,
}
VERY_URGENT_DAYS = 2


def urgency_key(
    recommendation: str, within_days: int | None = None, strength: str = "offer"
) -> tuple[int, int, int]:
    """Sort key: smaller is more urgent. Unknown kinds sort last, never hidden."""
    rank = _RANK.get(recommendation, len(_RANK))
    very_urgent_test = within_days is not None and within_days <= VERY_URGENT_DAYS
    if recommendation == "urgent_investigation" and very_urgent_test:
        rank = _RANK["very_urgent_referral"]
    days = within_days if within_days is not None else 10_000
    return (rank, 0 if strength == "offer" else 1, days)


def is_very_urgent(recommendation: str, within_days: int | None = None) -> bool:
    """Immediate, or within NG12's 48 hours: a referral or a test."""
    return urgency_key(recommendation, within_days)[0] <= _RANK["very_urgent_referral"]
