"""Vega-Lite specifications of the dashboard's and the mirror's plots.

Pure functions, no Django: each takes the rows a page already holds (published values only,
hidden ones left out by the caller) and the words to show, already translated, and returns a
specification as a dict for `json_script`. The page's own script hands it to vega-embed.

Colours are dkfds's (the Danish design system's) and never carry meaning alone: the own
practice is a diamond with a label, the 99.8 % limits are solid where the 95 % are dashed,
the routes' segments carry their share as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

# dkfds 11: primary blue, its dark shade, the greys, and the alert colours for the limits.
BLUE = "#0059b3"
DARK_BLUE = "#004993"
GREY = "#747474"
LIGHT_GREY = "#bfbfbf"
BLACK = "#1a1a1a"
ORANGE = "#c75000"
# The routes, in the order they are stacked: categorical colours of dkfds's palette that
# also differ in lightness, so a print in grey keeps them apart.
ROUTE_COLOURS = ("#004993", "#6aa4db", "#f5a623", "#b3261e")

FONT = "IBM Plex Sans, Arial, sans-serif"

Spec = dict[str, Any]
Row = Mapping[str, Any]


def _base(title: str, *, height: int = 260, subtitle: str = "") -> Spec:
    heading: dict[str, Any] = {"text": title, "anchor": "start", "fontSize": 14}
    if subtitle:
        heading.update(subtitle=subtitle, subtitleFontSize=12, subtitleColor=GREY)
    return {
        "$schema": SCHEMA,
        "title": heading,
        "width": "container",
        "height": height,
        "background": "white",
        "config": {
            "font": FONT,
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "gridColor": "#e6e6e6"},
            # Fewer ticks than vega's default on a wide plot: a tick every 5 % is noise.
            "axisQuantitative": {"tickCount": 6},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "view": {"stroke": None},
        },
    }


def _axis_format(scale: float) -> str:
    return ".0%" if scale == 1 else ",.0f"


def funnel(
    *,
    title: str,
    points: Sequence[Row],
    curve: Sequence[Row],
    target: float,
    x_title: str,
    y_title: str,
    target_label: str,
    limit_labels: tuple[str, str],
    scale: float = 1.0,
    own_label: str | None = None,
    subtitle: str = "",
) -> Spec:
    """A funnel plot: each practice's share (``points``: n, value, name or None, own) against
    its denominator, the region's value as ``target``, and the 95 % and 99.8 % limits
    (``curve``: n, lower95, upper95, lower998, upper998), all as shares; ``scale`` 1000
    draws them per 1,000. A point without a name is drawn grey and anonymous; the own
    practice as a labelled diamond."""
    limit95, limit998 = limit_labels
    lines = []
    for row in curve:
        for limit, lower, upper in (
            (limit95, "lower95", "upper95"),
            (limit998, "lower998", "upper998"),
        ):
            for side, key in (("lower", lower), ("upper", upper)):
                # Rounded: a limit needs no more digits than a screen can show.
                lines.append(
                    {
                        "n": round(row["n"], 2),
                        "limit": limit,
                        "side": side,
                        "value": round(row[key] * scale, 6),
                    }
                )
    dots = [
        {
            "n": point["n"],
            "value": point["value"] * scale,
            "name": point.get("name") or "",
            "kind": "own" if point.get("own") else ("named" if point.get("name") else "other"),
        }
        for point in points
    ]
    fmt = _axis_format(scale)
    x = {"field": "n", "type": "quantitative", "title": x_title, "scale": {"zero": True}}
    spec = _base(title, subtitle=subtitle)
    tooltip: list[dict[str, Any]] = [
        {"field": "n", "type": "quantitative", "title": x_title},
        {"field": "value", "type": "quantitative", "title": y_title, "format": fmt},
    ]
    if any(dot["name"] for dot in dots if dot["kind"] == "named"):
        tooltip.insert(0, {"field": "name", "type": "nominal", "title": " "})
    layers: list[Spec] = [
        {
            "data": {"values": lines},
            "mark": {"type": "line", "color": GREY, "strokeWidth": 1.5},
            "encoding": {
                "x": x,
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": y_title,
                    "axis": {"format": fmt},
                },
                "detail": {"field": "side"},
                "strokeDash": {
                    "field": "limit",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": [limit95, limit998], "range": [[5, 4], [1, 0]]},
                },
            },
        },
        {
            "data": {"values": [{"target": target * scale, "label": target_label}]},
            "mark": {"type": "rule", "color": BLACK, "strokeWidth": 1.5},
            "encoding": {
                "y": {"field": "target", "type": "quantitative"},
                "tooltip": [
                    {"field": "label", "type": "nominal", "title": " "},
                    {"field": "target", "type": "quantitative", "format": fmt, "title": y_title},
                ],
            },
        },
        {
            # The region's line says what it is in the plot itself, not only in the legend.
            "data": {"values": [{"target": target * scale, "label": target_label}]},
            "mark": {"type": "text", "align": "right", "dy": -7, "fontSize": 12, "color": BLACK},
            "encoding": {
                "x": {"value": "width"},
                "y": {"field": "target", "type": "quantitative"},
                "text": {"field": "label"},
            },
        },
        {
            "data": {"values": [d for d in dots if d["kind"] != "own"]},
            "mark": {"type": "circle", "size": 55, "opacity": 0.85},
            "encoding": {
                "x": x,
                "y": {"field": "value", "type": "quantitative"},
                "color": {
                    "field": "kind",
                    "type": "nominal",
                    "legend": None,
                    "scale": {"domain": ["named", "other"], "range": [BLUE, LIGHT_GREY]},
                },
                "stroke": {"value": GREY},
                "strokeWidth": {"value": 0.5},
                "tooltip": tooltip,
            },
        },
    ]
    own = [d for d in dots if d["kind"] == "own"]
    if own:
        for dot in own:
            dot["label"] = own_label or dot["name"]
        layers.append(
            {
                "data": {"values": own},
                "mark": {
                    "type": "point",
                    "shape": "diamond",
                    "filled": True,
                    "size": 180,
                    "color": ORANGE,
                    "stroke": BLACK,
                    "strokeWidth": 1.5,
                },
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative"},
                    "tooltip": [
                        {"field": "label", "type": "nominal", "title": " "},
                        *tooltip[-2:],
                    ],
                },
            }
        )
        layers.append(
            {
                "data": {"values": own},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 10,
                    "dy": -10,
                    "fontWeight": "bold",
                    "color": BLACK,
                },
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative"},
                    "text": {"field": "label"},
                },
            }
        )
    spec["layer"] = layers
    return spec


def boxes(
    *,
    title: str,
    rows: Sequence[Row],
    x_title: str,
    labels: Mapping[str, str],
) -> Spec:
    """Distributions as box plots from their published percentiles: each row has label,
    p10, q1, median, q3, p90 and own; the whiskers run from the 10th to the 90th
    percentile. ``labels`` names the percentiles in the tooltip."""
    data = [dict(row) for row in rows]
    y = {
        "field": "label",
        "type": "nominal",
        "title": None,
        "sort": [row["label"] for row in data],
        "axis": {"labelLimit": 260},
    }
    tooltip = [{"field": "label", "type": "nominal", "title": " "}] + [
        {"field": key, "type": "quantitative", "title": labels[key], "format": ",.1f"}
        for key in ("p10", "q1", "median", "q3", "p90")
    ]
    colour = {
        "field": "own",
        "type": "nominal",
        "legend": None,
        "scale": {"domain": [False, True], "range": ["#6aa4db", ORANGE]},
    }
    spec = _base(title, height=max(60, 34 * len(data)))
    spec["data"] = {"values": data}
    spec["encoding"] = {"y": y}
    spec["layer"] = [
        {
            "mark": {"type": "rule", "color": BLACK},
            "encoding": {
                "x": {"field": "p10", "type": "quantitative", "title": x_title},
                "x2": {"field": "p90"},
            },
        },
        {
            "mark": {"type": "bar", "size": 16, "stroke": BLACK, "strokeWidth": 1},
            "encoding": {
                "x": {"field": "q1", "type": "quantitative"},
                "x2": {"field": "q3"},
                "color": colour,
                "tooltip": tooltip,
            },
        },
        {
            "mark": {"type": "tick", "color": BLACK, "size": 16, "thickness": 2.5},
            "encoding": {"x": {"field": "median", "type": "quantitative"}, "tooltip": tooltip},
        },
    ]
    return spec


def stacked(
    *,
    title: str,
    rows: Sequence[Row],
    order: Sequence[str],
    x_title: str,
    legend_title: str,
) -> Spec:
    """Shares stacked in one bar per group (the routes to diagnosis): rows of group, part,
    share; ``order`` the parts, in the order they are stacked and coloured. A hidden share is
    not a row, so its bar stops short rather than showing a guess."""
    data = [
        {**dict(row), "rank": order.index(row["part"]) if row["part"] in order else len(order)}
        for row in rows
    ]
    groups = list(dict.fromkeys(row["group"] for row in data))
    spec = _base(title, height=max(60, 34 * len(groups)))
    spec["data"] = {"values": data}
    y = {"field": "group", "type": "nominal", "title": None, "sort": groups}
    x = {
        "field": "share",
        "type": "quantitative",
        "title": x_title,
        "stack": "zero",
        "axis": {"format": ".0%"},
        "scale": {"domain": [0, 1]},
    }
    spec["layer"] = [
        {
            "mark": {"type": "bar", "stroke": "white", "strokeWidth": 1},
            "encoding": {
                "y": y,
                "x": x,
                "color": {
                    "field": "part",
                    "type": "nominal",
                    "title": legend_title,
                    "scale": {"domain": list(order), "range": list(ROUTE_COLOURS[: len(order)])},
                    "legend": {"columns": 2, "labelLimit": 320},
                },
                "order": {"field": "rank", "type": "quantitative"},
                "tooltip": [
                    {"field": "group", "type": "nominal", "title": " "},
                    {"field": "part", "type": "nominal", "title": legend_title},
                    {"field": "share", "type": "quantitative", "format": ".1%", "title": x_title},
                ],
            },
        },
        {
            "transform": [{"filter": "datum.share >= 0.08"}],
            "mark": {"type": "text", "color": "white", "dx": -4, "align": "right"},
            "encoding": {
                "y": y,
                "x": x,
                "order": {"field": "rank", "type": "quantitative"},
                "text": {"field": "share", "type": "quantitative", "format": ".0%"},
            },
        },
    ]
    return spec


def bars(*, title: str, rows: Sequence[Row], x_title: str) -> Spec:
    """Counts by group (label, value); a count shown as "<5" is not a row here, the table
    beside the plot shows it."""
    data = [dict(row) for row in rows]
    spec = _base(title, height=max(60, 30 * len(data)))
    spec["data"] = {"values": data}
    spec["mark"] = {"type": "bar", "color": BLUE}
    spec["encoding"] = {
        "y": {
            "field": "label",
            "type": "nominal",
            "title": None,
            "sort": [row["label"] for row in data],
            "axis": {"labelLimit": 320},
        },
        "x": {"field": "value", "type": "quantitative", "title": x_title},
        "tooltip": [
            {"field": "label", "type": "nominal", "title": " "},
            {"field": "value", "type": "quantitative", "title": x_title},
        ],
    }
    return spec


def dots(
    *,
    title: str,
    rows: Sequence[Row],
    x_title: str,
    reference: float | None,
    reference_label: str,
    scale: float = 1.0,
) -> Spec:
    """Shares of the groups of several splits side by side (the equity plots): rows of
    split, group, value (a share), own (the practice's own group, on the mirror); the
    region's value as a vertical rule."""
    data = [{**dict(row), "value": row["value"] * scale} for row in rows]
    labels = [f"{row['split']}: {row['group']}" for row in data]
    for row, label in zip(data, labels, strict=True):
        row["label"] = label
    fmt = _axis_format(scale)
    spec = _base(title, height=max(60, 24 * len(data)))
    y = {
        "field": "label",
        "type": "nominal",
        "title": None,
        "sort": labels,
        "axis": {"labelLimit": 320},
    }
    layers: list[Spec] = [
        {
            "data": {"values": data},
            "mark": {"type": "point", "filled": True, "size": 80},
            "encoding": {
                "y": y,
                "x": {
                    "field": "value",
                    "type": "quantitative",
                    "title": x_title,
                    "axis": {"format": fmt},
                },
                "color": {
                    "field": "split",
                    "type": "nominal",
                    "legend": None,
                    "scale": {"range": [DARK_BLUE, "#3d7ebf", GREY, BLACK]},
                },
                "shape": {"field": "split", "type": "nominal", "legend": None},
                "tooltip": [
                    {"field": "label", "type": "nominal", "title": " "},
                    {"field": "value", "type": "quantitative", "format": fmt, "title": x_title},
                ],
            },
        }
    ]
    if reference is not None:
        layers.append(
            {
                "data": {"values": [{"value": reference * scale, "label": reference_label}]},
                "mark": {"type": "rule", "color": ORANGE, "strokeDash": [4, 3], "strokeWidth": 2},
                "encoding": {
                    "x": {"field": "value", "type": "quantitative"},
                    "tooltip": [
                        {"field": "label", "type": "nominal", "title": " "},
                        {"field": "value", "type": "quantitative", "format": fmt},
                    ],
                },
            }
        )
    spec["layer"] = layers
    return spec


def localised(spec: Spec, *, decimal: str, thousands: str) -> Spec:
    """``spec`` with its numbers written the page's way (Danish: 12,5 % and 1.000)."""
    config = dict(spec.get("config", {}))
    config["locale"] = {
        "number": {
            "decimal": decimal,
            "thousands": thousands,
            "grouping": [3],
            "currency": ["", ""],
            "percent": "%",
        }
    }
    return {**spec, "config": config}
