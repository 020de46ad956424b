"""`PatientContext`: everything the engine may know about one patient at one date.

The schema is the engine's only input. It is strict: unknown fields, unknown codes and dates
after `as_of` are refused with every offending field named, because a silently ignored typo
in a clinical input is worse than an error.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

MAX_CONTACTS = 20_000
# The engine looks years back from `as_of` (the signals' baselines); a day near the year 1
# has no such past to look at, and no record does.
EARLIEST_AS_OF = date(1900, 1, 1)
MAX_ROWS = 5_000

Sex = Literal["female", "male"]
SmokingStatus = Literal["never", "former", "current", "unknown"]
ContactKind = Literal["consultation", "phone", "email", "home_visit"]
CodeSystem = Literal["icd10", "icpc2"]
Relation = Literal[
    "mother",
    "father",
    "sister",
    "brother",
    "daughter",
    "son",
    "grandparent",
    "aunt_uncle",
    "cousin",
    "other",
]


def _known(kind: str) -> AfterValidator:
    def check(code: str) -> str:
        from opspor.engine.vocab import load_vocabulary

        if code not in getattr(load_vocabulary(), kind):
            raise ValueError(f"unknown {kind[:-1]} code {code!r} (not in the vocabulary)")
        return code

    return AfterValidator(check)


SymptomCode = Annotated[str, _known("symptoms")]
FindingCode = Annotated[str, _known("findings")]
LabCode = Annotated[str, _known("labs")]
ExposureCode = Annotated[str, _known("exposures")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class FamilyMember(_Input):
    relation: Relation
    cancer_site: str = Field(min_length=1, max_length=40)


class PatientFacts(_Input):
    birth_date: date
    sex: Sex
    smoking: SmokingStatus = "unknown"
    lives_alone: bool = False
    interpreter_needed: bool = False
    language: str = Field(default="da", min_length=2, max_length=8)
    occupational_exposures: tuple[ExposureCode, ...] = ()
    family_history: tuple[FamilyMember, ...] = ()
    registered_from: date | None = None


class ContactEntry(_Input):
    date: date
    clinician: str | None = Field(default=None, max_length=100)
    kind: ContactKind = "consultation"


class SymptomEntry(_Input):
    code: SymptomCode
    onset: date
    unexplained: bool = True
    persistent: bool = False
    recurrent: bool = False


class FindingEntry(_Input):
    code: FindingCode
    date: date


class LabEntry(_Input):
    code: LabCode
    value: float
    unit: str = Field(min_length=1, max_length=20)
    date: date


class ConditionEntry(_Input):
    code: str = Field(min_length=1, max_length=10)
    system: CodeSystem
    chronic: bool = False


class MedicationEntry(_Input):
    atc: str = Field(pattern=r"^[A-Z]\d{2}([A-Z]([A-Z](\d{2})?)?)?$")
    start: date
    stop: date | None = None


def _plausible_as_of(day: date) -> date:
    if day < EARLIEST_AS_OF:
        raise ValueError(f"as_of must be on or after {EARLIEST_AS_OF}")
    return day


class PatientContext(_Input):
    as_of: Annotated[date, AfterValidator(_plausible_as_of)]
    patient: PatientFacts
    current_clinician: str | None = Field(default=None, max_length=100)
    # Limits far above any real record (ten years of a very frequent attender is a few
    # thousand contacts), so that a runaway input is refused at once instead of slowing the
    # engine for everyone.
    contacts: tuple[ContactEntry, ...] = Field(default=(), max_length=MAX_CONTACTS)
    symptoms: tuple[SymptomEntry, ...] = Field(default=(), max_length=MAX_ROWS)
    findings: tuple[FindingEntry, ...] = Field(default=(), max_length=MAX_ROWS)
    labs: tuple[LabEntry, ...] = Field(default=(), max_length=MAX_ROWS)
    conditions: tuple[ConditionEntry, ...] = Field(default=(), max_length=MAX_ROWS)
    medications: tuple[MedicationEntry, ...] = Field(default=(), max_length=MAX_ROWS)

    @model_validator(mode="after")
    def _dates_and_codes(self) -> Self:
        problems: list[str] = []
        late: list[str] = []
        if self.patient.birth_date > self.as_of:
            late.append("patient.birth_date")
        if self.patient.registered_from and self.patient.registered_from > self.as_of:
            late.append("patient.registered_from")
        for name, rows, attr in (
            ("contacts", self.contacts, "date"),
            ("symptoms", self.symptoms, "onset"),
            ("findings", self.findings, "date"),
            ("labs", self.labs, "date"),
            ("medications", self.medications, "start"),
        ):
            late += [
                f"{name}.{i}.{attr}"
                for i, row in enumerate(rows)
                if getattr(row, attr) > self.as_of
            ]
        if late:
            problems.append(f"dates after as_of ({self.as_of}): {', '.join(late)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def age(self) -> int:
        born, day = self.patient.birth_date, self.as_of
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
