"""The practice's worklist over the JSON API: what waits for its GPs, most urgent first.

As on the page, the list is sorted across the whole practice and then cut (`limit`,
`offset`); the patients of the items answered are logged as read, in one query.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from opspor.api_errors import ErrorOut, UnauthorizedOut, ValidationErrorOut
from opspor.casework.endpoints import caller
from opspor.casework.schemas import MAX_ID
from opspor.records.selectors import practice_of
from opspor.records.services import record_reads_log
from opspor.safetynet.api.common import GP_ONLY
from opspor.safetynet.forms import practice_gps
from opspor.safetynet.signal_items import signals_dated
from opspor.safetynet.worklist import practice_worklist
from opspor.safetynet.worklist_rows import kind_counts, owner_names, worklist_rows

router = Router(tags=["safety nets"])

# The access log's name for a read of the worklist: a patient's name and what waits.
READ_WORKLIST = "worklist"


class OwnerOut(Schema):
    id: int
    name: str  # empty when the owner is no longer an active GP of the practice


class WorklistItemOut(Schema):
    kind: str  # the kind's code, e.g. result_unseen; the list's order puts the urgent first
    label: str  # the kind in the caller's language
    patient_id: int
    patient_name: str
    patient_url: str  # the patient's overview on the web
    owner: OwnerOut | None
    since: date  # since when it has waited: its due date, or when it arrived
    waited_days: int
    case_url: str  # the case it comes from, on the web
    detail: str  # the case by name: the test, the pathway, why the safety net is open
    dismiss_url: str | None  # a POST that takes a required `reason`, for items that have one


class KindCountOut(Schema):
    kind: str
    label: str
    count: int


class SignalsDatedOut(Schema):
    as_of: date  # the day the practice's watched signals were computed for as a whole
    source: str  # "scan": the region's population scan; "worker": the practice's own run


class WorklistOut(Schema):
    count: int  # every item that waits (for the owner, when one is given)
    counts: list[KindCountOut]
    # How fresh the signal items are; null before the practice's signals were first computed.
    signals: SignalsDatedOut | None
    limit: int
    offset: int
    items: list[WorklistItemOut]


@router.get(
    "/worklist",
    response={
        200: WorklistOut,
        401: UnauthorizedOut,
        403: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="What waits for the GPs of the caller's practice, most urgent first",
    description=(
        "The same list as the GP's start page: rejections not acknowledged, patients the unit "
        "has not contacted in time, results not seen or not told, investigations past their "
        "expected date, follow-ups due, safety nets at their end. An item goes only when a GP "
        "acts on the case, never by itself. `owner` narrows to the items of one GP of the "
        "practice (an id that is not one gives no items); `limit` and `offset` page through "
        "the sorted list. The patients of the items answered are logged as read."
    ),
)
def worklist(
    request: HttpRequest,
    owner: int | None = Query(None, ge=1, le=MAX_ID),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> Status[Any]:
    user = caller(request, GP_ONLY)
    now = timezone.now()
    practice = practice_of(user)
    names = owner_names(practice_gps(practice)) if practice is not None else {}
    items = practice_worklist(user=user, now=now, owner_id=owner)
    shown = items[offset : offset + limit]
    record_reads_log(
        user=user,
        patient_ids=[item.patient_id for item in shown],
        what=READ_WORKLIST,
        channel="api",
    )
    rows = worklist_rows(shown, owners=names, today=timezone.localdate(now))
    dated = signals_dated(practice)
    return Status(
        200,
        WorklistOut(
            count=len(items),
            counts=[
                KindCountOut(kind=c.code, label=c.label, count=c.count) for c in kind_counts(items)
            ],
            signals=SignalsDatedOut(as_of=dated.as_of, source=dated.source)
            if dated is not None and dated.as_of is not None
            else None,
            limit=limit,
            offset=offset,
            items=[
                WorklistItemOut(
                    kind=row.item.code,
                    label=row.label,
                    patient_id=row.item.patient_id,
                    patient_name=row.item.patient_name,
                    patient_url=row.item.patient_url,
                    owner=OwnerOut(id=row.item.owner_id, name=row.owner)
                    if row.item.owner_id is not None
                    else None,
                    since=row.item.since,
                    waited_days=row.waited_days,
                    case_url=row.item.case_url,
                    detail=row.detail,
                    dismiss_url=row.item.dismiss_url,
                )
                for row in rows
            ],
        ),
    )
