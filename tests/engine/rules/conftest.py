"""Shared helpers for the rule-set tests: build a `PatientContext` in one line, test one rule.

Import them in a test file with ``from tests.engine.rules.conftest import ctx, matches``.

    ctx(age=40, sex="male", smoking="former",
        symptoms=["cough", {"code": "chest_infection", "recurrent": True}],
        labs=[("platelets", 450)], findings=["chest_xray_suggests_lung_cancer"],
        exposures=["asbestos"])

returns a plain dict (valid `PatientContext` JSON) with the birth date computed from `age` and
`as_of`, so a test states the age the guideline states. `age=40` is a person whose 40th
birthday is today; `age=39, last_day_of_age=True` is a person whose 40th birthday is tomorrow,
the sharpest boundary there is.

    matches("ng12-1.1.1-haemoptysis", ctx(age=40, symptoms=["haemoptysis"]))  # evidence or None
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from opspor.engine.context import PatientContext
from opspor.engine.facts import Facts
from opspor.engine.rules import conditions as c
from opspor.engine.rules.loader import load_ruleset
from opspor.engine.rules.schema import Rule
from opspor.engine.vocab import load_vocabulary

AS_OF = date(2025, 6, 2)

SymptomSpec = str | Mapping[str, Any]
LabSpec = tuple[str, float] | tuple[str, float, int] | Mapping[str, Any]
FindingSpec = str | Mapping[str, Any]


def birth_date_for(age: int, as_of: date = AS_OF, *, last_day_of_age: bool = False) -> date:
    """The birth date of someone who is `age` today: turned `age` today, or turns `age + 1`
    tomorrow when `last_day_of_age` is set."""
    years = age + 1 if last_day_of_age else age
    try:
        born = as_of.replace(year=as_of.year - years)
    except ValueError:  # as_of is 29 February and the birth year is not a leap year
        born = as_of.replace(year=as_of.year - years, day=28)
    return born + timedelta(days=1) if last_day_of_age else born


def _symptom(spec: SymptomSpec, as_of: date) -> dict[str, Any]:
    """A symptom code, or a dict with code and any of unexplained / persistent / recurrent /
    onset / days_ago (default: began 30 days ago, unexplained, neither persistent nor
    recurrent)."""
    if isinstance(spec, str):
        spec = {"code": spec}
    entry = dict(spec)
    days_ago = int(entry.pop("days_ago", 30))
    entry.setdefault("onset", (as_of - timedelta(days=days_ago)).isoformat())
    return entry


def _lab(spec: LabSpec, as_of: date) -> dict[str, Any]:
    """(code, value) or (code, value, days_ago) or a dict; the unit defaults to the
    vocabulary's, the date to 7 days before as_of."""
    if isinstance(spec, tuple):
        code, value, *rest = spec
        spec = {"code": code, "value": value, "days_ago": rest[0] if rest else 7}
    entry = dict(spec)
    days_ago = int(entry.pop("days_ago", 7))
    entry.setdefault("unit", load_vocabulary().labs[entry["code"]].unit)
    entry.setdefault("date", (as_of - timedelta(days=days_ago)).isoformat())
    return entry


def _finding(spec: FindingSpec, as_of: date) -> dict[str, Any]:
    if isinstance(spec, str):
        spec = {"code": spec}
    entry = dict(spec)
    days_ago = int(entry.pop("days_ago", 7))
    entry.setdefault("date", (as_of - timedelta(days=days_ago)).isoformat())
    return entry


def ctx(
    *,
    age: int = 50,
    sex: str = "female",
    smoking: str = "never",
    symptoms: Iterable[SymptomSpec] = (),
    labs: Iterable[LabSpec] = (),
    findings: Iterable[FindingSpec] = (),
    exposures: Iterable[str] = (),
    family_history: Iterable[Mapping[str, str]] = (),
    as_of: date = AS_OF,
    last_day_of_age: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A `PatientContext` as JSON-ready dict; `extra` sets further top-level fields
    (contacts, conditions, medications, ...)."""
    return {
        "as_of": as_of.isoformat(),
        "patient": {
            "birth_date": birth_date_for(age, as_of, last_day_of_age=last_day_of_age).isoformat(),
            "sex": sex,
            "smoking": smoking,
            "occupational_exposures": list(exposures),
            "family_history": [dict(m) for m in family_history],
        },
        "symptoms": [_symptom(s, as_of) for s in symptoms],
        "labs": [_lab(lab, as_of) for lab in labs],
        "findings": [_finding(f, as_of) for f in findings],
        **extra,
    }


def facts_of(context: Mapping[str, Any], signals: dict[str, bool] | None = None) -> Facts:
    return Facts.of(PatientContext.model_validate(context), signals=signals)


def rule(rule_id: str, ruleset: str = "nice-ng12") -> Rule:
    for r in load_ruleset(ruleset).rules:
        if r.id == rule_id:
            return r
    raise KeyError(f"no rule {rule_id!r} in {ruleset}")


def matches(
    rule_id: str,
    context: Mapping[str, Any],
    *,
    ruleset: str = "nice-ng12",
    signals: dict[str, bool] | None = None,
) -> list[dict[str, object]] | None:
    """The evidence when the rule matches the context, None when it does not."""
    return rule(rule_id, ruleset).when.test(facts_of(context, signals))


def rules_with_number(number: str, ruleset: str = "nice-ng12") -> list[Rule]:
    """Every rule encoding recommendation `number` (a recommendation may need several)."""
    return [r for r in load_ruleset(ruleset).rules if r.recommendation_number == number]


def uses_not(condition: Any) -> bool:
    """Whether a condition tree contains `not`, the one condition that can turn more evidence
    into fewer matches (NG12's "without ...", or a safety net for people not meeting referral
    criteria)."""
    if isinstance(condition, c.Not):
        return True
    if isinstance(condition, c.WeightedScore):
        return any(uses_not(sub) for _, sub in condition.items)
    return any(uses_not(sub) for sub in getattr(condition, "conditions", ()))
