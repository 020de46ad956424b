"""Validation of exported FHIR: the R4B models of `fhir.resources` for structure, and FHIR
JSON's rule against empty values, which the models do not check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class


def _empty_values(node: Any, path: str = "$") -> Iterator[str]:
    if node is None or node in ("", [], {}):
        yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _empty_values(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _empty_values(value, f"{path}[{i}]")


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, after checking it; raises with the reason otherwise."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    empty = list(_empty_values(resource))
    assert not empty, f"empty values at {empty}"
    return resource
