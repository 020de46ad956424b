"""Panels that apps above the record add to the GP's patient overview.

The record sits below the apps that act on a patient (a safety net, say), so the overview
cannot import them; each registers a panel here from its `AppConfig.ready()` instead. A
panel is called with the request, the patient, the engine's input and its assessment, all
read already (the read is logged once, by the overview), and returns the template to
include and what it shows, or None to show nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from opspor.engine.assessment import Assessment
from opspor.engine.context import PatientContext
from opspor.records.models import Patient

Panel = Callable[
    [HttpRequest, Patient, PatientContext, Assessment], tuple[str, dict[str, Any]] | None
]

_PANELS: list[Panel] = []


@dataclass(frozen=True)
class Shown:
    template: str
    values: dict[str, Any]


def register(panel: Panel) -> None:
    """Add a panel to the overview; registering the same one twice adds it once."""
    if panel not in _PANELS:
        _PANELS.append(panel)


def unregister(panel: Panel) -> None:
    if panel in _PANELS:
        _PANELS.remove(panel)


def panels_for(
    request: HttpRequest, patient: Patient, context: PatientContext, assessment: Assessment
) -> list[Shown]:
    shown = []
    for panel in _PANELS:
        result = panel(request, patient, context, assessment)
        if result is not None:
            shown.append(Shown(template=result[0], values=result[1]))
    return shown
