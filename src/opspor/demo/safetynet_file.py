"""The demo's safety-net file (``safetynets.yaml``): its schema, and reading it.

For each safety net: the demo GP, the patient (the practice's next generated patient, a
story patient, or the patient of a referral case of ``cases.yaml``), and the steps with
their moments and texts, as in the case file (``case_file.py``), whose moments and rules
it shares. A misspelt key, an unknown action, reason, outcome or kind, a symptom without
advice in the catalogue, an unknown lab or finding code, or a step naming an investigation
not ordered before it is a ``CaseFileError``, raised before anything is made.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, PlainValidator, ValidationError, field_validator, model_validator

from opspor.demo.case_file import CaseFileError, CaseName, GpCase, Strict, When
from opspor.demo.case_moments import Day
from opspor.engine.vocab import load_vocabulary
from opspor.safetynet.advice import load_advice
from opspor.safetynet.workflow import (
    ConcernKind,
    EpisodeOutcome,
    EpisodeReason,
    InvestigationKind,
    ToldHow,
)

SAFETY_NETS_FILE = Path(__file__).with_name("safetynets.yaml")

On = Annotated[Day, PlainValidator(Day.parse)]
InvestigationName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]


class _Step(Strict):
    at: When


class Open(_Step):
    """The GP opens the safety net. `advice` names the catalogue's symptom whose "come back
    sooner if ..." items the patient was given; `symptoms` are the codes the net is about
    (a generated patient with all of them is preferred; without one, the net takes the
    patient's current symptoms)."""

    do: Literal["open"]
    reason: EpisodeReason
    follow_up: On
    ends: On
    advice: str
    symptoms: list[str] = []

    @field_validator("advice")
    @classmethod
    def _in_catalogue(cls, symptom: str) -> str:
        if load_advice().for_symptom(symptom) is None:
            known = ", ".join(load_advice().entries)
            raise ValueError(f"no advice for {symptom!r} in the catalogue; one of {known}")
        return symptom


class Order(_Step):
    do: Literal["order"]
    investigation: InvestigationName
    kind: InvestigationKind
    code: str = ""
    description: str = ""
    expected: On

    @field_validator("code")
    @classmethod
    def _lab_code(cls, code: str) -> str:
        if code and code not in load_vocabulary().labs:
            raise ValueError(f"unknown lab code {code!r}")
        return code


class LabRow(Strict):
    """A lab result of the patient's record: the latest of `code` taken by the step's day,
    or, with a `value`, a new result that arrives (taken on `taken`, the step's day by
    default)."""

    code: str
    value: float | None = None
    taken: On | None = None

    @field_validator("code")
    @classmethod
    def _known(cls, code: str) -> str:
        if code not in load_vocabulary().labs:
            raise ValueError(f"unknown lab code {code!r}")
        return code


class RecordResult(_Step):
    """The result is in: a lab result or a finding of the record linked, or in words."""

    do: Literal["record_result"]
    investigation: InvestigationName
    lab: LabRow | None = None
    finding: str | None = None
    text: str = ""

    @field_validator("finding")
    @classmethod
    def _known(cls, code: str | None) -> str | None:
        if code is not None and code not in load_vocabulary().findings:
            raise ValueError(f"unknown finding code {code!r}")
        return code


class MarkSeen(_Step):
    do: Literal["mark_seen"]
    investigation: InvestigationName


class MarkTold(_Step):
    do: Literal["mark_told"]
    investigation: InvestigationName
    how: ToldHow


class Cancel(_Step):
    do: Literal["cancel"]
    investigation: InvestigationName
    reason: str


class AwaitFollowUp(_Step):
    do: Literal["await_follow_up"]


class Reschedule(_Step):
    do: Literal["reschedule"]
    follow_up: On
    ends: On | None = None
    reason: str


class Close(_Step):
    """Close with an outcome; `refused: true` is an attempt the guard must refuse (the
    workup is not complete), and the demo goes on with the episode as it was."""

    do: Literal["close"]
    outcome: EpisodeOutcome
    reason: str = ""
    refused: bool = False


class PatientPresses(_Step):
    """The patient presses a button on their own page ("I have not heard anything", "It
    got worse"), with optional words; only a story patient has a login to press it with."""

    do: Literal["patient_presses"]
    kind: ConcernKind
    words: str = ""


NetStep = Annotated[
    Open
    | Order
    | RecordResult
    | MarkSeen
    | MarkTold
    | Cancel
    | AwaitFollowUp
    | Reschedule
    | Close
    | PatientPresses,
    Field(discriminator="do"),
]


class StoryPatient(Strict):
    story: str


class ReferralPatient(Strict):
    """The patient of a referral case of ``cases.yaml``; its requester is the acting GP."""

    referral: CaseName


class SafetyNetCase(GpCase):
    net: CaseName
    patient: Literal["next"] | StoryPatient | ReferralPatient = "next"
    steps: Annotated[list[NetStep], Field(min_length=1)]

    @property
    def name(self) -> str:
        return self.net

    @model_validator(mode="after")
    def _order(self) -> SafetyNetCase:
        opens = [i for i, step in enumerate(self.steps) if isinstance(step, Open)]
        if opens != [0]:
            raise ValueError("a safety net starts with `open`, and has only that one")
        ordered: set[str] = set()
        for number, step in enumerate(self.steps, start=1):
            if isinstance(step, PatientPresses) and not isinstance(self.patient, StoryPatient):
                raise ValueError(
                    f"step {number} (patient_presses): only a story patient has a login"
                )
            if isinstance(step, Order):
                if step.investigation in ordered:
                    raise ValueError(f"step {number}: {step.investigation!r} is ordered twice")
                ordered.add(step.investigation)
            elif hasattr(step, "investigation") and step.investigation not in ordered:
                raise ValueError(
                    f"step {number} ({step.do}): no investigation {step.investigation!r} "
                    "ordered before it"
                )
        return self


class SafetyNetFile(Strict):
    # Named texts that the nets share through YAML anchors (&name ... *name).
    texts: dict[str, str] = {}
    safety_nets: list[SafetyNetCase]

    @model_validator(mode="after")
    def _names(self) -> SafetyNetFile:
        names = [net.name for net in self.safety_nets]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"two safety nets are named {', '.join(map(repr, twice))}")
        return self


def load_safety_nets(path: Path | None = None) -> list[SafetyNetCase]:
    """The demo's safety nets, validated: every action known, every moment readable."""
    if path is None:
        return list(_default_nets())
    return _read(path)


@cache
def _default_nets() -> tuple[SafetyNetCase, ...]:
    return tuple(_read(SAFETY_NETS_FILE))


def _read(path: Path) -> list[SafetyNetCase]:
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        return list(SafetyNetFile.model_validate(raw).safety_nets)
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise CaseFileError(f"{path.name}: {error}") from error
