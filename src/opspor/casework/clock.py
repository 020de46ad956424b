"""The working-time clock behind every referral and advice deadline.

Pure Python (no Django), so the services, the background deadline checks and the
screens all compute the same deadline from the same rule.

Definitions (each method's docstring repeats the one it uses):

- *Working time* is the union of a unit's opening periods on *working days*. A period
  is half-open, ``[opens, closes)``: the closing moment itself is not working time.
- A *working day* is a weekday with opening periods that is neither a Danish public
  holiday (the ``holidays`` package, category "public") nor one of the calendar's
  ``extra_closed_days``.
- Durations of working time are measured in real elapsed time (all arithmetic is done
  in UTC), so a period that spans a daylight-saving change is an hour shorter or longer,
  exactly as the staff on duty experience it.
- Every result is returned in the calendar's time zone. Naive datetimes are refused:
  a deadline computed from a naive moment would silently depend on the server's zone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from numbers import Real
from zoneinfo import ZoneInfo

import holidays

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# Longer than any realistic service level (about 40 years of 8-hour days); beyond it a
# value is a bug upstream, and refusing it keeps the day-by-day walk below bounded.
MAX_HOURS = 100_000.0

# A calendar whose days are all closed for this long has no usable working time (for
# example, hours only on a weekday that the extra closed days always cover).
_MAX_CLOSED_RUN = timedelta(days=3_700)
_DAYS_IN_LEAP_YEAR = 366


class ClockError(ValueError):
    """Base class for every input the working-time clock refuses."""


class NaiveDatetimeError(ClockError):
    """A datetime without a time zone was given where a point in time is needed."""


class InvalidDurationError(ClockError):
    """A duration that is negative, not a number, infinite or absurdly large."""


class InvalidCalendarError(ClockError):
    """A working calendar whose definition cannot be used."""


class NoWorkingHoursError(InvalidCalendarError):
    """A working calendar with no working time at all: no deadline could ever fall due."""


@dataclass(frozen=True)
class OpeningPeriod:
    """One stretch of opening hours within a day, in local wall-clock time."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if not isinstance(self.opens, time) or not isinstance(self.closes, time):
            raise InvalidCalendarError("Opening and closing times must be datetime.time values.")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise InvalidCalendarError(
                "Opening hours are local wall-clock times; give them without a time zone "
                "and set the calendar's time zone instead."
            )
        if self.opens >= self.closes:
            raise InvalidCalendarError(
                f"An opening period must close after it opens (got {self.opens}–{self.closes})."
            )

    @property
    def nominal_length(self) -> timedelta:
        """Length on a day without a daylight-saving change."""
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)


DayHours = tuple[OpeningPeriod, ...]
WeekHours = tuple[DayHours, DayHours, DayHours, DayHours, DayHours, DayHours, DayHours]


def weekday_hours(
    opens: time = time(8, 0),
    closes: time = time(16, 0),
    weekdays: Iterable[int] = range(5),
) -> WeekHours:
    """The same opening period on each of ``weekdays`` (0 = Monday), closed otherwise."""
    open_days = set(weekdays)
    period = (OpeningPeriod(opens, closes),)
    return (
        period if 0 in open_days else (),
        period if 1 in open_days else (),
        period if 2 in open_days else (),
        period if 3 in open_days else (),
        period if 4 in open_days else (),
        period if 5 in open_days else (),
        period if 6 in open_days else (),
    )


# Opening hours vary between general practices and between the diagnostic units
# (a weekly late-open day, a shorter Friday, a lunch closure), so every unit and practice
# configures its own; this default is the common Monday-to-Friday 08:00-16:00 day.
DEFAULT_HOURS: WeekHours = weekday_hours()

# Not public holidays by law (the ``holidays`` package lists them only in its "optional"
# category, with 1 May), but by convention and collective agreement most practices and
# hospital outpatient functions are closed on Constitution Day (Grundlovsdag, 5 June),
# Christmas Eve and New Year's Eve. Treating them as closed keeps a deadline from
# falling due on a day nobody is there to act on it. A convention, not law: configurable.
DEFAULT_EXTRA_CLOSED_DAYS: frozenset[tuple[int, int]] = frozenset({(6, 5), (12, 24), (12, 31)})

_COUNTRY = "DK"


@lru_cache(maxsize=256)
def _public_holidays(year: int) -> frozenset[date]:
    # Store Bededag is a public holiday up to 2023 and not from 2024, when it was
    # abolished; the package encodes that, and the tests pin it.
    return frozenset(holidays.country_holidays(_COUNTRY, years=year).keys())


def public_holidays(year: int) -> dict[date, str]:
    """The Danish public holidays of ``year`` with their Danish names (for display)."""
    return dict(holidays.country_holidays(_COUNTRY, years=year).items())


def _to_utc(moment: datetime, name: str = "moment") -> datetime:
    if not isinstance(moment, datetime):
        raise NaiveDatetimeError(f"{name} must be a timezone-aware datetime, got {moment!r}.")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{name} is a naive datetime ({moment.isoformat()}); give a timezone-aware "
            "datetime so the deadline does not depend on the server's time zone."
        )
    return moment.astimezone(UTC)


def _duration(value: float, unit: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidDurationError(f"The number of {unit} must be a number, got {value!r}.")
    number = float(value)
    if math.isnan(number):
        raise InvalidDurationError(f"The number of {unit} is not a number (NaN).")
    if number < 0:
        raise InvalidDurationError(f"The number of {unit} must not be negative, got {number}.")
    if math.isinf(number) or number > MAX_HOURS:
        raise InvalidDurationError(
            f"The number of {unit} must be finite and at most {MAX_HOURS:g}, got {number}."
        )
    return timedelta(hours=number)


@dataclass(frozen=True)
class WorkingCalendar:
    """When a practice or a diagnostic unit is open, for counting deadlines in working time.

    ``hours`` has one entry per weekday (index 0 = Monday), each a tuple of opening
    periods in local time; ``extra_closed_days`` are (month, day) pairs closed every year
    in addition to the public holidays. ``hours_per_working_day`` is the length of "one
    working day" in :meth:`add_working_days`; left out, it is the longest day in ``hours``
    (8 hours for the default), which units with irregular days should set explicitly.
    """

    hours: WeekHours = DEFAULT_HOURS
    timezone: ZoneInfo = COPENHAGEN
    extra_closed_days: frozenset[tuple[int, int]] = DEFAULT_EXTRA_CLOSED_DAYS
    hours_per_working_day: float | None = None
    _day_length: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, ZoneInfo):
            raise InvalidCalendarError(
                "The time zone must be a zoneinfo.ZoneInfo, so daylight saving is applied."
            )
        if not isinstance(self.hours, tuple) or len(self.hours) != 7:
            raise InvalidCalendarError("Give opening hours for exactly seven weekdays.")
        for weekday, periods in enumerate(self.hours):
            if not isinstance(periods, tuple) or not all(
                isinstance(p, OpeningPeriod) for p in periods
            ):
                raise InvalidCalendarError(
                    f"Weekday {weekday}: opening hours must be a tuple of OpeningPeriod."
                )
            for earlier, later in pairwise(periods):
                if later.opens < earlier.closes:
                    raise InvalidCalendarError(
                        f"Weekday {weekday}: opening periods must be in order and must not overlap."
                    )
        if not any(self.hours):
            raise NoWorkingHoursError(
                "The calendar has no opening hours on any weekday, so no deadline could "
                "ever fall due."
            )
        for month_day in self.extra_closed_days:
            try:
                month, day = month_day
                date(2024, month, day)  # a leap year, so 29 February is accepted
            except (TypeError, ValueError) as exc:
                raise InvalidCalendarError(
                    f"Extra closed days are (month, day) pairs; {month_day!r} is not one."
                ) from exc
        if len(self.extra_closed_days) >= _DAYS_IN_LEAP_YEAR:
            raise NoWorkingHoursError("The extra closed days cover every day of the year.")
        if self.hours_per_working_day is None:
            day_length = max(sum((p.nominal_length for p in d), timedelta()) for d in self.hours)
        else:
            day_length = _duration(self.hours_per_working_day, "hours per working day")
            if not day_length:
                raise InvalidCalendarError("A working day must be longer than zero hours.")
        object.__setattr__(self, "_day_length", day_length)

    @classmethod
    def from_opening_hours(
        cls,
        opening_hours: Mapping[int, Iterable[tuple[time, time]]],
        *,
        timezone: ZoneInfo = COPENHAGEN,
        extra_closed_days: frozenset[tuple[int, int]] = DEFAULT_EXTRA_CLOSED_DAYS,
        hours_per_working_day: float | None = None,
    ) -> WorkingCalendar:
        """Build a calendar from ``{weekday: [(opens, closes), ...]}`` (0 = Monday)."""
        unknown = set(opening_hours) - set(range(7))
        if unknown:
            raise InvalidCalendarError(f"Weekdays are 0 (Monday) to 6 (Sunday), got {unknown}.")
        mon, tue, wed, thu, fri, sat, sun = (
            tuple(OpeningPeriod(o, c) for o, c in opening_hours.get(wd, ())) for wd in range(7)
        )
        return cls(
            hours=(mon, tue, wed, thu, fri, sat, sun),
            timezone=timezone,
            extra_closed_days=extra_closed_days,
            hours_per_working_day=hours_per_working_day,
        )

    @property
    def working_day_length(self) -> timedelta:
        """The working time that :meth:`add_working_days` counts as one working day."""
        return self._day_length

    # -- days ------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (a local date, or an aware datetime's local date) has working time."""
        if isinstance(day, datetime):
            day = _to_utc(day, "day").astimezone(self.timezone).date()
        if not self.hours[day.weekday()]:
            return False
        if (day.month, day.day) in self.extra_closed_days:
            return False
        return day not in _public_holidays(day.year)

    def _periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of a local date, as UTC intervals in order."""
        if not self.is_working_day(day):
            return []
        result: list[tuple[datetime, datetime]] = []
        for period in self.hours[day.weekday()]:
            # fold=0: a time skipped by the spring change maps to the moment one hour
            # later, an ambiguous autumn time to its first occurrence (PEP 495).
            start = datetime.combine(day, period.opens, tzinfo=self.timezone).astimezone(UTC)
            end = datetime.combine(day, period.closes, tzinfo=self.timezone).astimezone(UTC)
            if result:
                start = max(start, result[-1][1])
            if end > start:
                result.append((start, end))
        return result

    def _periods_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (UTC) that end after ``moment`` (UTC), in order, without end."""
        # A period lies within its own local day, so none from an earlier local date
        # can still be open at ``moment``.
        day = moment.astimezone(self.timezone).date()
        closed_since = day
        while True:
            periods = self._periods_on(day)
            if periods:
                closed_since = day + timedelta(days=1)
            elif day - closed_since > _MAX_CLOSED_RUN:
                raise NoWorkingHoursError(
                    f"The calendar has no working time between {closed_since} and {day}."
                )
            for start, end in periods:
                if end > moment:
                    yield start, end
            day += timedelta(days=1)

    # -- moments ---------------------------------------------------------------------

    def is_working_time(self, moment: datetime) -> bool:
        """Whether ``moment`` is within an opening period (the closing moment is not)."""
        utc = _to_utc(moment)
        local_day = utc.astimezone(self.timezone).date()
        return any(start <= utc < end for start, end in self._periods_on(local_day))

    def closes_today(self, moment: datetime) -> datetime | None:
        """When the working day of ``moment`` ends: the last closing of its local date that
        is still ahead of it, or None when no working time is left that day."""
        utc = _to_utc(moment)
        periods = self._periods_on(utc.astimezone(self.timezone).date())
        if not periods or periods[-1][1] <= utc:
            return None
        return periods[-1][1].astimezone(self.timezone)

    def next_opening(self, moment: datetime) -> datetime:
        """The first moment at or after ``moment`` that is working time.

        ``moment`` itself when it is working time; otherwise the next opening.
        """
        utc = _to_utc(moment)
        start, _ = next(self._periods_from(utc))
        return max(start, utc).astimezone(self.timezone)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment after ``hours`` of working time have elapsed since ``start``.

        A start outside working time starts counting at the next opening. When the
        hours run out exactly at a closing moment, that closing moment is the result
        (due at the end of the day, not at the next morning's opening). The result is
        therefore always working time or a closing moment.
        """
        utc = _to_utc(start, "start")
        remaining = _duration(hours, "working hours")
        for period_start, period_end in self._periods_from(utc):
            counting_from = max(period_start, utc)
            available = period_end - counting_from
            if remaining <= available:
                return (counting_from + remaining).astimezone(self.timezone)
            remaining -= available
        raise AssertionError("unreachable: _periods_from never ends")  # pragma: no cover

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """The deadline ``days`` working days after ``start``, as a service-level clock.

        One working day is :attr:`working_day_length` of working time (8 hours by
        default), so this is ``add_working_hours(start, days * working_day_length)``:
        a referral sent on Friday at 15:00 with "triage within 1 working day" is due on
        Monday at 15:00 (at 15:00 on the next working day after public holidays), and
        one sent on Saturday is due at Monday's closing. Counting working time rather
        than "the close of the Nth working day" gives every sender the same amount of
        the unit's working time, however late in the day they send, and keeps one
        measure (working hours) for deadlines, the overdue count and the screens.
        """
        count = _duration(days, "working days").total_seconds() / 3600
        hours = count * self.working_day_length.total_seconds() / 3600
        return self.add_working_hours(start, hours)

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working time from ``a`` to ``b``, in hours; negative when ``b`` is before ``a``.

        ``working_hours_between(deadline, now)`` is how overdue an item is (negative:
        how much working time is left), the figure the screens show.
        """
        a_utc, b_utc = _to_utc(a, "a"), _to_utc(b, "b")
        if b_utc < a_utc:
            return -self.working_hours_between(b, a)
        total = timedelta()
        for period_start, period_end in self._periods_from(a_utc):
            if period_start >= b_utc:
                break
            total += min(period_end, b_utc) - max(period_start, a_utc)
        return total.total_seconds() / 3600

    def add_calendar_hours(self, start: datetime, hours: float) -> datetime:
        """A deadline of ``hours`` clock hours after ``start``, never on closed time.

        For rules stated in clock hours, such as "first contact with the patient within
        48 hours of acceptance". The hours are real elapsed hours (a daylight-saving
        night counts as the hours it actually has). When the raw deadline falls outside
        working time, it is brought *forward* to the last closing moment before it:
        the rule promises the patient an upper bound on the wait, and only an earlier
        deadline keeps that promise while falling when staff are there to act on it
        (a later one would silently stretch 48 hours across a weekend or Christmas).
        Only when there is no working time at all between ``start`` and the raw
        deadline (accepted after hours before a closed stretch) is the deadline the
        next opening, the earliest moment anyone can act.
        """
        utc = _to_utc(start, "start")
        raw = utc + _duration(hours, "hours")
        last_closing: datetime | None = None
        for period_start, period_end in self._periods_from(utc):
            if period_end > raw:
                if period_start <= raw:
                    return raw.astimezone(self.timezone)  # raw deadline is working time
                break
            last_closing = period_end
        if last_closing is not None:
            return last_closing.astimezone(self.timezone)
        return self.next_opening(raw)


DEFAULT_CALENDAR = WorkingCalendar()
