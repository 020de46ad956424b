"""A result row's signals as the import stores them: the figures `watched_signals` gives,
for any patient whose row carries the engine's own numbers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.engine.settings import DEFAULT_SETTINGS
from opspor.engine.signals.absence import long_absence
from opspor.engine.signals.low_user import low_user_rise
from opspor.engine.signals.pattern_break import pattern_break
from opspor.engine.signals.repeat_symptom import repeat_symptom
from opspor.engine.signals.watchlist import age_on, watched_signals
from opspor.population.scan.worklist import worklist_signals

AS_OF = date(2026, 3, 11)
CODES = ("cough", "weight_loss", "fatigue", "abdominal_pain")


def engine_row(
    *,
    birth_date: date,
    sex: str,
    registered_from: date,
    contact_dates: list[date],
    consultations: dict[str, list[date]],
    familiar: frozenset[str],
) -> dict[str, Any]:
    """The columns of a result row, from the engine's own signal functions."""
    age = age_on(birth_date, AS_OF)
    pb = pattern_break(
        contact_dates=contact_dates,
        as_of=AS_OF,
        age=age,
        sex=sex,
        registered_from=registered_from,
        settings=DEFAULT_SETTINGS,
    )
    low = low_user_rise(pb, age=age, sex=sex, settings=DEFAULT_SETTINGS)
    absence = long_absence(
        contact_dates=contact_dates,
        as_of=AS_OF,
        registered_from=registered_from,
        settings=DEFAULT_SETTINGS,
    )
    repeated = repeat_symptom(consultations=consultations, as_of=AS_OF, familiar=familiar)
    return {
        "pattern_break": pb.signal,
        "pattern_break_count": pb.recent_count,
        "pattern_break_expected": pb.expected,
        "pattern_break_p": pb.p_value,
        "pattern_break_baseline": pb.baseline_count,
        "pattern_break_baseline_days": pb.baseline_days,
        "low_user_rise": low is not None,
        "low_user_baseline_per_year": low.baseline_per_year if low else None,
        "population_per_year": low.population_per_year if low else None,
        "long_absence_days": absence.gap_days if absence else None,
        "long_absence_returned_on": absence.returned_on if absence else None,
        "repeat_symptoms": [
            {"code": code, "consultations": n} for code, n in (repeated.counts.items())
        ]
        if repeated
        else [],
    }


days_before = st.integers(min_value=0, max_value=2_000)


@settings(max_examples=300, deadline=None)
@given(
    birth_date=st.dates(date(1920, 1, 1), date(2020, 1, 1)),
    sex=st.sampled_from(["female", "male"]),
    registered_days=st.integers(min_value=1, max_value=4_000),
    contacts=st.lists(days_before, max_size=30),
    recent_burst=st.lists(st.integers(min_value=0, max_value=89), max_size=8),
    symptoms=st.lists(st.tuples(st.sampled_from(CODES), st.integers(0, 500)), max_size=12),
    familiar=st.frozensets(st.sampled_from(CODES), max_size=2),
)
def test_a_row_of_the_engines_numbers_gives_the_watched_signals_figures(
    birth_date: date,
    sex: str,
    registered_days: int,
    contacts: list[int],
    recent_burst: list[int],
    symptoms: list[tuple[str, int]],
    familiar: frozenset[str],
) -> None:
    registered_from = AS_OF - timedelta(days=registered_days)
    # Bursts of recent contacts make breaks and low-user rises common enough to be tested.
    contact_dates = [AS_OF - timedelta(days=d) for d in contacts + recent_burst]
    consultations: dict[str, list[date]] = {}
    for code, d in symptoms:
        consultations.setdefault(code, []).append(AS_OF - timedelta(days=d))
    patient = {
        "birth_date": birth_date,
        "sex": sex,
        "registered_from": registered_from,
        "contact_dates": contact_dates,
        "consultations": consultations,
        "familiar": familiar,
    }
    expected = watched_signals(as_of=AS_OF, **patient)
    found = worklist_signals(engine_row(**patient))
    assert found == expected
    # The same order of kinds too: the worklist reads them in this order.
    assert list(found) == list(expected)
    for kind, figures in found.items():
        assert list(figures) == list(expected[kind])
