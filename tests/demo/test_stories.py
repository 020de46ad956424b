"""The study's stories as demo patients: each record carries its story."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from opspor.accounts.models import Role
from opspor.demo.region import DemoUsers
from opspor.demo.stories import (
    STORIES_FILE,
    StoryFileError,
    load_stories,
    story_patients_build,
    story_rows_build,
)
from opspor.engine.assess import assess
from opspor.engine.vocab import load_vocabulary
from opspor.records.context import build_patient_context
from opspor.records.models import Clinician, Contact, Patient, Practice

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 6, 30)
STORY_KEYS = {
    "firefighter_cough",
    "shoulder_pain_family_history",
    "young_breast_lump",
    "told_not_cancer_lung",
    "skin_retraction_same_day",
    "frail_dementia_referral",
    "man_alone_returns",
    "interpreter_dari",
    "multimorbid_new_symptom",
    "schizophrenia_weight_loss",
    "frequent_cancer_worry",
    "child_bruising_pallor",
    "post_menopausal_bleeding",
    "changing_pigmented_lesion",
}


@pytest.fixture(scope="module", autouse=True)
def _seeded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """One small seeded region for the whole module, rolled back at the end."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers),
        transaction.atomic(),
    ):
        call_command(
            "seed", patients=60, seed=11, as_of=AS_OF.isoformat(), progress=False, stdout=StringIO()
        )
        yield
        transaction.set_rollback(True)


def story(key: str) -> Patient:
    return Patient.objects.select_related("practice", "own_gp", "user").get(story=key)


def contact_days(patient: Patient) -> list[date]:
    return sorted(timezone.localdate(at) for at in patient.contacts.values_list("at", flat=True))


def days_before(day: date) -> int:
    return (AS_OF - day).days


def test_every_story_is_a_fictional_patient_with_a_patient_user() -> None:
    patients = Patient.objects.exclude(story="")
    assert set(patients.values_list("story", flat=True)) == STORY_KEYS
    for patient in patients.select_related("user"):
        assert patient.is_fictional
        assert patient.user is not None and patient.user.role == Role.PATIENT
        patient.full_clean()


def test_story_patients_live_among_ordinary_patients_of_a_few_demo_practices() -> None:
    practices = Practice.objects.filter(patients__story__gt="").distinct()
    assert 2 <= practices.count() <= 3
    for practice in practices:
        assert practice.patients.filter(story="").count() > 0
        assert Clinician.objects.filter(practice=practice, user__role=Role.GP).exists()


def test_no_story_contact_falls_on_a_weekend_or_after_the_as_of_date() -> None:
    for at in Contact.objects.filter(patient__story__gt="").values_list("at", flat=True):
        local = timezone.localtime(at)
        assert local.weekday() < 5
        assert 8 <= local.hour < 16
        assert local.date() <= AS_OF


def test_the_firefighter_coughs_for_two_months_and_worries_about_smoke() -> None:
    ole = story("firefighter_cough")
    assert (ole.sex, ole.age_on(AS_OF)) == ("male", 45)
    exposure = ole.exposures.get(code="firefighting_smoke")
    assert exposure.years == 20
    cough = ole.symptoms.filter(code="cough").order_by("-recorded_on").first()
    assert cough is not None and cough.persistent
    assert 55 <= (cough.recorded_on - cough.onset).days <= 70
    assert "brandmand" in cough.patient_words
    # The ultrasound 18 months earlier called the kidney finding benign cysts.
    assert ole.conditions.filter(code__startswith="N28").exists()
    # The kidney cancer is found after the as-of date: the story stops at the consultation.
    assert not ole.cancer_diagnoses.exists()


def test_the_woman_with_shoulder_pain_has_relatives_with_cancer_and_a_worrying_blood_count() -> (
    None
):
    bente = story("shoulder_pain_family_history")
    assert (bente.sex, bente.age_on(AS_OF)) == ("female", 70)
    assert bente.family_history.count() >= 3
    pain = bente.symptoms.filter(code="shoulder_pain").order_by("recorded_on")
    assert pain.exists() and days_before(pain.first().onset) <= 60  # type: ignore[union-attr]
    latest = {lab.code: lab for lab in bente.lab_results.order_by("taken_on")}
    assert latest["leukocytes"].flag == "high"
    assert latest["platelets"].flag == "low"
    assert latest["haemoglobin"].flag == "low"
    assert latest["haemoglobin"].unit == load_vocabulary().labs["haemoglobin"].unit
    assert not bente.cancer_diagnoses.exists()


def test_the_young_woman_was_reassured_about_her_breast_lump_more_than_once() -> None:
    anne = story("young_breast_lump")
    assert (anne.sex, anne.age_on(AS_OF)) == ("female", 37)
    lump = anne.symptoms.filter(code="breast_lump").order_by("recorded_on")
    assert lump.count() >= 4
    first, last = lump.first(), lump.last()
    assert first is not None and last is not None
    assert (last.recorded_on - first.recorded_on).days > 365
    reassured = anne.contacts.filter(note__icontains="ung")
    assert reassured.count() >= 2


def test_the_man_was_told_it_was_not_cancer_before_the_chest_xray_came_back() -> None:
    bo = story("told_not_cancer_lung")
    assert (bo.sex, bo.age_on(AS_OF)) == ("male", 65)
    finding = bo.findings.get(code="chest_xray_suggests_lung_cancer")
    reassurance = bo.contacts.get(note__contains="jeg tror ikke på, at du fejler noget")
    assert timezone.localdate(reassurance.at) < finding.found_on
    called_back = bo.contacts.filter(note__contains="noget på lungerne").get()
    assert timezone.localdate(called_back.at) > finding.found_on


def test_the_woman_with_skin_retraction_was_referred_the_same_day() -> None:
    mette = story("skin_retraction_same_day")
    assert (mette.sex, mette.age_on(AS_OF)) == ("female", 54)
    symptom = mette.symptoms.get(code="skin_retraction")
    assert symptom.contact is not None
    assert "samme dag" in symptom.contact.note
    assert "indtrækning i huden" in symptom.patient_words
    diagnosis = mette.cancer_diagnoses.get()
    assert diagnosis.site == "breast"
    assert 0 < (diagnosis.diagnosed_on - symptom.recorded_on).days <= 30


def test_the_frail_woman_with_dementia_was_referred_at_her_family_s_wish() -> None:
    inger = story("frail_dementia_referral")
    assert (inger.sex, inger.age_on(AS_OF)) == ("female", 87)
    assert inger.conditions.filter(code__startswith="F03", chronic=True).exists()
    assert inger.contacts.filter(kind=Contact.Kind.HOME_VISIT).exists()
    referral = inger.contacts.get(note__contains="familiens ønske")
    assert days_before(timezone.localdate(referral.at)) <= 30
    assert inger.symptoms.filter(code="breast_lump", patient_words__contains="ikke").exists()


def test_the_man_living_alone_returns_twice_in_a_month_after_years_away() -> None:
    jorgen = story("man_alone_returns")
    assert (jorgen.sex, jorgen.age_on(AS_OF), jorgen.lives_alone) == ("male", 58, True)
    days = contact_days(jorgen)
    recent = [d for d in days if days_before(d) <= 31]
    assert len(recent) == 2
    earlier = [d for d in days if days_before(d) > 31]
    assert earlier and (recent[0] - earlier[-1]).days >= 3 * 365
    # Seen by a GP of the practice who is not his own.
    clinicians = {
        c.clinician_id for c in jorgen.contacts.all() if days_before(timezone.localdate(c.at)) <= 31
    }
    assert jorgen.own_gp_id not in clinicians
    assert jorgen.symptoms.filter(code="weight_loss").exclude(patient_words="").exists()


def test_the_woman_from_afghanistan_needs_an_interpreter_for_dari() -> None:
    zahra = story("interpreter_dari")
    assert (zahra.preferred_language, zahra.interpreter_needed) == ("prs", True)
    assert zahra.contacts.filter(note__icontains="tolk").count() >= 3
    assert zahra.lab_results.get(code="ca125").flag == "high"


def test_the_multimorbid_patient_has_one_new_symptom_among_familiar_ones() -> None:
    erik = story("multimorbid_new_symptom")
    assert erik.conditions.filter(chronic=True).count() >= 5
    current = erik.medications.filter(stop__isnull=True)
    assert current.count() >= 10
    assert all(len(m.atc) == 7 for m in current)
    new = erik.symptoms.filter(code="visible_haematuria")
    assert new.count() == 1
    familiar = erik.symptoms.filter(code="shortness_of_breath")
    assert familiar.count() >= 20
    first = familiar.order_by("recorded_on").first()
    assert first is not None and days_before(first.recorded_on) > 365 * 5


def test_the_patient_with_schizophrenia_is_losing_weight() -> None:
    kim = story("schizophrenia_weight_loss")
    assert kim.conditions.filter(code__startswith="F20").exists()
    assert kim.medications.filter(atc__startswith="N05A").exists()
    loss = kim.symptoms.get(code="weight_loss")
    assert days_before(loss.recorded_on) <= 30
    assert loss.patient_words


def _poisson_at_least(k: int, mu: float) -> float:
    return 1 - sum(math.exp(-mu) * mu**i / math.factorial(i) for i in range(k))


def test_the_worried_patient_comes_often_and_evenly_with_no_pattern_break() -> None:
    lone = story("frequent_cancer_worry")
    days = contact_days(lone)
    assert len(days) >= 50
    assert days_before(days[0]) >= 7 * 365
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    assert min(gaps) >= 36 and max(gaps) <= 44
    # The design's pattern-break test (recent 90 days against the 3 years before) stays quiet.
    recent = sum(1 for d in days if days_before(d) <= 90)
    baseline = sum(1 for d in days if 90 < days_before(d) <= 1095)
    mu = baseline / (1095 - 90) * 90
    assert recent < 3 or _poisson_at_least(recent, mu) >= 0.01


def test_the_stories_are_dated_relative_to_the_as_of_date() -> None:
    # The same story seeded on another as-of date keeps its shape: build it in memory.
    stories = [s for s in load_stories() if s.key == "man_alone_returns"]
    practice = Practice.objects.filter(patients__story="man_alone_returns").get()
    staff = list(practice.clinicians.order_by("pk"))
    gps = [c for c in staff if c.role == Clinician.Role.GP]
    for as_of in (date(2024, 3, 1), date(2026, 1, 15)):
        patients = story_patients_build(
            stories=stories,
            as_of=as_of,
            practices=[practice],
            gps_by_practice={practice.pk: gps},
            users=DemoUsers(),
        )
        assert patients[0].age_on(as_of) == 58
        rows = story_rows_build(
            stories=stories,
            patients=patients,
            as_of=as_of,
            clinicians_by_practice={practice.pk: staff},
        )
        recent = [c for c in rows.contacts if (as_of - timezone.localdate(c.at)).days <= 31]
        assert len(recent) == 2


def test_a_story_file_with_an_unknown_code_or_key_is_refused(tmp_path: Path) -> None:
    text = STORIES_FILE.read_text(encoding="utf-8")
    unknown_code = tmp_path / "code.yaml"
    unknown_code.write_text(text.replace("code: cough", "code: coughing"), encoding="utf-8")
    with pytest.raises(StoryFileError, match="coughing"):
        load_stories(unknown_code)
    misspelt = tmp_path / "key.yaml"
    misspelt.write_text(text.replace("lives_alone:", "lives_alon:"), encoding="utf-8")
    with pytest.raises(StoryFileError, match="lives_alon"):
        load_stories(misspelt)


def test_labs_of_the_stories_carry_vocabulary_units_and_reference_intervals() -> None:
    vocab = load_vocabulary()
    for lab in Patient.objects.get(story="man_alone_returns").lab_results.all():
        entry = vocab.labs[lab.code]
        assert lab.unit == entry.unit
        assert (lab.reference_low, lab.reference_high) == entry.reference_interval(
            sex="male", age=58
        )


def ng12_criteria(patient: Patient) -> list[str]:
    context = build_patient_context(patient, as_of=AS_OF, current_clinician_id=None)
    found = assess(context, ruleset="nice-ng12").findings
    return [f.rule_id for f in found if f.kind == "guideline_criterion"]


def test_the_girl_with_bruises_and_pallor_is_a_child_of_the_practice_with_the_other_stories() -> (
    None
):
    liva = story("child_bruising_pallor")
    assert (liva.sex, liva.age_on(AS_OF)) == ("female", 6)
    assert liva.practice.patients.filter(story="man_alone_returns").exists()
    assert liva.own_gp is not None and liva.own_gp.user is not None
    assert liva.own_gp.user.username == "laege.hansen"
    bruising = liva.symptoms.get(code="bruising")
    assert bruising.patient_words and days_before(bruising.recorded_on) <= 3
    assert liva.symptoms.filter(code="pallor").exists()
    # What would make it an immediate referral (1.10.2) is examined for and not there.
    assert not liva.symptoms.filter(code__in=["petechiae", "hepatosplenomegaly"]).exists()
    assert "Ingen petekkier" in bruising.contact.note  # type: ignore[union-attr]
    assert liva.contacts.filter(note__contains="Børneundersøgelse").count() >= 3
    assert ng12_criteria(liva)[0] == "ng12-1.10.3-leukaemia-full-blood-count-children"


def test_the_woman_of_58_bleeds_years_after_the_menopause() -> None:
    hanne = story("post_menopausal_bleeding")
    assert (hanne.sex, hanne.age_on(AS_OF)) == ("female", 58)
    bleeding = hanne.symptoms.filter(code="post_menopausal_bleeding").order_by("recorded_on")
    assert bleeding.count() == 2
    assert all(s.patient_words for s in bleeding)
    menopause = hanne.contacts.filter(note__contains="Sidste menstruation for godt et år").get()
    assert days_before(timezone.localdate(menopause.at)) > 5 * 365
    assert "ng12-1.5.10-endometrial-post-menopausal-bleeding" in ng12_criteria(hanne)


def test_the_man_of_50_has_a_changing_mole_scoring_5_on_the_7_point_checklist() -> None:
    henrik = story("changing_pigmented_lesion")
    assert (henrik.sex, henrik.age_on(AS_OF)) == ("male", 50)
    features = set(henrik.symptoms.values_list("code", flat=True))
    # Change in size (2) + irregular colour (2) + diameter 7 mm or more (1); shape regular.
    assert features == {
        "pigmented_skin_lesion",
        "skin_lesion_change_in_size",
        "skin_lesion_irregular_colour",
        "skin_lesion_diameter_7mm_or_more",
    }
    assert "ng12-1.7.1-melanoma-7-point-checklist" in ng12_criteria(henrik)
    context = build_patient_context(henrik, as_of=AS_OF, current_clinician_id=None)
    melanoma = next(
        f
        for f in assess(context, ruleset="nice-ng12").findings
        if f.kind == "guideline_criterion" and f.rule_id.startswith("ng12-1.7.1")
    )
    assert {"input": "score", "points": 5, "threshold": 3} in melanoma.because
