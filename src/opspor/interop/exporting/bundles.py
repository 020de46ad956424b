"""What one export holds: a patient's resources, a referral's, an episode's, or a whole
practice's, gathered with a fixed number of queries per batch of patients whatever the
size of their records (the imported ids of all of them in one query, `Ids.load_keys`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import batched
from typing import Any

from django.db import models
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from opspor.interop.exporting import cases as case_resources
from opspor.interop.exporting import record
from opspor.interop.exporting.ids import Ids
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Clinician,
    Condition,
    Contact,
    DiagnosticUnit,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    PatientIdentifier,
    Practice,
    Symptom,
)
from opspor.referrals.models import AdviceRequest, Message, Referral
from opspor.safetynet.models import Investigation, SafetyNetEpisode

Resource = dict[str, Any]

# The record's row types, with the builder of each.
RECORD_ROWS: tuple[tuple[type[models.Model], Callable[[Any, Ids], Resource]], ...] = (
    (Contact, record.encounter),
    (Condition, record.condition),
    (CancerDiagnosis, record.cancer),
    (LabResult, record.lab),
    (Symptom, record.symptom),
    (ClinicalFinding, record.finding),
    (OccupationalExposure, record.exposure),
    (Medication, record.medication),
    (FamilyHistory, record.family_history),
)

_MESSAGES = Prefetch(
    "messages",
    queryset=Message.objects.select_related("author__clinician").order_by("sent_at", "pk"),
)


def referral_rows() -> QuerySet[Referral]:
    return (
        Referral.objects.select_related("practice", "unit", "requester__clinician")
        .prefetch_related(_MESSAGES)
        .order_by("pk")
    )


def advice_rows() -> QuerySet[AdviceRequest]:
    return (
        AdviceRequest.objects.select_related(
            "practice", "unit", "asked_by__clinician", "answered_by__clinician"
        )
        .prefetch_related(_MESSAGES)
        .order_by("pk")
    )


def episode_rows() -> QuerySet[SafetyNetEpisode]:
    investigations = Investigation.objects.select_related(
        "ordered_by__clinician", "episode"
    ).order_by("pk")
    return (
        SafetyNetEpisode.objects.select_related("owner__clinician")
        .prefetch_related(
            Prefetch("investigations", queryset=investigations),
            Prefetch("referrals", queryset=Referral.objects.only("pk")),
        )
        .order_by("pk")
    )


@dataclass
class Cases:
    """The cases of an export; None for a kind leaves it out."""

    referrals: QuerySet[Referral] | None = None
    advice: QuerySet[AdviceRequest] | None = None
    episodes: QuerySet[SafetyNetEpisode] | None = None


@dataclass
class Parties:
    """The organisations and clinicians the exported resources name."""

    practices: set[int] = field(default_factory=set)
    units: set[int] = field(default_factory=set)
    clinicians: set[int] = field(default_factory=set)

    def add_user(self, user: Any) -> None:
        clinician = getattr(user, "clinician", None) if user is not None else None
        if clinician is not None:
            self.clinicians.add(clinician.pk)

    def add_clinician(self, clinician_id: int | None) -> None:
        if clinician_id:
            self.clinicians.add(clinician_id)


def _clinicians_of(practices: Iterable[int], units: Iterable[int]) -> set[int]:
    return set(
        Clinician.objects.filter(
            models.Q(practice_id__in=set(practices)) | models.Q(unit_id__in=set(units))
        ).values_list("pk", flat=True)
    )


def party_resources(parties: Parties, ids: Ids) -> Iterator[Resource]:
    """Organizations, Practitioners and PractitionerRoles, in that order."""
    clinicians = list(Clinician.objects.filter(pk__in=parties.clinicians).order_by("pk"))
    units = parties.units | {c.unit_id for c in clinicians if c.unit_id}
    practices = parties.practices | {c.practice_id for c in clinicians if c.practice_id}
    ids.load_keys(
        {
            Practice: practices,
            DiagnosticUnit: units,
            Clinician: {c.pk for c in clinicians},
        }
    )
    for practice in Practice.objects.filter(pk__in=practices).order_by("pk"):
        yield record.practice_organization(practice, ids)
    for unit in DiagnosticUnit.objects.filter(pk__in=units).order_by("pk"):
        yield record.unit_organization(unit, ids)
    for clinician in clinicians:
        yield record.practitioner(clinician, ids)
    for clinician in clinicians:
        yield record.practitioner_role(clinician, ids)


def patients_resources(
    patient_ids: Sequence[int],
    *,
    with_record: bool = True,
    which: Cases,
    parties: Parties,
) -> Iterator[Resource]:
    """The resources of these patients: the Patient, the record rows (`with_record`), and
    the cases given. What they name is added to `parties`. A fixed number of queries."""
    patients = list(
        Patient.objects.filter(pk__in=patient_ids)
        .select_related("practice")
        .prefetch_related(
            Prefetch("identifiers", queryset=PatientIdentifier.objects.order_by("pk"))
        )
        .order_by("pk")
    )
    rows: list[tuple[Callable[[Any, Ids], Resource], list[Any]]] = []
    if with_record:
        for model, builder in RECORD_ROWS:
            found: list[Any] = list(
                model._default_manager.filter(patient_id__in=patient_ids).order_by(
                    "patient_id", "pk"
                )
            )
            rows.append((builder, found))
    referrals = _of(which.referrals, patient_ids)
    advice = _of(which.advice, patient_ids)
    episodes = _of(which.episodes, patient_ids)
    investigations = [i for e in episodes for i in e.investigations.all()]

    practice_ids = {p.practice_id for p in patients}
    unit_ids = {r.unit_id for r in referrals} | {a.unit_id for a in advice}
    parties.practices |= practice_ids | {r.practice_id for r in referrals}
    parties.units |= unit_ids
    for p in patients:
        parties.add_clinician(p.own_gp_id)
    for builder, found in rows:
        if builder is record.encounter:
            for contact in found:
                parties.add_clinician(getattr(contact, "clinician_id", None))
    for r in referrals:
        parties.add_user(r.requester)
        for m in r.messages.all():
            parties.add_user(m.author)
    for a in advice:
        parties.add_user(a.asked_by)
        parties.add_user(a.answered_by)
        for m in a.messages.all():
            parties.add_user(m.author)
    for e in episodes:
        parties.add_user(e.owner)
    for i in investigations:
        parties.add_user(i.ordered_by)

    wanted: dict[type[models.Model], set[int]] = {
        Patient: {p.pk for p in patients},
        Practice: set(parties.practices),
        DiagnosticUnit: set(parties.units),
        Clinician: set(parties.clinicians),
        LabResult: {i.lab_result_id for i in investigations if i.lab_result_id},
        ClinicalFinding: {i.finding_id for i in investigations if i.finding_id},
    }
    for builder, found in rows:
        for row in found:
            wanted.setdefault(type(row), set()).add(row.pk)
        if builder is record.symptom:
            wanted.setdefault(Contact, set()).update(
                s.contact_id for s in found if getattr(s, "contact_id", None)
            )
    ids = Ids().load_keys(wanted)

    for p in patients:
        yield record.patient(p, ids, list(p.identifiers.all()))
    for builder, found in rows:
        for row in found:
            yield builder(row, ids)
    c = case_resources
    for r in referrals:
        yield c.service_request(r, ids)
    for r in referrals:
        yield c.task(r, ids)
    for r in referrals:
        yield from c.communications(r, list(r.messages.all()), ids)
    for a in advice:
        yield c.communication_request(a, ids)
    for a in advice:
        answer = c.advice_answer(a, ids)
        if answer is not None:
            yield answer
        yield from c.communications(a, list(a.messages.all()), ids)
    for e in episodes:
        yield c.episode_of_care(e, ids)
    for i in investigations:
        yield c.investigation_request(i, ids)
    for i in investigations:
        result = c.investigation_result(i, ids)
        if result is not None:
            yield result


def _of[M: models.Model](rows: QuerySet[M] | None, patient_ids: Sequence[int]) -> list[M]:
    return list(rows.filter(patient_id__in=patient_ids)) if rows is not None else []


def everything(
    patient: Patient, *, with_record: bool = True, which: Cases | None = None
) -> list[Resource]:
    """One patient's resources with the organisations and clinicians they name."""
    if which is None:
        which = Cases(referral_rows(), advice_rows(), episode_rows())
    parties = Parties()
    own = list(
        patients_resources([patient.pk], with_record=with_record, which=which, parties=parties)
    )
    return [own[0], *party_resources(parties, Ids()), *own[1:]]


def patient_resource(patient: Patient) -> Resource:
    """The Patient alone (its practice and GP by reference)."""
    row = (
        Patient.objects.select_related("practice")
        .prefetch_related(
            Prefetch("identifiers", queryset=PatientIdentifier.objects.order_by("pk"))
        )
        .get(pk=patient.pk)
    )
    wanted: dict[type[models.Model], set[int]] = {
        Patient: {row.pk},
        Practice: {row.practice_id},
        Clinician: {row.own_gp_id} if row.own_gp_id else set(),
    }
    return record.patient(row, Ids().load_keys(wanted), list(row.identifiers.all()))


def thread_resources(thread: Referral | AdviceRequest) -> list[Resource]:
    """The Communications of a referral's or an advice request's thread, oldest first."""
    rows = referral_rows() if isinstance(thread, Referral) else advice_rows()
    row = rows.get(pk=thread.pk)
    messages = list(row.messages.all())
    parties = Parties()
    for m in messages:
        parties.add_user(m.author)
    ids = Ids().load_keys(
        {
            Patient: {row.patient_id},
            Practice: {row.practice_id},
            DiagnosticUnit: {row.unit_id},
            Clinician: set(parties.clinicians),
        }
    )
    return case_resources.communications(row, messages, ids)


def advice_resources(advice: AdviceRequest) -> list[Resource]:
    """An advice request: the CommunicationRequest, its answer, its thread."""
    row = advice_rows().get(pk=advice.pk)
    parties = Parties(practices={row.practice_id}, units={row.unit_id})
    parties.add_user(row.asked_by)
    parties.add_user(row.answered_by)
    messages = list(row.messages.all())
    for m in messages:
        parties.add_user(m.author)
    ids = Ids().load_keys(
        {
            Patient: {row.patient_id},
            Practice: {row.practice_id},
            DiagnosticUnit: {row.unit_id},
            Clinician: set(parties.clinicians),
        }
    )
    answer = case_resources.advice_answer(row, ids)
    own = [
        case_resources.communication_request(row, ids),
        *([answer] if answer else []),
        *case_resources.communications(row, messages, ids),
    ]
    return [*own, *party_resources(parties, ids)]


def collection(resources: Sequence[Resource]) -> Resource:
    """A Bundle of type collection (an export file)."""
    return _bundle("collection", resources)


def searchset(resources: Sequence[Resource], base: str = "") -> Resource:
    """A Bundle of type searchset (an answer of the read API)."""
    bundle = _bundle("searchset", resources, base=base, mode="match")
    bundle["total"] = len(resources)
    return bundle


def _bundle(
    kind: str, resources: Sequence[Resource], *, base: str = "", mode: str = ""
) -> Resource:
    bundle: Resource = {
        "resourceType": "Bundle",
        "type": kind,
        "timestamp": record.moment(timezone.now()),
    }
    if resources:  # FHIR JSON has no empty arrays
        bundle["entry"] = [
            {
                "fullUrl": f"{base}{r['resourceType']}/{r['id']}",
                "resource": r,
                **({"search": {"mode": mode}} if mode else {}),
            }
            for r in resources
        ]
    return bundle


def referral_resources(referral: Referral) -> list[Resource]:
    """A referral: the ServiceRequest, the Task, the thread, and who they name."""
    row = referral_rows().get(pk=referral.pk)
    parties = Parties(practices={row.practice_id}, units={row.unit_id})
    parties.add_user(row.requester)
    messages = list(row.messages.all())
    for m in messages:
        parties.add_user(m.author)
    ids = Ids().load_keys(
        {
            Patient: {row.patient_id},
            Practice: {row.practice_id},
            DiagnosticUnit: {row.unit_id},
            Clinician: set(parties.clinicians),
        }
    )
    own = [
        case_resources.service_request(row, ids),
        case_resources.task(row, ids),
        *case_resources.communications(row, messages, ids),
    ]
    return [*own, *party_resources(parties, ids)]


def episode_resources(episode: SafetyNetEpisode) -> list[Resource]:
    """An episode: the EpisodeOfCare, its investigations and their results."""
    row = episode_rows().get(pk=episode.pk)
    investigations = list(row.investigations.all())
    parties = Parties(practices={row.practice_id})
    parties.add_user(row.owner)
    for i in investigations:
        parties.add_user(i.ordered_by)
    lab_ids = {i.lab_result_id for i in investigations if i.lab_result_id}
    finding_ids = {i.finding_id for i in investigations if i.finding_id}
    labs = list(LabResult.objects.filter(pk__in=lab_ids).order_by("pk"))
    findings = list(ClinicalFinding.objects.filter(pk__in=finding_ids).order_by("pk"))
    ids = Ids().load_keys(
        {
            Patient: {row.patient_id},
            Practice: {row.practice_id},
            LabResult: lab_ids,
            ClinicalFinding: finding_ids,
            Clinician: set(parties.clinicians),
            Referral: {r.pk for r in row.referrals.all()},
        }
    )
    out = [case_resources.episode_of_care(row, ids)]
    out += [case_resources.investigation_request(i, ids) for i in investigations]
    out += [r for i in investigations if (r := case_resources.investigation_result(i, ids))]
    out += [record.lab(lab, ids) for lab in labs]
    out += [record.finding(f, ids) for f in findings]
    return [*out, *party_resources(parties, ids)]


@dataclass
class Written:
    """What a bulk export wrote: lines per resource type, and patients done."""

    lines: dict[str, int] = field(default_factory=dict)
    patients: int = 0


def practice_ndjson(
    practice: Practice,
    write: Callable[[str, str], None],
    *,
    batch_size: int = 200,
    progress: Callable[[int], None] = lambda done: None,
) -> Written:
    """Every resource of the practice's patients, one JSON line per resource, handed to
    `write(resource_type, line)` as it is made: patients are read `batch_size` at a time
    from a streaming query, and only the ids of the organisations and clinicians named
    are kept until the end, when those are written."""
    written = Written()
    parties = Parties(practices={practice.pk}, units={practice.diagnostic_unit_id})
    parties.clinicians |= _clinicians_of([practice.pk], [])
    which = Cases(referral_rows(), advice_rows(), episode_rows())
    pks = (
        Patient.objects.filter(practice=practice)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=batch_size)
    )

    def emit(resource: Resource) -> None:
        kind = resource["resourceType"]
        write(kind, json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
        written.lines[kind] = written.lines.get(kind, 0) + 1

    for batch in batched(pks, batch_size):
        for resource in patients_resources(list(batch), which=which, parties=parties):
            emit(resource)
        written.patients += len(batch)
        progress(written.patients)
    for resource in party_resources(parties, Ids()):
        emit(resource)
    return written
