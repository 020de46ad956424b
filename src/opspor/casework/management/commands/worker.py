"""`opspor worker`: the background worker.

One process does two things in turn: it runs every task waiting in the database queue
(notification e-mails, and whatever else is enqueued), and every `--sweep-interval`
seconds it enqueues the sweep (`tasks.sweep_run`), which hands pending e-mails over again,
escalates rejections nobody acknowledged in time and tells the units what is overdue.
SIGTERM or SIGINT stops it after the task in hand; a second signal stops it at once (the
task in hand is then marked failed, and whatever it was sending stays pending and is
picked up by the next sweep). Started with SIGINT ignored (a background job of a shell
script), it leaves SIGINT ignored and stops on SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import time
from datetime import timedelta
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django.tasks.exceptions import InvalidTaskBackend
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from opspor.casework import tasks

logger = logging.getLogger("opspor.worker")

# Finished task rows (their ids, times and return values; never patient data) are kept
# this long for looking into a problem, then deleted, so the queue table does not grow
# by the sweep's 1,440 rows a day for ever.
KEEP_RESULTS = timedelta(days=14)
PRUNE_EVERY_S = 3600.0
# The longest the loop sleeps in one go, so that a stop is noticed quickly.
MAX_NAP_S = 0.25


class BackgroundWorker:
    """The database queue's worker and the periodic sweep, in one loop."""

    def __init__(
        self,
        *,
        sweep_interval: float = 60.0,
        poll_interval: float = 1.0,
        backend_name: str = DEFAULT_TASK_BACKEND_ALIAS,
        worker_id: str | None = None,
    ) -> None:
        self.sweep_interval = sweep_interval
        self.poll_interval = poll_interval
        self.backend_name = backend_name
        self.worker_id = worker_id or get_random_string(32)
        self.stopping = False
        self._queue_worker: Worker | None = None
        self._next_prune = 0.0

    def stop(self) -> None:
        """Stop after the task in hand (safe to call from a signal handler)."""
        self.stopping = True
        if self._queue_worker is not None:
            self._queue_worker.running = False

    def enqueue_sweep(self) -> None:
        tasks.sweep_run.using(backend=self.backend_name).enqueue()

    def drain(self) -> None:
        """Run every task that is due, one after the other, then return."""
        queue_worker = Worker(
            queue_names=["*"],
            interval=self.poll_interval,
            batch=True,
            backend_name=self.backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )
        self._queue_worker = queue_worker
        try:
            if not self.stopping:
                queue_worker.run()
        finally:
            self._queue_worker = None

    def run_once(self) -> None:
        """One sweep and every task that is due, then return (`--once`)."""
        self.enqueue_sweep()
        self.drain()

    def prune(self) -> int:
        """Delete finished task rows older than KEEP_RESULTS; returns how many."""
        finished = DBTaskResult.objects.finished().filter(
            backend_name=self.backend_name, finished_at__lt=timezone.now() - KEEP_RESULTS
        )
        deleted, _ = finished.delete()
        return deleted

    def run(self) -> None:
        """Until stopped: sweep when due, run what is queued, wait a moment."""
        next_sweep = time.monotonic()
        while not self.stopping:
            if time.monotonic() >= next_sweep:
                self.enqueue_sweep()
                next_sweep = time.monotonic() + self.sweep_interval
            if time.monotonic() >= self._next_prune:
                self.prune()
                self._next_prune = time.monotonic() + PRUNE_EVERY_S
            self.drain()
            self._nap(min(self.poll_interval, max(next_sweep - time.monotonic(), 0.0)))

    def _nap(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while not self.stopping and (left := until - time.monotonic()) > 0:
            time.sleep(min(left, MAX_NAP_S))


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise CommandError(f"Expected a number of seconds, got {value!r}.") from None
    if not 0 < seconds <= 86_400:
        raise CommandError(f"Expected more than 0 and at most 86400 seconds, got {value!r}.")
    return seconds


class Command(BaseCommand):
    help = (
        "Run the background worker: notification e-mails from the database queue, and "
        "every --sweep-interval seconds a sweep that retries pending e-mails, escalates "
        "unacknowledged rejections and notifies units of overdue deadlines. Stops cleanly "
        "on SIGTERM or Ctrl+C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sweep-interval",
            default="60",
            help="seconds between two sweeps (default 60)",
        )
        parser.add_argument(
            "--poll-interval",
            default="1",
            help="seconds between two looks at an empty queue (default 1)",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="sweep once, run every task that is due, and exit (for cron or a check)",
        )
        parser.add_argument(
            "--backend",
            default=DEFAULT_TASK_BACKEND_ALIAS,
            help="the TASKS backend to work off (default %(default)r)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend_name = options["backend"]
        try:
            backend = task_backends[backend_name]
        except InvalidTaskBackend:
            raise CommandError(f"No task backend {backend_name!r} in settings.TASKS.") from None
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                f"The worker runs the database queue, but TASKS[{backend_name!r}] is "
                f"{type(backend).__name__}; set OPSPOR_TASKS_BACKEND="
                "django_tasks_db.DatabaseBackend."
            )
        worker = BackgroundWorker(
            sweep_interval=_seconds(options["sweep_interval"]),
            poll_interval=_seconds(options["poll_interval"]),
            backend_name=backend_name,
        )
        # django.tasks logs each task's start and end, and the queue worker each look at
        # the queue, at INFO: too chatty beside the development server. Failures (ERROR)
        # still show; -v 2 shows everything.
        if options["verbosity"] < 2:
            for name in ("django.tasks", "django_tasks_db"):
                logging.getLogger(name).setLevel(logging.WARNING)
        if options["once"]:
            worker.run_once()
            return
        self._run_until_signalled(worker)

    def _run_until_signalled(self, worker: BackgroundWorker) -> None:
        # A process started with SIGINT ignored (a shell's background job, as in `make
        # demo`) keeps ignoring it, as Python itself does: Ctrl+C in the terminal is for
        # the foreground program, and whoever started the worker stops it with SIGTERM.
        stop_signals = tuple(
            signum
            for signum in (signal.SIGINT, signal.SIGTERM)
            if signal.getsignal(signum) is not signal.SIG_IGN
        )
        previous = {signum: signal.getsignal(signum) for signum in stop_signals}

        def on_signal(signum: int, frame: FrameType | None) -> None:
            if worker.stopping:
                logger.warning("Second %s: stopping now.", signal.strsignal(signum))
                for number, handler in previous.items():
                    signal.signal(number, handler)
                raise SystemExit(1)
            logger.info("%s: stopping after the task in hand.", signal.strsignal(signum))
            worker.stop()

        for signum in stop_signals:
            signal.signal(signum, on_signal)
        logger.info(
            "Worker %s started: sweep every %g s, queue checked every %g s.",
            worker.worker_id[:8],
            worker.sweep_interval,
            worker.poll_interval,
        )
        try:
            worker.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        logger.info("Worker %s stopped.", worker.worker_id[:8])
