"""The context, indexed once for the rules: latest value per lab, symptoms by code, signals."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from opspor.engine.context import LabEntry, PatientContext, SymptomEntry


@dataclass
class Facts:
    context: PatientContext
    as_of: date
    age: int
    sex: str
    smoking: str
    exposures: frozenset[str]
    family_sites: tuple[str, ...]
    symptoms: dict[str, list[SymptomEntry]]
    findings: dict[str, date]
    labs: dict[str, list[LabEntry]]  # newest first
    signals: dict[str, bool] = field(default_factory=dict)
    _symptom_evidence: dict[int, dict[str, object]] = field(default_factory=dict)

    def inputs(self) -> frozenset[tuple[str, str]]:
        """Every input present, in the form `conditions.required_inputs` names them."""
        present = {("symptom", code) for code in self.symptoms}
        present.update(("finding", code) for code in self.findings)
        present.update(("lab", code) for code in self.labs)
        present.update(("signal", name) for name, on in self.signals.items() if on)
        present.update(("exposure", code) for code in self.exposures)
        return frozenset(present)

    def symptom_evidence(self, entry: SymptomEntry) -> dict[str, object]:
        """The evidence a symptom gives, built once per assessment however many rules use it."""
        key = id(entry)
        found = self._symptom_evidence.get(key)
        if found is None:
            found = self._symptom_evidence[key] = {
                "input": "symptom",
                "code": entry.code,
                "onset": entry.onset.isoformat(),
                "unexplained": entry.unexplained,
                "persistent": entry.persistent,
                "recurrent": entry.recurrent,
            }
        return found

    @classmethod
    def of(cls, context: PatientContext, signals: dict[str, bool] | None = None) -> Facts:
        symptoms: dict[str, list[SymptomEntry]] = {}
        for s in context.symptoms:
            symptoms.setdefault(s.code, []).append(s)
        findings: dict[str, date] = {}
        for f in context.findings:
            if f.code not in findings or f.date > findings[f.code]:
                findings[f.code] = f.date
        labs: dict[str, list[LabEntry]] = {}
        for lab in sorted(context.labs, key=lambda entry: entry.date, reverse=True):
            labs.setdefault(lab.code, []).append(lab)
        age = context.age()
        for code, day in _lab_interpretations(labs, context, age):
            if code not in findings or day > findings[code]:
                findings[code] = day
        return cls(
            context=context,
            as_of=context.as_of,
            age=age,
            sex=context.patient.sex,
            smoking=context.patient.smoking,
            exposures=frozenset(context.patient.occupational_exposures),
            family_sites=tuple(m.cancer_site for m in context.patient.family_history),
            symptoms=symptoms,
            findings=findings,
            labs=labs,
            signals=dict(signals or {}),
        )


# A lab interpretation (anaemia, thrombocytosis, ...) is read from the newest result taken
# within this many days; an older result says nothing about the patient today.
LAB_INTERPRETATION_DAYS = 90


def _lab_interpretations(
    labs: dict[str, list[LabEntry]], context: PatientContext, age: int
) -> list[tuple[str, date]]:
    """Findings that the vocabulary defines as readings of a lab value, e.g. thrombocytosis."""
    from opspor.engine.vocab import load_vocabulary

    vocab = load_vocabulary()
    out: list[tuple[str, date]] = []
    for finding in _derived_findings():
        rule = finding.derived_from
        if rule is None or rule.lab not in labs:
            continue
        newest = labs[rule.lab][0]
        if (context.as_of - newest.date).days > LAB_INTERPRETATION_DAYS:
            continue
        low, high = vocab.labs[rule.lab].reference_interval(sex=context.patient.sex, age=age)
        value = newest.value
        holds = {
            "above": rule.threshold is not None and value > rule.threshold,
            "below": rule.threshold is not None and value < rule.threshold,
            "at_least": rule.threshold is not None and value >= rule.threshold,
            "above_upper_limit": high is not None and value > high,
            "below_lower_limit": low is not None and value < low,
        }[rule.comparison]
        if holds and finding.code == "iron_deficiency_anaemia":
            # Low haemoglobin alone is anaemia, not iron deficiency: that needs a low
            # ferritin or a low MCV as well (vocabulary note on this finding).
            holds = any(
                _below_lower_limit(labs, other, context, age) for other in ("ferritin", "mcv")
            )
        if holds:
            out.append((finding.code, newest.date))
    return out


@functools.cache
def _derived_findings() -> tuple[Any, ...]:
    """The findings the vocabulary reads off a lab value; most findings are not."""
    from opspor.engine.vocab import load_vocabulary

    return tuple(f for f in load_vocabulary().findings.values() if f.derived_from is not None)


def _below_lower_limit(
    labs: dict[str, list[LabEntry]], code: str, context: PatientContext, age: int
) -> bool:
    from opspor.engine.vocab import load_vocabulary

    if code not in labs:
        return False
    newest = labs[code][0]
    if (context.as_of - newest.date).days > LAB_INTERPRETATION_DAYS:
        return False
    low, _ = load_vocabulary().labs[code].reference_interval(sex=context.patient.sex, age=age)
    return low is not None and newest.value < low
