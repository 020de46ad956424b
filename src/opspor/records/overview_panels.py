"""Panels that apps above the record add to the GP's patient overview.

The record sits below the apps that act on a patient (a safety net, say), so the overview
cannot import them; each registers a panel here from its `AppConfig.ready()` instead. A
panel is called with the request, the patient, the engine's input and its assessment, all
read already (the read is logged once, by the overview), and returns the template to
include and what it shows, or None to show nothing.

A panel goes to the side column, beside the record's symptoms and contacts, unless it is
registered for the main column (`place="main"`): there it follows the guideline criteria
met, for a panel that adds to what the engine found. Within a column, panels come in the
order they were registered, unless one asks to come first (`first=True`): what the patient
brought to this consultation, say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.http import HttpRequest

from opspor.engine.assessment import Assessment
from opspor.engine.context import PatientContext
from opspor.records.models import Patient

Panel = Callable[
    [HttpRequest, Patient, PatientContext, Assessment], tuple[str, dict[str, Any]] | None
]
Place = Literal["main", "side"]

_PANELS: list[Panel] = []
_PLACES: dict[Panel, Place] = {}
_FIRST: set[Panel] = set()


@dataclass(frozen=True)
class Shown:
    template: str
    values: dict[str, Any]
    place: Place = "side"


def register(panel: Panel, *, place: Place = "side", first: bool = False) -> None:
    """Add a panel to the overview; registering the same one twice adds it once."""
    if panel not in _PANELS:
        _PANELS.append(panel)
    _PLACES[panel] = place
    if first:
        _FIRST.add(panel)
    else:
        _FIRST.discard(panel)


def unregister(panel: Panel) -> None:
    if panel in _PANELS:
        _PANELS.remove(panel)
    _PLACES.pop(panel, None)
    _FIRST.discard(panel)


def panels_for(
    request: HttpRequest, patient: Patient, context: PatientContext, assessment: Assessment
) -> list[Shown]:
    shown = []
    for panel in sorted(_PANELS, key=lambda p: p not in _FIRST):
        result = panel(request, patient, context, assessment)
        if result is not None:
            shown.append(
                Shown(template=result[0], values=result[1], place=_PLACES.get(panel, "side"))
            )
    return shown
