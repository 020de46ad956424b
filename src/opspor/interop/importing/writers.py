"""Items (what a resource says, `reading`) as rows of the record, not yet saved.

A row's constraints are checked here, before the database would refuse the batch without
saying which resource was at fault: the error names the resource's field instead.
"""

from __future__ import annotations

from django.db import models

from opspor.interop.reading import (
    ConditionItem,
    ContactItem,
    FamilyItem,
    FindingItem,
    LabItem,
    MedicationItem,
    SymptomItem,
    Unreadable,
)
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Condition,
    Contact,
    FamilyHistory,
    LabResult,
    Medication,
    Symptom,
)

RowItem = ContactItem | ConditionItem | LabItem | SymptomItem | FindingItem | MedicationItem


def row_for(
    item: RowItem, *, patient_id: int, practice_id: int, clinician_id: int | None
) -> models.Model:
    coding = list(item.original_coding)
    if isinstance(item, ContactItem):
        return Contact(
            patient_id=patient_id,
            practice_id=practice_id,
            clinician_id=clinician_id,
            at=item.at,
            kind=item.kind,
            reason_codes=list(item.reason_codes),
            original_coding=coding,
        )
    if isinstance(item, ConditionItem):
        if item.cancer_site is not None:
            if item.onset is None:
                raise Unreadable("Condition.onset[x]", "a cancer diagnosis needs its day")
            return CancerDiagnosis(
                patient_id=patient_id,
                diagnosed_on=item.onset,
                site=item.cancer_site,
                icd10=item.icd10[:10],
                original_coding=coding,
            )
        return Condition(
            patient_id=patient_id,
            code=item.code[:40],
            system=item.system,
            label=item.label[:150],
            chronic=item.chronic,
            onset=item.onset,
            resolved=item.resolved,
            original_coding=coding,
        )
    if isinstance(item, LabItem):
        low, high = item.reference_low, item.reference_high
        if low is not None and high is not None and low > high:
            raise Unreadable("Observation.referenceRange[0]", "the low limit exceeds the high")
        return LabResult(
            patient_id=patient_id,
            code=item.code,
            npu=item.npu[:12],
            value=item.value,
            unit=item.unit[:20],
            reference_low=low,
            reference_high=high,
            taken_on=item.taken_on,
            original_coding=coding,
        )
    if isinstance(item, SymptomItem):
        if item.recorded_on < item.onset:
            raise Unreadable("Observation.issued", "a symptom is recorded before its onset")
        return Symptom(
            patient_id=patient_id,
            code=item.code,
            onset=item.onset,
            recorded_on=item.recorded_on,
            persistent=item.persistent,
            recurrent=item.recurrent,
            patient_words=item.patient_words,
            original_coding=coding,
        )
    if isinstance(item, FindingItem):
        return ClinicalFinding(
            patient_id=patient_id,
            code=item.code,
            found_on=item.found_on,
            note=item.note,
            original_coding=coding,
        )
    return Medication(
        patient_id=patient_id,
        atc=item.atc,
        name=item.name,
        start=item.start,
        stop=item.stop,
        original_coding=coding,
    )


def family_row(item: FamilyItem, *, patient_id: int) -> FamilyHistory:
    return FamilyHistory(
        patient_id=patient_id,
        relation=item.relation,
        cancer_site=item.cancer_site,
        age_at_diagnosis=item.age_at_diagnosis,
        original_coding=list(item.original_coding),
    )


def copy_fields(target: models.Model, source: models.Model) -> bool:
    """Give `target` (a saved row) the values of `source` (an unsaved one of the same
    model); whether anything changed."""
    changed = False
    for f in type(target)._meta.concrete_fields:
        if f.primary_key:
            continue
        new = getattr(source, f.attname)
        if getattr(target, f.attname) != new:
            setattr(target, f.attname, new)
            changed = True
    return changed
