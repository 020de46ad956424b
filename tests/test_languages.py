"""The interface's languages as data: `locale/review.yaml` says for each whether a person
fluent in it has reviewed its texts, and its loader refuses a file of the wrong shape with a
message that names the language and the field."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opspor.languages import (
    LANGUAGES,
    PATIENT_ONLY_LANGUAGES,
    ReviewFileError,
    ReviewStatus,
    load_reviews,
    parse_reviews,
)

CODES = [code for code, _name in LANGUAGES]
GOOD: dict[str, Any] = {
    "languages": {
        "en": {"status": "source", "patient_note": False, "note": "The message ids."},
        "da": {"status": "not_reviewed", "patient_note": False, "note": "Nobody yet."},
        "ar": {"status": "not_reviewed", "patient_note": True, "note": "Draft."},
        "tr": {
            "status": "reviewed",
            "patient_note": False,
            "note": "Read by a fluent speaker.",
            "reviewed_on": date(2026, 11, 2),
        },
        "fa_AF": {"status": "not_reviewed", "patient_note": True, "note": "Draft."},
    }
}


def _with(language: str, **fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    entry = data["languages"][language]
    for name, value in fields.items():
        if value is None:
            entry.pop(name, None)
        else:
            entry[name] = value
    return data


def test_the_projects_file_loads_and_says_what_the_vocabulary_says() -> None:
    reviews = load_reviews()
    assert set(reviews.languages) == {"da", "en", "ar", "tr", "fa_AF"}
    assert reviews.for_language("en").status == ReviewStatus.SOURCE  # type: ignore[union-attr]
    for code in ("da", "ar", "tr", "fa-af"):
        review = reviews.for_language(code)
        assert review is not None and review.status == ReviewStatus.NOT_REVIEWED, code
    # The note is shown where nobody fluent has checked the texts, except on the Danish pages.
    shown = {code for code in CODES if reviews.for_language(code).patient_note}  # type: ignore[union-attr]
    assert shown == {"ar", "tr", "fa-af"}


def test_dari_is_for_patients_only() -> None:
    assert {"fa-af"} == PATIENT_ONLY_LANGUAGES
    assert set(PATIENT_ONLY_LANGUAGES) <= set(CODES)


def test_a_well_formed_file_loads() -> None:
    reviews = parse_reviews(GOOD, languages=CODES)
    assert reviews.for_language("tr").reviewed  # type: ignore[union-attr]
    assert reviews.for_language("fa-af").locale == "fa_AF"  # type: ignore[union-attr]
    assert reviews.for_language("de") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "needs a mapping 'languages'"),
        ({"languages": []}, "needs a mapping 'languages'"),
        ({"languages": {"en": GOOD["languages"]["en"]}}, "missing ['ar', 'da', 'fa_AF', 'tr']"),
        (
            {"languages": {**GOOD["languages"], "de": GOOD["languages"]["da"]}},
            "not an interface language ['de']",
        ),
        (_with("ar", status="checked"), "ar: status must be one of"),
        (_with("ar", status=None), "ar: status must be one of"),
        (_with("ar", note="  "), "ar: note must say"),
        (_with("ar", patient_note="yes"), "ar: patient_note must be true or false"),
        (_with("tr", reviewed_on=None), "tr: a reviewed language needs reviewed_on"),
        (_with("tr", reviewed_on="2026-11-02x"), "tr: a reviewed language needs reviewed_on"),
        (_with("ar", reviewed_on=date(2026, 1, 1)), "ar: reviewed_on is only for a reviewed"),
        (_with("tr", patient_note=True), "tr: only a language not reviewed has a note"),
        (_with("en", patient_note=True), "en: only a language not reviewed has a note"),
        (_with("da", status="source"), "exactly one source language"),
        (_with("en", status="not_reviewed"), "exactly one source language, not []"),
        (_with("da", reviewer="someone"), "da: unknown fields ['reviewer']"),
        ({"languages": {**GOOD["languages"], "da": "reviewed"}}, "da: not a mapping"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_language_and_field(data: Any, message: str) -> None:
    with pytest.raises(ReviewFileError, match=r"review\.yaml") as refused:
        parse_reviews(data, languages=CODES)
    assert message in str(refused.value)


@given(
    status=st.sampled_from(["source", "reviewed", "not_reviewed", "draft", ""]),
    patient_note=st.booleans(),
    reviewed_on=st.one_of(st.none(), st.dates()),
)
def test_an_entry_loads_only_when_it_is_consistent(
    status: str, patient_note: bool, reviewed_on: date | None
) -> None:
    data = _with("ar", status=status, patient_note=patient_note, reviewed_on=reviewed_on or None)
    consistent = (
        status in ReviewStatus.ALL
        and (reviewed_on is not None) == (status == "reviewed")
        and not (patient_note and status != "not_reviewed")
        and status != "source"  # English is the one source already
    )
    if consistent:
        review = parse_reviews(data, languages=CODES).languages["ar"]
        assert (review.status, review.patient_note, review.reviewed_on) == (
            status,
            patient_note,
            reviewed_on,
        )
    else:
        with pytest.raises(ReviewFileError):
            parse_reviews(data, languages=CODES)
