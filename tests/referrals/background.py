"""Running the background worker inside a test: the real database queue, worked off by
the same loop `opspor worker` uses, one pass at a time."""

from __future__ import annotations

from datetime import datetime

from opspor.casework.clock import COPENHAGEN
from opspor.casework.management.commands.worker import BackgroundWorker


def run_queue() -> None:
    """Run every task that is due now, in this process, as the worker does."""
    BackgroundWorker(poll_interval=0.01).drain()


def sweep_now() -> None:
    """One turn of `opspor worker`: enqueue the sweep, then run the queue."""
    BackgroundWorker(poll_interval=0.01).run_once()


def cph(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    """A moment in Copenhagen time."""
    return datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)
