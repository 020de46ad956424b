"""The workflow-table runner: one state change of any kind of case, the same steps always.

A kind of case declares its workflow as a table of `Transition`s (data a clinician can
review); its services call `run_transition`, which checks the side, locks the row,
re-checks the state on the locked row (a conflict when someone acted first, a refusal when
the action never applied), applies the action's own changes, moves the state, and writes
the audit event, all in one transaction at the moment the service acts at.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.db import OperationalError, connection, models, transaction
from django.utils import timezone

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError
from opspor.casework.events import CaseChange, publish
from opspor.casework.guards import Side, require_side

# SQLite has one writer at a time. A file database waits for the lock (the busy timeout),
# but a shared-cache connection, and a busy timeout that runs out, report "locked" at
# once; the action then starts again from the top, re-reading the row it decides on.
LOCK_RETRIES = 100
LOCK_RETRY_PAUSE_S = 0.05


def retry_when_locked[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(LOCK_RETRIES):
            try:
                return func(*args, **kwargs)
            except OperationalError as error:
                retry = (
                    connection.vendor == "sqlite"
                    and "locked" in str(error)
                    and not connection.in_atomic_block  # an outer transaction must fail whole
                    and attempt < LOCK_RETRIES - 1
                )
                if not retry:
                    raise
                time.sleep(LOCK_RETRY_PAUSE_S)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the action keeps the state it finds (a reschedule, say)
    side: Side


def transitions(*rows: tuple[str, Iterable[str], str | None, Side]) -> dict[str, Transition]:
    """A workflow table from `(action, source states, target state, side)` rows."""
    return {
        action: Transition(action=action, sources=frozenset(sources), target=target, side=side)
        for action, sources, target, side in rows
    }


class CaseRow(Protocol):
    """A case row the runner can move: a state, a practice, and its `events`."""

    pk: Any
    state: str
    practice_id: int

    def save(self, *args: Any, **kwargs: Any) -> None: ...


def lock[M: models.Model](instance: M) -> M:
    """The row again, locked for the rest of the transaction."""
    return type(instance)._default_manager.select_for_update().get(pk=instance.pk)


def check_state(transition: Transition, *, seen: str, locked: str) -> None:
    """Refuse unless the locked row's state allows the action.

    When the row changed after the caller read it (`seen` != `locked`), the refusal is a
    conflict: another user acted first, and the caller decided on a stale screen.
    """
    if locked in transition.sources:
        return
    if seen != locked:
        raise WorkflowError(
            "conflict",
            f"The row was changed to {locked!r} by someone else; reload it and decide again.",
        )
    raise WorkflowError("not_allowed", f"Cannot {transition.action} in state {locked!r}.")


def refresh(instance: models.Model, locked: models.Model) -> None:
    """Copy the saved row into the caller's instance, so it does not keep a stale state."""
    instance.__dict__.update(
        {f.attname: getattr(locked, f.attname) for f in locked._meta.concrete_fields}
    )


def record_event(
    row: Any,
    *,
    by: User | None,
    at: datetime,
    action: str,
    from_state: str,
    reason: str = "",
    to_state: str | None = None,
) -> None:
    """The audit event of one action on `row`, written through its `events` relation and
    published to the apps that follow the case (`casework.events`).

    `by` is None when Opspor itself acted (the background worker).
    """
    to_state = row.state if to_state is None else to_state
    row.events.create(
        actor=by, at=at, action=action, from_state=from_state, to_state=to_state, reason=reason
    )
    publish(
        CaseChange(row=row, action=action, by=by, at=at, from_state=from_state, to_state=to_state)
    )


def record_refusal(
    row: models.Model, *, by: User, at: datetime, action: str, reason: str = ""
) -> None:
    """Keep a refused action in the case's audit trail: an event that changes no state.

    Called after the refused transaction rolled back, so the event is written in one of
    its own and the row's state is read again (the refusal left it as it was). Inside a
    caller's own transaction it is a savepoint, and goes if that transaction is undone.
    """
    with transaction.atomic():
        state = type(row)._default_manager.values_list("state", flat=True).get(pk=row.pk)
        record_event(
            row, by=by, at=at, action=action, from_state=state, to_state=state, reason=reason
        )


@retry_when_locked
def run_transition[Row: models.Model](
    row: Row,
    *,
    transition: Transition,
    by: User,
    reason: str = "",
    apply: Callable[[Row, datetime], None] | None = None,
    now: datetime | None = None,
    seen_state: str = "",
) -> Row:
    """One state change of a case at `now` (default: the current time).

    `apply` makes the action's own changes on the locked row and may refuse with a
    `WorkflowError`; then nothing is saved. `seen_state` is the state the caller decided
    on, as their screen showed it (default: the state of `row` as read): when the locked
    row has moved on since, the refusal is a conflict, not a plain "not allowed".
    """
    require_side(transition.side, by, row)  # type: ignore[arg-type]
    with transaction.atomic():
        locked = lock(row)
        seen = seen_state or row.state  # type: ignore[attr-defined]
        check_state(transition, seen=seen, locked=locked.state)  # type: ignore[attr-defined]
        now = now or timezone.now()
        from_state = locked.state  # type: ignore[attr-defined]
        if apply is not None:
            apply(locked, now)
        if transition.target is not None:
            locked.state = transition.target  # type: ignore[attr-defined]
        locked.save()
        record_event(
            locked, by=by, at=now, action=transition.action, from_state=from_state, reason=reason
        )
    refresh(row, locked)
    return row
