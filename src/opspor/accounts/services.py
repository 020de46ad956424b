"""Business actions on accounts: recording reads of patient records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opspor.accounts.models import AccessLogEntry, User

if TYPE_CHECKING:
    from opspor.records.models import Patient


def record_read_log(*, user: User, patient: Patient, what: str, channel: str = "web") -> None:
    """Write one access-log row; called only after access has been granted."""
    AccessLogEntry.objects.create(user=user, patient=patient, what=what, channel=channel)
