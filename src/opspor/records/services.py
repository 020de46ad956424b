"""Business actions on the record: logging every read of a patient's record.

Each row says where the read came from (address, method, path, channel, session or token),
taken from the request being answered (`records.access_log`); a caller names the channel
only where the path would not tell it.
"""

from __future__ import annotations

from collections.abc import Iterable

from opspor.accounts.models import User
from opspor.records import access_log
from opspor.records.models import AccessLogEntry, Patient


def _entry(
    *,
    user: User,
    patient_id: int,
    what: str,
    channel: str | None,
    refused: bool,
    where: access_log.ReadContext | None = None,
) -> AccessLogEntry:
    where = where or access_log.current()
    return AccessLogEntry(
        user=user,
        patient_id=patient_id,
        what=what[:60],
        channel=channel or where.channel,
        refused=refused,
        address=where.address,
        method=where.method,
        path=where.path,
        credential=where.credential,
    )


def record_read_log(*, user: User, patient: Patient, what: str, channel: str | None = None) -> None:
    """Write one access-log row; called only after access has been granted."""
    _entry(user=user, patient_id=patient.pk, what=what, channel=channel, refused=False).save()


def record_read_refused(
    *, user: User, patient: Patient, what: str, channel: str | None = None
) -> None:
    """Keep a refused read: `user` asked for part of `patient`'s record and was not shown
    it (the page answered 404 or 403). Requests are not wrapped in a transaction, so the row
    stays when the view goes on to raise Http404."""
    _entry(user=user, patient_id=patient.pk, what=what, channel=channel, refused=True).save()


def record_read_refused_of(
    *, user: User, patient_id: int, what: str, channel: str | None = None
) -> None:
    """`record_read_refused` for a patient known by id only (the row that named them).
    An anonymous caller is refused before anything is looked up, and names nobody: no row."""
    if not user.is_authenticated:
        return
    _entry(user=user, patient_id=patient_id, what=what, channel=channel, refused=True).save()


def record_reads_log(
    *, user: User, patient_ids: Iterable[int], what: str, channel: str | None = None
) -> None:
    """One access-log row for each patient a list showed, written in one query; called only
    after access to every one of them has been granted."""
    where = access_log.current()  # once for the whole list
    AccessLogEntry.objects.bulk_create(
        _entry(user=user, patient_id=pk, what=what, channel=channel, refused=False, where=where)
        for pk in dict.fromkeys(patient_ids)
    )
