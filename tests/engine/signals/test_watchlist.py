"""The watched signals of one patient: repeat symptom, low-user rise, and the same pattern
break and long absence as the whole assessment."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.assess import assess
from opspor.engine.context import PatientContext
from opspor.engine.population import contacts_per_year
from opspor.engine.settings import DEFAULT_SETTINGS as S
from opspor.engine.signals.low_user import low_user_rise
from opspor.engine.signals.new_symptom import familiar_symptoms
from opspor.engine.signals.pattern_break import pattern_break
from opspor.engine.signals.repeat_symptom import repeat_symptom, repeated_consultations
from opspor.engine.signals.watchlist import (
    LONG_ABSENCE,
    LOW_USER_RISE,
    PATTERN_BREAK,
    REPEAT_SYMPTOM,
    watched_signals,
)

T = date(2026, 6, 15)
BORN = date(1966, 2, 1)


def _days(*offsets: int) -> list[date]:
    return [T - timedelta(days=o) for o in offsets]


# --- repeat symptom -------------------------------------------------------------------------


def test_three_consultation_days_in_a_year_flag_the_symptom() -> None:
    found = repeat_symptom(consultations={"cough": _days(0, 100, 364)}, as_of=T)
    assert found is not None
    assert found.counts == {"cough": 3}
    assert found.window_days == 365


def test_two_days_or_a_day_outside_the_year_do_not() -> None:
    assert repeat_symptom(consultations={"cough": _days(0, 100)}, as_of=T) is None
    assert repeat_symptom(consultations={"cough": _days(0, 100, 365)}, as_of=T) is None
    # Three entries on two days are two consultations.
    assert repeat_symptom(consultations={"cough": _days(0, 0, 100)}, as_of=T) is None


def test_a_symptom_the_record_explains_is_not_unexplained() -> None:
    copd = familiar_symptoms(chronic=[("icd10", "J44.1")], medicines=[])
    assert "cough" in copd
    consultations = {"cough": _days(1, 2, 3), "weight_loss": _days(1, 50, 90)}
    found = repeat_symptom(consultations=consultations, as_of=T, familiar=copd)
    assert found is not None
    assert found.counts == {"weight_loss": 3}
    assert repeat_symptom(consultations={"cough": _days(1, 2, 3)}, as_of=T, familiar=copd) is None


def test_medicines_explain_through_their_atc_prefix() -> None:
    assert "dyspepsia" in familiar_symptoms(chronic=[], medicines=["M01AE01"])
    assert familiar_symptoms(chronic=[], medicines=["A02BC01"]) == frozenset()


def test_most_consulted_first() -> None:
    found = repeat_symptom(
        consultations={"cough": _days(1, 2, 3), "fatigue": _days(1, 2, 3, 4)}, as_of=T
    )
    assert found is not None
    assert list(found.counts) == ["fatigue", "cough"]


@given(
    st.dictionaries(
        st.sampled_from(["cough", "fatigue", "weight_loss", "back_pain"]),
        st.lists(st.integers(min_value=-30, max_value=800), max_size=12),
        max_size=4,
    )
)
def test_the_signal_is_the_shared_three_in_a_year_count(offsets: dict[str, list[int]]) -> None:
    consultations = {code: _days(*days) for code, days in offsets.items()}
    found = repeat_symptom(consultations=consultations, as_of=T)
    expected = repeated_consultations(consultations, on=T)
    assert (found.counts if found else {}) == expected
    for code, count in expected.items():
        distinct = {d for d in consultations[code] if T - timedelta(days=364) <= d <= T}
        assert count == len(distinct) >= 3


# --- low-user rise --------------------------------------------------------------------------


def test_a_break_in_a_rare_attender_is_a_low_user_rise() -> None:
    pb = pattern_break(
        contact_dates=_days(1, 10, 20, 40, 60, 400, 900),
        as_of=T,
        age=58,
        sex="male",
        registered_from=None,
        settings=S,
    )
    assert pb.signal
    low = low_user_rise(pb, age=58, sex="male", settings=S)
    assert low is not None
    assert low.baseline_per_year == pytest.approx(2 / pb.baseline_days * 365)
    assert low.population_per_year == contacts_per_year(58, "male")


def test_no_low_user_rise_without_a_break_or_with_a_short_baseline() -> None:
    quiet = pattern_break(
        contact_dates=_days(1, 400), as_of=T, age=58, sex="male", registered_from=None, settings=S
    )
    assert low_user_rise(quiet, age=58, sex="male", settings=S) is None
    new_patient = pattern_break(
        contact_dates=_days(1, 10, 20, 40, 60),
        as_of=T,
        age=58,
        sex="male",
        registered_from=T - timedelta(days=200),
        settings=S,
    )
    assert new_patient.baseline_days < S.low_user_min_baseline_days
    assert low_user_rise(new_patient, age=58, sex="male", settings=S) is None


def test_a_frequent_attender_with_a_break_is_not_a_low_user() -> None:
    baseline = list(range(95, 1095, 30))  # about 12 a year, above the population's 5
    recent = [1, 3, 5, 8, 10, 14, 20, 25, 30, 40, 50, 60, 70]
    pb = pattern_break(
        contact_dates=_days(*recent, *baseline),
        as_of=T,
        age=50,
        sex="male",
        registered_from=None,
        settings=S,
    )
    assert pb.signal
    assert low_user_rise(pb, age=50, sex="male", settings=S) is None


def test_the_fraction_is_a_setting() -> None:
    pb = pattern_break(
        contact_dates=_days(1, 10, 20, 40, 60, 400, 900),
        as_of=T,
        age=58,
        sex="male",
        registered_from=None,
        settings=S,
    )
    stricter = replace(S, low_user_rate_fraction=0.1)
    assert low_user_rise(pb, age=58, sex="male", settings=stricter) is None


# --- the watched signals --------------------------------------------------------------------


def test_a_low_user_break_is_reported_once_as_the_low_user_rise() -> None:
    found = watched_signals(
        as_of=T,
        birth_date=BORN,
        sex="male",
        registered_from=date(2000, 1, 1),
        contact_dates=_days(1, 10, 20, 40, 60, 400, 900),
        consultations={},
    )
    assert set(found) == {LOW_USER_RISE}
    figures = found[LOW_USER_RISE]
    assert figures["recent"] == 5
    assert figures["window_days"] == 90
    assert figures["baseline"] == 2
    assert figures["population_per_year"] == contacts_per_year(60, "male")


def test_a_return_after_years_with_a_repeated_symptom() -> None:
    found = watched_signals(
        as_of=T,
        birth_date=BORN,
        sex="female",
        registered_from=date(2000, 1, 1),
        contact_dates=_days(2, 30, 1500),
        consultations={"weight_loss": _days(2, 30, 31)},
    )
    assert found[LONG_ABSENCE] == {"gap_days": 1470, "returned_on": _days(30)[0].isoformat()}
    assert found[REPEAT_SYMPTOM] == {"symptoms": {"weight_loss": 3}, "window_days": 365}
    assert PATTERN_BREAK not in found


@settings(max_examples=150, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=2500), max_size=40),
    age=st.integers(min_value=18, max_value=95),
    sex=st.sampled_from(["female", "male"]),
    registered_days=st.one_of(st.none(), st.integers(min_value=0, max_value=4000)),
)
def test_pattern_break_and_long_absence_agree_with_the_assessment(
    offsets: list[int], age: int, sex: str, registered_days: int | None
) -> None:
    born = date(T.year - age, 1, 1)
    registered = None if registered_days is None else T - timedelta(days=registered_days)
    dates = [d for d in _days(*offsets) if registered is None or d >= registered]
    found = watched_signals(
        as_of=T,
        birth_date=born,
        sex=sex,
        registered_from=registered,
        contact_dates=dates,
        consultations={},
    )
    context = PatientContext.model_validate(
        {
            "as_of": T,
            "patient": {"birth_date": born, "sex": sex, "registered_from": registered},
            "contacts": [{"date": d} for d in dates],
        }
    )
    kinds = {f.kind: f for f in assess(context).findings}
    broke = PATTERN_BREAK in found or LOW_USER_RISE in found
    assert broke == ("pattern_break" in kinds)
    if broke:
        figures = found.get(PATTERN_BREAK) or found[LOW_USER_RISE]
        assert figures["recent"] == kinds["pattern_break"].recent_count
        assert figures["expected"] == kinds["pattern_break"].expected
    assert (LONG_ABSENCE in found) == ("long_absence" in kinds)
    if LONG_ABSENCE in found:
        assert found[LONG_ABSENCE]["gap_days"] == kinds["long_absence"].gap_days
    assert REPEAT_SYMPTOM not in found
