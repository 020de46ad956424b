"""Business actions on the record: logging every read of a patient's record."""

from __future__ import annotations

from collections.abc import Iterable

from opspor.accounts.models import User
from opspor.records.models import AccessLogEntry, Patient


def record_read_log(*, user: User, patient: Patient, what: str, channel: str = "web") -> None:
    """Write one access-log row; called only after access has been granted."""
    AccessLogEntry.objects.create(user=user, patient=patient, what=what, channel=channel)


def record_read_refused(*, user: User, patient: Patient, what: str, channel: str = "web") -> None:
    """Keep a refused read: `user` asked for part of `patient`'s record and was not shown
    it (the page answered 404). Requests are not wrapped in a transaction, so the row stays
    when the view goes on to raise Http404."""
    AccessLogEntry.objects.create(
        user=user, patient=patient, what=what, channel=channel, refused=True
    )


def record_reads_log(
    *, user: User, patient_ids: Iterable[int], what: str, channel: str = "web"
) -> None:
    """One access-log row for each patient a list showed, written in one query; called only
    after access to every one of them has been granted."""
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(user=user, patient_id=pk, what=what, channel=channel)
        for pk in dict.fromkeys(patient_ids)
    )
