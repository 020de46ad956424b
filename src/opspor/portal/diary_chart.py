"""The patient's symptom diary as a small chart, drawn on the server as inline SVG.

Days run along the x axis, severity 0 (not at all) to 10 up the y axis, one line per
symptom. A line is broken where the patient wrote nothing for a day, so the chart never
draws a day that was not reported; every reported day is a marker of its own. Each symptom
has its own colour and its own marker shape, so the lines can be told apart without colour.
The same numbers are given as a table beside it (the template), for screen readers and for
anyone who wants the values.

Coordinates are computed here as strings with a decimal point, since a template would
localise a float ("12,5" in Danish), which SVG does not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from opspor.portal.models import DIARY_DAYS

WIDTH = 610
HEIGHT = 190
LEFT = 40
RIGHT = 580
TOP = 10
BOTTOM = 160
MAX_SEVERITY = 10
Y_TICKS = (0, 5, 10)

# Colours with at least 4.5:1 contrast on white, and a shape each (dkfds' palette tones).
STYLES: tuple[tuple[str, str], ...] = (
    ("#0059b3", "circle"),
    ("#b0391b", "square"),
    ("#008139", "triangle"),
    ("#6f3da8", "diamond"),
    ("#7a5800", "circle"),
    ("#1a1a1a", "square"),
)


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class Point:
    day: date
    severity: int
    x: str
    y: str

    def marker(self, shape: str) -> str:
        """The SVG path of the marker drawn at this point."""
        x, y = float(self.x), float(self.y)
        if shape == "square":
            return f"M{_num(x - 4)} {_num(y - 4)}h8v8h-8z"
        if shape == "triangle":
            return f"M{_num(x)} {_num(y - 5)}l5 9h-10z"
        if shape == "diamond":
            return f"M{_num(x)} {_num(y - 5)}l5 5l-5 5l-5 -5z"
        return f"M{_num(x - 4)} {_num(y)}a4 4 0 1 0 8 0a4 4 0 1 0 -8 0"


@dataclass
class Series:
    code: str
    colour: str
    shape: str
    points: list[Point] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)  # polyline `points` of consecutive days

    @property
    def markers(self) -> list[tuple[Point, str]]:
        return [(point, point.marker(self.shape)) for point in self.points]

    @property
    def legend_marker(self) -> str:
        """The marker in a 20 by 12 legend box."""
        return Point(day=date.min, severity=0, x="10", y="6").marker(self.shape)


@dataclass(frozen=True)
class Tick:
    label_day: date | None
    value: int | None
    at: str


@dataclass(frozen=True)
class DiaryRow:
    day: date
    severities: list[int | None]  # in the order of the chart's series


@dataclass
class DiaryChart:
    start: date
    end: date
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    rows: list[DiaryRow]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM


def x_of(day: date, *, start: date, end: date) -> float:
    span = max((end - start).days, 1)
    return LEFT + (day - start).days * (RIGHT - LEFT) / span


def y_of(severity: int) -> float:
    return TOP + (MAX_SEVERITY - severity) * (BOTTOM - TOP) / MAX_SEVERITY


def diary_chart(
    diaries: Sequence[tuple[str, Sequence[tuple[date, int]]]], *, end: date
) -> DiaryChart | None:
    """The chart of the diaries `(symptom code, [(day, severity), ...])`, or None when no
    day was written. The x axis covers the diary's four weeks up to `end` (the day the
    preparation was sent), widened to any day written outside them."""
    days = [day for _, entries in diaries for day, _ in entries]
    if not days:
        return None
    start = min(min(days), end - timedelta(days=DIARY_DAYS - 1))
    end = max(max(days), end)
    series: list[Series] = []
    for index, (code, entries) in enumerate(d for d in diaries if d[1]):
        colour, shape = STYLES[index % len(STYLES)]
        line = Series(code=code, colour=colour, shape=shape)
        run: list[Point] = []
        for day, severity in sorted(entries):
            point = Point(
                day=day,
                severity=severity,
                x=_num(x_of(day, start=start, end=end)),
                y=_num(y_of(severity)),
            )
            if run and (day - run[-1].day).days > 1:
                line.runs.append(" ".join(f"{p.x},{p.y}" for p in run))
                run = []
            run.append(point)
            line.points.append(point)
        line.runs.append(" ".join(f"{p.x},{p.y}" for p in run))
        # A single day is a marker, not a line.
        line.runs = [r for r in line.runs if " " in r]
        series.append(line)
    x_ticks = []
    day = end
    while day >= start:  # weekly, counted back from the last day so that it is labelled
        x_ticks.append(Tick(label_day=day, value=None, at=_num(x_of(day, start=start, end=end))))
        day -= timedelta(days=7)
    y_ticks = [Tick(label_day=None, value=v, at=_num(y_of(v))) for v in Y_TICKS]
    by_day: dict[date, list[int | None]] = {}
    for i, line in enumerate(series):
        for point in line.points:
            by_day.setdefault(point.day, [None] * len(series))[i] = point.severity
    rows = [DiaryRow(day=d, severities=by_day[d]) for d in sorted(by_day)]
    return DiaryChart(
        start=start,
        end=end,
        series=series,
        x_ticks=sorted(x_ticks, key=lambda t: t.label_day or start),
        y_ticks=y_ticks,
        rows=rows,
    )
