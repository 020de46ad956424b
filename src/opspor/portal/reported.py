"""Opspor's reading of what the patient reported, in the engine's terms.

The patient answers in bands a patient can answer ("3 weeks to 3 months ago", "it comes and
goes"); the engine and the record want an onset day and two flags. The same reading serves
the re-assessment on the GP's overview and the record row a GP's confirmation writes, so
the GP sees a criterion met on exactly what confirming would put in the record:

- onset: the day the preparation was sent, minus the lower bound of the band
  (`models.STARTED_DAYS_AGO`): the earliest the patient's answer allows to be "at least
  this long ago", never earlier than they said. "I do not know" and an unanswered band give
  the day it was sent, so a duration the patient did not state is never assumed;
- recurrent: the patient said it comes and goes;
- persistent: started 3 weeks ago or more (the bands "3 weeks to 3 months" and "more than
  3 months") and the patient did not say it comes and goes (an unanswered "comes and goes"
  counts as not coming and going).

This is Opspor's reading, not a guideline's: NG12 writes "persistent" without a duration.
The 3 weeks is the band's bound (`models.STARTED_DAYS_AGO`), which borrows the duration of
one recommendation (NG12 1.8.2, oral ulceration "lasting for more than 3 weeks"); using it
for every symptom is Opspor's choice. It is listed for a clinician's review in the README
("The GP's review of a preparation"), and a GP confirms each item before it reaches the
record.

Nothing here touches the database; `prepared_context` returns a copy of the context.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from opspor.engine.context import PatientContext
from opspor.engine.vocab import load_vocabulary
from opspor.portal.models import (
    STARTED_DAYS_AGO,
    Preparation,
    PreparedRiskFactor,
    PreparedSymptom,
    RiskKind,
    Started,
)

PERSISTENT_BANDS = frozenset({Started.MONTHS, Started.LONG_AGO})


def sent_day(preparation: Preparation) -> date:
    """The day, in Copenhagen, the preparation was sent (the day its bands count from)."""
    if preparation.sent_at is None:
        raise ValueError("a draft preparation has no day it was sent")
    return timezone.localdate(preparation.sent_at)


def earliest_onset(symptom: PreparedSymptom, *, sent_on: date) -> date:
    return sent_on - timedelta(days=STARTED_DAYS_AGO.get(symptom.started, 0))


def is_recurrent(symptom: PreparedSymptom) -> bool:
    return symptom.comes_and_goes is True


def is_persistent(symptom: PreparedSymptom) -> bool:
    return symptom.started in PERSISTENT_BANDS and symptom.comes_and_goes is not True


@dataclass(frozen=True)
class ReadSymptom:
    """One prepared symptom as the engine and the record read it."""

    code: str
    onset: date
    persistent: bool
    recurrent: bool


def read_symptom(symptom: PreparedSymptom, *, sent_on: date) -> ReadSymptom:
    return ReadSymptom(
        code=symptom.code,
        onset=earliest_onset(symptom, sent_on=sent_on),
        persistent=is_persistent(symptom),
        recurrent=is_recurrent(symptom),
    )


def unconfirmed_symptoms(preparation: Preparation) -> list[PreparedSymptom]:
    return [s for s in preparation.symptoms.all() if s.confirmed_at is None]


def unconfirmed_risk_factors(preparation: Preparation) -> list[PreparedRiskFactor]:
    return [r for r in preparation.risk_factors.all() if r.confirmed_at is None]


@dataclass(frozen=True)
class Added:
    """What `prepared_context` added to the record's context, to tell it apart on screen."""

    symptom_codes: frozenset[str]
    exposure_codes: frozenset[str]
    family_sites: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.symptom_codes or self.exposure_codes or self.family_sites)


def prepared_context(
    context: PatientContext,
    *,
    preparation: Preparation,
    symptoms: Iterable[PreparedSymptom],
    risk_factors: Iterable[PreparedRiskFactor],
) -> tuple[PatientContext, Added]:
    """A copy of `context` with the patient-reported items added, and what was added.

    Codes the vocabulary does not know are left out rather than failing the overview: the
    summary still shows them as the patient gave them. Onsets after the context's day (a
    preparation read on an overview dated earlier) are left out the same way.
    """
    vocabulary = load_vocabulary()
    sent_on = sent_day(preparation)
    data = context.model_dump()
    added_symptoms: set[str] = set()
    for item in symptoms:
        read = read_symptom(item, sent_on=sent_on)
        if read.code not in vocabulary.symptoms or read.onset > context.as_of:
            continue
        data["symptoms"] = [
            *data["symptoms"],
            {
                "code": read.code,
                "onset": read.onset,
                "persistent": read.persistent,
                "recurrent": read.recurrent,
            },
        ]
        added_symptoms.add(read.code)
    facts = data["patient"]
    added_exposures: set[str] = set()
    added_sites: set[str] = set()
    for factor in risk_factors:
        if factor.kind == RiskKind.EXPOSURE and factor.exposure in vocabulary.exposures:
            if factor.exposure not in facts["occupational_exposures"]:
                facts["occupational_exposures"] = (
                    *facts["occupational_exposures"],
                    factor.exposure,
                )
            added_exposures.add(factor.exposure)
        elif factor.kind == RiskKind.FAMILY and factor.relation and factor.cancer_site:
            facts["family_history"] = (
                *facts["family_history"],
                {"relation": factor.relation, "cancer_site": factor.cancer_site},
            )
            added_sites.add(factor.cancer_site)
    copy = PatientContext.model_validate(data)
    return copy, Added(
        symptom_codes=frozenset(added_symptoms),
        exposure_codes=frozenset(added_exposures),
        family_sites=frozenset(added_sites),
    )
