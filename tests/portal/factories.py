"""Factories for the patient's preparation, put straight into the database as the portal's
services would leave it: a sent preparation by default, with its items added one by one.

    prep = preparation(patient, language="ar")
    cough = prepared_symptom(prep, "cough", started=Started.MONTHS, own_words="...")
    diary(cough, {0: 3, 1: 5})  # days counted back from the day it was sent
    family_risk(prep, relation="mother", cancer_site="breast")
    exposure_risk(prep, exposure="asbestos", years=20)
    reading(prep, source=ReadingSource.AI, text="...")
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from opspor.portal.models import (
    DiaryEntry,
    OnlineReading,
    Preparation,
    PreparationState,
    PreparedRiskFactor,
    PreparedSymptom,
    ReadingSource,
    RiskKind,
)
from opspor.portal.reported import sent_day
from opspor.records.models import Patient

_counter = itertools.count(1)


def preparation(
    patient: Patient,
    *,
    state: str = PreparationState.SENT,
    language: str = "da",
    sent_at: datetime | None = None,
    **fields: Any,
) -> Preparation:
    """A preparation of `patient`: sent now (or at `sent_at`) unless `state` is a draft."""
    now = timezone.now()
    sent = state == PreparationState.SENT
    values: dict[str, Any] = {
        "patient": patient,
        "state": state,
        "language": language,
        "started_at": (sent_at or now) - timedelta(days=1),
        "updated_at": sent_at or now,
        "sent_at": (sent_at or now) if sent else None,
    }
    values.update(fields)
    return Preparation.objects.create(**values)


def prepared_symptom(
    preparation_: Preparation, code: str = "cough", **fields: Any
) -> PreparedSymptom:
    values: dict[str, Any] = {
        "preparation": preparation_,
        "code": code,
        "choice": f"{code}-{next(_counter)}",
    }
    values.update(fields)
    return PreparedSymptom.objects.create(**values)


def diary(symptom: PreparedSymptom, entries: Mapping[int | date, int]) -> list[DiaryEntry]:
    """Diary entries by day: a date, or a number of days before the preparation was sent
    (before today for a draft)."""
    prep = symptom.preparation
    end = sent_day(prep) if prep.sent_at is not None else timezone.localdate()
    return [
        DiaryEntry.objects.create(
            symptom=symptom,
            day=day if isinstance(day, date) else end - timedelta(days=day),
            severity=severity,
        )
        for day, severity in entries.items()
    ]


def family_risk(
    preparation_: Preparation,
    *,
    relation: str = "mother",
    cancer_site: str = "breast",
    **fields: Any,
) -> PreparedRiskFactor:
    return PreparedRiskFactor.objects.create(
        preparation=preparation_,
        kind=RiskKind.FAMILY,
        relation=relation,
        cancer_site=cancer_site,
        **fields,
    )


def exposure_risk(
    preparation_: Preparation, *, exposure: str = "asbestos", **fields: Any
) -> PreparedRiskFactor:
    return PreparedRiskFactor.objects.create(
        preparation=preparation_, kind=RiskKind.EXPOSURE, exposure=exposure, **fields
    )


def reading(
    preparation_: Preparation, *, source: str = ReadingSource.WEBSITE, url: str = "", text: str = ""
) -> OnlineReading:
    return OnlineReading.objects.create(preparation=preparation_, source=source, url=url, text=text)
