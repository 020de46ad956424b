"""Deadlines in working time on the Danish calendar, one function for every kind of case."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from opspor.casework.clock import DEFAULT_CALENDAR

# A unit's or a practice's service level when it has configured none.
DEFAULT_DEADLINE_DAYS = Decimal("1.0")


def add_working_days(start: datetime, days: Decimal | float) -> datetime:
    """The deadline `days` working days after `start`; every deadline goes through here."""
    return DEFAULT_CALENDAR.add_working_days(start, float(days))


def add_working_hours(start: datetime, hours: Decimal | float) -> datetime:
    return DEFAULT_CALENDAR.add_working_hours(start, float(hours))
