"""The study's story patients: the experiences of the patients and doctors interviewed for
the study behind Opspor (``stories.yaml``), as records in the demo practices.

A few more patients, not from the study, are written to meet one NICE NG12 recommendation
each, so that the demo shows that rule set too; their `source` says so.

Their records are built relative to the as-of date so that the stories stay current
whenever the demo is seeded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from simple_history.utils import bulk_create_with_history

from opspor.demo.region import DEMO_PRACTICE_SLOTS, DemoUsers, local_to_utc, opening_minutes
from opspor.engine.vocab import load_vocabulary
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Clinician,
    Condition,
    Contact,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    Practice,
    Sex,
    Smoking,
    Symptom,
)
from opspor.synth.cpr import synthetic_cpr

STORIES_FILE = Path(__file__).with_name("stories.yaml")

ContactKind = Literal["consultation", "phone", "email", "home_visit"]
_ATC = re.compile(r"^[A-Z]\d{2}[A-Z]{2}\d{2}$")
_ICD10 = re.compile(r"^[A-Z]\d{2}(\.\d{1,2})?$")
_ICPC2 = re.compile(r"^[A-Z]\d{2}$")
DaysBefore = Annotated[int, Field(ge=0, le=100 * 365)]


class _Strict(BaseModel):
    # A misspelt key in the story file must be an error, not silently dropped.
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorySymptom(_Strict):
    code: str
    onset_days_before: DaysBefore | None = None
    persistent: bool = False
    recurrent: bool = False
    words: str = ""


class StoryLab(_Strict):
    code: str
    value: float


class StoryContact(_Strict):
    days_before: DaysBefore
    kind: ContactKind = "consultation"
    by: Literal["own", "other", "trainee"] = "own"
    note: str = ""
    reason_codes: list[str] = []
    symptoms: list[StorySymptom] = []
    labs: list[StoryLab] = []

    @field_validator("reason_codes")
    @classmethod
    def _icpc2(cls, codes: list[str]) -> list[str]:
        for code in codes:
            if not _ICPC2.fullmatch(code):
                raise ValueError(f"ICPC-2 code {code!r} is not a chapter letter and two digits")
        return codes


class StoryRoutine(_Strict):
    """A regular run of ordinary contacts: the patient's usual pattern of attendance."""

    from_days_before: DaysBefore
    to_days_before: DaysBefore
    every_days: Annotated[int, Field(ge=1)]
    kinds: list[ContactKind] = ["consultation"]
    by: Literal["own", "rotate"] = "own"
    notes: list[str] = [""]
    reason_codes: list[str] = []
    symptoms: list[StorySymptom] = []
    symptom_mode: Literal["all", "cycle"] = "all"
    labs: list[StoryLab] = []
    labs_every: Annotated[int, Field(ge=1)] = 1

    def days(self) -> list[int]:
        out = list(range(self.to_days_before, self.from_days_before + 1, self.every_days))
        return sorted(out, reverse=True)


class StoryCondition(_Strict):
    code: str
    system: Literal["icd10", "icpc2"] = "icd10"
    label: str
    chronic: bool = True
    onset_days_before: DaysBefore | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, code: str) -> str:
        if not (_ICD10.fullmatch(code) or _ICPC2.fullmatch(code)):
            raise ValueError(f"{code!r} is neither an ICD-10 nor an ICPC-2 code")
        return code


class StoryMedication(_Strict):
    atc: str
    name: str
    start_days_before: DaysBefore
    stop_days_before: DaysBefore | None = None

    @field_validator("atc")
    @classmethod
    def _atc(cls, atc: str) -> str:
        if not _ATC.fullmatch(atc):
            raise ValueError(f"{atc!r} is not a full ATC code (e.g. A10BA02)")
        return atc


class StoryExposure(_Strict):
    code: str
    years: int | None = None
    note: str = ""


class StoryRelative(_Strict):
    relation: FamilyHistory.Relation
    cancer_site: str
    age_at_diagnosis: int | None = None


class StoryFinding(_Strict):
    code: str
    days_before: DaysBefore
    note: str = ""


class StoryDiagnosis(_Strict):
    site: str
    icd10: str
    days_before: int  # negative: found after the as-of date, so not (yet) in the record


class Story(_Strict):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    title: str
    summary: str
    source: str
    name: str
    username: Annotated[str, Field(pattern=r"^[a-z0-9._-]+$")]
    sex: Sex
    age: Annotated[int, Field(ge=0, le=105)]
    birthday_days_ago: Annotated[int, Field(ge=0, le=364)] = 100
    practice_slot: Annotated[int, Field(ge=0, lt=DEMO_PRACTICE_SLOTS)]
    own_gp: Annotated[int, Field(ge=0)] = 0
    registered_days_before: DaysBefore
    language: str = "da"
    interpreter_needed: bool = False
    lives_alone: bool = False
    smoking: Smoking = Smoking.UNKNOWN
    occupation: str = ""
    exposures: list[StoryExposure] = []
    family_history: list[StoryRelative] = []
    conditions: list[StoryCondition] = []
    medications: list[StoryMedication] = []
    routine: list[StoryRoutine] = []
    contacts: list[StoryContact] = []
    findings: list[StoryFinding] = []
    diagnosis: StoryDiagnosis | None = None

    def birth_date(self, as_of: date) -> date:
        year = as_of.year - self.age
        try:
            birthday = as_of.replace(year=year)
        except ValueError:  # 29 February in a year without it
            birthday = as_of.replace(year=year, day=28)
        return birthday - timedelta(days=self.birthday_days_ago)


class StoryFile(_Strict):
    stories: list[Story]


def _check_codes(stories: list[Story]) -> None:
    vocab = load_vocabulary()
    problems: list[str] = []
    for s in stories:
        symptoms = [sy for c in s.contacts for sy in c.symptoms]
        symptoms += [sy for r in s.routine for sy in r.symptoms]
        labs = [lab for c in s.contacts for lab in c.labs] + [
            lab for r in s.routine for lab in r.labs
        ]
        problems += [
            f"{s.key}: symptom {x.code!r}" for x in symptoms if x.code not in vocab.symptoms
        ]
        problems += [f"{s.key}: lab {x.code!r}" for x in labs if x.code not in vocab.labs]
        problems += [
            f"{s.key}: exposure {x.code!r}" for x in s.exposures if x.code not in vocab.exposures
        ]
        problems += [
            f"{s.key}: finding {x.code!r}" for x in s.findings if x.code not in vocab.findings
        ]
    if problems:
        raise StoryFileError("codes not in the vocabulary: " + "; ".join(problems))
    keys = [s.key for s in stories]
    usernames = [s.username for s in stories]
    if len(set(keys)) != len(keys) or len(set(usernames)) != len(usernames):
        raise StoryFileError("story keys and usernames must be unique")


class StoryFileError(Exception):
    pass


def load_stories(path: Path | None = None) -> list[Story]:
    """The story patients, validated against the schema above and the vocabulary."""
    if path is None:
        return list(_default_stories())
    return _read_stories(path)


@cache
def _default_stories() -> tuple[Story, ...]:
    return tuple(_read_stories(STORIES_FILE))


def _read_stories(path: Path) -> list[Story]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        stories = StoryFile.model_validate(raw).stories
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise StoryFileError(f"{path.name}: {error}") from error
    _check_codes(stories)
    return stories


def working_day_on_or_before(day: date) -> date:
    """Practices are closed at weekends: a story contact on Saturday or Sunday moves to Friday."""
    return day - timedelta(days=max(0, day.weekday() - 4))


@dataclass
class StoryRows:
    """Rows of the story patients, built in memory and inserted by the seeder."""

    contacts: list[Contact] = field(default_factory=list)
    symptoms: list[tuple[Symptom, int]] = field(default_factory=list)  # with contact index
    labs: list[LabResult] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    exposures: list[OccupationalExposure] = field(default_factory=list)
    family: list[FamilyHistory] = field(default_factory=list)
    findings: list[ClinicalFinding] = field(default_factory=list)
    diagnoses: list[CancerDiagnosis] = field(default_factory=list)


# Far above the handful of numbers the generator uses per birth date and sex, so that
# story patients never share a CPR number with a generated patient.
STORY_CPR_SERIAL = 1200


def story_patients_build(
    *,
    stories: Sequence[Story],
    as_of: date,
    practices: Sequence[Practice],
    gps_by_practice: dict[int, list[Clinician]],
    users: DemoUsers,
) -> list[Patient]:
    """Unsaved Patient rows for the stories, in the demo practices by slot."""
    patients = []
    for i, story in enumerate(stories):
        practice = practices[story.practice_slot % len(practices)]
        gps = gps_by_practice[practice.pk]
        born = story.birth_date(as_of)
        patients.append(
            Patient(
                cpr=synthetic_cpr(born, story.sex, STORY_CPR_SERIAL + i).replace("-", ""),
                name=story.name,
                birth_date=born,
                sex=story.sex,
                practice=practice,
                own_gp=gps[min(story.own_gp, len(gps) - 1)] if gps else None,
                registered_from=as_of - timedelta(days=story.registered_days_before),
                preferred_language=story.language,
                interpreter_needed=story.interpreter_needed,
                lives_alone=story.lives_alone,
                occupation=story.occupation,
                smoking=story.smoking,
                is_fictional=True,
                story=story.key,
                user=users.by_username.get(story.username),
            )
        )
    return patients


def icpc2_for(code: str, sex: str) -> list[str]:
    entry = load_vocabulary().symptoms.get(code)
    if entry is None:
        return []
    codes = [m.code for m in entry.icpc2]
    # ICPC-2 has separate chapters for the female (X) and male (Y) genital and breast systems.
    unwanted = "Y" if sex == Sex.FEMALE else "X"
    fitting = [c for c in codes if not c.startswith(unwanted)]
    return fitting[:1]


def _lab_row(patient: Patient, lab: StoryLab, day: date, as_of: date) -> LabResult:
    entry = load_vocabulary().labs[lab.code]
    low, high = entry.reference_interval(sex=patient.sex, age=patient.age_on(as_of))
    return LabResult(
        patient=patient,
        code=lab.code,
        npu=entry.npu[0].code if entry.npu else "",
        value=lab.value,
        unit=entry.unit,
        reference_low=low,
        reference_high=high,
        taken_on=day,
    )


def story_rows_build(
    *,
    stories: Sequence[Story],
    patients: Sequence[Patient],
    as_of: date,
    clinicians_by_practice: dict[int, list[Clinician]],
) -> StoryRows:
    """The record of each (saved) story patient, relative to ``as_of``."""
    rows = StoryRows()
    for story, patient in zip(stories, patients, strict=True):
        _story_rows(story, patient, as_of, clinicians_by_practice[patient.practice_id], rows)
    return rows


def _pick_clinician(
    by: str, own: Clinician | None, staff: list[Clinician], turn: int
) -> Clinician | None:
    gps = [c for c in staff if c.role == Clinician.Role.GP]
    if by == "rotate" and staff:
        return staff[turn % len(staff)]
    if by == "trainee":
        trainees = [c for c in staff if c.role == Clinician.Role.TRAINEE_GP]
        if trainees:
            return trainees[0]
        by = "other"
    if by == "other":
        others = [c for c in gps if c.pk != (own.pk if own else None)]
        if others:
            return others[0]
    return own


def _story_rows(
    story: Story, patient: Patient, as_of: date, staff: list[Clinician], rows: StoryRows
) -> None:
    own = patient.own_gp

    def day(days_before: int) -> date:
        return working_day_on_or_before(as_of - timedelta(days=days_before))

    def add_contact(
        *,
        days_before: int,
        kind: str,
        clinician: Clinician | None,
        note: str,
        reason_codes: list[str],
        symptoms: list[StorySymptom],
        labs: list[StoryLab],
    ) -> None:
        on = day(days_before)
        codes = list(reason_codes)
        for s in symptoms:
            codes += [c for c in icpc2_for(s.code, patient.sex) if c not in codes]
        # A fixed, plausible time: story contacts must not change from one seed to the next.
        minute = int(
            opening_minutes(
                np.array([kind], dtype=object),
                np.array([(on.toordinal() % 29) / 29]),
                np.array([(on.toordinal() % 7) / 7]),
            )[0]
        )
        index = len(rows.contacts)
        rows.contacts.append(
            Contact(
                patient=patient,
                practice=patient.practice,
                clinician=clinician,
                at=local_to_utc(on, minute),
                kind=kind,
                reason_codes=codes,
                note=note,
            )
        )
        for s in symptoms:
            onset = on if s.onset_days_before is None else as_of - timedelta(s.onset_days_before)
            symptom = Symptom(
                patient=patient,
                code=s.code,
                onset=min(onset, on),
                recorded_on=on,
                persistent=s.persistent,
                recurrent=s.recurrent,
                patient_words=s.words,
            )
            rows.symptoms.append((symptom, index))
        rows.labs += [_lab_row(patient, lab, on, as_of) for lab in labs]

    planned: list[tuple[int, dict[str, object]]] = []
    for routine in story.routine:
        for turn, days_before in enumerate(routine.days()):
            if routine.symptom_mode == "cycle" and routine.symptoms:
                symptoms = [routine.symptoms[turn % len(routine.symptoms)]]
            else:
                symptoms = list(routine.symptoms)
            kind = routine.kinds[turn % len(routine.kinds)]
            planned.append(
                (
                    days_before,
                    {
                        "kind": kind,
                        "clinician": _pick_clinician(routine.by, own, staff, turn),
                        "note": routine.notes[turn % len(routine.notes)],
                        "reason_codes": routine.reason_codes,
                        "symptoms": symptoms if kind != Contact.Kind.EMAIL else [],
                        "labs": routine.labs if turn % routine.labs_every == 0 else [],
                    },
                )
            )
    for turn, c in enumerate(story.contacts):
        planned.append(
            (
                c.days_before,
                {
                    "kind": c.kind,
                    "clinician": _pick_clinician(c.by, own, staff, turn),
                    "note": c.note,
                    "reason_codes": c.reason_codes,
                    "symptoms": c.symptoms,
                    "labs": c.labs,
                },
            )
        )
    for days_before, values in sorted(planned, key=lambda p: -p[0]):
        add_contact(days_before=days_before, **values)  # type: ignore[arg-type]

    for x in story.exposures:
        rows.exposures.append(
            OccupationalExposure(patient=patient, code=x.code, years=x.years, note=x.note)
        )
    for r in story.family_history:
        rows.family.append(
            FamilyHistory(
                patient=patient,
                relation=r.relation,
                cancer_site=r.cancer_site,
                age_at_diagnosis=r.age_at_diagnosis,
            )
        )
    for cond in story.conditions:
        rows.conditions.append(
            Condition(
                patient=patient,
                code=cond.code,
                system=cond.system,
                label=cond.label,
                chronic=cond.chronic,
                onset=None
                if cond.onset_days_before is None
                else as_of - timedelta(days=cond.onset_days_before),
            )
        )
    for med in story.medications:
        rows.medications.append(
            Medication(
                patient=patient,
                atc=med.atc,
                name=med.name,
                start=as_of - timedelta(days=med.start_days_before),
                stop=None
                if med.stop_days_before is None
                else as_of - timedelta(days=med.stop_days_before),
            )
        )
    for f in story.findings:
        rows.findings.append(
            ClinicalFinding(patient=patient, code=f.code, found_on=day(f.days_before), note=f.note)
        )
    dx = story.diagnosis
    # A diagnosis after the as-of date has not happened yet: the story stops before it.
    if dx is not None and dx.days_before >= 0:
        rows.diagnoses.append(
            CancerDiagnosis(
                patient=patient, diagnosed_on=day(dx.days_before), site=dx.site, icd10=dx.icd10
            )
        )


def story_rows_insert(*, rows: StoryRows, change_reason: str, when: datetime) -> None:
    """Insert the story rows with their "created" history, symptoms linked to their contact."""

    def insert(objs: Sequence[object], model: type) -> None:
        if objs:
            bulk_create_with_history(
                list(objs), model, default_change_reason=change_reason, default_date=when
            )

    insert(rows.contacts, Contact)
    symptoms = []
    for symptom, index in rows.symptoms:
        symptom.contact = rows.contacts[index]
        symptoms.append(symptom)
    insert(symptoms, Symptom)
    insert(rows.labs, LabResult)
    insert(rows.conditions, Condition)
    insert(rows.medications, Medication)
    insert(rows.exposures, OccupationalExposure)
    insert(rows.family, FamilyHistory)
    insert(rows.findings, ClinicalFinding)
    insert(rows.diagnoses, CancerDiagnosis)
