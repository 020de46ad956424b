"""Reads of the published figures for the dashboard, the mirror and the exports.

Every read starts from the latest *finished* refresh and takes only the published fields of
`QualityFigure` (``shown_*`` and ``hidden_reason``): the figures as computed never leave this
module. A page costs a fixed number of queries (the region's rows, the practices' rows), not
one per indicator.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Case, Count, F, Q, QuerySet, When

from opspor.accounts.models import User
from opspor.engine.alternatives import load_catalogue
from opspor.quality.cells import ALL
from opspor.quality.figures import Period, periods
from opspor.quality.indicators import BY_ID, INDICATORS, Indicator
from opspor.quality.models import QualityFigure, QualityRefresh
from opspor.records.models import Practice
from opspor.records.selectors import practice_of
from opspor.records.templatetags.overview import clinical_language
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState, RejectionReason

# The published fields: what a page, a plot or an export may read.
SHOWN = (
    "indicator",
    "source",
    "practice_ref",
    "practice_id",
    "split",
    "group",
    "period_start",
    "period_end",
    "shown_denominator",
    "shown_numerator",
    "shown_share",
    "shown_quartiles",
    "hidden_reason",
)
# Read only where `shown_quartiles` says they are published.
QUARTILES = ("p10", "q1", "median", "q3", "p90")


@dataclass(frozen=True, slots=True)
class Figure:
    """One published figure: texts as shown ("12", "<5", "–"), the share and the quartiles
    only where published, and the reason where something is hidden."""

    split: str
    group: str
    denominator: str
    numerator: str
    share: float | None
    quartiles: tuple[float, float, float, float, float] | None
    hidden_reason: str

    @property
    def n(self) -> int | None:
        """The denominator as a number where it is shown exactly; None where hidden."""
        return int(self.denominator) if self.denominator.isdigit() else None

    @property
    def count(self) -> int | None:
        """A count cell's value where shown exactly (a count is its denominator)."""
        return self.n


@dataclass(frozen=True, slots=True)
class PracticePoint:
    """One practice's figure on a comparison. ``name`` is None where the reader may not
    know which practice it is (another practice, on a GP's mirror)."""

    name: str | None
    own: bool
    figure: Figure


@dataclass
class IndicatorFigures:
    """One indicator's published figures from one source."""

    indicator: Indicator
    source: str
    region_year: Figure | None = None
    region_pooled: Figure | None = None
    # The region's groups in the last year, by split ("sex", "vulnerable", "reason", ...).
    splits: dict[str, list[Figure]] = field(default_factory=dict)
    # Every practice's total over the pooled three years, for the funnel plots.
    practices: list[PracticePoint] = field(default_factory=list)
    # The reader's own practice (the mirror): its total and its groups.
    own_year: Figure | None = None
    own_pooled: Figure | None = None
    own_splits: dict[str, list[Figure]] = field(default_factory=dict)


@dataclass
class QualityFigures:
    refresh: QualityRefresh | None
    year: Period | None
    pooled: Period | None
    indicators: list[IndicatorFigures]

    def by_section(self) -> dict[str, list[IndicatorFigures]]:
        sections: dict[str, list[IndicatorFigures]] = defaultdict(list)
        for item in self.indicators:
            sections[item.indicator.section].append(item)
        return sections


def latest_refresh() -> QualityRefresh | None:
    return (
        QualityRefresh.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .first()
    )


def _figure(row: dict[str, Any]) -> Figure:
    quartiles = None
    values = [row[f"shown_{name}"] for name in QUARTILES]
    if row["shown_quartiles"] and all(value is not None for value in values):
        quartiles = tuple(float(value) for value in values)
    return Figure(
        split=row["split"],
        group=row["group"],
        denominator=row["shown_denominator"],
        numerator=row["shown_numerator"],
        share=row["shown_share"],
        quartiles=quartiles,  # type: ignore[arg-type]
        hidden_reason=row["hidden_reason"],
    )


def _published(qs: QuerySet[QualityFigure]) -> list[dict[str, Any]]:
    """The published fields, and the quartiles only of the rows that publish them: the
    others' are read as None by the database, so they never reach Python."""
    return list(
        qs.values(
            *SHOWN,
            **{
                f"shown_{name}": Case(When(shown_quartiles=True, then=F(name)), default=None)
                for name in QUARTILES
            },
        )
    )


def _practice_label(row: dict[str, Any], names: dict[int, str]) -> str:
    if row["practice_id"] is not None and row["practice_id"] in names:
        return names[row["practice_id"]]
    return f"#{row['practice_ref']}"


def _collect(
    refresh: QualityRefresh,
    *,
    own: Practice | None,
    named: bool,
) -> QualityFigures:
    year, pooled = periods(refresh.as_of)
    figures = QualityFigure.objects.filter(refresh=refresh)
    region_rows = _published(figures.filter(practice_ref__isnull=True))
    # The practices' totals, pooled: every practice's point on the funnel plots.
    practice_rows = _published(
        figures.filter(
            practice_ref__isnull=False,
            split=ALL,
            group=ALL,
            period_start=pooled.start,
            period_end=pooled.end,
        )
    )
    own_rows = (
        _published(figures.filter(practice=own).exclude(split=ALL, period_start=pooled.start))
        if own is not None
        else []
    )
    names: dict[int, str] = {}
    if named:
        ids = {row["practice_id"] for row in practice_rows if row["practice_id"] is not None}
        names = dict(Practice.objects.filter(pk__in=ids).values_list("pk", "name"))

    found: dict[tuple[str, str], IndicatorFigures] = {}

    def entry(row: dict[str, Any]) -> IndicatorFigures | None:
        indicator = BY_ID.get(row["indicator"])
        if indicator is None:
            return None
        key = (row["indicator"], row["source"])
        if key not in found:
            found[key] = IndicatorFigures(indicator=indicator, source=row["source"])
        return found[key]

    def is_year(row: dict[str, Any]) -> bool:
        return bool(row["period_start"] == year.start and row["period_end"] == year.end)

    def is_pooled(row: dict[str, Any]) -> bool:
        return bool(row["period_start"] == pooled.start and row["period_end"] == pooled.end)

    for row in region_rows:
        item = entry(row)
        if item is None:
            continue
        total = row["split"] == ALL and row["group"] == ALL
        if total and is_year(row):
            item.region_year = _figure(row)
        elif total and is_pooled(row):
            item.region_pooled = _figure(row)
        elif is_year(row):
            item.splits.setdefault(row["split"], []).append(_figure(row))
    for row in practice_rows:
        item = entry(row)
        if item is None:
            continue
        mine = own is not None and row["practice_id"] == own.pk
        if mine:
            item.own_pooled = _figure(row)
        name = _practice_label(row, names) if named else None
        if mine and own is not None:
            name = own.name
        item.practices.append(PracticePoint(name=name, own=mine, figure=_figure(row)))
    for row in own_rows:
        item = entry(row)
        if item is None:
            continue
        total = row["split"] == ALL and row["group"] == ALL
        if total and is_year(row):
            item.own_year = _figure(row)
        elif is_year(row):
            item.own_splits.setdefault(row["split"], []).append(_figure(row))

    order = {indicator.id: i for i, indicator in enumerate(INDICATORS)}
    items = sorted(_one_source_each(found, own=own), key=lambda item: order[item.indicator.id])
    for item in items:
        item.practices.sort(key=_practice_order)
    return QualityFigures(refresh=refresh, year=year, pooled=pooled, indicators=items)


def _one_source_each(
    found: dict[tuple[str, str], IndicatorFigures], *, own: Practice | None
) -> list[IndicatorFigures]:
    """One source per indicator, so a page never shows two answers to one question.

    The dashboard takes the region's files where they hold the indicator (the whole
    region's registers), else the record. A mirror takes the source its own practice is in:
    the region's files only where their practices are the record's (`linked`), else the
    record; an indicator only the region's files hold is shown for the region alone, without
    the other region's practices on a funnel plot the practice has no point on.
    """
    chosen: list[IndicatorFigures] = []
    for indicator in {key[0] for key in found}:
        region, record = found.get((indicator, "region")), found.get((indicator, "record"))
        if own is None:
            item = region or record
        elif region is not None and any(point.own for point in region.practices):
            item = region
        elif record is not None:
            item = record
        else:
            item = region
            if item is not None:
                item.practices = []
        if item is not None:
            chosen.append(item)
    return chosen


def _practice_order(point: PracticePoint) -> tuple[int, str, int]:
    """By name where named, else by denominator: never by the value compared."""
    return (0 if point.name is not None else 1, (point.name or "").casefold(), point.figure.n or 0)


def region_figures() -> QualityFigures:
    """The analyst's dashboard: the region's figures and every practice by name."""
    refresh = latest_refresh()
    if refresh is None:
        return QualityFigures(refresh=None, year=None, pooled=None, indicators=[])
    return _collect(refresh, own=None, named=True)


def mirror_figures(practice: Practice) -> QualityFigures:
    """A practice's mirror: the region's figures, the practice's own, the other practices
    as anonymous points only."""
    refresh = latest_refresh()
    if refresh is None:
        return QualityFigures(refresh=None, year=None, pooled=None, indicators=[])
    return _collect(refresh, own=practice, named=False)


# --- Exports --------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "indicator",
    "source",
    "period_start",
    "period_end",
    "place",
    "split",
    "group",
    "denominator",
    "numerator",
    "share",
    *QUARTILES,
    "hidden_reason",
)


def export_rows(*, indicator: str, practice: Practice | None) -> list[dict[str, Any]]:
    """The published rows of one indicator, both periods: the region's and every practice's
    (``practice`` None, the analyst), or the region's and one practice's (a GP's)."""
    if indicator not in BY_ID:
        raise KeyError(indicator)
    refresh = latest_refresh()
    if refresh is None:
        return []
    figures = QualityFigure.objects.filter(refresh=refresh, indicator=indicator)
    if practice is not None:
        figures = figures.filter(Q(practice_ref__isnull=True) | Q(practice=practice))
    rows = _published(figures.order_by("source", "period_start", "practice_ref", "split", "group"))
    names = dict(
        Practice.objects.filter(
            pk__in={row["practice_id"] for row in rows if row["practice_id"] is not None}
        ).values_list("pk", "name")
    )
    out = []
    for row in rows:
        place = "region" if row["practice_ref"] is None else _practice_label(row, names)
        out.append(
            {
                "indicator": row["indicator"],
                "source": row["source"],
                "period_start": row["period_start"],
                "period_end": row["period_end"],
                "place": place,
                "split": row["split"],
                "group": row["group"],
                "denominator": row["shown_denominator"],
                "numerator": row["shown_numerator"],
                "share": row["shown_share"],
                **{name: row[f"shown_{name}"] for name in QUARTILES},
                "hidden_reason": row["hidden_reason"],
            }
        )
    # Sorted by place name within each block, never by a value.
    out.sort(
        key=lambda r: (
            r["source"],
            r["period_start"],
            r["place"] != "region",
            str(r["place"]).casefold(),
            r["split"] != ALL,
            r["split"],
            r["group"],
        )
    )
    return out


# --- The mirror's case data: the practice's own rejections and pathways ----------------


@dataclass(frozen=True, slots=True)
class Rejection:
    referral_id: int
    decided_on: date | None
    reason_text: str
    plan_code: str
    plan_label: str
    plan_text: str


@dataclass(frozen=True, slots=True)
class RejectionGroup:
    reason: str
    label: str
    rejections: list[Rejection]


def practice_rejections(*, user: User, since: datetime) -> list[RejectionGroup]:
    """The practice's rejected referrals decided since ``since``, grouped by the unit's
    reason, newest first in each group. Only reason, plan and date: no patient."""
    practice = practice_of(user)
    if practice is None:
        return []
    rows = (
        Referral.objects.filter(
            practice=practice, state=ReferralState.REJECTED, decided_at__gte=since
        )
        .order_by("reason_category", "-decided_at", "-pk")
        .values(
            "pk",
            "decided_at",
            "reason_category",
            "reason_text",
            "alternative_plan_code",
            "alternative_plan_text",
        )
    )
    labels = dict(RejectionReason.choices)
    lang = clinical_language()
    plans = {entry.code: entry.labels.get(lang) for entry in load_catalogue().entries}
    groups: dict[str, list[Rejection]] = defaultdict(list)
    for row in rows:
        decided = row["decided_at"]
        groups[row["reason_category"]].append(
            Rejection(
                referral_id=row["pk"],
                decided_on=decided.date() if decided is not None else None,
                reason_text=row["reason_text"],
                plan_code=row["alternative_plan_code"],
                plan_label=plans.get(row["alternative_plan_code"], row["alternative_plan_code"]),
                plan_text=row["alternative_plan_text"],
            )
        )
    return [
        RejectionGroup(reason=reason, label=str(labels.get(reason, reason)), rejections=items)
        for reason, items in groups.items()
    ]


def practice_pathway_ends(*, user: User, since: datetime) -> list[tuple[str, str, int]]:
    """The practice's referrals sent since ``since`` by where they stand or ended:
    (state, label, count), every state of a sent referral, the empty ones too."""
    practice = practice_of(user)
    if practice is None:
        return []
    counts = dict(
        Referral.objects.filter(practice=practice, sent_at__gte=since)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return [
        (state, str(label), counts.get(state, 0))
        for state, label in ReferralState.choices
        if state != ReferralState.DRAFT
    ]
