"""QualityRefresh and QualityFigure rows made directly, for the pages' tests: a small stand-in
for the refresh service, publishing each cell by the quality unit's rule in its simplest form
(a count from 1 to 4 as "<5", no share or quartiles over 10 or fewer)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from opspor.quality.aggregate import VULNERABLE_SPLITS
from opspor.quality.figures import periods
from opspor.quality.indicators import BY_ID
from opspor.quality.models import QualityFigure, QualityRefresh
from opspor.records.models import Practice

AS_OF = date(2026, 11, 30)


def refresh(*, as_of: date = AS_OF, finished: bool = True) -> QualityRefresh:
    started = timezone.make_aware(datetime(as_of.year, as_of.month, as_of.day, 2, 0))
    return QualityRefresh.objects.create(
        as_of=as_of,
        started_at=started,
        finished_at=started + timedelta(minutes=3) if finished else None,
        by=QualityRefresh.By.SEED,
    )


def figure(
    run: QualityRefresh,
    indicator: str,
    *,
    denominator: int,
    numerator: int | None = None,
    quartiles: tuple[float, float, float, float, float] | None = None,
    practice: Practice | None = None,
    practice_ref: int | None = None,
    split: str = "all",
    group: str = "all",
    pooled: bool = False,
    source: str = "record",
) -> QualityFigure:
    year, three = periods(run.as_of)
    period = three if pooled else year
    small_d = 0 < denominator <= 4
    small_n = numerator is not None and 0 < numerator <= 4
    hidden = ""
    if small_d or small_n:
        hidden = "small_count"
    elif (numerator is not None or quartiles) and 0 < denominator <= 10:
        hidden = "small_denominator"
    shows = not hidden
    p10, q1, median, q3, p90 = quartiles or (None, None, None, None, None)
    return QualityFigure.objects.create(
        refresh=run,
        source=source,
        indicator=indicator,
        practice=practice,
        practice_ref=practice.pk if practice is not None else practice_ref,
        split=split,
        group=group,
        period_start=period.start,
        period_end=period.end,
        denominator=denominator,
        numerator=numerator,
        p10=p10,
        q1=q1,
        median=median,
        q3=q3,
        p90=p90,
        shown_denominator="<5" if small_d else str(denominator),
        shown_numerator=""
        if numerator is None
        else ("<5" if small_n or (small_d and numerator) else str(numerator)),
        shown_share=(numerator / denominator) if shows and numerator is not None else None,
        shown_quartiles=bool(quartiles) and shows,
        hidden_reason=hidden,
    )


def _share(rng: random.Random, n: int, p: float) -> int:
    return sum(1 for _ in range(n) if rng.random() < p)


def seed(practices: list[Practice], *, seed: int = 1) -> QualityRefresh:
    """A refresh with a bit of every kind of figure: funnel shares for every practice, a
    distribution, the routes, a count by reason, and splits for the equity section."""
    rng = random.Random(seed)
    run = refresh()
    kw: dict[str, Any]
    for indicator in ("referral_conversion", "signal_any"):
        p = 0.08 if indicator == "referral_conversion" else 0.05
        total_n = total_k = 0
        for pooled in (False, True):
            total_n = total_k = 0
            for i, practice in enumerate(practices):
                n = 8 + 37 * i if pooled else 3 + 12 * i
                k = _share(rng, n, p)
                total_n, total_k = total_n + n, total_k + k
                figure(run, indicator, practice=practice, denominator=n, numerator=k, pooled=pooled)
                if not pooled:
                    for group, part in (("yes", 0.3), ("no", 0.7)):
                        gn = round(n * part)
                        figure(
                            run,
                            indicator,
                            practice=practice,
                            split="vulnerable",
                            group=group,
                            denominator=gn,
                            numerator=min(gn, round(k * part)),
                        )
            figure(run, indicator, denominator=total_n, numerator=total_k, pooled=pooled)
        for split in ("vulnerable", *VULNERABLE_SPLITS):
            for group, part in (("yes", 0.2), ("no", 0.8)):
                gn = round(total_n * part)
                figure(
                    run,
                    indicator,
                    split=split,
                    group=group,
                    denominator=gn,
                    numerator=_share(rng, gn, p * (1.5 if group == "yes" else 1)),
                )
        for group in ("female", "male"):
            figure(
                run,
                indicator,
                split="sex",
                group=group,
                denominator=total_n // 2,
                numerator=_share(rng, total_n // 2, p),
            )
    for pooled in (False, True):
        kw = {"pooled": pooled}
        figure(run, "interval_diagnostic", denominator=240, quartiles=(4, 9, 17, 33, 61), **kw)
        for i, practice in enumerate(practices):
            figure(
                run,
                "interval_diagnostic",
                practice=practice,
                denominator=6 + 20 * i,
                quartiles=(3 + i, 8, 15 + i, 30, 55),
                **kw,
            )
    for group, q in (("yes", (6, 12, 22, 41, 80)), ("no", (4, 8, 15, 30, 55))):
        figure(
            run,
            "interval_diagnostic",
            split="vulnerable",
            group=group,
            denominator=120,
            quartiles=q,
        )
    for group in ("solo", "partnership", "network"):
        figure(
            run,
            "interval_diagnostic",
            split="practice_kind",
            group=group,
            denominator=80,
            quartiles=(4, 9, 16, 31, 60),
        )
    figure(
        run,
        "interval_diagnostic",
        split="site",
        group="lung",
        denominator=7,
        quartiles=(1, 2, 3, 4, 5),
    )
    routes = (
        ("route_cancer_pathway", 150, 40),
        ("route_dpf", 40, 20),
        ("route_other_referral", 20, 6),
        ("route_emergency", 30, 14),
    )
    vulnerable = sum(yes for _, _, yes in routes)
    for route, k, yes in routes:
        figure(run, route, denominator=240, numerator=k)
        figure(run, route, denominator=700, numerator=k * 3, pooled=True)
        for group, gn, gk in (("yes", vulnerable, yes), ("no", 240 - vulnerable, k - yes)):
            figure(run, route, split="vulnerable", group=group, denominator=gn, numerator=gk)
        if route == "route_emergency":
            for i, practice in enumerate(practices):
                figure(
                    run,
                    route,
                    practice=practice,
                    denominator=20 + 30 * i,
                    numerator=3 + 3 * i,
                    pooled=True,
                )
    figure(run, "rejections_by_reason", denominator=31)
    for reason, n in (
        ("criteria_not_met", 20),
        ("investigations_first", 9),
        ("patient_declines", 2),
    ):
        figure(run, "rejections_by_reason", split="reason", group=reason, denominator=n)
    figure(run, "referrals_sent", denominator=412)
    for i, practice in enumerate(practices):
        figure(run, "referrals_sent", practice=practice, denominator=3 + 40 * i)
    assert all(ind in BY_ID for ind in QualityFigure.objects.values_list("indicator", flat=True))
    return run
