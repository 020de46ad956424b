"""The deadlines of a referral and an advice request, on the working-day clock.

The figures marked as service levels of this software are not published standards: no
source was found for them (README, "Referrals and advice").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from opspor.casework.clock import DEFAULT_CALENDAR
from opspor.casework.deadlines import DEFAULT_DEADLINE_DAYS, add_working_days
from opspor.records.models import DiagnosticUnit, Practice
from opspor.referrals.models import UnitSettings

# The unit's first contact with the patient after acceptance, in clock hours (the
# pathway's promise to the patient, brought forward off closed time by the clock).
FIRST_CONTACT_HOURS = 48.0
# A rejection that arrives while the practice is open escalates no later than this long
# before the practice closes that day, so the second contact still sees it the same day:
# a Friday-afternoon rejection must not wait silently until Monday.
ESCALATION_BEFORE_CLOSING = timedelta(minutes=30)
# By when the practice contacts the patient after a rejection. A service level of this
# software, not a guideline figure: no published standard was found.
PATIENT_CONTACT_WORKING_DAYS = Decimal("1.0")


def escalation_deadline(decided_at: datetime, practice: Practice) -> datetime:
    """When an unacknowledged rejection escalates to the practice's second contact."""
    due = DEFAULT_CALENDAR.add_working_hours(decided_at, float(practice.escalation_working_hours))
    closes = DEFAULT_CALENDAR.closes_today(decided_at)
    if closes is not None and DEFAULT_CALENDAR.is_working_time(decided_at):
        due = min(due, max(decided_at, closes - ESCALATION_BEFORE_CLOSING))
    return due


def first_contact_deadline(accepted_at: datetime) -> datetime:
    return DEFAULT_CALENDAR.add_calendar_hours(accepted_at, FIRST_CONTACT_HOURS)


def patient_contact_deadline(decided_at: datetime) -> datetime:
    return add_working_days(decided_at, PATIENT_CONTACT_WORKING_DAYS)


def unit_settings(unit: DiagnosticUnit) -> UnitSettings:
    try:
        return UnitSettings.objects.get(unit=unit)
    except UnitSettings.DoesNotExist:
        return UnitSettings(
            unit=unit,
            triage_working_days=DEFAULT_DEADLINE_DAYS,
            advice_working_days=DEFAULT_DEADLINE_DAYS,
        )


def triage_deadline(unit: DiagnosticUnit, sent_at: datetime) -> datetime:
    return add_working_days(sent_at, unit_settings(unit).triage_working_days)


def advice_deadline(unit: DiagnosticUnit, sent_at: datetime) -> datetime:
    return add_working_days(sent_at, unit_settings(unit).advice_working_days)
