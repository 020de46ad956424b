"""Reads of the patient's own preparations, for the portal's pages.

Every read is the patient's own: an id that belongs to another patient answers 404, and
that attempt is kept in the access log as a refused read (who tried, whose record it was).
An id that does not exist answers 404 too, with nothing to log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.http import Http404
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _

from opspor.accounts.models import Role, User
from opspor.portal.models import (
    OnlineReading,
    Preparation,
    PreparationState,
    PreparedRiskFactor,
    PreparedSymptom,
)
from opspor.records.models import AccessLogEntry, Patient
from opspor.records.services import record_read_log, record_read_refused


def own_patient(user: User) -> Patient:
    patient = getattr(user, "patient", None)
    if not (user.is_active and user.role == Role.PATIENT and patient is not None):
        raise Http404("No record")
    return patient


def own_draft(user: User) -> Preparation | None:
    """The patient's draft, if they have one (not logged: the pages that show what it
    holds log their read)."""
    return (
        Preparation.objects.filter(patient=own_patient(user), state=PreparationState.DRAFT)
        .prefetch_related("symptoms__diary", "risk_factors", "readings")
        .first()
    )


def own_preparation_read(user: User, preparation: Preparation, *, what: str) -> None:
    record_read_log(user=user, patient=preparation.patient, what=what)


def own_sent(user: User) -> list[Preparation]:
    """The patient's sent preparations, newest first."""
    return list(
        Preparation.objects.filter(patient=own_patient(user), state=PreparationState.SENT).order_by(
            "-sent_at", "-pk"
        )
    )


def _owned(
    user: User, model: type[models.Model], pk: int, *, patient_path: str, what: str
) -> models.Model:
    patient = own_patient(user)
    row = model._default_manager.select_related(patient_path).filter(pk=pk).first()
    if row is None:
        raise Http404("Not found")
    owner: Any = row
    for part in patient_path.split("__"):
        owner = getattr(owner, part)
    assert isinstance(owner, Patient)
    if owner.pk != patient.pk:
        record_read_refused(user=user, patient=owner, what=what)
        raise Http404("Not found")
    return row


def own_item[Item: (PreparedSymptom, PreparedRiskFactor, OnlineReading)](
    user: User, model: type[Item], pk: int
) -> Item:
    """One symptom, risk factor or reading of the patient's own preparations."""
    row = _owned(
        user,
        model,
        pk,
        patient_path="preparation__patient",
        what=f"preparation {model._meta.model_name}",
    )
    assert isinstance(row, model)
    return row


def own_preparation(user: User, pk: int) -> Preparation:
    row = _owned(user, Preparation, pk, patient_path="patient", what="preparation")
    assert isinstance(row, Preparation)
    return row


# Who read the patient's record (their right of access, GDPR art. 15). The reader is named
# as the patient meets them: a clinician by name, role and practice or unit; another patient
# (who tried to open this record and was refused) without a name, that patient's privacy
# being theirs; anyone else by role. Internal ids are never shown.

READS_PER_PAGE = 50
WHAT_READ = "own access log"

# The access log's names for what was read, in the patient's words; the first that the
# name contains wins, so the more particular come first.
_WHAT_LABELS: tuple[tuple[str, StrPromise], ...] = (
    ("messages", _("Messages about your referral or question")),
    ("communication", _("Messages about your referral or question")),
    ("inbox", _("Your name in a list of referrals")),
    ("referral list", _("Your name in a list of referrals")),
    ("advice request list", _("Your name in a list of referrals")),
    ("patient list", _("Your name in the practice's list of patients")),
    ("safety-net list", _("Your name in a list of safety nets")),
    ("worklist", _("Your name in the practice's worklist")),
    ("notifications", _("Your name in a notification")),
    ("advice", _("A question about you to a diagnostic unit")),
    ("referral", _("A referral")),
    ("servicerequest", _("A referral")),
    ("safety", _("A safety net")),
    ("episodeofcare", _("A safety net")),
    ("investigation", _("A safety net")),
    ("preparation", _("Your preparation for a visit")),
    ("contacts", _("Your contacts with the practice")),
    ("overview", _("An overview of your record")),
    ("cds hooks", _("An overview of your record")),
)
_WHOLE_RECORD = _("Your record")


def what_label(what: str) -> str:
    lowered = what.lower()
    for key, label in _WHAT_LABELS:
        if key in lowered:
            return str(label)
    return str(_WHOLE_RECORD)


@dataclass(frozen=True)
class RecordRead:
    at: datetime
    reader: str
    role: str
    organisation: str
    what: str
    refused: bool


def own_record_reads(user: User) -> models.QuerySet[AccessLogEntry]:
    """The reads of the patient's own record by others, newest first. The patient's own
    reads of their pages are left out: every page they open is one, and they know them."""
    patient = own_patient(user)
    return (
        AccessLogEntry.objects.filter(patient=patient)
        .exclude(user=user)
        .select_related("user__clinician__practice", "user__clinician__unit")
        .order_by("-at", "-pk")
    )


def record_reads_shown(user: User, entries: Iterable[AccessLogEntry]) -> list[RecordRead]:
    """The rows as the patient sees them; reading them is itself logged, once."""
    rows = [_shown(entry) for entry in entries]
    record_read_log(user=user, patient=own_patient(user), what=WHAT_READ)
    return rows


def _shown(entry: AccessLogEntry) -> RecordRead:
    reader: User = entry.user
    clinician = getattr(reader, "clinician", None)
    if clinician is not None:
        place = clinician.practice or clinician.unit
        return RecordRead(
            at=entry.at,
            reader=clinician.name,
            role=clinician.get_role_display(),
            organisation=place.name if place is not None else "",
            what=what_label(entry.what),
            refused=entry.refused,
        )
    if reader.role == Role.PATIENT:
        name = str(_("Another patient"))
    else:
        name = reader.get_full_name() or str(Role(reader.role).label)
    return RecordRead(
        at=entry.at,
        reader=name,
        role=str(Role(reader.role).label) if reader.role in Role.values else "",
        organisation="",
        what=what_label(entry.what),
        refused=entry.refused,
    )
