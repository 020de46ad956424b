"""The demo case file (``cases.yaml``): its schema, and reading it.

For each case: the demo GP, the kind of patient, and the steps with their texts and
moments. A misspelt key, an unknown action or pathway, an unreadable moment or a phone
number that could be real is a ``CaseFileError``, raised before anything is made.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from opspor.demo.case_moments import Moment
from opspor.demo.region import DEMO_GPS
from opspor.referrals.workflow import PATHWAYS, ReferralOrigin, RejectionReason

CASES_FILE = Path(__file__).with_name("cases.yaml")


class CaseFileError(Exception):
    """The case file is malformed, or one of its steps was refused (nothing was made)."""


When = Annotated[Moment, PlainValidator(Moment.parse)]
Actor = Literal["gp", "doctor"]


class Strict(BaseModel):
    # A misspelt key in the case file must be an error, not silently dropped.
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Step(Strict):
    at: When


class Create(_Step):
    """The GP writes a draft referral, for the case's patient or from an answered advice
    request (a case earlier in the file), which gives the patient, unit and question."""

    do: Literal["create"]
    pathway: str
    clinical_question: str = ""
    informed_about_kraeft: bool = True
    origin: ReferralOrigin | None = None
    origin_name: str = ""
    origin_phone: str = ""
    from_advice: str | None = None

    @field_validator("pathway")
    @classmethod
    def _pathway(cls, pathway: str) -> str:
        if pathway not in PATHWAYS:
            raise ValueError(f"unknown pathway {pathway!r}; one of {', '.join(PATHWAYS)}")
        return pathway

    @field_validator("origin_phone")
    @classmethod
    def _undiallable(cls, phone: str) -> str:
        # The demo must never send anyone to a real line (see region.fictional_phone).
        if phone and not phone.startswith("+45 0"):
            raise ValueError(f"{phone!r} could be a real number; demo numbers start '+45 0'")
        return phone


class Send(_Step):
    do: Literal["send"]
    incomplete_reason: str = ""


class Accept(_Step):
    do: Literal["accept"]


class RecordFirstContact(_Step):
    do: Literal["record_first_contact"]
    note: str = ""


class BookAppointment(_Step):
    do: Literal["book_appointment"]
    appointment: When


class Complete(_Step):
    do: Literal["complete"]
    reason: str = ""


class Withdraw(_Step):
    do: Literal["withdraw"]
    reason: str = ""


class Reject(_Step):
    do: Literal["reject"]
    reason_category: RejectionReason
    reason_text: str
    alternative_plan_code: str = ""
    alternative_plan_text: str = ""


class AcknowledgeRejection(_Step):
    do: Literal["acknowledge_rejection"]


class ReturnWithAdvice(_Step):
    do: Literal["return_with_advice"]
    advice_text: str


class GivePatientLogin(Strict):
    """Not a service: the demo gives the referral's patient a login of their own."""

    do: Literal["give_patient_login"]


class Ask(_Step):
    do: Literal["ask"]
    question: str


class Answer(_Step):
    do: Literal["answer"]
    answer: str


class Close(_Step):
    do: Literal["close"]
    reason: str = ""


class PostMessage(_Step):
    do: Literal["message"]
    by: Actor
    body: str


class Read(_Step):
    """The reader opens the case's thread: the other side's messages get a receipt."""

    do: Literal["read"]
    by: Actor


class ReadNotifications(_Step):
    """The reader marks the unread notifications about this case as read."""

    do: Literal["read_notifications"]
    by: Actor


_ThreadStep = PostMessage | Read | ReadNotifications
ReferralStep = Annotated[
    Create
    | Send
    | Accept
    | RecordFirstContact
    | BookAppointment
    | Complete
    | Withdraw
    | Reject
    | AcknowledgeRejection
    | ReturnWithAdvice
    | GivePatientLogin
    | _ThreadStep,
    Field(discriminator="do"),
]
AdviceStep = Annotated[Ask | Answer | Close | _ThreadStep, Field(discriminator="do")]
_DEMO_GP_USERNAMES = tuple(gp.username for gp in DEMO_GPS)
CaseName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]


class GpCase(Strict):
    gp: str

    @field_validator("gp")
    @classmethod
    def _demo_gp(cls, gp: str) -> str:
        if gp not in _DEMO_GP_USERNAMES:
            raise ValueError(f"{gp!r} is not a demo GP; one of {', '.join(_DEMO_GP_USERNAMES)}")
        return gp


class ReferralCase(GpCase):
    referral: CaseName
    # "lacking tests": a patient whose record lacks some of the pathway's pre-referral tests.
    patient: Literal["next", "lacking tests"] = "next"
    steps: Annotated[list[ReferralStep], Field(min_length=1)]

    @property
    def name(self) -> str:
        return self.referral

    @model_validator(mode="after")
    def _starts_with_create(self) -> ReferralCase:
        creates = [i for i, step in enumerate(self.steps) if isinstance(step, Create)]
        if creates != [0]:
            raise ValueError("a referral case starts with `create`, and has only that one")
        return self


class AdviceCase(GpCase):
    advice: CaseName
    steps: Annotated[list[AdviceStep], Field(min_length=1)]

    @property
    def name(self) -> str:
        return self.advice

    @model_validator(mode="after")
    def _starts_with_ask(self) -> AdviceCase:
        asks = [i for i, step in enumerate(self.steps) if isinstance(step, Ask)]
        if asks != [0]:
            raise ValueError("an advice case starts with `ask`, and has only that one")
        return self


def _case_kind(raw: Any) -> str | None:
    if isinstance(raw, dict):
        return "referral" if "referral" in raw else "advice" if "advice" in raw else None
    return None


Case = Annotated[
    Annotated[ReferralCase, Tag("referral")] | Annotated[AdviceCase, Tag("advice")],
    Discriminator(
        _case_kind,
        custom_error_type="case_kind",
        custom_error_message="a case names its `referral` or its `advice` request",
    ),
]


class CaseFile(Strict):
    # Named texts that the cases share through YAML anchors (&name ... *name).
    texts: dict[str, str] = {}
    cases: list[Case]

    @model_validator(mode="after")
    def _names(self) -> CaseFile:
        seen: dict[str, ReferralCase | AdviceCase] = {}
        for case in self.cases:
            if case.name in seen:
                raise ValueError(f"two cases are named {case.name!r}")
            for step in case.steps:
                source = step.from_advice if isinstance(step, Create) else None
                if source is not None and not isinstance(seen.get(source), AdviceCase):
                    raise ValueError(
                        f"{case.name}: `from_advice: {source}` names no advice case before it"
                    )
            seen[case.name] = case
        return self


def load_cases(path: Path | None = None) -> list[ReferralCase | AdviceCase]:
    """The demo cases, validated: every action known, every moment readable."""
    if path is None:
        return list(_default_cases())
    return _read_cases(path)


@cache
def _default_cases() -> tuple[ReferralCase | AdviceCase, ...]:
    return tuple(_read_cases(CASES_FILE))


def _read_cases(path: Path) -> list[ReferralCase | AdviceCase]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return list(CaseFile.model_validate(raw).cases)
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise CaseFileError(f"{path.name}: {error}") from error
