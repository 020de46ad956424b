"""Background work: e-mail delivery of notifications and the periodic sweep.

Both run through Django's Tasks framework on the database queue (settings.TASKS), worked
off by `opspor worker`. Tasks take ids, never model instances or patient data, because
their arguments are stored in the task queue's table.
"""

from __future__ import annotations

import logging

from django.tasks import task

from opspor.referrals import delivery, services

logger = logging.getLogger(__name__)


@task()
def deliver_notification(notification_id: int) -> str:
    """Send one notification's e-mail; on failure it stays pending with a later attempt."""
    return delivery.deliver(notification_id)


@task()
def sweep() -> dict[str, int]:
    """Re-hand pending e-mails, escalate unacknowledged rejections, tell units what is
    overdue; `opspor worker` enqueues this every `--sweep-interval` seconds."""
    counts = services.sweep().as_dict()
    if any(counts.values()):
        # Counts only: which rows they were is in the notifications and the audit trail.
        logger.info("sweep: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
