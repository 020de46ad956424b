"""The dashboard's and the mirror's blocks: each indicator's headline, its plots (specs from
`charts.py`) and each plot's data table, in the page's language.

Everything here is read from `selectors.Figure`, i.e. from the published values only. A plot
leaves out what is hidden; its table shows the same rows with the reason in words. A table of
practices is in the selector's order (by name, or by denominator): never by the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import get_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opspor.quality import charts
from opspor.quality.aggregate import REGION_SPLITS, VULNERABLE_SPLITS
from opspor.quality.cells import ALL
from opspor.quality.funnel import funnel_curve
from opspor.quality.indicators import Indicator
from opspor.quality.selectors import Figure, IndicatorFigures, PracticePoint, QualityFigures
from opspor.records.models import Practice
from opspor.records.templatetags.overview import site_label
from opspor.referrals.workflow import RejectionReason
from opspor.safetynet.workflow import EpisodeOutcome

SECTIONS: tuple[tuple[str, str | Promise], ...] = (
    ("intervals", gettext_lazy("Intervals")),
    ("routes", gettext_lazy("Routes to diagnosis")),
    ("referrals", gettext_lazy("Referrals")),
    ("advice", gettext_lazy("Advice requests")),
    ("frailty", gettext_lazy("Older and frail patients")),
    ("safety_nets", gettext_lazy("Safety nets")),
    ("signals", gettext_lazy("Signals")),
)

SPLITS: dict[str, str | Promise] = {
    "sex": gettext_lazy("Sex"),
    "age_band": gettext_lazy("Age"),
    "practice_kind": gettext_lazy("Practice kind"),
    "vulnerable": gettext_lazy("Any vulnerable group"),
    "male_living_alone": gettext_lazy("Man living alone"),
    "language_barrier": gettext_lazy("Language barrier"),
    "psychiatric_diagnosis": gettext_lazy("Psychiatric diagnosis"),
    "substance_abuse": gettext_lazy("Substance abuse"),
    "multimorbidity": gettext_lazy("Several chronic conditions"),
    "reason": gettext_lazy("Reason"),
    "outcome": gettext_lazy("Outcome"),
    "site": gettext_lazy("Cancer site"),
}

HIDDEN: dict[str, str | Promise] = {
    "small_count": gettext_lazy("hidden: fewer than 5"),
    "small_denominator": gettext_lazy("hidden: 10 or fewer cases"),
    "complementary": gettext_lazy("hidden: would reveal a small number"),
}

UNITS: dict[str, str | Promise] = {
    "days": gettext_lazy("Days"),
    "hours": gettext_lazy("Hours"),
    "consultations": gettext_lazy("Consultations"),
}

# The splits a distribution is drawn by on the dashboard, after the indicator's own.
BOX_SPLITS = ("vulnerable", "practice_kind")
EQUITY_SPLITS = ("vulnerable", *VULNERABLE_SPLITS, "sex", "age_band")


def group_label(split: str, group: str) -> str:
    if split == ALL:
        return _("Everyone")
    if group in ("yes", "no") and (split == "vulnerable" or split in VULNERABLE_SPLITS):
        return _("Yes") if group == "yes" else _("No")
    if split == "sex":
        return _("Women") if group == "female" else _("Men")
    if split == "practice_kind" and group in Practice.Kind.values:
        return str(Practice.Kind(group).label)
    if split == "reason" and group in RejectionReason.values:
        return str(RejectionReason(group).label)
    if split == "outcome" and group in EpisodeOutcome.values:
        return str(EpisodeOutcome(group).label)
    if split == "site":
        # The record's own words for a cancer site, in the page's language.
        return site_label(group)
    return group.replace("_", " ")


def split_label(split: str) -> str:
    return str(SPLITS.get(split, split.replace("_", " ")))


def hidden_text(figure: Figure) -> str:
    return str(HIDDEN.get(figure.hidden_reason, _("hidden")))


def _scale(indicator: Indicator) -> float:
    return 1000.0 if indicator.kind == "per_1000" else 1.0


def value_text(indicator: Indicator, figure: Figure | None) -> str:
    """The figure as the page says it: "12,3 %", "4,1 per 1,000", "median 14 (7–28)", a count;
    or why it is hidden."""
    if figure is None:
        return "–"
    if indicator.kind == "count":
        return figure.denominator
    if indicator.kind in UNITS:
        if figure.quartiles is None:
            return hidden_text(figure) if figure.hidden_reason else "–"
        _p10, q1, median, q3, _p90 = figure.quartiles
        return _("median %(median)s (quartiles %(q1)s–%(q3)s)") % {
            "median": number_format(median, 1),
            "q1": number_format(q1, 1),
            "q3": number_format(q3, 1),
        }
    if figure.share is None:
        return hidden_text(figure) if figure.hidden_reason else "–"
    if indicator.kind == "per_1000":
        return _("%(rate)s per 1,000") % {"rate": number_format(figure.share * 1000, 1)}
    return f"{number_format(figure.share * 100, 1)} %"


def share_cell(indicator: Indicator, figure: Figure) -> str:
    if figure.share is None:
        return hidden_text(figure) if figure.hidden_reason else "–"
    if indicator.kind == "per_1000":
        return number_format(figure.share * 1000, 1)
    return f"{number_format(figure.share * 100, 1)} %"


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[str]]
    # Row indexes to mark (the own practice's row), by more than colour: the template
    # puts them in bold with the word in the first cell.
    marked: set[int] = field(default_factory=set)


@dataclass
class Chart:
    id: str
    title: str
    spec: dict[str, Any]
    table: Table
    export: str  # the indicator whose rows the export links give
    note: str = ""


@dataclass
class Block:
    """One indicator on the page."""

    indicator: Indicator
    source: str
    headline: str
    own_headline: str | None
    charts: list[Chart]
    # Where practices are compared: the pooled three years the funnel plot shows.
    pooled_headline: str | None = None
    own_pooled_headline: str | None = None


@dataclass
class SectionBlock:
    id: str
    title: str
    blocks: list[Block]
    charts: list[Chart] = field(default_factory=list)


def _figure_row(label: str, indicator: Indicator, figure: Figure) -> list[str]:
    if indicator.kind == "count":
        return [label, figure.denominator]
    if indicator.kind in UNITS:
        if figure.quartiles is None:
            return [label, figure.denominator, hidden_text(figure), "", "", "", ""]
        return [label, figure.denominator, *(number_format(v, 1) for v in figure.quartiles)]
    return [label, figure.denominator, figure.numerator, share_cell(indicator, figure)]


def _headers(indicator: Indicator, first: str) -> list[str]:
    if indicator.kind == "count":
        return [first, _("Count")]
    if indicator.kind in UNITS:
        return [
            first,
            _("Cases"),
            _("10th percentile"),
            _("25th percentile"),
            _("Median"),
            _("75th percentile"),
            _("90th percentile"),
        ]
    value = _("Per 1,000") if indicator.kind == "per_1000" else _("Share")
    return [first, _("Denominator"), _("Numerator"), value]


def _funnel(item: IndicatorFigures, *, mirror: bool, pooled_words: str) -> Chart | None:
    indicator = item.indicator
    target = item.region_pooled.share if item.region_pooled is not None else None
    shown = [p for p in item.practices if p.figure.share is not None and p.figure.n]
    if target is None or not shown:
        return None
    ns = [p.figure.n or 1 for p in shown]
    # Every share here, per 1,000 ones too, is patients with something over patients: a
    # proportion, so binomial limits (`funnel.py`).
    curve = [
        {
            "n": point.n,
            "lower95": point.lower95,
            "upper95": point.upper95,
            "lower998": point.lower998,
            "upper998": point.upper998,
        }
        for point in funnel_curve(target, max(1, min(ns) // 2), max(ns) * 11 // 10 + 1)
    ]
    points = [
        {"n": p.figure.n, "value": p.figure.share, "name": p.name, "own": p.own} for p in shown
    ]
    title = str(indicator.title)
    spec = charts.funnel(
        title=title,
        points=points,
        curve=curve,
        target=target,
        x_title=str(indicator.denominator)
        if len(str(indicator.denominator)) < 60
        else _("Denominator"),
        y_title=_("Per 1,000") if indicator.kind == "per_1000" else _("Share"),
        target_label=_("The region"),
        # A literal percent sign, not a placeholder: the translations write "95 %" their own way.
        limit_labels=(
            # xgettext:no-python-format
            _("95 % limits"),
            # xgettext:no-python-format
            _("99.8 % limits"),
        ),
        scale=_scale(indicator),
        own_label=_("Your practice") if mirror else None,
        subtitle=_("Practices compared over %(period)s") % {"period": pooled_words},
    )
    table = Table(
        caption=_("%(title)s, %(period)s") % {"title": title, "period": pooled_words},
        headers=_headers(indicator, _("Practice")),
        rows=[],
    )
    region = item.region_pooled
    assert region is not None
    table.rows.append(_figure_row(_("The region"), indicator, region))
    listed: list[PracticePoint] = [p for p in item.practices if p.own] if mirror else item.practices
    for point in listed:
        label = _("Your practice") if mirror else (point.name or "")
        if point.own:
            table.marked.add(len(table.rows))
        table.rows.append(_figure_row(label, indicator, point.figure))
    if mirror:
        note = _(
            # xgettext:no-python-format
            "Each grey point is another practice of the region, not named. Points outside "
            "the 99.8 % limits are unlikely to differ from the region by chance alone."
        )
    else:
        note = _(
            # xgettext:no-python-format
            "Each point is a practice. Points outside the 99.8 % limits are unlikely to differ "
            "from the region by chance alone; the table lists the practices by name."
        )
    return Chart(
        id=f"funnel-{indicator.id}-{item.source}",
        title=title,
        spec=spec,
        table=table,
        export=indicator.id,
        note=note,
    )


def _box_rows(item: IndicatorFigures, *, mirror: bool) -> tuple[list[dict[str, Any]], Table]:
    indicator = item.indicator
    table = Table(caption=str(indicator.title), headers=_headers(indicator, _("Group")), rows=[])
    rows: list[dict[str, Any]] = []

    def add(label: str, figure: Figure | None, own: bool = False) -> None:
        if figure is None:
            return
        if own:
            table.marked.add(len(table.rows))
        table.rows.append(_figure_row(label, indicator, figure))
        if figure.quartiles is not None:
            p10, q1, median, q3, p90 = figure.quartiles
            rows.append(
                {
                    "label": label,
                    "p10": p10,
                    "q1": q1,
                    "median": median,
                    "q3": q3,
                    "p90": p90,
                    "own": own,
                }
            )

    if mirror:
        add(_("Your practice"), item.own_year, own=True)
        for figure in item.own_splits.get("vulnerable", []):
            add(
                _("Your practice, vulnerable: %(group)s")
                % {"group": group_label("vulnerable", figure.group)},
                figure,
                own=True,
            )
        add(_("The region"), item.region_year)
        for figure in item.splits.get("vulnerable", []):
            add(
                _("The region, vulnerable: %(group)s")
                % {"group": group_label("vulnerable", figure.group)},
                figure,
            )
        return rows, table
    add(_("The region"), item.region_year)
    own_splits = [s for s in item.splits if s not in REGION_SPLITS]
    for split in (*own_splits, *BOX_SPLITS):
        for figure in item.splits.get(split, []):
            add(f"{split_label(split)}: {group_label(split, figure.group)}", figure)
    return rows, table


def _box_chart(item: IndicatorFigures, *, mirror: bool) -> Chart | None:
    """None where no group's quartiles may be shown: an empty plot says nothing, and the
    headline already says why the figure is hidden."""
    indicator = item.indicator
    rows, table = _box_rows(item, mirror=mirror)
    if not rows:
        return None
    unit = str(UNITS[indicator.kind])
    spec = charts.boxes(
        title=str(indicator.title),
        rows=rows,
        x_title=unit,
        labels={
            "p10": _("10th percentile"),
            "q1": _("25th percentile"),
            "median": _("Median"),
            "q3": _("75th percentile"),
            "p90": _("90th percentile"),
        },
    )
    return Chart(
        id=f"box-{indicator.id}-{item.source}",
        title=str(indicator.title),
        spec=spec,
        table=table,
        export=indicator.id,
        note=_(
            "The box runs from the 25th to the 75th percentile, the line in it is the median, "
            "the whiskers reach the 10th and the 90th percentile."
        ),
    )


def _count_chart(item: IndicatorFigures, *, mirror: bool) -> Chart | None:
    indicator = item.indicator
    own_splits = [s for s in item.splits if s not in REGION_SPLITS]
    if not own_splits:
        return None
    split = own_splits[0]
    source = item.own_splits if mirror else item.splits
    figures = source.get(split, [])
    if not figures:
        return None
    first = split_label(split)
    table = Table(caption=str(indicator.title), headers=_headers(indicator, first), rows=[])
    rows = []
    for figure in figures:
        label = group_label(split, figure.group)
        table.rows.append(_figure_row(label, indicator, figure))
        if figure.count is not None:
            rows.append({"label": label, "value": figure.count})
    spec = charts.bars(title=str(indicator.title), rows=rows, x_title=_("Count"))
    return Chart(
        id=f"bars-{indicator.id}-{item.source}",
        title=str(indicator.title),
        spec=spec,
        table=table,
        export=indicator.id,
        note=_("Counts from 1 to 4 are shown as <5 in the table and left out of the plot."),
    )


def _routes_chart(items: list[IndicatorFigures], *, mirror: bool) -> Chart | None:
    routes = [item for item in items if item.indicator.kind == "share"]
    if not routes:
        return None
    order = [str(item.indicator.title) for item in routes]
    table = Table(caption=_("Routes to diagnosis"), headers=[_("Group"), *order], rows=[])
    rows: list[dict[str, Any]] = []
    groups: list[tuple[str, list[Figure | None], bool]] = []
    if mirror:
        groups.append((_("Your practice"), [item.own_year for item in routes], True))
        groups.append((_("The region"), [item.region_year for item in routes], False))
    else:
        groups.append((_("The region"), [item.region_year for item in routes], False))
        for split in ("practice_kind", "vulnerable", "sex"):
            keyed = [{f.group: f for f in item.splits.get(split, [])} for item in routes]
            names = list(dict.fromkeys(g for k in keyed for g in k))
            for group in names:
                label = f"{split_label(split)}: {group_label(split, group)}"
                groups.append((label, [k.get(group) for k in keyed], False))
    for label, figures, own in groups:
        cells = [label]
        for item, figure in zip(routes, figures, strict=True):
            if figure is None:
                cells.append("–")
                continue
            cells.append(share_cell(item.indicator, figure))
            if figure.share is not None:
                rows.append(
                    {"group": label, "part": str(item.indicator.title), "share": figure.share}
                )
        if own:
            table.marked.add(len(table.rows))
        table.rows.append(cells)
    spec = charts.stacked(
        title=_("Routes to diagnosis"),
        rows=rows,
        order=order,
        x_title=_("Share of cancers"),
        legend_title=_("Route"),
    )
    return Chart(
        id=f"routes-{routes[0].source}",
        title=_("Routes to diagnosis"),
        spec=spec,
        table=table,
        export=routes[0].indicator.id,
        note=_("A hidden share is left out of its bar, which then stops short of 100 %."),
    )


def _equity_chart(item: IndicatorFigures, *, mirror: bool) -> Chart | None:
    indicator = item.indicator
    if indicator.kind not in ("share", "per_1000"):
        return None
    table = Table(caption=str(indicator.title), headers=_headers(indicator, _("Group")), rows=[])
    rows: list[dict[str, Any]] = []

    def add(split_name: str, group: str, figure: Figure, own: bool = False) -> None:
        label = f"{split_name}: {group}"
        if own:
            table.marked.add(len(table.rows))
        table.rows.append(_figure_row(label, indicator, figure))
        if figure.share is not None:
            rows.append({"split": split_name, "group": group, "value": figure.share, "own": own})

    if mirror:
        for figure in item.own_splits.get("vulnerable", []):
            add(
                _("Your practice"),
                _("vulnerable: %(g)s") % {"g": group_label("vulnerable", figure.group)},
                figure,
                own=True,
            )
        for figure in item.splits.get("vulnerable", []):
            add(
                _("The region"),
                _("vulnerable: %(g)s") % {"g": group_label("vulnerable", figure.group)},
                figure,
            )
    else:
        for split in EQUITY_SPLITS:
            for figure in item.splits.get(split, []):
                add(split_label(split), group_label(split, figure.group), figure)
    if not table.rows:
        return None
    region = item.region_year
    spec = charts.dots(
        title=str(indicator.title),
        rows=rows,
        x_title=_("Per 1,000") if indicator.kind == "per_1000" else _("Share"),
        reference=region.share if region is not None else None,
        reference_label=_("The region, everyone"),
        scale=_scale(indicator),
    )
    return Chart(
        id=f"equity-{indicator.id}-{item.source}",
        title=str(indicator.title),
        spec=spec,
        table=table,
        export=indicator.id,
    )


def build(figures: QualityFigures, *, mirror: bool) -> tuple[list[SectionBlock], SectionBlock]:
    """The sections of indicators, and the equity section."""
    pooled_words = _("the pooled three years")
    by_section = figures.by_section()
    sections: list[SectionBlock] = []
    for section_id, title in SECTIONS:
        items = by_section.get(section_id, [])
        if not items:
            continue
        section = SectionBlock(id=section_id, title=str(title), blocks=[])
        if section_id == "routes":
            for source in dict.fromkeys(item.source for item in items):
                chart = _routes_chart([i for i in items if i.source == source], mirror=mirror)
                if chart is not None:
                    section.charts.append(chart)
        for item in items:
            indicator = item.indicator
            block_charts: list[Chart] = []
            if indicator.funnel:
                chart = _funnel(item, mirror=mirror, pooled_words=pooled_words)
                if chart is not None:
                    block_charts.append(chart)
            if indicator.kind in UNITS:
                chart = _box_chart(item, mirror=mirror)
                if chart is not None:
                    block_charts.append(chart)
            elif indicator.kind == "count":
                chart = _count_chart(item, mirror=mirror)
                if chart is not None:
                    block_charts.append(chart)
            section.blocks.append(
                Block(
                    indicator=indicator,
                    source=item.source,
                    headline=value_text(indicator, item.region_year),
                    own_headline=value_text(indicator, item.own_year) if mirror else None,
                    charts=block_charts,
                    pooled_headline=value_text(indicator, item.region_pooled)
                    if indicator.funnel
                    else None,
                    own_pooled_headline=value_text(indicator, item.own_pooled)
                    if indicator.funnel and mirror
                    else None,
                )
            )
        sections.append(section)
    equity = SectionBlock(id="equity", title=_("Equity"), blocks=[])
    for item in figures.indicators:
        chart = _equity_chart(item, mirror=mirror)
        if chart is not None:
            equity.charts.append(chart)
    # The plots write numbers as the page does (Django's format for the active language).
    decimal, thousands = get_format("DECIMAL_SEPARATOR"), get_format("THOUSAND_SEPARATOR")
    for section in (*sections, equity):
        every = [*section.charts, *(chart for block in section.blocks for chart in block.charts)]
        for chart in every:
            chart.spec = charts.localised(chart.spec, decimal=decimal, thousands=thousands)
    return sections, equity
