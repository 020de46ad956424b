from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.casework.clock import (
    COPENHAGEN,
    DEFAULT_CALENDAR,
    ClockError,
    InvalidCalendarError,
    InvalidDurationError,
    NaiveDatetimeError,
    NoWorkingHoursError,
    OpeningPeriod,
    WorkingCalendar,
    public_holidays,
    weekday_hours,
)

CAL = DEFAULT_CALENDAR
ONE_SECOND_IN_HOURS = 1 / 3600


def cph(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=COPENHAGEN)


def utc(moment: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo compare by wall clock, which is wrong in the
    # repeated autumn hour; compare instants instead.
    return moment.astimezone(UTC)


# -- weekends and the service-level definitions ------------------------------------------


def test_friday_afternoon_plus_four_working_hours_is_monday_morning() -> None:
    assert CAL.add_working_hours(cph(2026, 1, 9, 14), 4) == cph(2026, 1, 12, 10)


def test_one_working_day_from_friday_afternoon_is_monday_same_time() -> None:
    assert CAL.add_working_days(cph(2026, 1, 9, 15), 1) == cph(2026, 1, 12, 15)


def test_one_working_day_is_eight_working_hours_by_default() -> None:
    assert CAL.working_day_length == timedelta(hours=8)
    start = cph(2026, 1, 14, 11, 17)
    assert CAL.add_working_days(start, 3) == CAL.add_working_hours(start, 24)


def test_start_outside_working_hours_counts_from_the_next_opening() -> None:
    saturday = cph(2026, 1, 10, 11)
    assert CAL.add_working_hours(saturday, 1) == cph(2026, 1, 12, 9)
    assert CAL.add_working_days(saturday, 1) == cph(2026, 1, 12, 16)
    assert CAL.add_working_hours(cph(2026, 1, 12, 6, 30), 0.5) == cph(2026, 1, 12, 8, 30)
    assert CAL.add_working_hours(cph(2026, 1, 12, 19), 0.5) == cph(2026, 1, 13, 8, 30)


def test_hours_that_run_out_at_closing_are_due_at_closing_not_next_morning() -> None:
    assert CAL.add_working_hours(cph(2026, 1, 12, 8), 8) == cph(2026, 1, 12, 16)
    assert CAL.add_working_hours(cph(2026, 1, 9, 15), 1) == cph(2026, 1, 9, 16)


def test_zero_hours_outside_working_time_is_the_next_opening() -> None:
    assert CAL.add_working_hours(cph(2026, 1, 12, 10), 0) == cph(2026, 1, 12, 10)
    assert CAL.add_working_hours(cph(2026, 1, 9, 16), 0) == cph(2026, 1, 12, 8)


def test_friday_afternoon_rejection_escalates_on_monday_morning() -> None:
    # Issue 4: a rejection at Friday 15:30 with 2 working hours to acknowledge it.
    rejected_at = cph(2026, 1, 16, 15, 30)
    escalates_at = CAL.add_working_hours(rejected_at, 2)
    assert escalates_at == cph(2026, 1, 19, 9, 30)
    assert CAL.is_working_time(escalates_at)
    assert CAL.working_hours_between(rejected_at, escalates_at) == pytest.approx(2)
    # Before Monday 09:30 it is not yet due; from then on it is overdue.
    assert CAL.working_hours_between(escalates_at, cph(2026, 1, 19, 9, 29)) < 0
    assert CAL.working_hours_between(escalates_at, cph(2026, 1, 19, 10)) == pytest.approx(0.5)


def test_result_is_in_the_calendars_time_zone_whatever_the_input_zone() -> None:
    result = CAL.add_working_hours(datetime(2026, 1, 9, 13, tzinfo=UTC), 4)
    assert result.tzinfo is COPENHAGEN
    assert result == cph(2026, 1, 12, 10)


# -- holidays ---------------------------------------------------------------------------


def test_easter_2026_one_working_day_from_wednesday_is_tuesday() -> None:
    for holiday in (date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 6)):
        assert not CAL.is_working_day(holiday)
    assert CAL.add_working_days(cph(2026, 4, 1, 15), 1) == cph(2026, 4, 7, 15)
    assert CAL.next_opening(cph(2026, 4, 1, 17)) == cph(2026, 4, 7, 8)


def test_christmas_2026_and_new_year() -> None:
    for closed in (date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)):
        assert not CAL.is_working_day(closed)
    assert CAL.is_working_day(date(2026, 12, 23))
    assert CAL.is_working_day(date(2026, 12, 28))
    assert CAL.add_working_days(cph(2026, 12, 23, 15), 1) == cph(2026, 12, 28, 15)
    assert CAL.add_working_days(cph(2026, 12, 30, 15), 1) == cph(2027, 1, 4, 15)
    # From the last opening before Christmas to the first after it: no working time.
    assert CAL.working_hours_between(cph(2026, 12, 23, 16), cph(2026, 12, 28, 8)) == 0


def test_ascension_day_and_whit_monday_2026() -> None:
    assert not CAL.is_working_day(date(2026, 5, 14))
    assert not CAL.is_working_day(date(2026, 5, 25))
    assert CAL.add_working_days(cph(2026, 5, 13, 15), 1) == cph(2026, 5, 15, 15)
    assert CAL.add_working_days(cph(2026, 5, 22, 15), 1) == cph(2026, 5, 26, 15)


def test_package_leaves_constitution_day_and_the_eves_to_our_convention() -> None:
    # If the package ever starts listing them as public holidays, the defaults below
    # become redundant rather than wrong; this pins what we rely on today.
    listed = public_holidays(2026)
    for day in (date(2026, 6, 5), date(2026, 12, 24), date(2026, 12, 31)):
        assert day not in listed


def test_constitution_day_is_closed_by_default_and_configurable() -> None:
    assert not CAL.is_working_day(date(2026, 6, 5))
    assert CAL.add_working_days(cph(2026, 6, 4, 15), 1) == cph(2026, 6, 8, 15)
    open_on_5_june = WorkingCalendar(extra_closed_days=frozenset({(12, 24), (12, 31)}))
    assert open_on_5_june.add_working_days(cph(2026, 6, 4, 15), 1) == cph(2026, 6, 5, 15)


def test_christmas_eve_and_new_years_eve_can_be_opened() -> None:
    always_open = WorkingCalendar(extra_closed_days=frozenset())
    assert always_open.is_working_day(date(2026, 12, 24))
    assert always_open.is_working_day(date(2026, 12, 31))
    assert always_open.add_working_days(cph(2026, 12, 23, 15), 1) == cph(2026, 12, 24, 15)


def test_labour_day_is_a_working_day() -> None:
    # 1 May is not a public holiday; by default the clock keeps running.
    assert CAL.is_working_day(date(2026, 5, 1))


@pytest.mark.parametrize(
    ("easter", "is_public_holiday"),
    [
        (date(2023, 4, 9), True),
        (date(2024, 3, 31), False),
        (date(2025, 4, 20), False),
        (date(2026, 4, 5), False),
        (date(2027, 3, 28), False),
    ],
)
def test_store_bededag_was_a_holiday_until_2023_only(easter: date, is_public_holiday: bool) -> None:
    # Store Bededag, the fourth Friday after Easter, stopped being a public holiday in 2024.
    store_bededag = easter + timedelta(days=26)
    assert store_bededag.weekday() == 4
    assert CAL.is_working_day(store_bededag) is not is_public_holiday


# -- daylight saving --------------------------------------------------------------------


def test_weekend_with_the_spring_change() -> None:
    # 29 March 2026 is the last Sunday of March: the clocks go forward.
    friday, monday = cph(2026, 3, 27, 14), cph(2026, 3, 30, 10)
    assert CAL.add_working_hours(friday, 4) == monday
    assert monday.utcoffset() == timedelta(hours=2)
    assert CAL.working_hours_between(friday, monday) == pytest.approx(4)


def test_weekend_with_the_autumn_change() -> None:
    # 25 October 2026 is the last Sunday of October: the clocks go back.
    friday, monday = cph(2026, 10, 23, 14), cph(2026, 10, 26, 10)
    assert CAL.add_working_hours(friday, 4) == monday
    assert monday.utcoffset() == timedelta(hours=1)
    assert CAL.working_hours_between(friday, monday) == pytest.approx(4)


def test_opening_hours_across_the_change_count_the_real_hours() -> None:
    # A unit staffed on Sunday nights 01:00-04:00 works 2 real hours on the spring
    # night and 4 on the autumn night.
    night = WorkingCalendar.from_opening_hours({6: [(time(1), time(4))]})

    def sunday_night(day: date) -> float:
        return night.working_hours_between(
            cph(day.year, day.month, day.day, 0), cph(day.year, day.month, day.day, 5)
        )

    assert sunday_night(date(2026, 3, 29)) == pytest.approx(2)
    assert sunday_night(date(2026, 10, 25)) == pytest.approx(4)
    assert sunday_night(date(2026, 3, 22)) == pytest.approx(3)
    assert night.add_working_hours(cph(2026, 3, 29, 1), 1.5) == cph(2026, 3, 29, 3, 30)


def test_calendar_hours_are_real_hours_across_the_change() -> None:
    accepted = cph(2026, 3, 28, 12)  # Saturday before the spring change
    due = CAL.add_calendar_hours(accepted, 48)
    assert due == cph(2026, 3, 30, 13)
    assert utc(due) - utc(accepted) == timedelta(hours=48)


# -- calendar-hour deadlines ------------------------------------------------------------


def test_calendar_deadline_in_working_time_is_unchanged() -> None:
    assert CAL.add_calendar_hours(cph(2026, 1, 13, 10), 48) == cph(2026, 1, 15, 10)


def test_calendar_deadline_at_a_closing_moment_is_unchanged() -> None:
    assert CAL.add_calendar_hours(cph(2026, 1, 12, 16), 48) == cph(2026, 1, 14, 16)


def test_calendar_deadline_on_a_weekend_is_brought_forward_to_fridays_closing() -> None:
    assert CAL.add_calendar_hours(cph(2026, 1, 15, 10), 48) == cph(2026, 1, 16, 16)


def test_calendar_deadline_overnight_is_brought_forward_to_the_evening_closing() -> None:
    assert CAL.add_calendar_hours(cph(2026, 1, 12, 20), 48) == cph(2026, 1, 14, 16)


def test_calendar_deadline_over_christmas_is_brought_forward() -> None:
    assert CAL.add_calendar_hours(cph(2026, 12, 22, 12), 48) == cph(2026, 12, 23, 16)


def test_calendar_deadline_with_no_working_time_before_it_is_the_next_opening() -> None:
    # Accepted on Friday evening: nobody can act before Monday morning.
    assert CAL.add_calendar_hours(cph(2026, 1, 16, 22), 48) == cph(2026, 1, 19, 8)


# -- moments and days -------------------------------------------------------------------


def test_working_time_is_half_open() -> None:
    assert CAL.is_working_time(cph(2026, 1, 12, 8))
    assert CAL.is_working_time(cph(2026, 1, 12, 15, 59, 59))
    assert not CAL.is_working_time(cph(2026, 1, 12, 16))
    assert not CAL.is_working_time(cph(2026, 1, 12, 7, 59, 59))
    assert not CAL.is_working_time(cph(2026, 1, 10, 12))
    assert not CAL.is_working_time(cph(2026, 4, 6, 12))


def test_is_working_day_accepts_an_aware_datetime_as_its_local_date() -> None:
    # 23:30 UTC on Friday is already Saturday in Copenhagen.
    assert not CAL.is_working_day(datetime(2026, 1, 16, 23, 30, tzinfo=UTC))
    assert CAL.is_working_day(datetime(2026, 1, 16, 22, 30, tzinfo=UTC))


def test_next_opening() -> None:
    assert CAL.next_opening(cph(2026, 1, 12, 10)) == cph(2026, 1, 12, 10)
    assert CAL.next_opening(cph(2026, 1, 9, 16)) == cph(2026, 1, 12, 8)
    assert CAL.next_opening(cph(2026, 1, 10, 9)) == cph(2026, 1, 12, 8)
    assert CAL.next_opening(cph(2026, 1, 12, 7)) == cph(2026, 1, 12, 8)


def test_working_hours_between_is_signed() -> None:
    a, b = cph(2026, 1, 9, 15), cph(2026, 1, 12, 9)
    assert CAL.working_hours_between(a, b) == pytest.approx(2)
    assert CAL.working_hours_between(b, a) == pytest.approx(-2)
    assert CAL.working_hours_between(a, a) == 0


# -- per-unit opening hours -------------------------------------------------------------


def test_lunch_closure_is_not_counted() -> None:
    lunch = WorkingCalendar.from_opening_hours(
        {wd: [(time(8), time(12)), (time(12, 30), time(16))] for wd in range(5)}
    )
    assert lunch.add_working_hours(cph(2026, 1, 12, 11), 2) == cph(2026, 1, 12, 13, 30)
    assert not lunch.is_working_time(cph(2026, 1, 12, 12, 15))
    assert lunch.working_day_length == timedelta(hours=7, minutes=30)


def test_short_friday_and_one_working_day() -> None:
    short_friday = WorkingCalendar.from_opening_hours(
        {**{wd: [(time(8), time(16))] for wd in range(4)}, 4: [(time(8), time(12))]}
    )
    assert short_friday.working_day_length == timedelta(hours=8)
    # Thursday 15-16 (1 h) + Friday 8-12 (4 h) + Monday 8-11 (3 h).
    assert short_friday.add_working_days(cph(2026, 1, 15, 15), 1) == cph(2026, 1, 19, 11)


def test_explicit_working_day_length() -> None:
    cal = WorkingCalendar(hours_per_working_day=6)
    assert cal.add_working_days(cph(2026, 1, 12, 8), 1) == cph(2026, 1, 12, 14)


def test_weekday_hours_helper_and_default_are_monday_to_friday_8_to_16() -> None:
    assert CAL.hours == weekday_hours(time(8), time(16), range(5))
    assert CAL.hours[0] == (OpeningPeriod(time(8), time(16)),)
    assert CAL.hours[5] == CAL.hours[6] == ()
    assert CAL.timezone is COPENHAGEN


# -- refused input ----------------------------------------------------------------------

NAIVE = datetime(2026, 1, 12, 10)


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.is_working_time(NAIVE),
        lambda: CAL.is_working_day(NAIVE),
        lambda: CAL.next_opening(NAIVE),
        lambda: CAL.add_working_hours(NAIVE, 1),
        lambda: CAL.add_working_days(NAIVE, 1),
        lambda: CAL.add_calendar_hours(NAIVE, 48),
        lambda: CAL.working_hours_between(NAIVE, cph(2026, 1, 12, 10)),
        lambda: CAL.working_hours_between(cph(2026, 1, 12, 10), NAIVE),
    ],
)
def test_naive_datetimes_are_refused(call: object) -> None:
    with pytest.raises(NaiveDatetimeError, match="naive"):
        call()  # type: ignore[operator]


def test_a_date_is_not_a_moment() -> None:
    with pytest.raises(NaiveDatetimeError):
        CAL.add_working_hours(date(2026, 1, 12), 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "negative"),
        (-0.001, "negative"),
        (math.nan, "NaN"),
        (math.inf, "finite"),
        (1e9, "at most"),
        (True, "must be a number"),
        ("8", "must be a number"),
    ],
)
def test_bad_durations_are_refused(value: object, message: str) -> None:
    start = cph(2026, 1, 12, 10)
    for call in (CAL.add_working_hours, CAL.add_working_days, CAL.add_calendar_hours):
        with pytest.raises(InvalidDurationError, match=message):
            call(start, value)  # type: ignore[arg-type]


def test_a_calendar_without_working_hours_is_refused() -> None:
    with pytest.raises(NoWorkingHoursError, match="no opening hours"):
        WorkingCalendar(hours=((), (), (), (), (), (), ()))
    with pytest.raises(NoWorkingHoursError):
        WorkingCalendar.from_opening_hours({})
    every_day = frozenset(
        (d.month, d.day) for d in (date(2024, 1, 1) + timedelta(days=i) for i in range(366))
    )
    with pytest.raises(NoWorkingHoursError, match="every day"):
        WorkingCalendar(extra_closed_days=every_day)


@pytest.mark.parametrize(
    "build",
    [
        lambda: OpeningPeriod(time(16), time(8)),
        lambda: OpeningPeriod(time(8), time(8)),
        lambda: WorkingCalendar.from_opening_hours(
            {0: [(time(8), time(12)), (time(11), time(16))]}
        ),
        lambda: WorkingCalendar.from_opening_hours({7: [(time(8), time(16))]}),
        lambda: WorkingCalendar(extra_closed_days=frozenset({(2, 30)})),
        lambda: WorkingCalendar(timezone="Europe/Copenhagen"),  # type: ignore[arg-type]
        lambda: WorkingCalendar(hours_per_working_day=0),
        lambda: WorkingCalendar(hours=weekday_hours()[:5]),  # type: ignore[arg-type]
    ],
)
def test_malformed_calendars_are_refused(build: object) -> None:
    with pytest.raises(InvalidCalendarError):
        build()  # type: ignore[operator]


def test_every_refusal_is_a_value_error() -> None:
    for error in (NaiveDatetimeError, InvalidDurationError, InvalidCalendarError):
        assert issubclass(error, ClockError)
        assert issubclass(error, ValueError)
    assert issubclass(NoWorkingHoursError, InvalidCalendarError)


# -- properties -------------------------------------------------------------------------

CALENDARS = [
    CAL,
    # Irregular hours: a lunch closure, a late Thursday, Saturday morning and a Sunday
    # night that crosses the daylight-saving changes.
    WorkingCalendar.from_opening_hours(
        {
            0: [(time(8), time(12)), (time(12, 30), time(15))],
            1: [(time(8), time(15))],
            3: [(time(8), time(12)), (time(13), time(18))],
            4: [(time(8), time(13))],
            5: [(time(9), time(11))],
            6: [(time(1), time(4))],
        }
    ),
]

moments = st.datetimes(
    min_value=datetime(2023, 1, 1),
    max_value=datetime(2028, 12, 31),
    timezones=st.just(COPENHAGEN),
    allow_imaginary=False,
)
hour_counts = st.floats(min_value=0, max_value=120, allow_nan=False)
calendars = st.sampled_from(CALENDARS)


def is_working_or_closing(cal: WorkingCalendar, moment: datetime) -> bool:
    return cal.is_working_time(moment) or cal.is_working_time(
        utc(moment) - timedelta(microseconds=1)
    )


@settings(max_examples=150, deadline=None)
@given(cal=calendars, start=moments, hours=hour_counts)
def test_working_hours_round_trip(cal: WorkingCalendar, start: datetime, hours: float) -> None:
    due = cal.add_working_hours(start, hours)
    assert abs(cal.working_hours_between(start, due) - hours) <= ONE_SECOND_IN_HOURS
    assert is_working_or_closing(cal, due)
    assert utc(due) >= utc(start)


@settings(max_examples=100, deadline=None)
@given(cal=calendars, start=moments, h1=hour_counts, h2=hour_counts)
def test_add_working_hours_is_monotone_in_hours(
    cal: WorkingCalendar, start: datetime, h1: float, h2: float
) -> None:
    low, high = sorted((h1, h2))
    assert utc(cal.add_working_hours(start, low)) <= utc(cal.add_working_hours(start, high))


@settings(max_examples=100, deadline=None)
@given(cal=calendars, a=moments, b=moments, hours=hour_counts)
def test_add_working_hours_is_monotone_in_start(
    cal: WorkingCalendar, a: datetime, b: datetime, hours: float
) -> None:
    early, late = sorted((a, b), key=utc)
    assert utc(cal.add_working_hours(early, hours)) <= utc(cal.add_working_hours(late, hours))


@settings(max_examples=100, deadline=None)
@given(cal=calendars, a=moments, b=moments, c=moments)
def test_working_hours_between_is_additive(
    cal: WorkingCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    if utc(b) - utc(a) > timedelta(days=60) or utc(c) - utc(b) > timedelta(days=60):
        b = a + timedelta(days=3)
        c = b + timedelta(days=5)
    whole = cal.working_hours_between(a, c)
    parts = cal.working_hours_between(a, b) + cal.working_hours_between(b, c)
    assert whole == pytest.approx(parts, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(cal=calendars, moment=moments)
def test_next_opening_is_the_first_working_moment(cal: WorkingCalendar, moment: datetime) -> None:
    opening = cal.next_opening(moment)
    assert utc(opening) >= utc(moment)
    assert cal.is_working_time(opening)
    assert cal.working_hours_between(moment, opening) == 0
    assert cal.add_working_hours(moment, 0) == opening


@settings(max_examples=150, deadline=None)
@given(cal=calendars, start=moments, hours=st.floats(min_value=0, max_value=96))
def test_calendar_deadline_never_falls_on_closed_time(
    cal: WorkingCalendar, start: datetime, hours: float
) -> None:
    due = cal.add_calendar_hours(start, hours)
    raw = utc(start) + timedelta(hours=hours)
    assert is_working_or_closing(cal, due)
    assert cal.is_working_day(utc(due) - timedelta(microseconds=1)) or cal.is_working_time(due)
    if utc(due) > raw:
        # Only moved later when there was no working time at all before the raw deadline.
        assert cal.working_hours_between(start, raw) == 0
        assert due == cal.next_opening(raw)
    else:
        assert utc(due) >= utc(start)
