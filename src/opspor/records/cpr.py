"""Danish CPR numbers (*personnummer*): format, birth date and sex.

Since 2007 CPR numbers are issued without the modulus-11 check, so only the format, the
date and the century digit can be checked. A CPR number is patient data: never log it.
"""

from __future__ import annotations

import re
from datetime import date

_CPR = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d)(\d{3})$")


class InvalidCPR(ValueError):
    pass


def normalise(raw: str) -> str:
    """Return the ten digits of a CPR number written with or without the hyphen."""
    match = _CPR.match(raw.strip())
    if not match:
        raise InvalidCPR("A CPR number has ten digits, written DDMMÅÅ-XXXX.")
    digits = "".join(match.groups())
    birth_date(digits)
    return digits


def _century(two_digit_year: int, seventh: int) -> int:
    # The seventh digit fixes the century together with the year (CPR-kontoret's table).
    if seventh in (0, 1, 2, 3):
        return 1900
    if seventh in (4, 9):
        return 2000 if two_digit_year <= 36 else 1900
    if seventh in (5, 6, 7, 8):
        return 2000 if two_digit_year <= 57 else 1800
    raise InvalidCPR("Invalid seventh digit.")


def birth_date(digits: str) -> date:
    day, month, year, seventh = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    try:
        return date(_century(year, seventh) + year, month, day)
    except ValueError:
        raise InvalidCPR(
            "The first six digits of a CPR number must be a real date (DDMMÅÅ)."
        ) from None


def sex(digits: str) -> str:
    return "male" if int(digits[-1]) % 2 else "female"


def masked(digits: str) -> str:
    """The birth-date part only, as shown where the full number is not needed."""
    return f"{digits[:6]}-xxxx"
