"""The overview's pictures of the record, built for the page: the contacts of the last two
years as a timeline, and the symptoms one row per symptom with the patient's own words.

Plain data for the template, built by the view from what the selectors and the engine
return; the template only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from opspor.engine.assessment import Assessment
from opspor.engine.context import PatientContext
from opspor.records.models import Contact, Symptom

TIMELINE_DAYS = 730
RECENT_DAYS = 90


# A place on the timeline is a class naming one of its steps of a quarter of a percent
# (under two days of the two years), set in records/timeline.css, not a style attribute:
# the Content-Security-Policy allows no inline style.
STEPS_PER_PERCENT = 4
STEPS = 100 * STEPS_PER_PERCENT


def _place(position: float) -> str:
    return f"timeline-at-{min(STEPS, max(0, round(position * STEPS_PER_PERCENT)))}"


def timeline_stylesheet() -> str:
    """records/timeline.css: one class a step (tests/records check that the file is this)."""
    rules = "".join(
        f".timeline-at-{step} {{ inset-inline-start: {step / STEPS_PER_PERCENT:g}%; }}\n"
        for step in range(STEPS + 1)
    )
    return (
        "/* The timeline's places (records/presenters.py writes this file: timeline_stylesheet"
        "). */\n" + rules
    )


@dataclass
class Mark:
    day: date
    kind: str
    label: str
    position: float  # percent of the timeline from its start, in the reading direction

    @property
    def place(self) -> str:
        return _place(self.position)


@dataclass
class Lane:
    kind: str
    label: str
    marks: list[Mark] = field(default_factory=list)


@dataclass
class Tick:
    day: date
    position: float

    @property
    def place(self) -> str:
        return _place(self.position)


@dataclass
class Timeline:
    start: date
    end: date
    lanes: list[Lane]
    ticks: list[Tick]
    recent_start: float
    total: int
    recent: int
    expected: float | None

    @property
    def newest_first(self) -> list[Mark]:
        return sorted(
            (m for lane in self.lanes for m in lane.marks), key=lambda m: m.day, reverse=True
        )

    @property
    def recent_place(self) -> str:
        # The window runs from here to the end (.timeline-window's inset-inline-end: 0).
        return _place(self.recent_start)


def _position(day: date, start: date, days: int) -> float:
    return round(100.0 * (day - start).days / days, 2)


def contact_timeline(context: PatientContext, assessment: Assessment) -> Timeline:
    """The contacts of the last two years in one lane per kind, with the 90-day window.

    The window is the pattern-break signal's own (DESIGN section 4), so a break can be seen
    as a crowd of marks inside the shaded part against a sparse baseline before it.
    """
    end: date = context.as_of
    start = end - timedelta(days=TIMELINE_DAYS)
    recent_from = end - timedelta(days=RECENT_DAYS)
    lanes = {kind: Lane(kind, str(label)) for kind, label in Contact.Kind.choices}
    total = recent = 0
    for contact in context.contacts:
        if not start < contact.date <= end:
            continue
        total += 1
        recent += contact.date >= recent_from
        lane = lanes.setdefault(contact.kind, Lane(contact.kind, contact.kind))
        lane.marks.append(
            Mark(
                contact.date,
                contact.kind,
                lane.label,
                _position(contact.date, start, TIMELINE_DAYS),
            )
        )
    # A lane with no contact is noise; consultations stay so that an empty history still
    # draws a timeline with its window.
    shown = [lane for lane in lanes.values() if lane.marks or lane.kind == "consultation"]
    for lane in shown:
        lane.marks.sort(key=lambda m: m.day)
    ticks = []
    month = date(start.year, start.month, 1)
    while month <= end:
        if month > start and month.month in (1, 7):
            ticks.append(Tick(month, _position(month, start, TIMELINE_DAYS)))
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    breaks = [f for f in assessment.findings if f.kind == "pattern_break"]
    return Timeline(
        start=start,
        end=end,
        lanes=shown,
        ticks=ticks,
        recent_start=_position(recent_from, start, TIMELINE_DAYS),
        total=total,
        recent=recent,
        expected=breaks[0].expected if breaks else None,
    )


@dataclass
class SymptomGroup:
    code: str
    onset: date
    persistent: bool
    recurrent: bool
    words: list[str]


def symptom_groups(symptoms: list[Symptom]) -> list[SymptomGroup]:
    """One row per symptom, newest first, with everything the patient said about it."""
    groups: dict[str, SymptomGroup] = {}
    for s in symptoms:  # newest first
        group = groups.get(s.code)
        if group is None:
            group = groups[s.code] = SymptomGroup(s.code, s.onset, False, False, [])
        group.onset = min(group.onset, s.onset)
        group.persistent |= s.persistent
        group.recurrent |= s.recurrent
        words = s.patient_words.strip()
        if words and words not in group.words:
            group.words.append(words)
    return list(groups.values())
