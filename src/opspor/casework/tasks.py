"""The periodic sweep as a background task.

It runs through Django's Tasks framework on the database queue (settings.TASKS), worked
off by `opspor worker`, as does the e-mail delivery task (`delivery.notification_deliver`,
kept beside the code it runs so that writing a notification does not import the sweep).
"""

from __future__ import annotations

import logging

from django.tasks import task

from opspor.casework.sweep import sweep

logger = logging.getLogger(__name__)


@task()
def sweep_run() -> dict[str, int]:
    """Every registered sweep step once; `opspor worker` enqueues this every
    `--sweep-interval` seconds."""
    counts = sweep()
    if any(counts.values()):
        # Counts only: which rows they were is in the notifications and the audit trail.
        logger.info("sweep: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
