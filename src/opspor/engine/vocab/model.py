"""Schema of the clinical vocabulary: symptoms, findings, lab tests and occupational exposures.

Every code mapping and reference interval carries its provenance: either a ``source`` key into
the file's ``sources`` table, or ``verified: false`` with a ``note`` explaining what is missing.
The format validators here are the same ones the tests exercise with property tests, so a
mistyped SNOMED CT or LOINC code is caught when the vocabulary is loaded, not in the clinic.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    field_validator,
    model_validator,
)

LANGUAGES: tuple[str, ...] = ("da", "en", "ar", "tr")
"""Languages every label must have: Danish, English, Arabic and Turkish."""

FALLBACK_LANGUAGE = "en"

Kind = Literal["symptom", "finding", "lab", "exposure"]
Sex = Literal["female", "male"]

_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_SOURCE_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
# ICPC-2 chapters; "-" process codes are not used in this vocabulary.
_ICPC2 = re.compile(r"^[ABDFHKLNPRSTUWXYZ]\d{2}$")
_NPU = re.compile(r"^(?:NPU|DNK)\d{5}$")
_LOINC = re.compile(r"^(\d{1,7})-(\d)$")
_SCTID = re.compile(r"^[1-9]\d{5,17}$")
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")

# Verhoeff tables (dihedral group D5), as used by SNOMED CT identifiers.
_VERHOEFF_D: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INV: tuple[int, ...] = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

# SNOMED CT partition identifiers for concepts: 00 (short format), 10 (extension namespace).
_CONCEPT_PARTITIONS = frozenset({"00", "10"})


def verhoeff_check_digit(digits: str) -> int:
    """The Verhoeff check digit to append to ``digits`` (a non-empty string of 0-9)."""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"not a string of digits: {digits!r}")
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[(i + 1) % 8][int(ch)]]
    return _VERHOEFF_INV[c]


def verhoeff_is_valid(number: str) -> bool:
    """Whether ``number`` (digits, check digit last) passes the Verhoeff check."""
    if len(number) < 2 or not number.isdigit() or not number.isascii():
        return False
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def loinc_check_digit(digits: str) -> int:
    """The LOINC mod-10 check digit for the part of a LOINC code before the dash.

    LOINC's published algorithm (double the digits in odd positions counted from the right,
    add all the digits, take the distance to the next multiple of ten) is the Luhn algorithm.
    """
    if not digits or not digits.isdigit() or not digits.isascii():
        raise ValueError(f"not a string of digits: {digits!r}")
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def check_snake_case(value: str) -> str:
    if not _SNAKE_CASE.fullmatch(value):
        raise ValueError(f"code {value!r} is not snake_case (a-z, 0-9, single underscores)")
    return value


def check_icpc2(value: str) -> str:
    if not _ICPC2.fullmatch(value):
        raise ValueError(
            f"ICPC-2 code {value!r} is not a chapter letter followed by two digits (e.g. R05)"
        )
    return value


def check_snomed_concept_id(value: str) -> str:
    if not _SCTID.fullmatch(value):
        raise ValueError(f"SNOMED CT id {value!r} must be 6 to 18 digits without a leading zero")
    if value[-3:-1] not in _CONCEPT_PARTITIONS:
        raise ValueError(
            f"SNOMED CT id {value!r} has partition {value[-3:-1]!r}, which is not a concept"
        )
    if not verhoeff_is_valid(value):
        raise ValueError(f"SNOMED CT id {value!r} fails its Verhoeff check digit")
    return value


def check_npu(value: str) -> str:
    if not _NPU.fullmatch(value):
        raise ValueError(f"NPU code {value!r} must be NPU or DNK followed by five digits")
    return value


def check_loinc(value: str) -> str:
    m = _LOINC.fullmatch(value)
    if m is None:
        raise ValueError(f"LOINC code {value!r} must be digits, a dash and a check digit")
    if loinc_check_digit(m.group(1)) != int(m.group(2)):
        raise ValueError(f"LOINC code {value!r} fails its mod-10 check digit")
    return value


SnakeCode = Annotated[str, AfterValidator(check_snake_case)]
Icpc2Code = Annotated[str, AfterValidator(check_icpc2)]
SnomedConceptId = Annotated[str, AfterValidator(check_snomed_concept_id)]
NpuCode = Annotated[str, AfterValidator(check_npu)]
LoincCode = Annotated[str, AfterValidator(check_loinc)]
NonEmpty = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    # Unknown keys are refused so that a misspelt field name is an error, not silently dropped.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(_Strict):
    """A citation: enough for a reader to find and check the original."""

    title: NonEmpty
    url: HttpUrl | None = None
    publisher: str | None = None
    year: int | None = None
    accessed: str | None = None
    note: str | None = None


class Provenance(_Strict):
    """Where a mapping or an interval comes from.

    ``verified`` is true only with a ``source``; an unverified item must say in ``note``
    what was (not) found, so that nobody mistakes it for a checked fact.
    """

    source: str | None = None
    verified: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _provenance_is_explicit(self) -> Self:
        if self.verified and self.source is None:
            raise ValueError("a verified item needs a source; otherwise set verified: false")
        if not self.verified and not self.note:
            raise ValueError("an unverified item needs a note saying what is missing")
        if self.source is not None and not _SOURCE_KEY.fullmatch(self.source):
            raise ValueError(f"source key {self.source!r} is malformed")
        return self


class Icpc2Mapping(Provenance):
    code: Icpc2Code
    exact: bool = True
    """False where the ICPC-2 rubric is broader than the vocabulary entry."""


class SnomedMapping(Provenance):
    code: SnomedConceptId
    term: str | None = None
    """The concept's fully specified name or preferred term, to catch a mistyped id by eye."""


class NpuMapping(Provenance):
    code: NpuCode
    term: str | None = None


class LoincMapping(Provenance):
    code: LoincCode
    term: str | None = None


class Labels(_Strict):
    """The display name in each supported language."""

    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=True)

    da: NonEmpty
    en: NonEmpty
    ar: NonEmpty
    tr: NonEmpty

    @field_validator("ar")
    @classmethod
    def _arabic_script(cls, value: str) -> str:
        if not _ARABIC.search(value):
            raise ValueError("the Arabic label must be written in Arabic script")
        return value

    def get(self, lang: str) -> str:
        value = (
            getattr(self, lang, None) if lang in LANGUAGES else (self.model_extra or {}).get(lang)
        )
        return value if isinstance(value, str) and value else self.en


class Description(_Strict):
    da: str | None = None
    en: str | None = None


class Entry(_Strict):
    """Fields common to every kind of vocabulary entry."""

    code: SnakeCode
    labels: Labels
    description: Description | None = None
    synonyms_en: tuple[str, ...] = ()
    icpc2: tuple[Icpc2Mapping, ...] = ()
    snomed_ct: tuple[SnomedMapping, ...] = ()
    note: str | None = None

    @property
    def kind(self) -> Kind:
        raise NotImplementedError

    def label(self, lang: str = FALLBACK_LANGUAGE) -> str:
        """The label in ``lang``, or the English label for an unknown language."""
        return self.labels.get(lang)

    @field_validator("icpc2", "snomed_ct")
    @classmethod
    def _no_repeated_codes(cls, value: tuple[Provenance, ...]) -> tuple[Provenance, ...]:
        seen: set[str] = set()
        for item in value:
            code = getattr(item, "code", "")
            if code in seen:
                raise ValueError(f"code {code!r} is listed twice")
            seen.add(code)
        return value


class Symptom(Entry):
    """Something the patient reports or the GP observes at the consultation."""

    @property
    def kind(self) -> Kind:
        return "symptom"


class DerivedFromLab(_Strict):
    """How a finding follows from a lab value, for findings that are lab interpretations."""

    lab: SnakeCode
    comparison: Literal["above_upper_limit", "below_lower_limit", "above", "below", "at_least"]
    threshold: float | None = None
    unit: str | None = None
    source: str | None = None
    verified: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _threshold_when_needed(self) -> Self:
        if self.comparison in {"above", "below", "at_least"} and self.threshold is None:
            raise ValueError(f"comparison {self.comparison!r} needs a threshold")
        if self.verified and self.source is None:
            raise ValueError("a verified rule needs a source; otherwise set verified: false")
        if not self.verified and not self.note:
            raise ValueError("an unverified rule needs a note saying what is missing")
        return self


class Finding(Entry):
    """A result of examination, imaging or the interpretation of a test."""

    category: Literal["examination", "imaging", "lab_interpretation", "endoscopy", "other"]
    derived_from: DerivedFromLab | None = None

    @property
    def kind(self) -> Kind:
        return "finding"

    @model_validator(mode="after")
    def _lab_interpretation_says_how(self) -> Self:
        if self.category == "lab_interpretation" and self.derived_from is None:
            raise ValueError("a lab_interpretation finding needs derived_from")
        return self


class ReferenceInterval(Provenance):
    """One row of a lab's reference interval: a sex (or both) and an age band in years.

    ``age_min`` is inclusive and ``age_max`` exclusive, so adjacent bands do not overlap.
    """

    sex: Sex | Literal["any"] = "any"
    age_min: float = 0
    age_max: float | None = None
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.low is None and self.high is None:
            raise ValueError("a reference interval needs a low or a high limit")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.age_min < 0 or (self.age_max is not None and self.age_max <= self.age_min):
            raise ValueError("the age band is empty or negative")
        return self

    def applies_to(self, sex: str | None, age: float | None) -> bool:
        if self.sex != "any" and sex != self.sex:
            return False
        if age is None:
            return self.age_min == 0 and self.age_max is None
        return self.age_min <= age and (self.age_max is None or age < self.age_max)


class Lab(Entry):
    """A laboratory test, identified in Danish labs by its NPU code."""

    npu: tuple[NpuMapping, ...] = ()
    loinc: tuple[LoincMapping, ...] = ()
    unit: NonEmpty
    specimen: str | None = None
    reference_intervals: tuple[ReferenceInterval, ...] = ()

    @property
    def kind(self) -> Kind:
        return "lab"

    @model_validator(mode="after")
    def _bands_do_not_overlap(self) -> Self:
        rows = self.reference_intervals
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                # A sex-specific row may refine an "any" row, so only equal sexes clash.
                a_hi = a.age_max if a.age_max is not None else float("inf")
                b_hi = b.age_max if b.age_max is not None else float("inf")
                if a.sex == b.sex and a.age_min < b_hi and b.age_min < a_hi:
                    raise ValueError(
                        f"reference intervals overlap for sex {a.sex!r} "
                        f"(ages {a.age_min}-{a.age_max} and {b.age_min}-{b.age_max})"
                    )
        return self

    def reference_interval(
        self, sex: str | None = None, age: float | None = None
    ) -> tuple[float | None, float | None]:
        """The (low, high) limits for a person, either of which may be None.

        A sex-specific row wins over an ``any`` row; with no matching row both are None,
        since a missing interval must never be read as "normal".
        """
        matches = [r for r in self.reference_intervals if r.applies_to(sex, age)]
        matches.sort(key=lambda r: r.sex == "any")
        if not matches:
            return (None, None)
        return (matches[0].low, matches[0].high)


class IarcClassification(_Strict):
    """The agent's evaluation by the IARC Monographs programme."""

    group: Literal["1", "2A", "2B", "3"]
    agent: NonEmpty
    volume: str | None = None
    year: int | None = None
    sites_sufficient: tuple[str, ...] = ()
    """Cancer sites with sufficient evidence in humans, in IARC's words."""
    sites_limited: tuple[str, ...] = ()
    source: str | None = None
    verified: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _provenance(self) -> Self:
        if self.verified and self.source is None:
            raise ValueError("a verified classification needs a source")
        if not self.verified and not self.note:
            raise ValueError("an unverified classification needs a note")
        return self


class Exposure(Entry):
    """An occupational (or environmental) exposure that raises the risk of some cancers."""

    iarc: IarcClassification | None = None
    cancer_sites: tuple[SnakeCode, ...] = ()
    """Sites in the vocabulary's own snake_case terms (lung, mesothelioma, bladder, ...)."""

    @property
    def kind(self) -> Kind:
        return "exposure"


class VocabularyFile(_Strict):
    """The top level of one YAML data file."""

    kind: Kind
    schema_version: Literal[1]
    translation_review: NonEmpty
    """Statement of the labels' review status; it must exist so the status is never implicit."""
    sources: dict[str, Source] = Field(default_factory=dict)
    entries: list[dict[str, object]]
