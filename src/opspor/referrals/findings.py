"""The engine's findings a referral or an advice request carries to the unit.

They are computed here, by the server, from the record at the moment the case is created
and again when it is sent: never taken from what a client says Opspor concluded. What a
GP's system sends as findings is kept as the GP's own text (`gp_findings`) and shown as
such. A stored snapshot is read back through `summary_view`, which never fails on a
malformed one (a row written by an older version, or by hand): it shows what it can read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from opspor.accounts.models import User
from opspor.engine.assess import assess
from opspor.engine.assessment import Assessment
from opspor.engine.rules.loader import DEFAULT_RULESET, RULESETS
from opspor.engine.urgency import urgency_key
from opspor.records.context import patient_context_for
from opspor.records.models import Patient
from opspor.referrals.workflow import PATHWAY_OF_SITE

# What the unit is shown: what the engine found, in both languages it writes, without the
# lighter alternatives it suggests to the GP (the unit chooses its own plan) and without a
# continuity figure that is not low.
SUMMARY_SKIPPED_KINDS = frozenset({"alternative"})


def findings_summary(assessment: Assessment) -> dict[str, Any]:
    """A JSON snapshot of the engine's findings, stored on the advice request or referral."""
    items: list[dict[str, Any]] = []
    seen_symptoms: set[str] = set()
    # The most urgent criterion first, as on the overview, so the unit reads it first and
    # the suggested pathway follows it.
    criteria = iter(
        sorted(
            (f for f in assessment.findings if f.kind == "guideline_criterion"),
            key=lambda f: urgency_key(f.recommendation, f.within_days, f.strength),
        )
    )
    findings = [
        next(criteria) if f.kind == "guideline_criterion" else f for f in assessment.findings
    ]
    for finding in findings:
        if finding.kind in SUMMARY_SKIPPED_KINDS:
            continue
        if finding.kind == "continuity" and not finding.low_continuity:
            continue
        if finding.kind == "new_symptom":
            # The engine reports a symptom once per recorded episode; once is enough here.
            if finding.symptom in seen_symptoms:
                continue
            seen_symptoms.add(finding.symptom)
        item: dict[str, Any] = {
            "kind": finding.kind,
            "text": {"da": finding.explanation.da, "en": finding.explanation.en},
        }
        if finding.kind == "guideline_criterion":
            item |= {
                "rule_id": finding.rule_id,
                "cancer_site": finding.cancer_site,
                "recommendation": finding.recommendation,
                "strength": finding.strength,
                "within_days": finding.within_days,
                "investigations": list(finding.investigations),
                "source": f"{finding.source.title}, {finding.source.recommendation_number}",
            }
        items.append(item)
    return {
        "ruleset": assessment.ruleset,
        "as_of": assessment.as_of.isoformat(),
        "findings": items,
    }


def findings_snapshot(
    patient: Patient, *, on: date, ruleset: str = DEFAULT_RULESET, viewer: User | None = None
) -> dict[str, Any]:
    """What the engine finds in the patient's record on `on`, as the snapshot to store."""
    context = patient_context_for(patient, as_of=on, viewer=viewer)
    return findings_summary(
        assess(context, ruleset=ruleset if ruleset in RULESETS else DEFAULT_RULESET)
    )


def gp_text(value: Any) -> str:
    """Whatever a GP's system sent as findings, as the GP's own text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


@dataclass(frozen=True)
class SummaryItem:
    kind: str
    text: dict[str, str]
    source: str = ""
    cancer_site: str = ""
    recommendation: str = ""
    strength: str = ""
    within_days: int | None = None


@dataclass(frozen=True)
class SummaryView:
    ruleset: str
    as_of: date | None
    items: list[SummaryItem]


# The kinds of finding that make a first draft of the GP's clinical question.
QUESTION_KINDS = frozenset({"guideline_criterion", "new_symptom", "pattern_break"})


# The recommendations that send the patient to a specialist; a test to take first (myeloma
# blood tests, a chest X-ray) or a safety net does not choose the pathway. A snapshot from
# before recommendations were stored has none and counts as referring, as it did then.
REFERRING = frozenset(
    {
        "",
        "immediate_referral",
        "very_urgent_referral",
        "suspected_cancer_referral",
        "consider_referral",
        "urgent_referral",
    }
)


def suggested_pathway(summary: SummaryView) -> str:
    """The pathway of the most pressing referral criterion met, or the diagnostic pathway."""
    for item in summary.items:
        if (
            item.kind == "guideline_criterion"
            and item.recommendation in REFERRING
            and item.cancer_site in PATHWAY_OF_SITE
        ):
            return PATHWAY_OF_SITE[item.cancer_site]
    return "dpf"


def suggested_question(summary: SummaryView, *, language: str) -> str:
    """The findings as a first draft of the clinical question, one per line."""
    return "\n".join(
        f"- {item.text.get(language) or item.text.get('en', '')}"
        for item in summary.items
        if item.kind in QUESTION_KINDS
    )


def _text(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float)}
    if isinstance(value, str):
        return {"en": value, "da": value}
    return {}


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _days(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def summary_view(raw: Any) -> SummaryView:
    """A stored snapshot as the screens show it; items that cannot be read are left out."""
    data = raw if isinstance(raw, dict) else {}
    found = data.get("findings")
    items = []
    for item in found if isinstance(found, list) else []:
        if not isinstance(item, dict):
            continue
        text = _text(item.get("text"))
        if not text:
            continue
        items.append(
            SummaryItem(
                kind=str(item.get("kind", "")),
                text=text,
                source=str(item.get("source", "") or ""),
                cancer_site=str(item.get("cancer_site", "") or ""),
                recommendation=str(item.get("recommendation", "") or ""),
                strength=str(item.get("strength", "") or ""),
                within_days=_days(item.get("within_days")),
            )
        )
    return SummaryView(
        ruleset=str(data.get("ruleset", "")), as_of=_day(data.get("as_of")), items=items
    )
