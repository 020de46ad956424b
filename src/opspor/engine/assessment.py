"""`Assessment`: what the engine found, each finding with why (`because`) and where from."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opspor.engine.rules.schema import Recommendation


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Explanation(_Out):
    da: str
    en: str


class _Finding(_Out):
    because: list[dict[str, Any]] = Field(description="The inputs the finding used")
    explanation: Explanation


class RuleSource(_Out):
    title: str
    recommendation_number: str
    url: str
    version: str


class GuidelineCriterion(_Finding):
    kind: Literal["guideline_criterion"] = "guideline_criterion"
    rule_id: str
    cancer_site: str
    recommendation: Recommendation
    strength: Literal["offer", "consider"]
    applies_to: str = Field(description="The age group the recommendation names")
    investigation: str | None = Field(description="The first test named, if any")
    investigations: list[str] = Field(description="Every test the recommendation names")
    within_days: int | None
    source: RuleSource
    clinical_judgement: Explanation | None = None


class PatternBreakFinding(_Finding):
    kind: Literal["pattern_break"] = "pattern_break"
    recent_count: int
    expected: float
    p_value: float
    score: float
    window_days: int
    baseline_count: int
    baseline_days: int


class LongAbsenceFinding(_Finding):
    kind: Literal["long_absence"] = "long_absence"
    gap_days: int
    returned_on: date


class ContinuityFinding(_Finding):
    kind: Literal["continuity"] = "continuity"
    n_contacts: int
    upc: float = Field(ge=0, le=1)
    coc: float = Field(ge=0, le=1)
    secon: float = Field(ge=0, le=1)
    known_provider: bool | None
    low_continuity: bool


class VulnerabilityFinding(_Finding):
    kind: Literal["vulnerability"] = "vulnerability"
    flags: list[str]


class PpvSource(_Out):
    title: str
    authors: str
    journal: str
    year: int
    doi_or_url: str
    table: str = Field(description="Where in the publication the value was read")
    secondary: bool = Field(description="Read in a secondary source, not the paper itself")


class PpvFinding(_Finding):
    kind: Literal["ppv"] = "ppv"
    cancer_site: str
    symptoms: list[str]
    ppv_percent: float
    age_band: str
    sex: str | None = None
    source: PpvSource


class NewSymptomFinding(_Finding):
    kind: Literal["new_symptom"] = "new_symptom"
    symptom: str
    onset: date
    familiar: list[str]


class AlternativeFinding(_Finding):
    kind: Literal["alternative"] = "alternative"
    code: str
    label: Explanation
    region: str | None = None
    waiting_time: str | None = None


class MissingTest(_Out):
    test_id: str
    label: Explanation
    reason: Literal["absent", "too_old"]
    codes: list[str]
    newest: date | None = None
    age_days: int | None = None
    max_age_days: int
    max_age_sourced: bool


class FilterPackageFinding(_Finding):
    kind: Literal["filter_package"] = "filter_package"
    package: str
    missing: list[MissingTest]


Finding = Annotated[
    GuidelineCriterion
    | PatternBreakFinding
    | LongAbsenceFinding
    | ContinuityFinding
    | VulnerabilityFinding
    | PpvFinding
    | NewSymptomFinding
    | AlternativeFinding
    | FilterPackageFinding,
    Field(discriminator="kind"),
]


class Assessment(_Out):
    ruleset: str
    as_of: date
    findings: list[Finding]

    def of_kind(self, kind: str) -> list[Any]:
        return [f for f in self.findings if f.kind == kind]
