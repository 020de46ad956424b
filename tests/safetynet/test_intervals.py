"""The Aarhus statement's intervals, the count of consultations before referral and the
symptoms consulted about again and again."""

from __future__ import annotations

import ast
import sys
from dataclasses import fields
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.safetynet import intervals as intervals_module
from opspor.safetynet.intervals import (
    REPEAT_CONSULTATION_THRESHOLD,
    REPEAT_CONSULTATION_WINDOW_DAYS,
    Interval,
    Intervals,
    TimePoints,
    aarhus_intervals,
    consultations_before_referral,
    repeated_consultations,
)

D = date
ALL_KNOWN = TimePoints(
    first_symptom=D(2025, 1, 1),
    first_presentation=D(2025, 1, 22),
    referral=D(2025, 2, 3),
    diagnosis=D(2025, 3, 14),
)
# Which two time points each interval spans.
SPANS = {
    "patient": ("first_symptom", "first_presentation"),
    "primary_care": ("first_presentation", "referral"),
    "secondary_care": ("referral", "diagnosis"),
    "diagnostic": ("first_presentation", "diagnosis"),
    "total": ("first_symptom", "diagnosis"),
}
POINTS = [f.name for f in fields(TimePoints)]


def _all(result: Intervals) -> dict[str, Interval]:
    return {name: getattr(result, name) for name in SPANS}


def _with(points: TimePoints, **changes: date | None) -> TimePoints:
    values = {name: getattr(points, name) for name in POINTS}
    values.update(changes)
    return TimePoints(**values)


# --- hand-made cases --------------------------------------------------------------------------


def test_all_dates_known_in_order():
    result = aarhus_intervals(ALL_KNOWN)
    assert {name: i.days for name, i in _all(result).items()} == {
        "patient": 21,
        "primary_care": 12,
        "secondary_care": 39,
        "diagnostic": 51,
        "total": 72,
    }
    assert {i.status for i in _all(result).values()} == {"known"}
    assert result.problems == ()
    assert result.patient.reason == "first symptom to first presentation"
    assert result.total.reason == "first symptom to diagnosis"


@pytest.mark.parametrize("missing", POINTS)
def test_each_missing_date_makes_exactly_its_intervals_unknown(missing):
    result = aarhus_intervals(_with(ALL_KNOWN, **{missing: None}))
    for name, interval in _all(result).items():
        if missing in SPANS[name]:
            assert interval.status == "unknown"
            assert interval.days is None
            assert f"{missing.replace('_', ' ')} not known" in interval.reason
        else:
            assert interval.status == "known"
            assert interval.days is not None
    assert result.problems == ()


def test_no_dates_at_all_gives_five_unknowns_not_zeros():
    result = aarhus_intervals(TimePoints())
    assert all(i.status == "unknown" and i.days is None for i in _all(result).values())
    assert (
        result.total.reason == "first symptom to diagnosis: first symptom and diagnosis not known"
    )


def test_onset_after_presentation_is_impossible_not_negative():
    points = _with(ALL_KNOWN, first_symptom=D(2025, 1, 30))
    result = aarhus_intervals(points)
    assert result.patient.status == "impossible"
    assert result.patient.days is None
    assert "first presentation (2025-01-22) is before first symptom (2025-01-30)" in (
        result.patient.reason
    )
    assert result.problems == (
        "first presentation (2025-01-22) is before first symptom (2025-01-30)",
    )
    # The intervals that do not involve the first symptom keep their numbers.
    assert result.primary_care.days == 12
    assert result.total.days == 43


@pytest.mark.parametrize(
    ("change", "impossible", "problem"),
    [
        (
            {"referral": D(2025, 1, 10)},
            {"primary_care"},
            "referral (2025-01-10) is before first presentation (2025-01-22)",
        ),
        (
            {"diagnosis": D(2025, 1, 30)},
            {"secondary_care"},
            "diagnosis (2025-01-30) is before referral (2025-02-03)",
        ),
        (
            {"referral": None, "diagnosis": D(2025, 1, 10)},
            {"diagnostic"},
            "diagnosis (2025-01-10) is before first presentation (2025-01-22)",
        ),
        (
            {"first_presentation": None, "referral": None, "first_symptom": D(2025, 3, 20)},
            {"total"},
            "diagnosis (2025-03-14) is before first symptom (2025-03-20)",
        ),
    ],
)
def test_each_impossible_order(change, impossible, problem):
    result = aarhus_intervals(_with(ALL_KNOWN, **change))
    statuses = {name: i.status for name, i in _all(result).items()}
    assert {name for name, status in statuses.items() if status == "impossible"} == impossible
    assert problem in result.problems
    assert all(i.days is None or i.days >= 0 for i in _all(result).values())


def test_an_impossible_order_outside_the_five_intervals_is_still_a_problem():
    # First symptom after the referral, first presentation unknown: no interval spans the
    # pair, but the record cannot be right.
    points = TimePoints(
        first_symptom=D(2025, 2, 10), referral=D(2025, 2, 3), diagnosis=D(2025, 3, 1)
    )
    result = aarhus_intervals(points)
    assert result.problems == ("referral (2025-02-03) is before first symptom (2025-02-10)",)
    assert result.total.status == "known"


def test_each_problem_is_named_once():
    # Everything backwards: all six pairs are out of order, each named once.
    points = TimePoints(
        first_symptom=D(2025, 4, 1),
        first_presentation=D(2025, 3, 1),
        referral=D(2025, 2, 1),
        diagnosis=D(2025, 1, 1),
    )
    result = aarhus_intervals(points)
    assert len(result.problems) == 6
    assert len(set(result.problems)) == 6
    assert {i.status for i in _all(result).values()} == {"impossible"}


def test_same_day_dates_give_zero_which_is_known():
    day = D(2025, 5, 5)
    result = aarhus_intervals(TimePoints(day, day, day, day))
    assert all(i.status == "known" and i.days == 0 for i in _all(result).values())
    assert result.problems == ()


def test_an_interval_refuses_a_negative_or_missing_number_when_known():
    with pytest.raises(ValueError, match="non-negative"):
        Interval(-1, "known", "x")
    with pytest.raises(ValueError, match="non-negative"):
        Interval(None, "known", "x")
    with pytest.raises(ValueError, match="no number of days"):
        Interval(3, "unknown", "x")


# --- properties -------------------------------------------------------------------------------

maybe_dates = st.one_of(st.none(), st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31)))
any_points = st.builds(
    TimePoints,
    first_symptom=maybe_dates,
    first_presentation=maybe_dates,
    referral=maybe_dates,
    diagnosis=maybe_dates,
)


@st.composite
def ordered_points(draw: st.DrawFn) -> TimePoints:
    start = draw(st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31)))
    gaps = draw(st.lists(st.integers(min_value=0, max_value=2000), min_size=3, max_size=3))
    days = [start]
    for gap in gaps:
        days.append(days[-1] + timedelta(days=gap))
    return TimePoints(*days)


@settings(max_examples=300, deadline=None)
@given(any_points)
def test_no_interval_is_ever_negative(points):
    for interval in _all(aarhus_intervals(points)).values():
        assert interval.days is None or interval.days >= 0
        assert (interval.days is not None) == (interval.status == "known")


@settings(max_examples=300, deadline=None)
@given(ordered_points())
def test_known_ordered_intervals_add_up(points):
    result = aarhus_intervals(points)
    assert result.problems == ()
    assert result.total.days == result.patient.days + result.diagnostic.days
    assert result.diagnostic.days == result.primary_care.days + result.secondary_care.days


@settings(max_examples=300, deadline=None)
@given(any_points)
def test_unknown_exactly_when_one_of_its_dates_is_missing(points):
    result = aarhus_intervals(points)
    for name, (start, end) in SPANS.items():
        missing = getattr(points, start) is None or getattr(points, end) is None
        assert (getattr(result, name).status == "unknown") == missing


@settings(max_examples=300, deadline=None)
@given(any_points)
def test_impossible_exactly_when_its_dates_are_reversed_and_then_named(points):
    result = aarhus_intervals(points)
    for name, (start, end) in SPANS.items():
        first, second = getattr(points, start), getattr(points, end)
        reversed_ = first is not None and second is not None and second < first
        assert (getattr(result, name).status == "impossible") == reversed_
        if reversed_:
            assert any(second.isoformat() in p and first.isoformat() in p for p in result.problems)


# --- consultations before referral ------------------------------------------------------------


def test_consultations_from_presentation_up_to_and_including_referral():
    contacts = [
        D(2025, 1, 10),  # before the first presentation: not counted
        D(2025, 1, 22),  # the first presentation itself
        D(2025, 1, 29),
        D(2025, 1, 29),  # a second contact that day
        D(2025, 2, 3),  # the referral day
        D(2025, 2, 20),  # after the referral: not counted
    ]
    count = consultations_before_referral(
        contacts, first_presentation=D(2025, 1, 22), referral=D(2025, 2, 3)
    )
    assert count == 4


def test_consultations_on_the_day_of_presentation_and_referral():
    day = D(2025, 1, 22)
    assert consultations_before_referral([day], first_presentation=day, referral=day) == 1
    assert consultations_before_referral([], first_presentation=day, referral=day) == 0


@pytest.mark.parametrize(
    ("first_presentation", "referral"),
    [(None, D(2025, 2, 3)), (D(2025, 1, 22), None), (None, None), (D(2025, 2, 3), D(2025, 1, 22))],
)
def test_no_count_when_a_date_is_unknown_or_the_order_impossible(first_presentation, referral):
    count = consultations_before_referral(
        [D(2025, 1, 25)], first_presentation=first_presentation, referral=referral
    )
    assert count is None


# --- symptoms consulted about again and again -------------------------------------------------


def test_the_window_and_threshold_are_the_documented_constants():
    assert REPEAT_CONSULTATION_THRESHOLD == 3
    assert REPEAT_CONSULTATION_WINDOW_DAYS == 365
    source = Path(intervals_module.__file__).read_text(encoding="utf-8")
    assert "Lancet Oncol 2012;13(4):353-65" in source


def test_three_consultations_in_the_year_flag_a_symptom():
    on = D(2025, 6, 30)
    consultations = {
        "cough": [D(2025, 1, 5), D(2025, 3, 1), D(2025, 6, 30)],
        "fatigue": [D(2025, 2, 1), D(2025, 5, 1)],
        "abdominal_pain": [D(2024, 5, 1), D(2025, 5, 1), D(2025, 6, 1)],  # first one too old
    }
    assert repeated_consultations(consultations, on=on) == {"cough": 3}


def test_the_window_ends_on_the_day_and_spans_exactly_window_days():
    on = D(2025, 6, 30)
    first_day = on - timedelta(days=REPEAT_CONSULTATION_WINDOW_DAYS - 1)
    second = first_day + timedelta(days=1)
    inside = {"cough": [first_day, second, on]}
    outside = {"cough": [first_day - timedelta(days=1), second, on]}
    later = {"cough": [first_day, on, on + timedelta(days=1)]}
    assert repeated_consultations(inside, on=on) == {"cough": 3}
    assert repeated_consultations(outside, on=on) == {}
    assert repeated_consultations(later, on=on) == {}


def test_two_entries_on_one_day_are_one_consultation():
    on = D(2025, 6, 30)
    assert repeated_consultations({"cough": [on, on, on - timedelta(days=3)]}, on=on) == {}
    assert repeated_consultations(
        {"cough": [on, on, on - timedelta(days=3), on - timedelta(days=9)]}, on=on
    ) == {"cough": 3}


def test_window_and_threshold_can_be_given():
    consultations = {"cough": [D(2025, 6, 1), D(2025, 6, 28)], "fever": [D(2025, 6, 29)]}
    assert repeated_consultations(consultations, on=D(2025, 6, 30), window_days=7, threshold=1) == {
        "cough": 1,
        "fever": 1,
    }
    assert repeated_consultations(consultations, on=D(2025, 6, 30), threshold=2) == {"cough": 2}


@pytest.mark.parametrize(("window_days", "threshold"), [(0, 3), (-5, 3), (365, 0)])
def test_a_window_or_threshold_below_one_is_refused(window_days, threshold):
    with pytest.raises(ValueError, match="at least 1"):
        repeated_consultations(
            {"cough": [D(2025, 6, 1)]},
            on=D(2025, 6, 30),
            window_days=window_days,
            threshold=threshold,
        )


# --- purity -----------------------------------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.add("." * node.level + (node.module or ""))
            else:
                found.add(node.module or "")
    return found


def test_the_module_imports_only_the_standard_library_and_the_pure_engine():
    imported = _imported_modules(Path(intervals_module.__file__))
    assert not any(name == "django" or name.startswith("django.") for name in imported)
    # The 3+ consultations flag is the engine's repeat-symptom definition (one definition).
    imported = {name for name in imported if not name.startswith("opspor.engine.")}

    top_levels = {name.split(".")[0] for name in imported}
    assert top_levels <= set(sys.stdlib_module_names) | {"__future__"}, top_levels


def test_the_import_check_would_catch_django(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import datetime\nfrom django.db import models\n", encoding="utf-8")
    assert "django.db" in _imported_modules(sample)
