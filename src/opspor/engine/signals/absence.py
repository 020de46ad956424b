"""Return after a long absence: the recent contacts follow years without any."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from opspor.engine.settings import EngineSettings


@dataclass(frozen=True)
class LongAbsence:
    gap_days: int
    returned_on: date


def long_absence(
    *,
    contact_dates: list[date],
    as_of: date,
    registered_from: date | None,
    settings: EngineSettings,
) -> LongAbsence | None:
    """The gap before the first contact of the recent window, if it is long enough.

    With one contact in the recent window (today's) this is exactly "the current contact
    follows a gap of at least three years"; with two, the second visit of a returning patient
    still shows the absence that preceded the first. Time before registration is not counted
    as absence: a new patient has simply not been seen here yet.
    """
    recent_start = as_of - timedelta(days=settings.recent_days)
    dates = sorted(d for d in contact_dates if d <= as_of)
    recent = [d for d in dates if d >= recent_start]
    if not recent:
        return None
    first_recent = recent[0]
    earlier = [d for d in dates if d < first_recent]
    if earlier:
        gap_start = earlier[-1]
    elif registered_from is not None:
        gap_start = registered_from
    else:
        return None
    gap = (first_recent - gap_start).days
    if gap < settings.long_absence_days:
        return None
    return LongAbsence(gap_days=gap, returned_on=first_recent)
