"""Every resource is checked against FHIR R4B (fhir.resources) before anything of it is read.

R4B is R4 with technical corrections; an R4 resource valid against R4 is valid here, which
is what the importer's readers assume (a date is a date, a required element is there).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from opspor.interop.importing.report import Rejected
from opspor.interop.importing.sources import Entry


@functools.cache
def _model(resource_type: str) -> Any:
    return get_fhir_model_class(resource_type)


def field_path(resource_type: str, loc: Sequence[int | str]) -> str:
    """A pydantic error location as a FHIR path: ``Observation.code.coding[0].system``."""
    out = resource_type
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate(entry: Entry) -> None:
    """`Rejected` naming the resource and the first field at fault. The message is
    pydantic's description of the error, without the value (which may be patient data)."""
    resource_type = entry.resource_type
    try:
        model = _model(resource_type)
    except (ValueError, KeyError, AttributeError):
        raise Rejected(
            entry.where, "resourceType", f"{resource_type!r} is no FHIR R4 resource type"
        ) from None
    try:
        model.model_validate(entry.resource)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        raise Rejected(
            entry.where, field_path(resource_type, first["loc"]), str(first["msg"])
        ) from None
