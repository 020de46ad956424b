from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opspor.engine.settings import DEFAULT_SETTINGS as S
from opspor.engine.signals.absence import long_absence
from opspor.engine.signals.continuity import continuity

T = date(2026, 6, 15)


def d(offset: int) -> date:
    return T - timedelta(days=offset)


def test_return_after_three_years_is_flagged_with_the_gap() -> None:
    found = long_absence(contact_dates=[d(0), d(1095)], as_of=T, registered_from=None, settings=S)
    assert found is not None and found.gap_days == 1095


def test_a_gap_one_day_short_is_not() -> None:
    assert (
        long_absence(contact_dates=[d(0), d(1094)], as_of=T, registered_from=None, settings=S)
        is None
    )


def test_the_second_visit_of_a_returning_patient_still_shows_the_absence() -> None:
    found = long_absence(
        contact_dates=[d(0), d(20), d(20 + 1800)], as_of=T, registered_from=None, settings=S
    )
    assert found is not None and found.gap_days == 1800 and found.returned_on == d(20)


def test_time_before_registration_is_not_absence() -> None:
    assert long_absence(contact_dates=[d(0)], as_of=T, registered_from=d(400), settings=S) is None
    found = long_absence(contact_dates=[d(0)], as_of=T, registered_from=d(2000), settings=S)
    assert found is not None and found.gap_days == 2000


def test_continuity_indices_on_a_worked_example() -> None:
    contacts = [(d(300), "A"), (d(200), "A"), (d(100), "B"), (d(50), "A"), (d(0), "C")]
    c = continuity(contacts=contacts, as_of=T, current_clinician="C", settings=S)
    assert c is not None
    assert c.n_contacts == 5
    assert c.upc == pytest.approx(3 / 5)
    assert c.coc == pytest.approx((9 + 1 + 1 - 5) / (5 * 4))
    assert c.secon == pytest.approx(1 / 4)  # A-A, A-B, B-A, A-C
    assert c.known_provider is False  # C has not seen the patient before today
    assert c.low_continuity is False


def test_window_excludes_the_day_two_years_back() -> None:
    contacts = [(d(730), "A"), (d(10), "A"), (d(5), "B"), (d(0), "B")]
    c = continuity(contacts=contacts, as_of=T, current_clinician="B", settings=S)
    assert c is not None and c.n_contacts == 3 and c.known_provider is True


def test_fewer_than_three_contacts_give_no_index() -> None:
    assert (
        continuity(contacts=[(d(1), "A"), (d(0), "A")], as_of=T, current_clinician="A", settings=S)
        is None
    )


@given(st.lists(st.tuples(st.integers(0, 729), st.sampled_from("ABCDE")), min_size=3, max_size=80))
def test_indices_stay_between_zero_and_one(rows: list[tuple[int, str]]) -> None:
    c = continuity(
        contacts=[(d(o), who) for o, who in rows], as_of=T, current_clinician="A", settings=S
    )
    assert c is not None
    for value in (c.upc, c.coc, c.secon):
        assert 0.0 <= value <= 1.0
    assert c.upc >= 1 / len({who for _, who in rows}) - 1e-12
