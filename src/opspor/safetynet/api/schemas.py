"""The request and answer bodies of the safety-net API."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator, field_validator

from opspor.casework.schemas import BodyIn, RowId
from opspor.casework.text import MAX_LINE_LENGTH, MAX_TEXT_LENGTH
from opspor.engine.rules.loader import DEFAULT_RULESET, RULESETS
from opspor.safetynet.workflow import EpisodeOutcome, EpisodeReason, InvestigationKind, ToldHow

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    # pydantic alone takes a number as seconds since 1970 and a midnight date-time as its
    # day; a clinical date is written as a day, nothing else.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return value
    raise ValueError("A date is written YYYY-MM-DD, e.g. 2026-03-25.")


Day = Annotated[date, BeforeValidator(_iso_day)]
# A vocabulary code, as the investigation stores it (e.g. haemoglobin).
InvestigationCode = Annotated[str, Field(max_length=60, pattern=r"^[-a-zA-Z0-9_]*$")]
SymptomCode = Annotated[str, Field(max_length=MAX_LINE_LENGTH)]


class PersonRef(Schema):
    id: int
    name: str


class InvestigationOut(Schema):
    id: int
    episode_id: int
    kind: str
    code: str  # for a lab test, the result it waits for
    description: str
    state: str  # ordered, resulted, seen, told or cancelled
    ordered_by_id: int
    ordered_at: datetime
    expected_by: date
    resulted_at: datetime | None
    lab_result_id: int | None  # the result's row in the record, when linked
    finding_id: int | None
    result_text: str  # the result in words
    seen_at: datetime | None
    seen_by_id: int | None
    told_at: datetime | None
    told_how: str
    cancelled_at: datetime | None
    cancel_reason: str


class EventOut(Schema):
    """One change of the episode or of one of its investigations: who, when, why."""

    at: datetime
    subject: str  # episode or investigation
    investigation_id: int | None
    action: str
    from_state: str
    to_state: str
    reason: str
    actor: PersonRef | None  # None when Opspor itself acted


class EpisodeOut(Schema):
    id: int
    state: str  # open, investigating, awaiting_follow_up or closed
    patient_id: int
    practice_id: int
    owner: PersonRef
    opened_by_id: int
    opened_at: datetime
    reason: str
    follow_up_on: date
    ends_on: date
    advice: str  # what the patient was told to come back for, in the words they were given
    # The patient's symptoms when the episode was opened: code, onset and their own words.
    symptoms: list[dict[str, Any]]
    findings: dict[str, Any]  # Opspor's findings from the record when it was opened
    outcome: str
    closed_at: datetime | None


class AarhusPointsOut(Schema):
    """The Aarhus statement's time points; null where the record does not hold the date."""

    first_symptom: date | None
    first_presentation: date | None
    referral: date | None
    diagnosis: date | None


class AarhusIntervalsOut(Schema):
    """The five intervals in days; null where a date is unknown or two are in an impossible
    order (then `problems` names the pair)."""

    patient: int | None
    primary_care: int | None
    secondary_care: int | None
    diagnostic: int | None
    total: int | None


class AarhusOut(Schema):
    """The episode's road to a diagnosis as the Aarhus statement counts it (Weller D et al.,
    Br J Cancer 2012;106:1262-7)."""

    time_points: AarhusPointsOut
    intervals: AarhusIntervalsOut
    problems: list[str]  # each pair of dates in an impossible order, in words
    consultations_before_referral: int | None
    # Symptom codes consulted about at 3 or more consultations within 12 months, with counts.
    repeated_consultations: dict[str, int]
    three_or_more_consultations: bool


class EpisodeDetailOut(EpisodeOut):
    investigations: list[InvestigationOut]
    # What keeps the workup incomplete: investigations not yet told to the patient and the
    # patient's open referrals, each named (as in a refused close's `missing`).
    pending: list[dict[str, Any]]
    timeline: list[EventOut]  # oldest first
    aarhus: AarhusOut


class EpisodeIn(BodyIn):
    patient_id: RowId
    reason: EpisodeReason
    follow_up_on: Day
    ends_on: Day
    owner_id: RowId | None = None  # a GP of the patient's practice; the caller when left out
    advice: str = Field("", max_length=MAX_TEXT_LENGTH)
    # Some of the patient's current symptoms; all of them when left out.
    symptom_codes: list[SymptomCode] | None = Field(None, max_length=100)
    ruleset: str = Field(
        DEFAULT_RULESET, max_length=MAX_LINE_LENGTH, json_schema_extra={"enum": list(RULESETS)}
    )

    @field_validator("ruleset")
    @classmethod
    def _known_ruleset(cls, value: str) -> str:
        if value not in RULESETS:
            raise ValueError(f"The rule set is one of {', '.join(RULESETS)}.")
        return value


class InvestigationIn(BodyIn):
    kind: InvestigationKind
    expected_by: Day
    code: InvestigationCode = ""  # required for a lab test
    description: str = Field("", max_length=MAX_LINE_LENGTH)


class ResultIn(BodyIn):
    # The result's row in the patient's record, or the result in words (or both).
    lab_result_id: RowId | None = None
    finding_id: RowId | None = None
    text: str = Field("", max_length=MAX_TEXT_LENGTH)


class ToldIn(BodyIn):
    how: ToldHow


class CancelIn(BodyIn):
    reason: str = Field(max_length=MAX_TEXT_LENGTH)


class RescheduleIn(BodyIn):
    follow_up_on: Day
    ends_on: Day | None = None  # unchanged when left out
    reason: str = Field(max_length=MAX_TEXT_LENGTH)


class CloseIn(BodyIn):
    outcome: EpisodeOutcome
    reason: str = Field("", max_length=MAX_TEXT_LENGTH)
