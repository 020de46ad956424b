"""Loading and validating the synthetic region's parameters (``params.yaml``).

Every block that carries numbers must say where they come from (``source``); the loader
refuses a block without one, so that an unsourced figure cannot slip in unmarked.
"""

from __future__ import annotations

import itertools
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

SITES: tuple[str, ...] = (
    "lung",
    "breast",
    "colorectal",
    "prostate",
    "kidney",
    "lymphoma",
    "leukaemia",
)
SEXES: tuple[str, ...] = ("female", "male")
CONTACT_KINDS: tuple[str, ...] = ("consultation", "phone", "email", "home_visit")
# Routes to diagnosis, in the order of `diagnoses.parquet`'s dictionary.
ROUTES: tuple[str, ...] = ("cancer_pathway", "dpf", "other_referral", "emergency")
UNITS: tuple[str, ...] = (
    "amager_hvidovre",
    "bispebjerg_frederiksberg",
    "herlev_gentofte",
    "nordsjaelland",
)

Band = tuple[int, int]
Sourced = str


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_bands(bands: list[Band]) -> None:
    for lo, hi in bands:
        if hi < lo:
            raise ValueError(f"age band {lo}-{hi} is empty")
    for (_, a_hi), (b_lo, _) in itertools.pairwise(bands):
        if b_lo != a_hi + 1:
            raise ValueError(f"age bands are not contiguous at {a_hi}/{b_lo}")


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability, got {value}")


def _check_shares(name: str, values: dict[str, float] | list[float], tol: float = 0.011) -> None:
    total = sum(values.values()) if isinstance(values, dict) else sum(values)
    if abs(total - 1.0) > tol:
        raise ValueError(f"{name} must sum to 1, sums to {total:.4f}")


class SourceRef(_Model):
    title: str
    url: str | None = None
    says: str


class SourcedValue(_Model):
    source: Sourced = Field(min_length=1)
    value: float


class Population(_Model):
    source: Sourced = Field(min_length=1)
    age_bands: list[Band]
    share_percent: list[float]
    female_share: list[float]
    # Published population 65+ per 100 aged 0-14 that the shares must reproduce.
    ageing_index: SourcedValue | None = None

    @model_validator(mode="after")
    def _shapes(self) -> Self:
        _check_bands(self.age_bands)
        if not (len(self.age_bands) == len(self.share_percent) == len(self.female_share)):
            raise ValueError("population: bands, shares and female shares differ in length")
        if abs(sum(self.share_percent) - 100.0) > 0.5:
            raise ValueError("population: share_percent must sum to 100")
        for f in self.female_share:
            _check_probability("female_share", f)
        return self


class Registration(_Model):
    source: Sourced = Field(min_length=1)
    moved_in_during_window: float
    left_during_window: float
    mean_years_listed_before_window: float = Field(gt=0)


class CancerDeath(_Model):
    model_config = ConfigDict(extra="allow", frozen=True)
    source: Sourced = Field(min_length=1)

    def probability(self, site: str) -> float:
        value = getattr(self, site)
        return float(value)


class Mortality(_Model):
    source: Sourced = Field(min_length=1)
    gompertz_a: float = Field(gt=0)
    gompertz_b: float = Field(gt=0)
    cancer_death_within_2y: CancerDeath


class Trainees(_Model):
    source: Sourced = Field(min_length=1)
    solo: float
    multi: float


class Practices(_Model):
    source: Sourced = Field(min_length=1)
    patients_per_gp: int = Field(gt=0)
    n_gps_values: list[int]
    n_gps_share: list[float]
    network_share_of_multi_gp: SourcedValue
    trainee_probability: Trainees

    @model_validator(mode="after")
    def _shapes(self) -> Self:
        if len(self.n_gps_values) != len(self.n_gps_share):
            raise ValueError("practices: n_gps_values and n_gps_share differ in length")
        _check_shares("practices.n_gps_share", self.n_gps_share)
        return self

    @property
    def mean_gps(self) -> float:
        return sum(v * s for v, s in zip(self.n_gps_values, self.n_gps_share, strict=True))


class Continuity(_Model):
    source: Sourced = Field(min_length=1)
    own_gp_probability_by_n_gps: dict[int, float]


class Municipality(_Model):
    name: str
    weight: float = Field(gt=0)
    unit: Literal["amager_hvidovre", "bispebjerg_frederiksberg", "herlev_gentofte", "nordsjaelland"]


class Municipalities(_Model):
    source: Sourced = Field(min_length=1)
    entries: list[Municipality] = Field(min_length=1)
    # Share of practices per diagnostic unit; without it practices follow the weights alone.
    unit_practice_share: dict[str, float] | None = None

    @model_validator(mode="after")
    def _units(self) -> Self:
        if self.unit_practice_share is not None:
            if set(self.unit_practice_share) != set(UNITS):
                raise ValueError(f"municipalities.unit_practice_share must name {UNITS}")
            _check_shares("municipalities.unit_practice_share", self.unit_practice_share, 1e-3)
            missing = set(UNITS) - {m.unit for m in self.entries}
            if missing:
                raise ValueError(f"municipalities: no municipality for {sorted(missing)}")
        return self

    def practice_weights(self) -> list[float]:
        """Probability that a practice lies in each entry's municipality.

        With unit shares, a unit gets its share of practices and the municipalities inside it
        split that share by their weights (population); otherwise the weights alone decide.
        """
        total = sum(m.weight for m in self.entries)
        if self.unit_practice_share is None:
            return [m.weight / total for m in self.entries]
        unit_total: dict[str, float] = {}
        for m in self.entries:
            unit_total[m.unit] = unit_total.get(m.unit, 0.0) + m.weight
        share = self.unit_practice_share
        return [share[m.unit] * m.weight / unit_total[m.unit] for m in self.entries]


class ContactKinds(_Model):
    source: Sourced = Field(min_length=1)
    consultation: float
    phone: float
    email: float
    home_visit: float
    home_visit_share_75_plus: float

    @model_validator(mode="after")
    def _sum(self) -> Self:
        _check_shares(
            "contacts.kinds",
            [self.consultation, self.phone, self.email, self.home_visit],
            tol=1e-6,
        )
        if self.home_visit_share_75_plus > self.consultation + self.home_visit:
            raise ValueError("contacts.kinds: home_visit_share_75_plus too large")
        return self


class Contacts(_Model):
    source: Sourced = Field(min_length=1)
    rate_age_bands: list[Band]
    per_person_year: dict[str, list[float]]
    frailty_gamma_shape: SourcedValue
    kinds: ContactKinds

    @model_validator(mode="after")
    def _shapes(self) -> Self:
        _check_bands(self.rate_age_bands)
        if set(self.per_person_year) != set(SEXES):
            raise ValueError("contacts.per_person_year must give female and male")
        for sex in SEXES:
            if len(self.per_person_year[sex]) != len(self.rate_age_bands):
                raise ValueError(f"contacts.per_person_year.{sex} has the wrong length")
        return self


class FrequentAttenders(_Model):
    source: Sourced = Field(min_length=1)
    adult_prevalence: float
    rate_multiplier: float = Field(gt=0)
    min_age: int


class BySex(_Model):
    female: float
    male: float


class Smoking(_Model):
    source: Sourced = Field(min_length=1)
    current: BySex
    former: BySex
    min_age: int


class LivesAlone(_Model):
    source: Sourced = Field(min_length=1)
    min_age: int
    age_bands: list[Band]
    male: list[float]
    female: list[float]
    # Published share of people aged 65+ living alone that the bands must reproduce.
    share_65_plus: SourcedValue | None = None
    # Published number of women aged 65+ living alone per man.
    female_to_male_65_plus: SourcedValue | None = None


class Language(_Model):
    source: Sourced = Field(min_length=1)
    share: dict[str, float]
    interpreter_probability: dict[str, float]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_shares("language.share", self.share)
        if set(self.share) != set(self.interpreter_probability):
            raise ValueError("language: share and interpreter_probability name other languages")
        return self

    @property
    def expected_interpreter_share(self) -> float:
        return sum(self.share[k] * self.interpreter_probability[k] for k in self.share)


class Occupation(_Model):
    code: str
    share: float
    exposures: dict[str, float]


class Occupations(_Model):
    source: Sourced = Field(min_length=1)
    min_age: int
    entries: list[Occupation]

    @model_validator(mode="after")
    def _sum(self) -> Self:
        _check_shares("occupations", [e.share for e in self.entries])
        return self


class FamilyHistory(_Model):
    source: Sourced = Field(min_length=1)
    min_age: int
    prevalence: float
    second_site_share: float


class Condition(_Model):
    key: str
    code: str
    system: Literal["icd10", "icpc2"]
    adult_prevalence: float
    female_to_male: float = Field(gt=0)
    age_shape: list[float]
    contact_irr: float = Field(gt=0)
    atc: list[str]
    group: Literal["somatic", "psychiatric", "substance"]
    source: Sourced = Field(min_length=1)


class Multimorbidity(_Model):
    source: Sourced = Field(min_length=1)
    adult_share_band: tuple[float, float]


class CodeMix(_Model):
    source: Sourced = Field(min_length=1)
    per_contact_probability: float
    codes: dict[str, float]

    @model_validator(mode="after")
    def _sum(self) -> Self:
        _check_shares("codes", self.codes)
        return self


class BackgroundSymptoms(CodeMix):
    frequent_attender_probability: float
    persistent_probability: float
    recurrent_probability: float


class BackgroundLabs(_Model):
    source: Sourced = Field(min_length=1)
    panel_per_consultation: float
    panel: list[str]
    extended_panel_probability: float
    extended: list[str]
    psa_probability_men_50_plus: float


class SmokingRisk(_Model):
    source: Sourced = Field(min_length=1)
    site: str
    never: float
    former: float
    current: float


class Cancer(_Model):
    source: Sourced = Field(min_length=1)
    sites: list[str]
    crude_per_100k: dict[str, dict[str, float]]
    age_bands: list[Band]
    age_shape: dict[str, list[float]]
    smoking_relative_risk: SmokingRisk

    @model_validator(mode="after")
    def _shapes(self) -> Self:
        _check_bands(self.age_bands)
        if tuple(self.sites) != SITES:
            raise ValueError(f"cancer.sites must be {SITES}")
        for sex in SEXES:
            if set(self.crude_per_100k[sex]) != set(SITES):
                raise ValueError(f"cancer.crude_per_100k.{sex} must name every site")
        for site in SITES:
            if len(self.age_shape[site]) != len(self.age_bands):
                raise ValueError(f"cancer.age_shape.{site} has the wrong length")
        return self


class PrediagnosticWindow(_Model):
    from_days: int = Field(ge=0)
    to_days: int
    multiplier: float = Field(ge=1.0)


class LogShift(_Model):
    log_multiplier: float = Field(gt=0)


class PrediagnosticLabs(_Model):
    source: Sourced = Field(min_length=1)
    panel_probability: float
    shifts: dict[str, dict[str, float | LogShift]]


class SiteMix(_Model):
    model_config = ConfigDict(extra="allow", frozen=True)
    source: Sourced = Field(min_length=1)

    def mix(self, site: str) -> dict[str, float]:
        value = getattr(self, site)
        return {str(k): float(v) for k, v in dict(value).items()}


class Prediagnostic(_Model):
    source: Sourced = Field(min_length=1)
    windows: list[PrediagnosticWindow]
    symptom_probability: float
    patient_interval_median_days: SourcedValue
    symptoms: SiteMix
    labs: PrediagnosticLabs

    @model_validator(mode="after")
    def _contiguous(self) -> Self:
        edge = 0
        for w in self.windows:
            if w.from_days != edge or w.to_days <= w.from_days:
                raise ValueError("prediagnostic.windows must be contiguous from day 0")
            edge = w.to_days
        for site in SITES:
            _check_shares(f"prediagnostic.symptoms.{site}", self.symptoms.mix(site))
        return self

    @property
    def horizon_days(self) -> int:
        return self.windows[-1].to_days

    def mean_multiplier(self, days: int) -> float:
        """Mean rate multiplier over the last ``days`` days before diagnosis."""
        total = 0.0
        for w in self.windows:
            overlap = max(0, min(days, w.to_days) - w.from_days)
            total += overlap * w.multiplier
        return (total + max(0, days - self.horizon_days)) / days


class RouteShares(_Model):
    source: Sourced = Field(min_length=1)
    cancer_pathway: float = Field(ge=0, le=1)
    dpf: float = Field(ge=0, le=1)
    other_referral: float = Field(ge=0, le=1)
    emergency: float = Field(ge=0, le=1)

    def shares(self) -> list[float]:
        return [float(getattr(self, r)) for r in ROUTES]

    @model_validator(mode="after")
    def _sums(self) -> Self:
        _check_shares("pathways.routes", self.shares(), tol=1e-6)
        return self


class LogNormalDays(_Model):
    source: Sourced = Field(min_length=1)
    median_days: float = Field(gt=0)
    sigma: float = Field(gt=0)


class ZeroInflatedDays(_Model):
    source: Sourced = Field(min_length=1)
    zero_share: float = Field(ge=0, le=1)
    positive_median_days: float = Field(gt=0)
    positive_sigma: float = Field(gt=0)


class EmergencyToDiagnosis(_Model):
    source: Sourced = Field(min_length=1)
    max_days: int = Field(ge=0)


class Placement(_Model):
    source: Sourced = Field(min_length=1)
    snap_days: int = Field(ge=0)
    max_interval_days: int = Field(ge=1)


class Pathways(_Model):
    source: Sourced = Field(min_length=1)
    routes: RouteShares
    patient_interval: LogNormalDays
    primary_care_interval: ZeroInflatedDays
    secondary_care_interval: LogNormalDays
    emergency_to_diagnosis: EmergencyToDiagnosis
    placement: Placement


class LabShape(_Model):
    unit: str
    female: tuple[float | None, float | None]
    male: tuple[float | None, float | None]
    skewed: bool = False
    median: float | None = None
    sigma: float | None = None


class LabFallback(_Model):
    source: Sourced = Field(min_length=1)
    labs: dict[str, LabShape]


class SynthParams(_Model):
    version: int
    sources: dict[str, SourceRef]
    population: Population
    history_years: int = Field(ge=4, le=30)
    registration: Registration
    mortality: Mortality
    practices: Practices
    continuity: Continuity
    municipalities: Municipalities
    contacts: Contacts
    frequent_attenders: FrequentAttenders
    smoking: Smoking
    lives_alone: LivesAlone
    language: Language
    occupations: Occupations
    family_history: FamilyHistory
    condition_age_bands: list[Band]
    conditions: list[Condition]
    multimorbidity: Multimorbidity
    acute_conditions: CodeMix
    cancer: Cancer
    prediagnostic: Prediagnostic
    pathways: Pathways
    background_symptoms: BackgroundSymptoms
    background_labs: BackgroundLabs
    workup_panel: list[str]
    lab_fallback: LabFallback

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        _check_bands(self.condition_age_bands)
        for c in self.conditions:
            if len(c.age_shape) != len(self.condition_age_bands):
                raise ValueError(f"condition {c.key}: age_shape has the wrong length")
        labs = set(self.lab_fallback.labs)
        used = set(self.background_labs.panel) | set(self.background_labs.extended)
        used |= set(self.workup_panel)
        for shifts in self.prediagnostic.labs.shifts.values():
            used |= set(shifts)
        if not used <= labs:
            raise ValueError(f"labs without a shape in lab_fallback: {sorted(used - labs)}")
        return self

    def symptom_codes(self) -> set[str]:
        codes = set(self.background_symptoms.codes)
        for site in SITES:
            codes |= set(self.prediagnostic.symptoms.mix(site))
        return codes

    def lab_codes(self) -> set[str]:
        return set(self.lab_fallback.labs)

    def exposure_codes(self) -> set[str]:
        return {x for o in self.occupations.entries for x in o.exposures}


def load_params(path: str | Path | None = None) -> SynthParams:
    """Read and validate ``params.yaml`` (the packaged one unless ``path`` is given)."""
    if path is None:
        text = resources.files("opspor.synth").joinpath("params.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    return SynthParams.model_validate(yaml.safe_load(text))


@cache
def default_params() -> SynthParams:
    return load_params()
