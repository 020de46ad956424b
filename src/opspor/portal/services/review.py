"""The GP's review of a patient's sent preparation: confirming what the patient reported
into the record, one item at a time, and answering what they read with trusted links.

What the patient reports stays theirs until a GP of the patient's practice confirms it:
confirming a symptom writes a record `Symptom` (onset, persistent and recurrent as
`reported.py` reads the patient's answers, recorded today, the patient's own words kept),
a relative with cancer a `FamilyHistory` row, a work exposure an `OccupationalExposure`
row. Each service locks the item's row, so two GPs pressing at once make one row;
confirming an item already confirmed writes nothing and says when and by whom it was. A
draft (not sent by the patient) is never confirmed from. Every action is an audit event
on the preparation (the item and the record row in `reason`, never the patient's words),
and every record row keeps its history with the GP as the one who made it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError
from opspor.casework.guards import require_gp_of
from opspor.casework.runner import lock, record_event, retry_when_locked
from opspor.portal.models import (
    Preparation,
    PreparationState,
    PreparedRiskFactor,
    PreparedSymptom,
    RiskKind,
    TrustedLinkAnswer,
)
from opspor.portal.reported import read_symptom, sent_day
from opspor.portal.trusted import load_catalogue
from opspor.records.models import ClinicalRow, FamilyHistory, OccupationalExposure, Symptom

# The change history's reason for a record row made from the patient's preparation.
CHANGE_REASON = "confirmed from the patient's preparation #{pk}"


@dataclass(frozen=True)
class Confirmed:
    """The outcome of a confirmation: the record row, and whether this call made it."""

    row: models.Model | None  # None only when the record row was deleted after confirming
    new: bool
    at: datetime
    by: User | None


@dataclass(frozen=True)
class Answered:
    answer: TrustedLinkAnswer
    new: bool  # False: this link was already sent for this preparation


def _require_sent(preparation: Preparation) -> None:
    if preparation.state != PreparationState.SENT:
        raise WorkflowError(
            "not_allowed",
            "The patient has not sent this preparation; nothing in a draft is confirmed.",
            screen=_(
                "The patient has not sent this preparation yet. Nothing was added to the record."
            ),
        )


def _save(row: ClinicalRow, *, by: User, preparation: Preparation) -> None:
    try:
        row.full_clean()
    except ValidationError as error:
        raise WorkflowError(
            "invalid",
            f"The item cannot be written to the record: {'; '.join(error.messages)}",
            screen=_("This item cannot be added to the record as it is. Nothing was added."),
        ) from None
    # django-simple-history reads these: who made the row, and why.
    row._history_user = by  # type: ignore[attr-defined]
    row._change_reason = CHANGE_REASON.format(pk=preparation.pk)  # type: ignore[attr-defined]
    row.save()


def _already(row: models.Model | None, item: PreparedSymptom | PreparedRiskFactor) -> Confirmed:
    assert item.confirmed_at is not None
    return Confirmed(row=row, new=False, at=item.confirmed_at, by=item.confirmed_by)


@retry_when_locked
@transaction.atomic
def symptom_confirm(*, item: PreparedSymptom, by: User, now: datetime | None = None) -> Confirmed:
    """Confirm one symptom the patient reported into the record, as a record `Symptom`."""
    preparation = item.preparation
    require_gp_of(by, preparation.patient.practice_id)
    locked = lock(item)
    preparation = lock(preparation)
    _require_sent(preparation)
    if locked.confirmed_at is not None:
        return _already(locked.confirmed_as, locked)
    now = now or timezone.now()
    read = read_symptom(locked, sent_on=sent_day(preparation))
    symptom = Symptom(
        patient=preparation.patient,
        code=read.code,
        onset=read.onset,
        recorded_on=timezone.localdate(now),
        persistent=read.persistent,
        recurrent=read.recurrent,
        patient_words=locked.own_words.strip(),
    )
    _save(symptom, by=by, preparation=preparation)
    locked.confirmed_as, locked.confirmed_by, locked.confirmed_at = symptom, by, now
    locked.save(update_fields=["confirmed_as", "confirmed_by", "confirmed_at"])
    record_event(
        preparation,
        by=by,
        at=now,
        action="symptom_confirmed",
        from_state=preparation.state,
        reason=f"symptom #{locked.pk} ({locked.code}) as record symptom #{symptom.pk}",
    )
    item.__dict__.update(confirmed_as_id=symptom.pk, confirmed_by_id=by.pk, confirmed_at=now)
    return Confirmed(row=symptom, new=True, at=now, by=by)


@retry_when_locked
@transaction.atomic
def risk_factor_confirm(
    *, item: PreparedRiskFactor, by: User, now: datetime | None = None
) -> Confirmed:
    """Confirm one risk factor the patient reported into the record: a relative with cancer
    as `FamilyHistory`, a work exposure as `OccupationalExposure` (their words as its note)."""
    preparation = item.preparation
    require_gp_of(by, preparation.patient.practice_id)
    locked = lock(item)
    preparation = lock(preparation)
    _require_sent(preparation)
    if locked.confirmed_at is not None:
        existing = locked.confirmed_family or locked.confirmed_exposure
        return _already(existing, locked)
    now = now or timezone.now()
    row: FamilyHistory | OccupationalExposure
    if locked.kind == RiskKind.FAMILY:
        row = FamilyHistory(
            patient=preparation.patient, relation=locked.relation, cancer_site=locked.cancer_site
        )
        _save(row, by=by, preparation=preparation)
        locked.confirmed_family = row
        what = f"family history #{row.pk}"
    else:
        row = OccupationalExposure(
            patient=preparation.patient,
            code=locked.exposure,
            years=locked.years,
            note=locked.own_words.strip(),
        )
        _save(row, by=by, preparation=preparation)
        locked.confirmed_exposure = row
        what = f"exposure #{row.pk}"
    locked.confirmed_by, locked.confirmed_at = by, now
    locked.save(
        update_fields=["confirmed_family", "confirmed_exposure", "confirmed_by", "confirmed_at"]
    )
    record_event(
        preparation,
        by=by,
        at=now,
        action="risk_factor_confirmed",
        from_state=preparation.state,
        reason=f"risk factor #{locked.pk} ({locked}) as {what}",
    )
    item.__dict__.update(
        confirmed_family_id=locked.confirmed_family_id,
        confirmed_exposure_id=locked.confirmed_exposure_id,
        confirmed_by_id=by.pk,
        confirmed_at=now,
    )
    return Confirmed(row=row, new=True, at=now, by=by)


def _answered(preparation: Preparation, link: str) -> TrustedLinkAnswer | None:
    return TrustedLinkAnswer.objects.filter(preparation=preparation, link=link).first()


@retry_when_locked
@transaction.atomic
def trusted_link_answer(
    *, preparation: Preparation, link: str, by: User, now: datetime | None = None
) -> Answered:
    """Answer what the patient read with one link from the trusted-information catalogue;
    the patient sees it on their own page. A link already sent is not sent twice."""
    require_gp_of(by, preparation.patient.practice_id)
    if load_catalogue().get(link) is None:
        raise WorkflowError(
            "invalid",
            f"There is no link {link!r} in the trusted-information catalogue.",
            screen=_("That link is not in the catalogue of trusted information. Nothing was sent."),
        )
    locked = lock(preparation)
    _require_sent(locked)
    done = _answered(locked, link)
    if done is not None:
        return Answered(answer=done, new=False)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            answer = TrustedLinkAnswer.objects.create(preparation=locked, link=link, by=by, at=now)
    except IntegrityError:  # another request got there between the check and the insert
        done = _answered(locked, link)
        if done is None:
            raise
        return Answered(answer=done, new=False)
    record_event(
        locked,
        by=by,
        at=now,
        action="link_answered",
        from_state=locked.state,
        reason=f"trusted link {link}",
    )
    return Answered(answer=answer, new=True)


@retry_when_locked
@transaction.atomic
def trusted_links_answer(
    *, preparation: Preparation, links: Iterable[str], by: User, now: datetime | None = None
) -> list[Answered]:
    """Several links at once, all or none: one unknown key refuses the whole answer."""
    keys = list(dict.fromkeys(links))
    if not keys:
        raise WorkflowError(
            "invalid",
            "No link was chosen.",
            screen=_("Choose at least one link to send. Nothing was sent."),
        )
    return [trusted_link_answer(preparation=preparation, link=key, by=by, now=now) for key in keys]
