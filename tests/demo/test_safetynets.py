"""The demo's safety nets: the story patients carry them, every state of an episode is
there, made through the services at moments relative to the as-of date, and only once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Model
from django.test import override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from opspor.accounts.models import User
from opspor.casework.models import IdempotencyRecord
from opspor.demo.case_file import CaseFileError
from opspor.demo.case_moments import AS_OF_TIME, Day, Moment, Timeline
from opspor.demo.region import COPENHAGEN
from opspor.demo.safetynet_file import Close, Open, load_safety_nets
from opspor.demo.safetynets import KEY_PREFIX, advice_text, demo_safety_nets_ensure
from opspor.engine.assess import assess
from opspor.records.context import patient_context_for
from opspor.records.models import LabResult, Patient
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState
from opspor.safetynet.aarhus import episode_aarhus
from opspor.safetynet.advice import load_advice
from opspor.safetynet.models import (
    EpisodeEvent,
    Investigation,
    InvestigationEvent,
    PatientConcern,
    PatientSignal,
    SignalRun,
)
from opspor.safetynet.models import SafetyNetEpisode as Episode
from opspor.safetynet.workflow import (
    ConcernKind,
    EpisodeOutcome,
    EpisodeReason,
    EpisodeState,
    InvestigationKind,
    InvestigationState,
)
from opspor.safetynet.worklist import practice_worklist

# Seeding the demo region (a module fixture) runs in the first test's time.
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

# A Wednesday; the demo is seen as at 15:30 that day.
AS_OF = date(2025, 6, 25)
ANCHOR = datetime.combine(AS_OF, AS_OF_TIME, tzinfo=COPENHAGEN)
MODELS: tuple[type[Model], ...] = (
    Episode,
    EpisodeEvent,
    Investigation,
    InvestigationEvent,
    LabResult,
    IdempotencyRecord,
    PatientConcern,
    PatientSignal,
    SignalRun,
)
# NICE DG30: a FIT below this (µg Hb/g faeces) is negative.
FIT_THRESHOLD = 10


def seed() -> str:
    out = StringIO()
    call_command("seed", patients=150, seed=3, as_of=AS_OF.isoformat(), progress=False, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module", autouse=True)
def seeded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """One seeded region for the whole module, rolled back at the end."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers),
        transaction.atomic(),
    ):
        yield seed()
        transaction.set_rollback(True)


def story_episode(key: str) -> Episode:
    return Episode.objects.select_related("patient").get(patient__story=key)


def counts() -> dict[str, int]:
    return {m.__name__: m._default_manager.count() for m in MODELS}


def test_the_seed_makes_an_episode_in_every_state_and_reports_it(seeded: str) -> None:
    assert "Demo safety nets: " in seeded
    assert "close refused by the guard" in seeded
    states = set(Episode.objects.values_list("state", flat=True))
    assert states == set(EpisodeState.values)
    outcomes = set(Episode.objects.exclude(outcome="").values_list("outcome", flat=True))
    assert EpisodeOutcome.NO_CANCER_FOUND in outcomes
    assert len(outcomes) >= 4
    assert {
        EpisodeReason.WAIT_AND_SEE,
        EpisodeReason.PENDING_INVESTIGATIONS,
        EpisodeReason.FIT_NEGATIVE_SYMPTOMS_PERSIST,
        EpisodeReason.REFERRAL_REJECTED,
        EpisodeReason.PATIENT_CONCERN,
    } <= set(Episode.objects.values_list("reason", flat=True))
    # Every episode is the services' own: opened by a GP of the patient's practice, with
    # its "open" event at the moment it was opened.
    for episode in Episode.objects.select_related("opened_by__clinician", "patient"):
        assert episode.opened_by.clinician.practice_id == episode.patient.practice_id
        opened = episode.events.get(action="open")
        assert opened.at == episode.opened_at <= ANCHOR


def test_closed_as_no_cancer_found_only_after_every_result_was_in_and_told() -> None:
    closed = Episode.objects.filter(outcome=EpisodeOutcome.NO_CANCER_FOUND)
    assert closed.exists()
    for episode in closed:
        investigations = list(episode.investigations.all())
        assert investigations
        assert all(i.state == InvestigationState.TOLD for i in investigations)
        assert all(i.told_at is not None and i.told_at <= episode.closed_at for i in investigations)


def test_every_episode_carries_advice_from_the_catalogue_in_the_patients_language() -> None:
    catalogue = load_advice()
    # A referral sent with no live safety net opens one by itself, with no advice given yet.
    played = Episode.objects.exclude(reason=EpisodeReason.REFERRAL_PENDING)
    for episode in played.select_related("patient"):
        language = episode.patient.preferred_language
        texts = {advice_text(symptom, language) for symptom in catalogue.entries}
        assert episode.advice in texts, episode.pk


def test_the_worklist_items_are_there_from_the_states_of_the_nets() -> None:
    live = Episode.objects.exclude(state=EpisodeState.CLOSED)
    investigations = Investigation.objects.filter(episode__in=live)
    assert investigations.filter(state=InvestigationState.RESULTED).exists()  # unseen
    assert investigations.filter(state=InvestigationState.SEEN).exists()  # not told
    overdue = investigations.filter(state=InvestigationState.ORDERED, expected_by__lt=AS_OF)
    assert overdue.exists()
    assert live.filter(follow_up_on__lt=AS_OF, ends_on__gt=AS_OF).exists()  # follow-up overdue
    assert live.filter(ends_on=AS_OF).exists()  # at its end date
    kinds = set()
    for gp in ("laege.hansen", "laege.holm", "laege.lund"):
        items = practice_worklist(user=User.objects.get(username=gp), now=ANCHOR)
        kinds |= {item.code for item in items}
    assert {
        "result_unseen",
        "result_not_told",
        "investigation_overdue",
        "follow_up_due",
        "safety_net_ended",
    } <= kinds


def test_a_fit_negative_net_has_its_fit_below_10_linked() -> None:
    episode = Episode.objects.get(reason=EpisodeReason.FIT_NEGATIVE_SYMPTOMS_PERSIST)
    fit = episode.investigations.select_related("lab_result").get(kind=InvestigationKind.FIT)
    assert fit.lab_result is not None and fit.lab_result.code == "fit"
    assert fit.lab_result.value < FIT_THRESHOLD
    assert fit.lab_result.patient_id == episode.patient_id
    # The new result has its "created" history, like every seeded row.
    assert fit.lab_result.history.filter(history_type="+").exists()  # type: ignore[attr-defined]


def test_a_net_follows_the_rejected_referral_with_the_units_plan() -> None:
    episode = Episode.objects.get(reason=EpisodeReason.REFERRAL_REJECTED)
    rejected = Referral.objects.get(patient=episode.patient, state=ReferralState.REJECTED)
    assert episode.owner_id == rejected.requester_id
    assert episode.opened_at > rejected.decided_at
    assert episode.investigations.filter(state=InvestigationState.ORDERED).exists()


def test_bo_the_close_as_no_cancer_found_was_refused_while_the_xray_was_pending() -> None:
    bo = story_episode("told_not_cancer_lung")
    assert bo.state != EpisodeState.CLOSED and bo.outcome == ""
    xray = bo.investigations.get(kind=InvestigationKind.CHEST_XRAY)
    assert xray.finding is not None and xray.finding.code == "chest_xray_suggests_lung_cancer"
    # The refused attempt was made the day his blood tests were told, a week before the
    # X-ray's result: nothing was closed then, and nothing since.
    told_bloods = bo.investigations.get(kind=InvestigationKind.LAB).told_at
    assert told_bloods is not None and told_bloods < xray.resulted_at  # type: ignore[operator]
    assert not bo.events.filter(action="close", to_state=EpisodeState.CLOSED).exists()
    # The pathway's answer is still pending, so the guard still holds.
    assert bo.investigations.filter(state=InvestigationState.ORDERED).exists()


def test_bo_played_up_to_the_refusal_leaves_the_episode_open_with_the_xray_pending() -> None:
    [bo] = [net for net in load_safety_nets() if net.name == "bo"]
    upto = next(i for i, s in enumerate(bo.steps) if isinstance(s, Close)) + 1
    played = bo.model_copy(update={"steps": bo.steps[:upto]})
    IdempotencyRecord.objects.filter(key__startswith=KEY_PREFIX).delete()
    made = demo_safety_nets_ensure(as_of=AS_OF, nets=[played])
    assert made.refused_closes == 1
    episode = Episode.objects.filter(patient__story="told_not_cancer_lung").latest("pk")
    assert (episode.state, episode.outcome) == (EpisodeState.INVESTIGATING, "")
    xray = episode.investigations.get(kind=InvestigationKind.CHEST_XRAY)
    assert xray.state == InvestigationState.ORDERED


def test_a_close_the_file_expects_refused_but_the_guard_allows_stops_the_demo() -> None:
    [net] = [net for net in load_safety_nets() if net.name == "open-wait-and-see"]
    opening = net.steps[0]
    assert isinstance(opening, Open)
    attempt = Close(
        do="close",
        at=Moment.parse("10 minutes ago"),
        outcome=EpisodeOutcome.SYMPTOMS_RESOLVED,
        refused=True,
    )
    wrong = net.model_copy(update={"steps": [opening, attempt]})
    IdempotencyRecord.objects.filter(key__startswith=KEY_PREFIX).delete()
    before = counts()
    with pytest.raises(CaseFileError, match="expected to be refused"):
        demo_safety_nets_ensure(as_of=AS_OF, nets=[wrong])
    assert counts() == before


def test_joergen_back_after_a_long_absence_with_his_blood_tests_pending() -> None:
    joergen = story_episode("man_alone_returns")
    assert joergen.reason == EpisodeReason.PENDING_INVESTIGATIONS
    assert joergen.state == EpisodeState.INVESTIGATING
    pending = joergen.investigations.filter(kind=InvestigationKind.LAB)
    assert pending.count() >= 1
    # Past their expected date: why he has not heard anything.
    assert all(i.state == InvestigationState.ORDERED and i.expected_by < AS_OF for i in pending)
    findings = assess(patient_context_for(joergen.patient, as_of=AS_OF)).findings
    assert "long_absence" in {f.kind for f in findings}


def test_joergen_pressed_i_have_not_heard_anything_and_his_gp_has_it_on_the_worklist() -> None:
    joergen = story_episode("man_alone_returns")
    [concern] = PatientConcern.objects.filter(episode=joergen)
    assert concern.kind == ConcernKind.NOT_HEARD and concern.answered_at is None
    assert concern.raised_by == joergen.patient.user
    expected = max(i.expected_by for i in joergen.investigations.all())
    assert expected < timezone.localdate(concern.raised_at) < AS_OF
    # The services' own audit event, at the moment he pressed.
    event = joergen.events.get(action="concern_raised")
    assert (event.at, event.reason) == (concern.raised_at, ConcernKind.NOT_HEARD)
    gp = User.objects.get(username="laege.berg")
    items = practice_worklist(user=gp, now=ANCHOR)
    assert any(
        item.patient_id == joergen.patient_id and item.code == "patient_not_heard" for item in items
    ), sorted({item.code for item in items})
    # Another practice's GP does not see it.
    other = practice_worklist(user=User.objects.get(username="laege.holm"), now=ANCHOR)
    assert joergen.patient_id not in {item.patient_id for item in other}


def test_erik_pressed_it_got_worse_with_his_own_words() -> None:
    erik = story_episode("multimorbid_new_symptom")
    [concern] = PatientConcern.objects.filter(episode=erik)
    assert concern.kind == ConcernKind.GOT_WORSE and concern.words
    assert concern.raised_by == erik.patient.user


def test_a_generated_patient_cannot_press_a_button_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "safetynets.yaml"
    path.write_text(
        """
safety_nets:
  - net: pressed
    gp: laege.hansen
    steps:
      - {do: open, at: 2 days ago at 10:00, reason: wait_and_see, advice: fatigue,
         follow_up: in 5 days, ends: in 30 days}
      - {do: patient_presses, at: 1 day ago at 10:00, kind: not_heard}
""",
        encoding="utf-8",
    )
    with pytest.raises(CaseFileError, match="only a story patient has a login"):
        load_safety_nets(path)


def test_the_seed_stores_the_demo_practices_signals_on_the_as_of_date(seeded: str) -> None:
    assert "Demo signals computed in " in seeded
    gps = User.objects.filter(username__in=["laege.hansen", "laege.berg", "laege.holm"])
    practices = {gp.clinician.practice_id for gp in gps}
    runs = SignalRun.objects.filter(practice_id__in=practices)
    assert runs.count() == len(practices)
    assert all(run.as_of == AS_OF and run.computed_at is not None for run in runs)
    assert PatientSignal.objects.filter(practice_id__in=practices, as_of=AS_OF).exists()
    codes = set()
    for gp in gps:
        codes |= {item.code for item in practice_worklist(user=gp, now=ANCHOR)}
    signal_codes = {"pattern_break", "long_absence", "repeat_symptom", "low_user_rise"}
    assert codes & signal_codes, sorted(codes)


def test_lone_has_no_stored_signal() -> None:
    lone = Patient.objects.get(story="frequent_cancer_worry")
    assert SignalRun.objects.filter(practice_id=lone.practice_id, as_of=AS_OF).exists()
    assert not PatientSignal.objects.filter(patient=lone).exists()
    gp = User.objects.get(username="laege.hansen")
    assert lone.pk not in {item.patient_id for item in practice_worklist(user=gp, now=ANCHOR)}


def test_erik_a_new_symptom_safety_net_for_visible_haematuria() -> None:
    erik = story_episode("multimorbid_new_symptom")
    assert erik.patient.medications.filter(atc__startswith="B01AF").exists()  # anticoagulant
    assert [s["code"] for s in erik.symptoms] == ["visible_haematuria"]
    assert erik.reason == EpisodeReason.WAIT_AND_SEE
    assert erik.investigations.filter(kind=InvestigationKind.ULTRASOUND).exists()
    kinds = {(f["kind"], f["text"]["en"]) for f in erik.findings["findings"]}
    assert any(kind == "new_symptom" and "haematuria" in text.lower() for kind, text in kinds)


def test_anne_four_consultations_about_the_lump_three_within_a_year_raise_the_flag() -> None:
    anne = story_episode("young_breast_lump")
    assert anne.patient.symptoms.filter(code="breast_lump").count() >= 4
    assert episode_aarhus(anne, today=AS_OF).repeated.get("breast_lump", 0) >= 3


def test_lone_many_contacts_no_pattern_break_and_no_item() -> None:
    lone = Patient.objects.get(story="frequent_cancer_worry")
    assert lone.contacts.count() >= 50
    findings = assess(patient_context_for(lone, as_of=AS_OF)).findings
    assert "pattern_break" not in {f.kind for f in findings}
    assert not Episode.objects.filter(patient=lone).exists()
    gp = User.objects.get(username="laege.hansen")
    assert lone.practice_id == gp.clinician.practice_id
    assert lone.pk not in {item.patient_id for item in practice_worklist(user=gp, now=ANCHOR)}


def test_seeding_twice_changes_nothing() -> None:
    before = counts()
    again = seed()
    assert "Demo safety nets already there; nothing to do." in again
    assert "Demo signals already computed; nothing to do." in again
    assert counts() == before


def test_the_moments_and_days_of_the_file() -> None:
    timeline = Timeline(anchor=ANCHOR)
    # 45 calendar days before Wednesday 25 June 2025 is Saturday 10 May: the story's Friday.
    assert Moment.parse("45 days ago at 10:40").on(timeline) == datetime(
        2025, 5, 9, 10, 40, tzinfo=COPENHAGEN
    )
    assert Day.parse("today").on(timeline) == AS_OF
    assert Day.parse("in 14 days").on(timeline) == date(2025, 7, 9)
    assert Day.parse("5 days ago").on(timeline) == date(2025, 6, 20)
    for bad in ("tomorrow", "in 3 working days", "-2 days ago", 5):
        with pytest.raises(ValueError, match="is not a day"):
            Day.parse(bad)
    with pytest.raises(ValueError, match="counted from 1"):
        Moment.parse("0 days ago at 10:00")
    assert timezone.localdate(Moment.parse("1 day ago at 09:00").on(timeline)) == date(2025, 6, 24)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("reason: wait_and_see", "reason: just_in_case"), "reason"),
        (("advice: fatigue", "advice: itching"), "no advice for 'itching' in the catalogue"),
        (
            ("investigation: ferritin\n        lab: {", "investigation: ferritinn\n        lab: {"),
            "no investigation 'ferritinn' ordered",
        ),
        (("code: ferritin", "code: ferritine"), "unknown lab code 'ferritine'"),
        (("finding: chest_xray_suggests", "finding: xray_suggests"), "unknown finding code"),
        (("follow_up: in 12 days", "follow_up: in twelve days"), "is not a day"),
        (("outcome: referred", "outcome: cured"), "outcome"),
        (("    steps:\n", "    stepz:\n"), "stepz"),
    ],
)
def test_a_malformed_file_is_refused_before_anything_is_made(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    from opspor.demo.safetynet_file import SAFETY_NETS_FILE

    text = SAFETY_NETS_FILE.read_text(encoding="utf-8")
    old, new = change
    assert old in text
    broken = tmp_path / "safetynets.yaml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CaseFileError, match=message):
        load_safety_nets(broken)
