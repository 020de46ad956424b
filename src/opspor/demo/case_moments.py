"""When a demo case's steps happen: moments relative to the demo's "now".

The case file writes each step's moment as text ('25 minutes ago', '3 working days ago at
10:05', 'in 5 days at 09:30', or '45 days ago at 10:20' for the day of a story's contact);
``Moment`` reads it and ``Timeline`` places it relative to the seed's as-of date, on the
region's working days and hours, so the demo is current whenever it is seeded. A date
without a time (a follow-up, an expected result) is a ``Day``: 'today', 'in 14 days',
'5 days ago'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from django.utils import timezone

from opspor.casework.clock import DEFAULT_CALENDAR
from opspor.demo.region import COPENHAGEN

# Without an explicit time on the as-of date, the demo is seen as at this local time.
AS_OF_TIME = time(15, 30)


@dataclass(frozen=True)
class Timeline:
    """Moments relative to the demo's "now": working days before it, or minutes before."""

    anchor: datetime

    @classmethod
    def for_as_of(cls, as_of: date, now: datetime) -> Timeline:
        if as_of >= timezone.localdate(now):
            return cls(anchor=now)
        return cls(anchor=datetime.combine(as_of, AS_OF_TIME, tzinfo=COPENHAGEN))

    def days_ago(self, days: int, hour: int, minute: int = 0) -> datetime:
        """`hour:minute` on the `days`-th working day before the anchor's date (days >= 1).

        Times up to 15:00 keep every such moment before `recent`'s moments.
        """
        day = timezone.localtime(self.anchor).date()
        for _ in range(days):
            day -= timedelta(days=1)
            while not DEFAULT_CALENDAR.is_working_day(day):
                day -= timedelta(days=1)
        return datetime.combine(day, time(hour, minute), tzinfo=COPENHAGEN)

    def recent(self, minutes: int) -> datetime:
        """`minutes` before the anchor, or before the last closing when it is closed time:
        a step "just now" happens when the practice or the unit is at work."""
        base = self.anchor
        if not DEFAULT_CALENDAR.is_working_time(base):
            day = timezone.localtime(base).date()
            while True:
                start = datetime.combine(day, time(0, 1), tzinfo=COPENHAGEN)
                closes = DEFAULT_CALENDAR.closes_today(start)
                if closes is not None and closes <= base:
                    base = closes
                    break
                day -= timedelta(days=1)
        return base - timedelta(minutes=minutes)

    def story_day(self, days: int, hour: int, minute: int = 0) -> datetime:
        """`hour:minute` on the day of a story's contact `days` calendar days before the
        anchor's date (a weekend moves back to the Friday, as the stories' contacts do)."""
        day = timezone.localtime(self.anchor).date() - timedelta(days=days)
        day -= timedelta(days=max(0, day.weekday() - 4))
        return datetime.combine(day, time(hour, minute), tzinfo=COPENHAGEN)

    def in_days(self, days: int, hour: int, minute: int = 0) -> datetime:
        day = timezone.localtime(self.anchor).date() + timedelta(days=days)
        while not DEFAULT_CALENDAR.is_working_day(day):
            day += timedelta(days=1)
        return datetime.combine(day, time(hour, minute), tzinfo=COPENHAGEN)


_MINUTES_AGO = re.compile(r"(?P<count>\d+) minutes? ago")
_DAYS_AGO = re.compile(r"(?P<count>\d+) working days? ago at (?P<hour>\d\d):(?P<minute>\d\d)")
_DAYS_AHEAD = re.compile(r"in (?P<count>\d+) days? at (?P<hour>\d\d):(?P<minute>\d\d)")
_STORY_DAYS_AGO = re.compile(r"(?P<count>\d+) days? ago at (?P<hour>\d\d):(?P<minute>\d\d)")
_MOMENT_EXAMPLES = (
    "'25 minutes ago', '3 working days ago at 10:05', '45 days ago at 10:20' or "
    "'in 5 days at 09:30'"
)
MomentKind = Literal["minutes_ago", "working_days_ago", "days_ago", "days_ahead"]


@dataclass(frozen=True)
class Moment:
    """A step's moment as the case file writes it, relative to the demo's "now"."""

    kind: MomentKind
    count: int
    hour: int = 0
    minute: int = 0

    @classmethod
    def parse(cls, text: object) -> Moment:
        if isinstance(text, Moment):
            return text
        words = " ".join(text.split()) if isinstance(text, str) else ""
        if match := _MINUTES_AGO.fullmatch(words):
            return cls("minutes_ago", int(match["count"]))
        kind: MomentKind = "working_days_ago"
        match = _DAYS_AGO.fullmatch(words)
        others: tuple[tuple[MomentKind, re.Pattern[str]], ...] = (
            ("days_ahead", _DAYS_AHEAD),
            ("days_ago", _STORY_DAYS_AGO),
        )
        for other, pattern in others:
            if match is None:
                kind, match = other, pattern.fullmatch(words)
        if match is None:
            raise ValueError(f"{text!r} is not a moment such as {_MOMENT_EXAMPLES}")
        count, hour, minute = int(match["count"]), int(match["hour"]), int(match["minute"])
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r}: {hour:02d}:{minute:02d} is not a time of day")
        if kind in ("working_days_ago", "days_ago") and count < 1:
            raise ValueError(f"{text!r}: days ago are counted from 1")
        return cls(kind, count, hour, minute)

    def on(self, timeline: Timeline) -> datetime:
        if self.kind == "minutes_ago":
            return timeline.recent(self.count)
        if self.kind == "working_days_ago":
            return timeline.days_ago(self.count, self.hour, self.minute)
        if self.kind == "days_ago":
            return timeline.story_day(self.count, self.hour, self.minute)
        return timeline.in_days(self.count, self.hour, self.minute)


_DAY = re.compile(r"today|in (?P<ahead>\d+) days?|(?P<ago>\d+) days? ago")


@dataclass(frozen=True)
class Day:
    """A date as the case file writes it: 'today', 'in 14 days' or '5 days ago', in
    calendar days from the demo's "now" (a follow-up date, the day a result is expected)."""

    offset: int  # days after the anchor's date; negative: before it

    @classmethod
    def parse(cls, text: object) -> Day:
        if isinstance(text, Day):
            return text
        words = " ".join(text.split()) if isinstance(text, str) else ""
        match = _DAY.fullmatch(words)
        if match is None:
            raise ValueError(f"{text!r} is not a day such as 'today', 'in 14 days' or '5 days ago'")
        if match["ahead"] is not None:
            return cls(int(match["ahead"]))
        return cls(-int(match["ago"]) if match["ago"] is not None else 0)

    def on(self, timeline: Timeline) -> date:
        return timezone.localtime(timeline.anchor).date() + timedelta(days=self.offset)
