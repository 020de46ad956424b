"""The body map include's drawing (portal/_body_map.html): regions per view."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from opspor.portal import body_map
from opspor.portal.words import LabelledArea

register = template.Library()


@register.simple_tag
def body_map_regions(areas: Iterable[LabelledArea], view: body_map.View) -> list[body_map.Region]:
    return body_map.regions(areas, view)


@register.simple_tag
def body_map_undrawn(areas: Iterable[LabelledArea]) -> list[LabelledArea]:
    return body_map.undrawn(areas)


@register.simple_tag
def body_map_viewbox() -> str:
    return body_map.VIEWBOX
