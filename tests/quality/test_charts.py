"""The plots' specifications: valid Vega-Lite, hidden values left out, other practices
anonymous on a mirror, and the practices' tables never ordered by the values compared."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from opspor.quality import charts, pages, selectors
from opspor.records.models import Practice
from tests import factories
from tests.quality import factory

SCHEMA_FILE = (
    Path(__file__).resolve().parents[2] / "node_modules/vega-lite/build/vega-lite-schema.json"
)
MARKS = {"bar", "circle", "line", "point", "rule", "text", "tick"}


def _walk(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield spec
    for layer in spec.get("layer", []):
        yield from _walk(layer)


def assert_valid(spec: dict[str, Any]) -> None:
    """Valid against vega-lite's own JSON schema where jsonschema and the npm package are
    installed; otherwise the structure every spec here must have."""
    json.dumps(spec, allow_nan=False)  # plain JSON: no NaN, no Python objects
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    try:
        import jsonschema
    except ImportError:
        jsonschema = None  # type: ignore[assignment]
    if jsonschema is not None and SCHEMA_FILE.is_file():
        jsonschema.validate(spec, json.loads(SCHEMA_FILE.read_text()))
    views = [view for view in _walk(spec) if "mark" in view]
    assert views, "a spec draws something"
    for view in views:
        mark = view["mark"]["type"] if isinstance(view["mark"], dict) else view["mark"]
        assert mark in MARKS
    for view in _walk(spec):
        data = view.get("data") or spec.get("data")
        if "mark" not in view or data is None:
            continue
        rows = data["values"]
        assert isinstance(rows, list)
        for channel in view.get("encoding", {}).values():
            if isinstance(channel, dict) and "field" in channel and rows:
                assert any(channel["field"] in row for row in rows), channel["field"]


@pytest.fixture
def region() -> list[Practice]:
    practices = [factories.practice(name=f"Lægehuset {c}") for c in "ABCDEF"]
    factory.seed(practices)
    return practices


def _charts(blocks: tuple[list[pages.SectionBlock], pages.SectionBlock]) -> list[pages.Chart]:
    sections, equity = blocks
    found = [chart for section in sections for chart in section.charts]
    found += [chart for section in sections for block in section.blocks for chart in block.charts]
    return found + equity.charts


@pytest.mark.django_db
def test_every_plot_of_both_pages_is_valid_vega_lite(region: list[Practice]) -> None:
    dashboard = _charts(pages.build(selectors.region_figures(), mirror=False))
    mirror = _charts(pages.build(selectors.mirror_figures(region[1]), mirror=True))
    kinds = {chart.id.split("-")[0] for chart in dashboard}
    assert kinds == {"funnel", "box", "routes", "bars", "equity"}
    for chart in dashboard + mirror:
        assert_valid(chart.spec)
        assert chart.table.rows, chart.id


@pytest.mark.django_db
def test_the_mirror_names_only_its_own_practice(region: list[Practice]) -> None:
    own = region[3]
    for chart in _charts(pages.build(selectors.mirror_figures(own), mirror=True)):
        text = json.dumps(chart.spec, ensure_ascii=False) + json.dumps(chart.table.rows)
        for other in region:
            if other != own:
                assert other.name not in text


def test_a_funnel_plot_marks_the_own_practice_by_shape_and_label() -> None:
    spec = charts.funnel(
        title="t",
        points=[
            {"n": 40, "value": 0.1, "name": None, "own": False},
            {"n": 80, "value": 0.2, "name": "Min praksis", "own": True},
        ],
        curve=[
            {"n": n, "lower95": 0.05, "upper95": 0.2, "lower998": 0.01, "upper998": 0.3}
            for n in (10, 100)
        ],
        target=0.12,
        x_title="n",
        y_title="andel",
        target_label="Regionen",
        limit_labels=("95 %", "99,8 %"),
        own_label="Jeres praksis",
    )
    assert_valid(spec)
    layers = spec["layer"]
    own = [layer for layer in layers if layer["mark"].get("shape") == "diamond"]
    assert len(own) == 1 and own[0]["data"]["values"][0]["label"] == "Jeres praksis"
    assert any(
        layer["mark"]["type"] == "text" and layer["data"]["values"] == own[0]["data"]["values"]
        for layer in layers
    )
    others = [layer for layer in layers if layer["mark"]["type"] == "circle"]
    assert [row["name"] for row in others[0]["data"]["values"]] == [""]
    assert all(
        "name" not in [t["field"] for t in layer["encoding"].get("tooltip", [])] for layer in others
    ), "an anonymous point has no name in its tooltip"


def test_a_stacked_bar_leaves_a_hidden_share_out() -> None:
    spec = charts.stacked(
        title="Ruter",
        rows=[{"group": "Regionen", "part": "a", "share": 0.6}],
        order=["a", "b"],
        x_title="Andel",
        legend_title="Rute",
    )
    assert_valid(spec)
    assert spec["data"]["values"] == [{"group": "Regionen", "part": "a", "share": 0.6, "rank": 0}]


# Shares drawn at random for the same practices: the table of practices must come out in the
# same order (by name) whatever the values; a ranked table would follow them.
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=5, max_size=5))
@pytest.mark.django_db
def test_the_practices_table_never_follows_the_values(hits: list[int]) -> None:
    # A region's count of 1 to 4 is hidden, and with it the target a funnel is drawn around.
    assume(not 1 <= sum(hits) <= 4)
    with transaction.atomic():
        names = ["Øst", "Amager", "Brønshøj", "Valby", "Nørrebro"]
        practices = [factories.practice(name=name) for name in names]
        run = factory.refresh()
        total_n = total_k = 0
        for practice, k in zip(practices, hits, strict=True):
            factory.figure(
                run,
                "referral_conversion",
                practice=practice,
                denominator=60,
                numerator=k,
                pooled=True,
            )
            total_n, total_k = total_n + 60, total_k + k
        factory.figure(
            run, "referral_conversion", denominator=total_n, numerator=total_k, pooled=True
        )
        sections, _ = pages.build(selectors.region_figures(), mirror=False)
        funnel = (
            next(
                chart
                for s in sections
                for b in s.blocks
                for chart in b.charts
                if chart.id.startswith("funnel")
            )
            if total_k
            else None
        )
        if funnel is not None:
            listed = [row[0] for row in funnel.table.rows[1:]]
            assert listed == sorted(names, key=str.casefold)
        item = selectors.region_figures().indicators[0]
        assert [p.name for p in item.practices] == sorted(names, key=str.casefold)
        transaction.set_rollback(True)
