"""Demo preparations: story patients who prepared their consultation in the portal.

The preparations are data (``preparations.yaml``); this module plays each through the
portal's own services, as the patient, on the day before the seed's as-of date that the
file gives, so what the GP's overview shows is what a patient's pages would have stored.

Running it again adds nothing: a story patient who already has a preparation is left as
they are. A story patient missing from the database (a seed without stories) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from django.db import transaction

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError
from opspor.demo.case_file import CaseFileError
from opspor.portal.models import Preparation
from opspor.portal.services import preparation as services

PREPARATIONS_FILE = Path(__file__).with_name("preparations.yaml")
_COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# The evening before: when people sit down with a phone and write.
_WRITTEN_AT = time(19, 30)


@dataclass
class DemoPreparations:
    made: list[str] = field(default_factory=list)
    already: int = 0
    skipped: int = 0

    def summary(self) -> str:
        if not self.made:
            return f"Demo preparations: none made ({self.already} already there)."
        return f"Demo preparations sent: {', '.join(self.made)}."


def load_preparations(path: Path = PREPARATIONS_FILE) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("preparations"), list):
        raise CaseFileError(f"{path.name}: needs a list 'preparations'")
    return list(data["preparations"])


def _play(spec: dict[str, Any], user: User, as_of: date) -> None:
    sent_on = as_of - timedelta(days=int(spec["sent_days_before"]))
    at = datetime.combine(sent_on, _WRITTEN_AT, tzinfo=_COPENHAGEN)
    language = str(spec["language"])
    draft = services.preparation_start(by=user, language=language, now=at)
    for item in spec.get("symptoms", []):
        symptom = services.prepared_symptom_add(
            preparation=draft,
            by=user,
            choice=item["choice"],
            area=item["area"],
            language=language,
            now=at,
        )
        services.prepared_symptom_describe(
            symptom=symptom,
            by=user,
            own_words=item.get("words", ""),
            started=item.get("started", ""),
            comes_and_goes=item.get("comes_and_goes"),
            better_or_worse=item.get("better_or_worse", ""),
            daily_life=item.get("daily_life", ""),
            now=at,
        )
        for days_before, severity in item.get("diary", []):
            services.diary_record(
                symptom=symptom,
                by=user,
                day=sent_on - timedelta(days=int(days_before)),
                severity=int(severity),
                today=sent_on,
            )
    if spec.get("worry_words"):
        services.preparation_worries(preparation=draft, by=user, worry_words=spec["worry_words"])
    for factor in spec.get("risk_factors", []):
        services.risk_factor_add(
            preparation=draft,
            by=user,
            kind=factor["kind"],
            relation=factor.get("relation", ""),
            cancer_site=factor.get("cancer_site", ""),
            exposure=factor.get("exposure", ""),
            years=factor.get("years"),
            own_words=factor.get("words", ""),
        )
    for reading in spec.get("readings", []):
        services.reading_add(
            preparation=draft,
            by=user,
            source=reading["source"],
            url=reading.get("url", ""),
            text=reading.get("text", ""),
        )
    interpreter = str(spec.get("interpreter") or "")
    services.preparation_questions(
        preparation=draft,
        by=user,
        questions=list(spec.get("questions", [])),
        interpreter_needed=bool(interpreter),
        interpreter_language=interpreter,
    )
    services.preparation_send(preparation=draft, by=user, now=at)


def demo_preparations_ensure(
    *, as_of: date, preparations: list[dict[str, Any]] | None = None
) -> DemoPreparations:
    result = DemoPreparations()
    for spec in preparations if preparations is not None else load_preparations():
        user = User.objects.filter(username=spec["patient"]).select_related("patient").first()
        patient = getattr(user, "patient", None) if user is not None else None
        if user is None or patient is None:
            result.skipped += 1
            continue
        if Preparation.objects.filter(patient=patient).exists():
            result.already += 1
            continue
        try:
            with transaction.atomic():
                _play(spec, user, as_of)
        except (WorkflowError, KeyError, TypeError, ValueError) as error:
            raise CaseFileError(
                f"{PREPARATIONS_FILE.name}: the preparation of {spec.get('patient')!r} "
                f"could not be played: {error}"
            ) from None
        result.made.append(str(spec["patient"]))
    return result
