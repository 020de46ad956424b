"""Format-valid synthetic Danish CPR numbers (*personnummer*), for demo records only.

A CPR number is DDMMYY-SSSS. The first serial digit (the 7th digit) fixes the century
together with the two-digit year (CPR-kontoret's table), and the last digit is odd for men
and even for women. Numbers issued before 2007 also satisfy a modulus-11 check; the numbers
made here deliberately fail it, which keeps them clear of most numbers real people carry
while staying valid under today's rules (numbers issued since 2007 need not pass it).
"""

from __future__ import annotations

from datetime import date

_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def century_digits(year: int) -> tuple[int, ...]:
    """The 7th digits that are allowed for a birth year."""
    yy = year % 100
    allowed = []
    for d in range(10):
        if d <= 3:
            century = 1900
        elif d in (4, 9):
            century = 2000 if yy <= 36 else 1900
        else:
            century = 2000 if yy <= 57 else 1800
        if century + yy == year:
            allowed.append(d)
    if not allowed:
        raise ValueError(f"no CPR number can encode the birth year {year}")
    return tuple(allowed)


def _passes_modulus_11(digits: str) -> bool:
    return sum(int(c) * w for c, w in zip(digits, _WEIGHTS, strict=True)) % 11 == 0


def synthetic_cpr(birth_date: date, sex: str, serial: int) -> str:
    """A CPR number for this birth date and sex; distinct serials give distinct numbers.

    ``serial`` (0 or more) indexes the valid serial blocks for the date and sex in a fixed
    order, skipping those that would pass the old modulus-11 check.
    """
    if sex not in ("female", "male"):
        raise ValueError(f"sex must be 'female' or 'male', got {sex!r}")
    if serial < 0:
        raise ValueError("serial must be 0 or more")
    prefix = birth_date.strftime("%d%m") + f"{birth_date.year % 100:02d}"
    sevenths = century_digits(birth_date.year)
    last_digits = (1, 3, 5, 7, 9) if sex == "male" else (0, 2, 4, 6, 8)
    # Each (7th digit, middle two digits) block holds five numbers of the right parity, of
    # which at least four fail modulus 11, so 4 * blocks numbers are always available.
    capacity = len(sevenths) * 100 * 4
    if serial >= capacity:
        raise ValueError(f"serial {serial} exceeds the {capacity} numbers for this date and sex")
    block, rank = divmod(serial, 4)
    seventh = sevenths[block // 100]
    middle = block % 100
    seen = 0
    for last in last_digits:
        digits = f"{prefix}{seventh}{middle:02d}{last}"
        if _passes_modulus_11(digits):
            continue
        if seen == rank:
            return f"{digits[:6]}-{digits[6:]}"
        seen += 1
    raise AssertionError("unreachable: every block has four numbers failing modulus 11")
