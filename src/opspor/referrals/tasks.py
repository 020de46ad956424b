"""Background work: e-mail delivery of notifications.

Tasks take ids, never model instances or patient data, because their arguments are stored
in the task queue's table.
"""

from __future__ import annotations

from django.tasks import task

from opspor.referrals import delivery


@task()
def deliver_notification(notification_id: int) -> str:
    """Send one notification's e-mail; on failure it stays pending with a later attempt."""
    return delivery.deliver(notification_id)
