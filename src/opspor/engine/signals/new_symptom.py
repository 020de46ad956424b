"""A new symptom among the familiar ones: not explained by a chronic condition or a medicine."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from opspor.engine.context import PatientContext, SymptomEntry
from opspor.engine.settings import EngineSettings

_FILE = Path(__file__).resolve().parent.parent / "explanations.yaml"


@dataclass(frozen=True)
class Explainer:
    kind: str  # "condition" or "medicine"
    code: str
    name: str
    symptoms: frozenset[str]


@functools.cache
def explainers() -> tuple[tuple[Explainer, ...], tuple[Explainer, ...]]:
    data = yaml.safe_load(_FILE.read_text(encoding="utf-8"))
    conditions = tuple(
        Explainer(
            f"condition:{row['system']}", row["prefix"], row["name"], frozenset(row["symptoms"])
        )
        for row in data["conditions"]
    )
    medicines = tuple(
        Explainer("medicine", row["atc"], row["name"], frozenset(row["symptoms"]))
        for row in data["medicines"]
    )
    return conditions, medicines


@dataclass(frozen=True)
class NewSymptom:
    symptom: SymptomEntry
    familiar: tuple[str, ...]  # symptoms the record's conditions and medicines account for


def familiar_symptoms(
    *, chronic: Iterable[tuple[str, str]], medicines: Iterable[str]
) -> frozenset[str]:
    """The symptom codes that the patient's chronic conditions (``(system, code)`` pairs)
    and current medicines (ATC codes) account for (`explanations.yaml`)."""
    return _familiar(tuple(chronic), tuple(medicines))


# Many patients share the same few chronic conditions and medicines, so the answer for a
# combination is kept; the table it is read from does not change while the process runs.
@functools.lru_cache(maxsize=4096)
def _familiar(chronic: tuple[tuple[str, str], ...], medicines: tuple[str, ...]) -> frozenset[str]:
    conditions, drugs = explainers()
    keys = [(f"condition:{system}", code.upper().replace(".", "")) for system, code in chronic]
    active = [
        e for kind, code in keys for e in conditions if e.kind == kind and code.startswith(e.code)
    ]
    active += [e for atc in medicines for e in drugs if atc.startswith(e.code)]
    return frozenset().union(*(e.symptoms for e in active)) if active else frozenset()


def new_symptoms(context: PatientContext, settings: EngineSettings) -> list[NewSymptom]:
    """Recent unexplained symptoms that none of the patient's chronic conditions or current
    medicines accounts for. Only asked for patients who have such conditions or medicines:
    without familiar symptoms every symptom is new and the signal would say nothing."""
    _, medicines = explainers()
    chronic = [(c.system, c.code) for c in context.conditions if c.chronic]
    current = [m.atc for m in context.medications if m.stop is None or m.stop >= context.as_of]
    has_background = bool(chronic) or any(
        atc.startswith(e.code) for atc in current for e in medicines
    )
    if not has_background:
        return []
    familiar = familiar_symptoms(chronic=chronic, medicines=current)
    since = context.as_of - timedelta(days=settings.new_symptom_days)
    return [
        NewSymptom(symptom=s, familiar=tuple(sorted(familiar)))
        for s in context.symptoms
        if s.unexplained and s.onset >= since and s.code not in familiar
    ]
