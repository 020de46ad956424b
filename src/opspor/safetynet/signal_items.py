"""The stored signals that wait on the practice's worklist, and their figures in a line.

A signal waits while the patient has no live safety net and no GP has dismissed it since the
patient's latest contact: opening an episode or dismissing it with a reason takes it off,
and only a new contact (which recomputes it) can bring a dismissed signal back.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opspor.engine.vocab import load_vocabulary
from opspor.records.models import Practice
from opspor.safetynet.models import (
    PatientSignal,
    SafetyNetEpisode,
    SignalDismissal,
    SignalKind,
    SignalRun,
)
from opspor.safetynet.workflow import LIVE


def dismissed_since_last_contact() -> Exists:
    """Whether a GP dismissed this signal (the outer row) after the patient's latest contact."""
    return Exists(
        SignalDismissal.objects.filter(
            patient_id=OuterRef("patient_id"),
            kind=OuterRef("kind"),
            last_contact_at__gte=OuterRef("last_contact_at"),
        )
    )


def waiting_signals(practice: Practice) -> QuerySet[PatientSignal]:
    """The practice's signals that wait for a GP, in one query."""
    live = SafetyNetEpisode.objects.filter(patient_id=OuterRef("patient_id"), state__in=LIVE)
    return (
        PatientSignal.objects.filter(practice=practice, patient__practice=practice)
        .exclude(Exists(live))
        .exclude(dismissed_since_last_contact())
    )


def signals_dated(practice: Practice | None) -> SignalRun | None:
    """The practice's last replacement of its signals as a whole (its day and its source),
    for the worklist to say how fresh they are; None before the first."""
    if practice is None:
        return None
    return SignalRun.objects.filter(practice=practice, as_of__isnull=False).first()


def _symptom(code: str) -> str:
    label = load_vocabulary().symptoms.get(code)
    return label.label((translation.get_language() or "da")[:2]) if label else code


def signal_detail(kind: str, figures: dict[str, Any]) -> str:
    """The figures in one line, in the active language (numbers and codes only go in)."""
    if kind in (SignalKind.PATTERN_BREAK, SignalKind.LOW_USER_RISE):
        line = _("%(recent)s contacts in %(days)s days, %(expected)s expected") % {
            "recent": figures["recent"],
            "days": figures["window_days"],
            "expected": number_format(figures["expected"], 1),
        }
        if kind == SignalKind.LOW_USER_RISE:
            line += "; " + _("before %(rate)s a year against %(population)s for age and sex") % {
                "rate": number_format(figures["baseline_per_year"], 1),
                "population": number_format(figures["population_per_year"], 1),
            }
        return line
    if kind == SignalKind.LONG_ABSENCE:
        return _("Back after %(years)s years without contact") % {
            "years": number_format(figures["gap_days"] / 365.25, 1)
        }
    if kind == SignalKind.REPEAT_SYMPTOM:
        return "; ".join(
            ngettext(
                "%(symptom)s: %(count)s consultation in 12 months",
                "%(symptom)s: %(count)s consultations in 12 months",
                count,
            )
            % {"symptom": _symptom(code), "count": count}
            for code, count in figures["symptoms"].items()
        )
    return ""
