"""Pre-referral test packages (the GP's *filterfunktion*) and which of their tests are missing.

Before a referral to the diagnostic pathway (*diagnostisk pakkeforløb*) the GP takes a standard
set of tests. The set is regional, so it is data (`rules/filter_packages.yaml`), each package with
its provenance. `missing_filter_tests(context)` lists the tests of a package that the patient has
not had, or has had too long ago, so the GP sees what to add before sending the referral.

    from opspor.engine.filter_package import missing_filter_tests, load_filter_packages
    for item in missing_filter_tests(context):            # default: dpf-region-hovedstaden
        print(item.test_id, item.reason, item.label["da"])

The module is pure: it reads the YAML file once, validates every field and every code against
the vocabulary, and never touches a database.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import Field, ValidationError, model_validator

from opspor.engine.context import PatientContext
from opspor.engine.datafile import StrictModel, load_yaml, loc
from opspor.engine.vocab import load_vocabulary

PACKAGES_FILE = Path(__file__).resolve().parent / "rules" / "filter_packages.yaml"
DEFAULT_PACKAGE = "dpf-region-hovedstaden"

Reason = Literal["absent", "too_old"]


class FilterPackageError(ValueError):
    """A package file that cannot be used; the message names the file, package, test and field."""


class Label(StrictModel):
    da: str = Field(min_length=1)
    en: str = Field(min_length=1)


class AgeSource(StrictModel):
    title: str = Field(min_length=1)
    url: str = Field(min_length=1)


class Condition(StrictModel):
    """Who a test applies to: a sex and an age band in completed years, both bounds inclusive."""

    sex: Literal["female", "male"] | None = None
    age_min: int | None = Field(default=None, ge=0)
    age_max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _something_and_ordered(self) -> Self:
        if self.sex is None and self.age_min is None and self.age_max is None:
            raise ValueError("a condition needs sex, age_min or age_max")
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(f"age_min {self.age_min} is above age_max {self.age_max}")
        return self

    def applies(self, *, sex: str, age: int) -> bool:
        if self.sex is not None and sex != self.sex:
            return False
        if self.age_min is not None and age < self.age_min:
            return False
        return not (self.age_max is not None and age > self.age_max)


class PackageTest(StrictModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Label
    codes: tuple[str, ...] = Field(min_length=1)
    match: Literal["any", "all"] = "any"
    max_age_days: int = Field(ge=1)
    max_age_source: AgeSource | None = None
    max_age_unsourced: bool = False
    max_age_note: str | None = None
    condition: Condition | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _age_is_cited_or_marked(self) -> Self:
        # A time limit is a clinical number: it is either cited or openly marked as unsourced.
        if self.max_age_unsourced == (self.max_age_source is not None):
            raise ValueError("give max_age_source, or max_age_unsourced: true (not both)")
        if self.max_age_unsourced and not self.max_age_note:
            raise ValueError("an unsourced max_age_days needs a max_age_note saying why")
        return self


class Provenance(StrictModel):
    title: str = Field(min_length=1)
    url: str = Field(min_length=1)
    region: str = Field(min_length=1)
    verified: bool
    note: str | None = None

    @model_validator(mode="after")
    def _unverified_says_why(self) -> Self:
        if not self.verified and not self.note:
            raise ValueError("an unverified package needs a note saying what it is")
        return self


class FilterPackage(StrictModel):
    name: str
    title: Label
    provenance: Provenance
    tests: tuple[PackageTest, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [t.id for t in self.tests]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"test id(s) used twice: {twice}")
        return self


class _File(StrictModel):
    schema_version: Literal[1]
    packages: dict[str, dict[str, Any]] = Field(min_length=1)


@dataclass(frozen=True)
class MissingTest:
    """One test of a package that the patient lacks, or has only as an old result."""

    test_id: str
    label: Mapping[str, str]  # {"da": ..., "en": ...}
    reason: Reason  # "absent" when a needed code has no result at all, else "too_old"
    codes: tuple[str, ...]  # the codes that are absent or too old
    newest: date | None  # newest result among those codes, if any
    age_days: int | None  # its age on the context's as_of
    max_age_days: int
    max_age_sourced: bool
    condition: Condition | None

    def as_dict(self) -> dict[str, object]:
        return {
            "test_id": self.test_id,
            "label": dict(self.label),
            "reason": self.reason,
            "codes": list(self.codes),
            "newest": self.newest.isoformat() if self.newest else None,
            "age_days": self.age_days,
            "max_age_days": self.max_age_days,
            "max_age_sourced": self.max_age_sourced,
            "condition": self.condition.model_dump(exclude_none=True) if self.condition else None,
        }


def parse_packages(data: Any, *, file: str = PACKAGES_FILE.name) -> dict[str, FilterPackage]:
    """Validate the package file's content; every error names the file, package, test and field."""
    try:
        raw = _File.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{loc(e['loc'], '(file)')}: {e['msg']}" for e in error.errors())
        raise FilterPackageError(f"{file}: {problems}") from None
    vocab = load_vocabulary()
    packages: dict[str, FilterPackage] = {}
    for name, body in raw.packages.items():
        if not isinstance(body, Mapping):
            raise FilterPackageError(f"{file}: package {name}: expected a mapping")
        try:
            package = FilterPackage.model_validate({"name": name, **body})
        except ValidationError as error:
            problems = "; ".join(f"{loc(e['loc'], '(file)')}: {e['msg']}" for e in error.errors())
            raise FilterPackageError(f"{file}: package {name}: {problems}") from None
        for test in package.tests:
            for code in test.codes:
                if code not in vocab.labs and code not in vocab.findings:
                    raise FilterPackageError(
                        f"{file}: package {name}: test {test.id}: codes: {code!r} is neither a "
                        "lab nor a finding code of the vocabulary"
                    )
        packages[name] = package
    return packages


def load_filter_packages(path: Path | None = None) -> dict[str, FilterPackage]:
    """All packages of the shipped file (read once), or of another file (read every time)."""
    if path is None:
        return _shipped()
    return _read(path)


@functools.cache
def _shipped() -> dict[str, FilterPackage]:
    return _read(PACKAGES_FILE)


def _read(path: Path) -> dict[str, FilterPackage]:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise FilterPackageError(f"{path.name}: not valid YAML: {error}") from None
    return parse_packages(data, file=path.name)


def _newest_dates(context: PatientContext) -> dict[str, date]:
    """The newest date of each lab and finding code in the context."""
    newest: dict[str, date] = {}
    for code, day in [(lab.code, lab.date) for lab in context.labs] + [
        (f.code, f.date) for f in context.findings
    ]:
        if code not in newest or day > newest[code]:
            newest[code] = day
    return newest


def _check(test: PackageTest, newest: Mapping[str, date], as_of: date) -> MissingTest | None:
    def age(code: str) -> int | None:
        return (as_of - newest[code]).days if code in newest else None

    def recent(code: str) -> bool:
        days = age(code)
        return days is not None and days <= test.max_age_days

    if test.match == "any":
        if any(recent(code) for code in test.codes):
            return None
        lacking = test.codes
        reason: Reason = "too_old" if any(code in newest for code in test.codes) else "absent"
    else:
        lacking = tuple(code for code in test.codes if not recent(code))
        if not lacking:
            return None
        reason = "absent" if any(code not in newest for code in lacking) else "too_old"
    dated = [newest[code] for code in lacking if code in newest]
    last = max(dated) if dated else None
    return MissingTest(
        test_id=test.id,
        label={"da": test.label.da, "en": test.label.en},
        reason=reason,
        codes=tuple(lacking),
        newest=last,
        age_days=(as_of - last).days if last else None,
        max_age_days=test.max_age_days,
        max_age_sourced=not test.max_age_unsourced,
        condition=test.condition,
    )


def missing_filter_tests(
    context: PatientContext,
    package: str = DEFAULT_PACKAGE,
    *,
    packages: Mapping[str, FilterPackage] | None = None,
) -> list[MissingTest]:
    """Each test of `package` that applies to the patient and is absent, or older than allowed,
    in the context's labs and findings, in the package's order."""
    known = load_filter_packages() if packages is None else packages
    if package not in known:
        raise KeyError(f"unknown filter package {package!r}; known: {', '.join(sorted(known))}")
    sex, age = context.patient.sex, context.age()
    newest = _newest_dates(context)
    missing: list[MissingTest] = []
    for test in known[package].tests:
        if test.condition is not None and not test.condition.applies(sex=sex, age=age):
            continue
        item = _check(test, newest, context.as_of)
        if item is not None:
            missing.append(item)
    return missing
