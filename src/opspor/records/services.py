"""Business actions on the record: logging every read of a patient's record."""

from __future__ import annotations

from opspor.accounts.models import User
from opspor.records.models import AccessLogEntry, Patient


def record_read_log(*, user: User, patient: Patient, what: str, channel: str = "web") -> None:
    """Write one access-log row; called only after access has been granted."""
    AccessLogEntry.objects.create(user=user, patient=patient, what=what, channel=channel)
