"""Days and moments for the figures read from the case-work tables.

A row's day is its moment's local date in the site's time zone (Copenhagen), as every
screen shows it. The figures for ``as_of`` know what the tables held at the end of that
day: a decision, an acknowledgement or a telling stamped later has not happened yet, so a
refresh for an earlier day gives that day's figures (as far as the rows keep their past).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TypeGuard

from django.utils import timezone

from opspor.records.models import Practice


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in the site's time zone."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def day_end(day: date) -> datetime:
    """The first moment after ``day``: a moment belongs to the day when it is before this."""
    return day_start(day + timedelta(days=1))


def local_day(moment: datetime) -> date:
    return timezone.localdate(moment, timezone.get_default_timezone())


def known(moment: datetime | None, cutoff: datetime) -> TypeGuard[datetime]:
    """Whether a stamped moment had happened by ``cutoff``."""
    return moment is not None and moment < cutoff


def practice_ids() -> list[int]:
    """Every practice in the database: each gets its cells, those with nothing to count too."""
    return list(Practice.objects.order_by("pk").values_list("pk", flat=True))
