"""The conditions a rule can state, and how each is tested against a patient's facts.

A test returns the evidence it used when the condition holds, or None when it does not, so
that every finding can say *why*. Only `not` can turn more evidence into fewer matches, and
the guideline rule sets do not need it for symptoms: an extra symptom never removes a match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from opspor.engine.facts import Facts

Evidence = dict[str, object]
Course = Literal["any", "persistent", "recurrent", "persistent_or_recurrent"]


class Condition(Protocol):
    def test(self, facts: Facts) -> list[Evidence] | None: ...


@dataclass(frozen=True)
class Age:
    minimum: int | None = None
    maximum: int | None = None

    def test(self, facts: Facts) -> list[Evidence] | None:
        if self.minimum is not None and facts.age < self.minimum:
            return None
        if self.maximum is not None and facts.age > self.maximum:
            return None
        return [{"input": "age", "value": facts.age}]


@dataclass(frozen=True)
class Sex:
    sex: str

    def test(self, facts: Facts) -> list[Evidence] | None:
        return [{"input": "sex", "value": facts.sex}] if facts.sex == self.sex else None


@dataclass(frozen=True)
class Smoking:
    statuses: frozenset[str]

    def test(self, facts: Facts) -> list[Evidence] | None:
        if facts.smoking in self.statuses:
            return [{"input": "smoking", "value": facts.smoking}]
        return None


@dataclass(frozen=True)
class Exposure:
    codes: frozenset[str]

    def test(self, facts: Facts) -> list[Evidence] | None:
        hit = sorted(self.codes & facts.exposures)
        return [{"input": "occupational_exposure", "code": c} for c in hit] or None


@dataclass(frozen=True)
class FamilyHistory:
    sites: frozenset[str]
    at_least: int = 1

    def test(self, facts: Facts) -> list[Evidence] | None:
        hits = [s for s in facts.family_sites if not self.sites or s in self.sites]
        if len(hits) < self.at_least:
            return None
        return [{"input": "family_history", "cancer_site": s} for s in hits]


@dataclass(frozen=True)
class Symptom:
    code: str
    unexplained: bool = True
    course: Course = "any"
    within_days: int | None = None
    # NG12 1.8.2 "ulceration ... lasting for more than 3 weeks": a minimum duration, counted
    # from the recorded onset.
    lasting_more_than_days: int | None = None

    def test(self, facts: Facts) -> list[Evidence] | None:
        for entry in facts.symptoms.get(self.code, ()):
            if self.unexplained and not entry.unexplained:
                continue
            if self.course == "persistent" and not entry.persistent:
                continue
            if self.course == "recurrent" and not entry.recurrent:
                continue
            if self.course == "persistent_or_recurrent" and not (
                entry.persistent or entry.recurrent
            ):
                continue
            if self.within_days is not None and (facts.as_of - entry.onset).days > self.within_days:
                continue
            if (
                self.lasting_more_than_days is not None
                and (facts.as_of - entry.onset).days <= self.lasting_more_than_days
            ):
                continue
            return [facts.symptom_evidence(entry)]
        return None


@dataclass(frozen=True)
class Finding:
    code: str
    within_days: int | None = None

    def test(self, facts: Facts) -> list[Evidence] | None:
        found = facts.findings.get(self.code)
        if found is None:
            return None
        if self.within_days is not None and (facts.as_of - found).days > self.within_days:
            return None
        return [{"input": "finding", "code": self.code, "date": found.isoformat()}]


@dataclass(frozen=True)
class Lab:
    """The newest result of a test within the window, compared with a threshold."""

    code: str
    above: float | None = None
    below: float | None = None
    at_least: float | None = None
    at_most: float | None = None
    within_days: int = 90

    def test(self, facts: Facts) -> list[Evidence] | None:
        results = facts.labs.get(self.code)
        if not results:
            return None
        newest = results[0]
        if (facts.as_of - newest.date).days > self.within_days:
            return None
        v = newest.value
        if self.above is not None and not v > self.above:
            return None
        if self.below is not None and not v < self.below:
            return None
        if self.at_least is not None and not v >= self.at_least:
            return None
        if self.at_most is not None and not v <= self.at_most:
            return None
        return [
            {
                "input": "lab",
                "code": self.code,
                "value": v,
                "unit": newest.unit,
                "date": newest.date.isoformat(),
            }
        ]


@dataclass(frozen=True)
class Signal:
    """A signal computed from the contact or medication history (e.g. a pattern break)."""

    name: str

    def test(self, facts: Facts) -> list[Evidence] | None:
        return [{"input": "signal", "name": self.name}] if facts.signals.get(self.name) else None


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]

    def test(self, facts: Facts) -> list[Evidence] | None:
        evidence: list[Evidence] = []
        for condition in self.conditions:
            found = condition.test(facts)
            if found is None:
                return None
            evidence += found
        return evidence


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]

    def test(self, facts: Facts) -> list[Evidence] | None:
        # Every branch that holds is reported, not only the first, so that the GP sees all
        # the reasons a recommendation applies.
        evidence: list[Evidence] = []
        matched = False
        for condition in self.conditions:
            found = condition.test(facts)
            if found is not None:
                matched = True
                evidence += found
        return evidence if matched else None


@dataclass(frozen=True)
class AtLeast:
    n: int
    conditions: tuple[Condition, ...]

    def test(self, facts: Facts) -> list[Evidence] | None:
        evidence: list[Evidence] = []
        count = 0
        for condition in self.conditions:
            found = condition.test(facts)
            if found is not None:
                count += 1
                evidence += found
        return evidence if count >= self.n else None


@dataclass(frozen=True)
class WeightedScore:
    """A checklist whose items carry points, such as NG12's weighted 7-point checklist for
    pigmented skin lesions: it holds when the points of the items present reach `at_least`."""

    at_least: int
    items: tuple[tuple[int, Condition], ...]

    def test(self, facts: Facts) -> list[Evidence] | None:
        evidence: list[Evidence] = []
        total = 0
        for points, condition in self.items:
            found = condition.test(facts)
            if found is not None:
                total += points
                evidence += found
        if total < self.at_least:
            return None
        return [*evidence, {"input": "score", "points": total, "threshold": self.at_least}]


@dataclass(frozen=True)
class Not:
    condition: Condition

    def test(self, facts: Facts) -> list[Evidence] | None:
        return None if self.condition.test(facts) is not None else []


def dedupe(evidence: Sequence[Evidence]) -> list[Evidence]:
    """The evidence without repeats (an age stated by the rule and by its age group, a
    symptom named by two branches), in first-seen order."""
    if len(evidence) <= _SHORT:
        # A rule's evidence is a handful of small dicts: comparing them in C beats hashing.
        out: list[Evidence] = []
        for item in evidence:
            if item not in out:
                out.append(item)
        return out
    # The set of an item's pairs identifies it whatever order its keys were written in
    # (two dicts with the same pairs are equal), without sorting them.
    seen: set[frozenset[tuple[str, object]]] = set()
    out = []
    for item in evidence:
        key = frozenset(item.items())
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


_SHORT = 24


# An input a condition can read: ("symptom", code), ("finding", code), ("lab", code),
# ("signal", name) or ("exposure", code).
Input = tuple[str, str]


def required_inputs(condition: Condition) -> frozenset[Input] | None:
    """Inputs of which at least one must be present for the condition to hold, or None when
    it can hold without any (an age, a sex, a `not`). The engine skips a rule whose required
    inputs are all absent from a patient's facts, which is what lets it run a hundred rules
    at the rate of a few: most rules ask about symptoms a given patient does not have."""
    match condition:
        case Symptom(code=code):
            return frozenset({("symptom", code)})
        case Finding(code=code):
            return frozenset({("finding", code)})
        case Lab(code=code):
            return frozenset({("lab", code)})
        case Signal(name=name):
            return frozenset({("signal", name)})
        case Exposure(codes=codes):
            return frozenset(("exposure", c) for c in codes)
        case AllOf(conditions=parts):
            # Every part must hold, so the narrowest part's requirement is the rule's.
            known = [r for r in map(required_inputs, parts) if r is not None]
            return min(known, key=len) if known else None
        case AnyOf(conditions=parts) | AtLeast(conditions=parts):
            return _union(required_inputs(p) for p in parts)
        case WeightedScore(items=items):
            return _union(required_inputs(p) for _points, p in items)
    return None


def _union(requirements: Iterable[frozenset[Input] | None]) -> frozenset[Input] | None:
    # One part that can hold without any input makes the whole hold without one.
    out: set[Input] = set()
    for r in requirements:
        if r is None:
            return None
        out |= r
    return frozenset(out)
