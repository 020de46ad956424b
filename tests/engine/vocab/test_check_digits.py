"""Property tests of the SNOMED CT (Verhoeff) and LOINC (mod 10) check digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opspor.engine.vocab.model import (
    check_loinc,
    check_snomed_concept_id,
    loinc_check_digit,
    verhoeff_check_digit,
    verhoeff_is_valid,
)

payloads = st.text(alphabet="0123456789", min_size=1, max_size=17)


@pytest.mark.parametrize(
    "sctid",
    ["66857006", "49727002", "84229001", "267036007", "29857009", "161891005", "418290006"],
)
def test_published_snomed_ids_pass(sctid: str) -> None:
    assert verhoeff_is_valid(sctid)
    assert check_snomed_concept_id(sctid) == sctid


@pytest.mark.parametrize("code", ["718-7", "59260-0", "2160-0", "1988-5", "2857-1", "10334-1"])
def test_published_loinc_codes_pass(code: str) -> None:
    assert check_loinc(code) == code


@given(payloads)
def test_verhoeff_accepts_its_own_check_digit(payload: str) -> None:
    assert verhoeff_is_valid(payload + str(verhoeff_check_digit(payload)))


@given(payloads, st.data())
def test_verhoeff_rejects_any_single_digit_change(payload: str, data: st.DataObject) -> None:
    number = payload + str(verhoeff_check_digit(payload))
    i = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != number[i]]))
    assert not verhoeff_is_valid(number[:i] + new + number[i + 1 :])


@given(payloads, st.data())
def test_verhoeff_rejects_adjacent_transpositions(payload: str, data: st.DataObject) -> None:
    number = payload + str(verhoeff_check_digit(payload))
    i = data.draw(st.integers(min_value=0, max_value=len(number) - 2))
    if number[i] != number[i + 1]:
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        assert not verhoeff_is_valid(swapped)


@given(st.text(alphabet="0123456789", min_size=1, max_size=7))
def test_loinc_accepts_its_own_check_digit(payload: str) -> None:
    code = f"{payload}-{loinc_check_digit(payload)}"
    assert check_loinc(code) == code


@given(st.text(alphabet="0123456789", min_size=1, max_size=7), st.data())
def test_loinc_rejects_any_single_digit_change(payload: str, data: st.DataObject) -> None:
    digits = payload + str(loinc_check_digit(payload))
    i = data.draw(st.integers(min_value=0, max_value=len(digits) - 1))
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != digits[i]]))
    changed = digits[:i] + new + digits[i + 1 :]
    with pytest.raises(ValueError, match="check digit"):
        check_loinc(f"{changed[:-1]}-{changed[-1]}")


def test_check_digit_functions_refuse_non_digits() -> None:
    with pytest.raises(ValueError, match="digits"):
        verhoeff_check_digit("12a")
    with pytest.raises(ValueError, match="digits"):
        loinc_check_digit("")
    assert not verhoeff_is_valid("")
    assert not verhoeff_is_valid("１２３")  # full-width digits are not ASCII digits
