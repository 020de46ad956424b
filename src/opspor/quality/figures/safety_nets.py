"""The safety-net figures, from the safety-net app's episodes and investigations.

What counts (the page shows the same in `indicators.py`):

- Open and overdue are read on the day of the figures: every episode opened by then and not
  closed by then, whenever it was opened, so both periods show the same number (a net
  forgotten for years is exactly what the count is for). Overdue: open, and its follow-up
  date (as the episode holds it now) is before that day; on the follow-up day itself the
  worklist shows it as due, not yet as late.
- Closed: episodes closed in the period, by outcome.
- Results told late: results that came in the period (``resulted_at``), told to the patient
  more than 5 working days after they came, or still not told when those days had passed;
  a result still inside its 5 days and not yet told is left out until its time is up.
- Everything is read as it stood at the end of the day of the figures (`moments.py`).
- The patient's groups are taken on the day the episode was opened (open, overdue), the
  day it was closed (closed), and the day the result came (results).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Q

from opspor.casework.deadlines import add_working_days
from opspor.quality.aggregate import Item
from opspor.quality.cells import Cell
from opspor.quality.figures import Period, indicators_cells
from opspor.quality.figures.moments import day_end, day_start, known, local_day, practice_ids
from opspor.quality.groups import WhoBook
from opspor.safetynet.models import Investigation, SafetyNetEpisode
from opspor.safetynet.workflow import EpisodeOutcome

# How long a result may wait before the patient is told, on the working-day clock of the
# case work (`casework.deadlines`). Opspor's working threshold: NONE FOUND published.
RESULT_TOLD_WORKING_DAYS = Decimal(5)

INDICATOR_IDS: tuple[str, ...] = (
    "safety_nets_open",
    "safety_nets_overdue",
    "safety_nets_closed",
    "results_told_late",
)


def cells(period: Period, *, as_of: date) -> list[Cell]:
    cutoff = day_end(as_of)
    start, end = day_start(period.start), min(day_end(period.end), cutoff)
    practices = practice_ids()

    # One query for both: the episodes open at the cutoff, and those closed in the period.
    episodes = list(
        SafetyNetEpisode.objects.filter(
            Q(opened_at__lt=cutoff, closed_at__isnull=True)
            | Q(opened_at__lt=cutoff, closed_at__gte=cutoff)
            | Q(closed_at__gte=start, closed_at__lt=end)
        )
        .order_by()
        .values("patient_id", "practice_id", "opened_at", "closed_at", "follow_up_on", "outcome")
    )
    results = list(
        Investigation.objects.filter(resulted_at__gte=start, resulted_at__lt=end)
        .order_by()
        .values("episode__patient_id", "episode__practice_id", "resulted_at", "told_at")
    )
    book = WhoBook(
        [row["patient_id"] for row in episodes] + [row["episode__patient_id"] for row in results]
    )
    items: dict[str, list[Item]] = defaultdict(list)

    for row in episodes:
        practice = row["practice_id"]
        closed_at = row["closed_at"]
        if known(closed_at, cutoff):
            closed_on = local_day(closed_at)
            if period.holds(closed_on):
                who = book.who(row["patient_id"], closed_on)
                items["safety_nets_closed"].append(
                    Item(practice_id=practice, who=who, extra=row["outcome"])
                )
            continue
        who = book.who(row["patient_id"], local_day(row["opened_at"]))
        items["safety_nets_open"].append(Item(practice_id=practice, who=who))
        if row["follow_up_on"] < as_of:
            items["safety_nets_overdue"].append(Item(practice_id=practice, who=who))

    for result in results:
        resulted_at = result["resulted_at"]
        if resulted_at is None:  # pragma: no cover - the query asks for a date
            continue
        due = add_working_days(resulted_at, RESULT_TOLD_WORKING_DAYS)
        told = result["told_at"] if known(result["told_at"], cutoff) else None
        if told is None and due >= cutoff:
            continue  # still within its days: neither late nor in time yet
        who = book.who(result["episode__patient_id"], local_day(resulted_at))
        items["results_told_late"].append(
            Item(
                practice_id=result["episode__practice_id"], who=who, hit=told is None or told > due
            )
        )

    return indicators_cells(
        {indicator: items[indicator] for indicator in INDICATOR_IDS},
        period=period,
        practices=practices,
        own_splits={"safety_nets_closed": ("outcome", tuple(EpisodeOutcome.values))},
    )
