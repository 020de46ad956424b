from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opspor.records import cpr


@pytest.mark.parametrize(
    ("raw", "born"),
    [
        ("170570-0003", date(1970, 5, 17)),
        ("1705700003", date(1970, 5, 17)),
        ("010120-4001", date(2020, 1, 1)),  # 7th digit 4, year <= 36: 2000s
        ("010150-4001", date(1950, 1, 1)),  # 7th digit 4, year > 36: 1900s
        ("311299-5001", date(1899, 12, 31)),  # 7th digit 5, year > 57: 1800s
    ],
)
def test_birth_date_follows_the_century_digit(raw: str, born: date) -> None:
    assert cpr.birth_date(cpr.normalise(raw)) == born


@pytest.mark.parametrize(
    "raw", ["", "123", "17057-00003", "170570_0003", "3202701234", "310270-1234", "abcdefghij"]
)
def test_malformed_numbers_are_refused(raw: str) -> None:
    with pytest.raises(cpr.InvalidCPR):
        cpr.normalise(raw)


def test_last_digit_gives_sex() -> None:
    assert cpr.sex("1705700003") == "male"
    assert cpr.sex("1705700004") == "female"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), st.integers(0, 999))
def test_every_twentieth_century_date_round_trips(born: date, serial: int) -> None:
    digits = f"{born:%d%m%y}0{serial:03d}"
    assert cpr.birth_date(cpr.normalise(digits)) == born
    assert cpr.masked(digits) == f"{born:%d%m%y}-xxxx"


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    st.integers(0, 10**6),
    st.sampled_from(["female", "male"]),
)
def test_the_test_factory_makes_valid_numbers_for_any_serial(
    born: date, serial: int, sex: str
) -> None:
    from tests.factories import cpr_for

    digits = cpr.normalise(cpr_for(born, sex, serial))
    assert cpr.birth_date(digits) == born
    assert cpr.sex(digits) == sex
