"""The engine re-run with what the patient reported: the overview shows the criteria met only
then, marked as patient-reported and apart from the record's own, and never merges them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.engine.assess import assess
from opspor.portal.models import Started
from opspor.portal.reassessment import reassess
from opspor.portal.services import review
from opspor.records.context import patient_context_for
from opspor.records.models import Symptom
from tests.portal import factories as preparations
from tests.referrals.worlds import World, make_world, patient_in

pytestmark = pytest.mark.django_db

HAEMOPTYSIS = "ng12-1.1.1-haemoptysis"
HAEMATURIA = "dk-pkf-blaere-nyre-synligt-blod-i-urinen"
MESOTHELIOMA = "ng12-1.1.5-chest-xray"


@pytest.fixture
def world() -> World:
    return make_world()  # the patient is 68


def _page(world: World, ruleset: str = "nice-ng12") -> str:
    client = Client()
    client.force_login(world.gp)
    response = client.get(
        reverse("records:patient_overview", args=[world.patient.pk]) + f"?ruleset={ruleset}"
    )
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, testid: str) -> str:
    found = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', page, re.S)
    assert found is not None, testid
    return found.group(0)


def _rules(html: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}" data-rule="([^"]+)"', html)


def test_a_criterion_met_only_with_a_reported_symptom_is_shown_apart(world: World) -> None:
    prep = preparations.preparation(world.patient)
    preparations.prepared_symptom(prep, "haemoptysis", started=Started.WEEKS)
    page = _page(world)
    assert HAEMOPTYSIS not in _rules(_section(page, "criteria"), "criterion")
    reported = _section(page, "reported-criteria")
    assert _rules(reported, "reported-criterion") == [HAEMOPTYSIS]
    # The overview's own card, under a line naming what only the patient reported.
    assert f'data-testid="criterion" data-rule="{HAEMOPTYSIS}"' in reported
    assert "Patientrapporteret, endnu ikke i journalen" in reported
    assert re.search(r"Oplyst af patienten:.*Hæmoptyse \(blodigt opspyt\)", reported, re.S)
    assert "Henvisning i kræftpakkeforløb" in reported
    # The summary beside the record points to them, for when they are below the first screen.
    link = re.search(r'data-testid="reported-criteria-link">.*?</p>', page, re.S)
    assert link is not None
    assert 'href="#reported-criteria"' in link.group(0)
    assert "kun er opfyldt med patientens oplysninger: 1" in link.group(0)
    assert 'id="reported-criteria"' in reported


def test_under_40_no_criterion_is_met(world: World) -> None:
    young = patient_in(world.patient.practice, born=timezone.localdate() - timedelta(days=30 * 365))
    world.patient = young
    prep = preparations.preparation(young)
    preparations.prepared_symptom(prep, "haemoptysis", started=Started.WEEKS)
    reported = _section(_page(world), "reported-criteria")
    assert HAEMOPTYSIS not in reported
    assert 'data-testid="no-reported-criteria"' in reported
    assert 'data-testid="reported-criteria-link"' not in _page(world)


def test_the_default_rule_set_is_the_danish_pathways(world: World) -> None:
    prep = preparations.preparation(world.patient)
    preparations.prepared_symptom(prep, "visible_haematuria", started=Started.THIS_WEEK)
    reported = _section(_page(world, ruleset="dk-pakkeforloeb"), "reported-criteria")
    assert _rules(reported, "reported-criterion") == [HAEMATURIA]
    assert "Danske kræftpakkeforløb" in reported


def test_a_reported_exposure_is_counted_and_named(world: World) -> None:
    today = timezone.localdate()
    Symptom.objects.create(
        patient=world.patient,
        code="cough",
        onset=today - timedelta(days=30),
        recorded_on=today - timedelta(days=10),
    )
    prep = preparations.preparation(world.patient)
    preparations.exposure_risk(prep, exposure="asbestos", years=20)
    page = _page(world)
    assert MESOTHELIOMA not in _rules(_section(page, "criteria"), "criterion")
    reported = _section(page, "reported-criteria")
    assert MESOTHELIOMA in _rules(reported, "reported-criterion")
    line = re.search(
        rf'data-rule="{MESOTHELIOMA}">\s*<p class="preparation-reported">(.*?)</p>', reported, re.S
    )
    assert line is not None
    assert "Eksponering: Asbest" in line.group(1)
    assert "Hoste" not in line.group(1)  # the cough is the record's, not the patient's report


def test_confirmed_items_are_the_records_and_leave_the_reassessment(world: World) -> None:
    prep = preparations.preparation(world.patient)
    item = preparations.prepared_symptom(prep, "haemoptysis", started=Started.WEEKS)
    review.symptom_confirm(item=item, by=world.gp)
    page = _page(world)
    assert HAEMOPTYSIS in _rules(_section(page, "criteria"), "criterion")
    assert 'data-testid="reported-criteria"' not in page


def test_a_criterion_the_record_meets_already_is_not_repeated(world: World) -> None:
    today = timezone.localdate()
    Symptom.objects.create(
        patient=world.patient,
        code="haemoptysis",
        onset=today - timedelta(days=5),
        recorded_on=today - timedelta(days=1),
    )
    prep = preparations.preparation(world.patient)
    preparations.prepared_symptom(prep, "haemoptysis", started=Started.WEEKS)
    page = _page(world)
    assert HAEMOPTYSIS in _rules(_section(page, "criteria"), "criterion")
    assert HAEMOPTYSIS not in _section(page, "reported-criteria")


def test_the_reassessment_never_changes_the_overviews_context(world: World) -> None:
    prep = preparations.preparation(world.patient)
    preparations.prepared_symptom(prep, "haemoptysis", started=Started.WEEKS)
    preparations.family_risk(prep)
    context = patient_context_for(world.patient, as_of=date.today(), viewer=world.gp)
    before = context.model_dump()
    assessment = assess(context, ruleset="nice-ng12")
    found = reassess(context, assessment, preparation=prep)
    assert found is not None
    assert [c.criterion.rule_id for c in found.criteria] == [HAEMOPTYSIS]
    assert context.model_dump() == before
    assert all(f.kind != "guideline_criterion" for f in assessment.findings)


def test_nothing_left_to_confirm_means_no_reassessment(world: World) -> None:
    prep = preparations.preparation(world.patient, question_1="Kun et spørgsmål")
    context = patient_context_for(world.patient, as_of=date.today(), viewer=world.gp)
    assert reassess(context, assess(context), preparation=prep) is None
    assert 'data-testid="reported-criteria"' not in _page(world)
