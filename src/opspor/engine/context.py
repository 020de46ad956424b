"""`PatientContext`: everything the engine may know about one patient at one date.

The schema is the engine's only input. It is strict: unknown fields, unknown codes and dates
after `as_of` are refused with every offending field named, because a silently ignored typo
in a clinical input is worse than an error.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    occupational_exposures: tuple[str, ...] = ()
    family_history: tuple[FamilyMember, ...] = ()
    registered_from: date | None = None


class ContactEntry(_Input):
    date: date
    clinician: str | None = Field(default=None, max_length=100)
    kind: ContactKind = "consultation"


class SymptomEntry(_Input):
    code: str
    onset: date
    unexplained: bool = True
    persistent: bool = False
    recurrent: bool = False


class FindingEntry(_Input):
    code: str
    date: date


class LabEntry(_Input):
    code: str
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


class PatientContext(_Input):
    as_of: date
    patient: PatientFacts
    current_clinician: str | None = Field(default=None, max_length=100)
    contacts: tuple[ContactEntry, ...] = ()
    symptoms: tuple[SymptomEntry, ...] = ()
    findings: tuple[FindingEntry, ...] = ()
    labs: tuple[LabEntry, ...] = ()
    conditions: tuple[ConditionEntry, ...] = ()
    medications: tuple[MedicationEntry, ...] = ()

    @model_validator(mode="after")
    def _dates_and_codes(self) -> Self:
        problems = _unknown_codes(self)
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


def _unknown_codes(context: PatientContext) -> list[str]:
    from opspor.engine.vocab import load_vocabulary

    vocab = load_vocabulary()
    problems: list[str] = []
    for path, code, known in (
        *((f"symptoms.{i}.code", s.code, vocab.symptoms) for i, s in enumerate(context.symptoms)),
        *((f"findings.{i}.code", f.code, vocab.findings) for i, f in enumerate(context.findings)),
        *((f"labs.{i}.code", lab.code, vocab.labs) for i, lab in enumerate(context.labs)),
        *(
            (f"patient.occupational_exposures.{i}", code, vocab.exposures)
            for i, code in enumerate(context.patient.occupational_exposures)
        ),
    ):
        if code not in known:
            problems.append(f"{path}: unknown code {code!r}")
    return problems
