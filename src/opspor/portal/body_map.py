"""The body map's drawing: where each area of the plain-words catalogue lies on the figure.

Two views of one simple figure, front and back, in the same 220 x 520 coordinate space.
Each area is one SVG path (several pieces in one path where the area has two, such as the
arms). The pieces leave a small gap between them, so the figure reads as a set of zones.

Sizes are chosen for touch: at a phone's width the figure is drawn 320 CSS pixels wide
(body_map.css), 1.45 pixels per unit, so every piece is at least 30 units across in both
directions (44 pixels, WCAG 2.5.5's target size); tests/e2e/test_body_map.py measures it.

An area drawn in both views (head, neck, arms, legs) can be picked in either, but only the
copy in its first view is reached with the keyboard and read by a screen reader, so that
no one tabs through the same area twice. An area with no drawing (the whole body, the skin)
is a labelled button above the figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from opspor.portal.words import LabelledArea

View = Literal["front", "back"]
VIEWBOX = "0 0 220 520"

_ARMS = (
    "M58 136L56 240L52 330Q51 348 35 348Q18 348 18 332L22 240L26 160Q30 136 58 136Z"
    "M162 136L164 240L168 330Q169 348 185 348Q202 348 202 332L198 240L194 160Q190 136 162 136Z"
)
_LEGS = (
    "M62 346H108L103 496Q103 506 93 506H73Q64 506 65 496Z"
    "M158 346H112L117 496Q117 506 127 506H147Q156 506 155 496Z"
)
_NECK = "M96 98H124Q127 98 127 101V130H93V101Q93 98 96 98Z"

FRONT: Mapping[str, str] = MappingProxyType(
    {
        # The face split at the mouth: the upper part is the head, the lower the mouth.
        "head": "M72.9 60A38 46 0 1 1 147.1 60Z",
        "mouth_throat": "M73.3 62H146.7A38 46 0 0 1 73.3 62Z",
        "neck": _NECK,
        # The chest with two holes (even-odd fill) where the breasts are drawn.
        "chest": (
            "M60 214V152Q60 132 80 132H140Q160 132 160 152V214Z"
            "M67 188a19 19 0 1 0 38 0a19 19 0 1 0 -38 0Z"
            "M115 188a19 19 0 1 0 38 0a19 19 0 1 0 -38 0Z"
        ),
        "breast": (
            "M69 188a17 17 0 1 0 34 0a17 17 0 1 0 -34 0Z"
            "M117 188a17 17 0 1 0 34 0a17 17 0 1 0 -34 0Z"
        ),
        "arms": _ARMS,
        "belly": "M60 216H160Q152 243 158 270H62Q68 243 60 216Z",
        # The lower belly wraps round the private parts like a pair of briefs.
        "lower_belly": (
            "M62 272H158Q160 286 160 300V336Q160 344 152 344H132L137 308H83L88 344H68"
            "Q60 344 60 336V300Q60 286 62 272Z"
        ),
        "genitals": "M86 310H134L129.5 338Q128 344 122 344H98Q92 344 90.5 338Z",
        "legs": _LEGS,
    }
)

BACK: Mapping[str, str] = MappingProxyType(
    {
        "head": "M72 50a38 46 0 1 0 76 0a38 46 0 1 0 -76 0Z",
        "neck": _NECK,
        "arms": _ARMS,
        "upper_back": "M60 226V152Q60 132 80 132H140Q160 132 160 152V226Z",
        "lower_back": "M60 228H160Q152 259 158 290H62Q68 259 60 228Z",
        "bottom": (
            "M62 292H158Q160 300 160 310V330Q160 344 146 344H74Q60 344 60 330V310Q60 300 62 292Z"
        ),
        "legs": _LEGS,
    }
)

_VIEWS: Mapping[View, Mapping[str, str]] = MappingProxyType({"front": FRONT, "back": BACK})


def home_view(key: str) -> View | None:
    """The view whose copy of the area the keyboard reaches; None for an area not drawn."""
    return "front" if key in FRONT else "back" if key in BACK else None


@dataclass(frozen=True)
class Region:
    area: LabelledArea
    d: str  # the SVG path
    focusable: bool  # False for the copy of an area in its second view


def regions(areas: Iterable[LabelledArea], view: View) -> list[Region]:
    """The drawn areas of one view, in the catalogue's order (the keyboard's order)."""
    shapes = _VIEWS[view]
    return [Region(a, shapes[a.key], home_view(a.key) == view) for a in areas if a.key in shapes]


def undrawn(areas: Iterable[LabelledArea]) -> list[LabelledArea]:
    """Areas that are no one place on the body: buttons beside the figure."""
    return [a for a in areas if home_view(a.key) is None]
