"""What the engine would find with what the patient reported and a GP has not yet confirmed.

The overview assesses the record. Here the same engine, with the same rule set, assesses a
copy of the record's context with the preparation's unconfirmed symptoms and risk factors
added (`reported.prepared_context`), and the GP is shown the guideline criteria met only
then: each one marked as resting on what the patient reported, not on the record. Nothing
is written: the record changes only when a GP confirms an item (`services/review.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opspor.engine.assess import assess
from opspor.engine.assessment import Assessment, GuidelineCriterion
from opspor.engine.context import PatientContext
from opspor.engine.urgency import urgency_key
from opspor.portal.models import Preparation
from opspor.portal.reported import (
    Added,
    prepared_context,
    unconfirmed_risk_factors,
    unconfirmed_symptoms,
)
from opspor.records.templatetags.overview import evidence_words


@dataclass(frozen=True)
class ReportedCriterion:
    criterion: GuidelineCriterion  # shown as the overview shows one
    reported: list[str]  # the inputs it rests on that only the patient reported, in words


@dataclass(frozen=True)
class Reassessment:
    ruleset: str
    added: Added
    criteria: list[ReportedCriterion]  # most urgent first


def _is_reported(item: dict[str, Any], added: Added, context: PatientContext) -> bool:
    kind = item.get("input")
    if kind == "symptom":
        code = item.get("code")
        return code in added.symptom_codes and all(s.code != code for s in context.symptoms)
    if kind == "occupational_exposure":
        code = item.get("code")
        return code in added.exposure_codes and code not in context.patient.occupational_exposures
    if kind == "family_history":
        site = item.get("cancer_site")
        return site in added.family_sites and all(
            f.cancer_site != site for f in context.patient.family_history
        )
    return False


def reassess(
    context: PatientContext, assessment: Assessment, *, preparation: Preparation
) -> Reassessment | None:
    """The criteria met only with the preparation's unconfirmed items, or None when it has
    none left to confirm."""
    symptoms = unconfirmed_symptoms(preparation)
    risk_factors = unconfirmed_risk_factors(preparation)
    if not symptoms and not risk_factors:
        return None
    with_reported, added = prepared_context(
        context, preparation=preparation, symptoms=symptoms, risk_factors=risk_factors
    )
    if not added:
        return Reassessment(ruleset=assessment.ruleset, added=added, criteria=[])
    met = {f.rule_id for f in assessment.findings if isinstance(f, GuidelineCriterion)}
    again = assess(with_reported, ruleset=assessment.ruleset)
    seen: set[str] = set()
    criteria: list[ReportedCriterion] = []
    for finding in again.findings:
        if not isinstance(finding, GuidelineCriterion):
            continue
        if finding.rule_id in met or finding.rule_id in seen:
            continue
        seen.add(finding.rule_id)
        reported = [
            evidence_words(item, finding.rule_id)
            for item in finding.because
            if _is_reported(item, added, context)
        ]
        criteria.append(ReportedCriterion(criterion=finding, reported=reported))
    criteria.sort(
        key=lambda c: urgency_key(
            c.criterion.recommendation,
            c.criterion.within_days,
            c.criterion.strength,
        )
    )
    return Reassessment(ruleset=assessment.ruleset, added=added, criteria=criteria)
