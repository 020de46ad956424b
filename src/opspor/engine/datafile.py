"""Reading the engine's YAML data files: one strict loader and one base for their models."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A row of a data file: unknown fields are errors, and rows never change once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate mapping keys.

    Plain ``safe_load`` keeps the last of two equal keys, which would silently drop half of
    an entry that was pasted twice.
    """


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str) -> Any:
    """Parse YAML text with the strict loader; raises yaml.YAMLError."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass


def loc(parts: tuple[int | str, ...], empty: str) -> str:
    """A pydantic error location written as a dotted field path."""
    return ".".join(str(part) for part in parts) or empty
