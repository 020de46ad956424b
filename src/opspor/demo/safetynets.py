"""Demo safety nets: the story patients' and every state of an episode, for `opspor seed`.

The nets are data (``safetynets.yaml``, read by ``safetynet_file.py``); this module plays
them through the safety-net services step by step, at moments relative to the seed's as-of
date (``case_moments.py``), as the referral cases are played (``cases.py``), so their audit
events, dates and refusals are the services' own. A close the file marks `refused` must be
refused by the guard; the net then goes on as it was.

The generated nets take the demo practices' generated patients that have no referral or
advice request (so no open referral of a case stands in a net's way), each used once. A
result that "arrives" in the file is written into the record like the seed's own rows (with
its "created" history) and then linked by the service at the step's moment.

Running it again adds nothing: each episode carries an idempotency key with a fixed prefix,
and a database that holds one is left as it is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError
from opspor.casework.models import IdempotencyRecord
from opspor.demo.case_file import CaseFileError
from opspor.demo.case_moments import Timeline
from opspor.demo.case_people import Side, demo_sides
from opspor.demo.cases import KEY_PREFIX as CASE_KEY_PREFIX
from opspor.demo.safetynet_file import (
    AwaitFollowUp,
    Cancel,
    Close,
    LabRow,
    MarkSeen,
    MarkTold,
    NetStep,
    Open,
    Order,
    PatientPresses,
    RecordResult,
    ReferralPatient,
    Reschedule,
    SafetyNetCase,
    StoryPatient,
    load_safety_nets,
)
from opspor.engine.vocab import LANGUAGES, load_vocabulary
from opspor.records.context import SYMPTOM_DAYS
from opspor.records.models import ClinicalFinding, LabResult, Patient, Symptom
from opspor.referrals.models import AdviceRequest, Referral
from opspor.safetynet.advice import load_advice
from opspor.safetynet.concerns import concern_raise
from opspor.safetynet.models import Investigation, SafetyNetEpisode
from opspor.safetynet.services import (
    episode_await_follow_up,
    episode_close,
    episode_open,
    episode_reschedule,
    investigation_cancel,
    investigation_mark_seen,
    investigation_mark_told,
    investigation_order,
    investigation_record_result,
)

KEY_PREFIX = "opspor-demo-net:"
CHANGE_REASON = "opspor demo safety nets"
# The guard's refusal a `refused: true` close must meet.
WORKUP_INCOMPLETE = "workup_incomplete"


@dataclass
class DemoSafetyNets:
    status: str  # "seeded", "already_seeded" or "no_demo_users"
    states: Counter[str] = field(default_factory=Counter)
    refused_closes: int = 0
    concerns: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.status == "seeded":
            states = ", ".join(f"{n} {state}" for state, n in sorted(self.states.items()))
            text = (
                f"Demo safety nets: {sum(self.states.values())} episodes ({states}); "
                f"{self.refused_closes} close refused by the guard; "
                f"{self.concerns} concerns raised by patients from their page."
            )
            if self.skipped:
                left_out = ", ".join(self.skipped)
                text += f" Left out (their patient is not in the database): {left_out}."
            return text
        if self.status == "already_seeded":
            return "Demo safety nets already there; nothing to do."
        return "No demo GP with generated patients in the database; no demo safety nets made."


@dataclass
class _Net:
    """A net being played: its episode, its GP and its investigations by name."""

    episode: SafetyNetEpisode
    gp: User
    investigations: dict[str, Investigation] = field(default_factory=dict)


@dataclass
class _Runner:
    sides: dict[str, Side]
    at: Timeline
    result: DemoSafetyNets
    # Current symptom codes of the generated patients, read once per practice.
    current: dict[int, dict[int, set[str]]] = field(default_factory=dict)

    def run(self, case: SafetyNetCase) -> None:
        chosen = self._patient_and_gp(case)
        if chosen is None:
            self.result.skipped.append(case.name)
            return
        patient, gp = chosen
        net: _Net | None = None
        for number, step in enumerate(case.steps, start=1):
            try:
                if isinstance(step, Open):
                    net = _Net(self._open(case, patient, gp, step), gp)
                else:
                    assert net is not None  # the file starts every net with `open`
                    self._perform(net, step)
            except WorkflowError as error:
                raise CaseFileError(f"{case.name}, step {number} ({step.do}): {error}") from error
        assert net is not None
        net.episode.refresh_from_db()
        self.result.states[net.episode.state] += 1

    # --- who -------------------------------------------------------------------------------

    def _patient_and_gp(self, case: SafetyNetCase) -> tuple[Patient, User] | None:
        if isinstance(case.patient, StoryPatient):
            patient = Patient.objects.filter(story=case.patient.story).first()
            gp = User.objects.filter(username=case.gp).first()
            return (patient, gp) if patient is not None and gp is not None else None
        if isinstance(case.patient, ReferralPatient):
            record = IdempotencyRecord.objects.filter(
                key=f"{CASE_KEY_PREFIX}{case.patient.referral}", object_type="referral"
            ).first()
            referral = (
                Referral.objects.select_related("patient", "requester")
                .filter(pk=record.object_id)
                .first()
                if record is not None
                else None
            )
            if referral is None:
                return None
            # The GP who referred acts on the rejection, whichever practice took the case.
            return referral.patient, referral.requester
        # A small region may lack a demo GP's practice; another demo GP takes the net.
        side = self.sides.get(case.gp) or next(iter(self.sides.values()))
        opening = case.steps[0]
        assert isinstance(opening, Open)
        wanted = set(opening.symptoms)
        current = self._current_symptoms(side)
        patient = side.patient(lambda p: bool(wanted) and wanted <= current.get(p.pk, set()))
        return patient, side.gp

    def _current_symptoms(self, side: Side) -> dict[int, set[str]]:
        if side.practice.pk not in self.current:
            today = timezone.localdate(self.at.anchor)
            rows = Symptom.objects.filter(
                patient__in=side.patients.rows,
                recorded_on__gte=today - timedelta(days=SYMPTOM_DAYS),
                onset__lte=today,
            ).values_list("patient_id", "code")
            by_patient: dict[int, set[str]] = {}
            for patient_id, code in rows:
                by_patient.setdefault(patient_id, set()).add(code)
            self.current[side.practice.pk] = by_patient
        return self.current[side.practice.pk]

    # --- what ------------------------------------------------------------------------------

    def _open(
        self, case: SafetyNetCase, patient: Patient, gp: User, step: Open
    ) -> SafetyNetEpisode:
        now = step.at.on(self.at)
        today = timezone.localdate(now)
        has = set(
            Symptom.objects.filter(
                patient=patient,
                code__in=step.symptoms,
                recorded_on__gte=today - timedelta(days=SYMPTOM_DAYS),
                onset__lte=today,
            ).values_list("code", flat=True)
        )
        # A story names its symptoms and must have them (the service refuses otherwise); a
        # generated patient without them gives the net their current symptoms, and the
        # advice for the first of those the catalogue has.
        codes = step.symptoms if isinstance(case.patient, StoryPatient) or has else None
        advice = step.advice
        if codes is None:
            catalogue = load_advice()
            covered = [c for c in self._symptoms_of(patient, today) if catalogue.for_symptom(c)]
            advice = covered[0] if covered else step.advice
        return episode_open(
            now=now,
            patient=patient,
            by=gp,
            reason=step.reason.value,
            follow_up_on=step.follow_up.on(self.at),
            ends_on=step.ends.on(self.at),
            advice=advice_text(advice, patient.preferred_language),
            symptom_codes=codes or None,
            idempotency_key=f"{KEY_PREFIX}{case.name}",
        )

    @staticmethod
    def _symptoms_of(patient: Patient, today: date) -> list[str]:
        return list(
            Symptom.objects.filter(
                patient=patient,
                recorded_on__gte=today - timedelta(days=SYMPTOM_DAYS),
                onset__lte=today,
            )
            .order_by("onset", "code")
            .values_list("code", flat=True)
        )

    def _perform(self, net: _Net, step: NetStep) -> None:
        now = step.at.on(self.at)
        by = net.gp
        match step:
            case Order():
                net.investigations[step.investigation] = investigation_order(
                    now=now,
                    episode=net.episode,
                    by=by,
                    kind=step.kind.value,
                    code=step.code,
                    description=step.description,
                    expected_by=step.expected.on(self.at),
                )
            case RecordResult():
                patient = net.episode.patient
                net.investigations[step.investigation] = investigation_record_result(
                    now=now,
                    investigation=net.investigations[step.investigation],
                    by=by,
                    lab_result=self._lab_row(patient, step.lab, now) if step.lab else None,
                    finding=_finding(patient, step.finding, now) if step.finding else None,
                    text=step.text,
                )
            case MarkSeen():
                net.investigations[step.investigation] = investigation_mark_seen(
                    now=now, investigation=net.investigations[step.investigation], by=by
                )
            case MarkTold():
                net.investigations[step.investigation] = investigation_mark_told(
                    now=now,
                    investigation=net.investigations[step.investigation],
                    by=by,
                    how=step.how.value,
                )
            case Cancel():
                net.investigations[step.investigation] = investigation_cancel(
                    now=now,
                    investigation=net.investigations[step.investigation],
                    by=by,
                    reason=step.reason,
                )
            case AwaitFollowUp():
                net.episode = episode_await_follow_up(now=now, episode=net.episode, by=by)
            case Reschedule():
                net.episode = episode_reschedule(
                    now=now,
                    episode=net.episode,
                    by=by,
                    follow_up_on=step.follow_up.on(self.at),
                    ends_on=step.ends.on(self.at) if step.ends else None,
                    reason=step.reason,
                )
            case Close():
                self._close(net, step, now)
            case PatientPresses():
                # The patient's own login presses it, as on their page; the file allows the
                # step only for story patients, and a story patient without a user (their
                # login left out) stops the demo rather than pressing on their behalf.
                user = net.episode.patient.user
                if user is None:
                    raise WorkflowError("invalid", "the patient has no login to press with")
                concern_raise(
                    now=now, episode=net.episode, by=user, kind=step.kind.value, words=step.words
                )
                self.result.concerns += 1
            case _:
                raise AssertionError(f"{step.do} is handled before")

    def _close(self, net: _Net, step: Close, now: datetime) -> None:
        try:
            net.episode = episode_close(
                now=now,
                episode=net.episode,
                by=net.gp,
                outcome=step.outcome.value,
                reason=step.reason,
            )
        except WorkflowError as error:
            if not step.refused or error.code != WORKUP_INCOMPLETE:
                raise
            # The guard did its work: the episode stays as it was. (Where the services
            # record a refused close in the episode's audit trail, it is there too.)
            net.episode.refresh_from_db()
            self.result.refused_closes += 1
            return
        if step.refused:
            raise WorkflowError(
                "invalid", f"closing as {step.outcome.value!r} was expected to be refused"
            )

    def _lab_row(self, patient: Patient, lab: LabRow, now: datetime) -> LabResult:
        day = lab.taken.on(self.at) if lab.taken is not None else timezone.localdate(now)
        if lab.value is None:
            row = (
                LabResult.objects.filter(patient=patient, code=lab.code, taken_on__lte=day)
                .order_by("-taken_on", "-pk")
                .first()
            )
            if row is None:
                raise WorkflowError("invalid", f"the record has no {lab.code} result to link")
            return row
        # Written like the seed's rows, without the save signal: the service links it at
        # the step's moment rather than the lab loop at the moment of seeding.
        new = LabResult(
            patient=patient,
            code=lab.code,
            value=lab.value,
            unit=load_vocabulary().labs[lab.code].unit,
            taken_on=day,
        )
        [row] = bulk_create_with_history(
            [new], LabResult, default_change_reason=CHANGE_REASON, default_date=now
        )
        if row.pk is None:  # a database that does not return ids from a bulk insert
            row = LabResult.objects.filter(patient=patient, code=lab.code, taken_on=day).latest(
                "pk"
            )
        return row


def _finding(patient: Patient, code: str, now: datetime) -> ClinicalFinding:
    row = (
        ClinicalFinding.objects.filter(
            patient=patient, code=code, found_on__lte=timezone.localdate(now)
        )
        .order_by("-found_on", "-pk")
        .first()
    )
    if row is None:
        raise WorkflowError("invalid", f"the record has no finding {code!r} to link")
    return row


def advice_text(symptom: str, language: str) -> str:
    """The catalogue's "come back sooner if ..." items for the symptom, in the patient's
    language (Danish where theirs is not one of the interface's), one a line."""
    entry = load_advice().for_symptom(symptom)
    if entry is None:
        raise CaseFileError(f"no advice for {symptom!r} in the catalogue")
    lang = language if language in LANGUAGES else "da"
    return "\n".join(item.text.get(lang) for item in entry.come_back_if)


def _patients_in_cases() -> set[int]:
    """Patients with a referral or an advice request: a generated net leaves them out."""
    return set(Referral.objects.values_list("patient_id", flat=True)) | set(
        AdviceRequest.objects.values_list("patient_id", flat=True)
    )


def demo_safety_nets_ensure(
    *, as_of: date, now: datetime | None = None, nets: list[SafetyNetCase] | None = None
) -> DemoSafetyNets:
    """Make the demo's safety nets once (see the module doc): those of the file, or
    ``nets``. A step refused where the file expects none refuses them all
    (``CaseFileError``)."""
    nets = load_safety_nets() if nets is None else nets
    with transaction.atomic():
        if IdempotencyRecord.objects.filter(key__startswith=KEY_PREFIX).exists():
            return DemoSafetyNets(status="already_seeded")
        sides = demo_sides(as_of, exclude=_patients_in_cases())
        if not sides:
            return DemoSafetyNets(status="no_demo_users")
        runner = _Runner(
            sides=sides,
            at=Timeline.for_as_of(as_of, now or timezone.now()),
            result=DemoSafetyNets(status="seeded"),
        )
        for net in nets:
            runner.run(net)
        return runner.result


__all__ = ["DemoSafetyNets", "advice_text", "demo_safety_nets_ensure"]
