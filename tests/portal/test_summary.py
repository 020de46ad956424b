"""The patient's latest sent preparation on the GP's overview: one screen in the GP's
language, the patient's own words beside each label in the language they wrote, the diary
as a chart, everything they wrote shown as text and never run, and the read logged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.portal.models import DailyLife, PreparationState, ReadingSource, Started
from opspor.records.models import AccessLogEntry
from tests import factories
from tests.portal import factories as preparations
from tests.referrals.worlds import World, make_world

pytestmark = pytest.mark.django_db

ATTACKS = (
    "<script>alert('own words')</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
)


@pytest.fixture
def world() -> World:
    return make_world()


def _overview(world: World, *, language: str = "da", query: str = "") -> str:
    client = Client()
    client.force_login(world.gp)
    client.cookies["django_language"] = language
    response = client.get(reverse("records:patient_overview", args=[world.patient.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def _panel(page: str) -> str:
    found = re.search(r'<section[^>]*data-testid="preparation-panel".*?</section>', page, re.S)
    assert found is not None, "no preparation panel"
    return found.group(0)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_no_panel_without_a_sent_preparation(world: World) -> None:
    assert 'data-testid="preparation-panel"' not in _overview(world)
    draft = preparations.preparation(world.patient, state=PreparationState.DRAFT)
    preparations.prepared_symptom(draft, "haemoptysis", own_words="Kun et udkast")
    page = _overview(world)
    assert 'data-testid="preparation-panel"' not in page
    assert "Kun et udkast" not in page
    assert not AccessLogEntry.objects.filter(what="preparation").exists()


def test_the_latest_sent_preparation_is_shown(world: World) -> None:
    older = preparations.preparation(
        world.patient, sent_at=timezone.now() - timedelta(days=30), question_1="Gammelt spørgsmål"
    )
    newer = preparations.preparation(world.patient, question_1="Nyt spørgsmål")
    panel = _panel(_overview(world))
    assert f'data-preparation="{newer.pk}"' in panel
    assert "Nyt spørgsmål" in panel
    assert "Gammelt spørgsmål" not in panel
    assert older.pk != newer.pk


def test_symptoms_under_their_danish_label_with_the_patients_arabic_words(world: World) -> None:
    sent = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    prep = preparations.preparation(
        world.patient,
        language="ar",
        sent_at=sent,
        interpreter_needed=True,
        interpreter_language="ar",
        question_1="هل هو خطير؟",
    )
    preparations.prepared_symptom(
        prep,
        "haemoptysis",
        own_words="أسعل دماً",
        started=Started.MONTHS,
        comes_and_goes=True,
        better_or_worse="أسوأ في الليل",
        daily_life=DailyLife.A_LOT,
    )
    panel = _panel(_overview(world))
    text = _text(panel)
    assert "Hæmoptyse (blodigt opspyt)" in text
    assert re.search(r'<span class="patient-words" lang="ar" dir="rtl"[^>]*>أسعل دماً</span>', panel)
    assert re.search(r'lang="ar" dir="rtl">أسوأ في الليل<', panel)
    assert re.search(r'lang="ar" dir="rtl">هل هو خطير؟<', panel)
    # The band in the GP's words, and the onset the record would get: 20.11 minus 22 days.
    assert "For 3 uger til 3 måneder siden" in text
    assert "debut senest 29.10.2026" in text
    assert "Kommer og går" in text
    assert "Hverdagen: Meget" in text
    assert "Har brug for tolk: Arabisk" in text
    assert "Patientrapporteret, endnu ikke i journalen" in text


@pytest.mark.parametrize(
    ("language", "direction"), [("ar", "rtl"), ("fa-af", "rtl"), ("tr", "ltr"), ("da", "ltr")]
)
def test_own_words_carry_the_language_they_were_written_in(
    world: World, language: str, direction: str
) -> None:
    prep = preparations.preparation(world.patient, language=language)
    preparations.prepared_symptom(prep, "cough", own_words="words")
    panel = _panel(_overview(world))
    assert f'lang="{language}" dir="{direction}" data-testid="own-words">words<' in panel


def test_the_labels_follow_the_gps_language(world: World) -> None:
    prep = preparations.preparation(world.patient, language="tr")
    preparations.prepared_symptom(prep, "haemoptysis", own_words="Kanlı balgam")
    preparations.exposure_risk(prep, exposure="asbestos", years=12)
    english = _text(_panel(_overview(world, language="en")))
    assert "The patient's preparation" in english
    assert "Haemoptysis" in english
    assert "Exposure at work: Asbestos, 12 years" in english
    danish = _text(_panel(_overview(world, language="da")))
    assert "Patientens forberedelse" in danish
    assert "Eksponering på arbejdet: Asbest, 12 år" in danish


def test_risk_factors_by_relation_and_site_name(world: World) -> None:
    prep = preparations.preparation(world.patient)
    preparations.family_risk(prep, relation="sister", cancer_site="breast", own_words="Min søster")
    text = _text(_panel(_overview(world)))
    assert "Kræft i familien: Søster, brystkræft" in text
    assert "Min søster" in text


def test_what_the_patient_read_is_text_with_its_domain_never_a_script(world: World) -> None:
    prep = preparations.preparation(world.patient)
    preparations.reading(prep, url="javascript:alert(document.cookie)")
    preparations.reading(prep, url="https://www.sundhed.dk/borger/kraeft?x=<b>")
    preparations.reading(prep, url="https://xn--80ak6aa92e.com/kræft")
    preparations.reading(prep, source=ReadingSource.AI, text="<b>Bold</b> <script>x()</script>")
    panel = _panel(_overview(world))
    assert 'href="javascript:' not in panel
    assert "javascript:alert(document.cookie)" in panel  # shown, as text
    links = re.findall(r"<a [^>]*>", panel)
    readings = [a for a in links if "reading-url" in a]
    assert len(readings) == 2
    assert all('rel="noopener noreferrer nofollow"' in a for a in readings)
    domains = re.findall(r'data-testid="reading-domain">([^<]+)<', panel)
    assert domains == ["www.sundhed.dk", "xn--80ak6aa92e.com"]
    assert "<script>x()</script>" not in panel
    assert "&lt;script&gt;x()&lt;/script&gt;" in panel
    assert "&lt;b&gt;Bold&lt;/b&gt;" in panel


@pytest.mark.parametrize("attack", ATTACKS)
def test_markup_in_every_free_text_is_shown_as_text(world: World, attack: str) -> None:
    prep = preparations.preparation(
        world.patient,
        language="ar",
        question_1=attack,
        worry_words=attack,
        experiences=attack,
        interpreter_needed=True,
        interpreter_language=attack[:8],
    )
    preparations.prepared_symptom(
        prep, "cough", own_words=attack, better_or_worse=attack, started=Started.WEEKS
    )
    preparations.family_risk(prep, own_words=attack)
    preparations.exposure_risk(prep, own_words=attack)
    preparations.reading(prep, url=attack, text=attack)
    preparations.reading(prep, source=ReadingSource.AI, text=attack)
    page = _overview(world)
    assert 'data-testid="preparation-panel"' in page
    assert attack not in page
    assert "<script>alert" not in page
    assert "<svg onload" not in page
    assert "<img src=x" not in page


def test_the_read_of_the_preparation_is_logged(world: World) -> None:
    prep = preparations.preparation(world.patient)
    preparations.prepared_symptom(prep, "cough")
    _overview(world)
    reads = list(
        AccessLogEntry.objects.filter(patient=world.patient, user=world.gp).values_list(
            "what", flat=True
        )
    )
    assert sorted(reads) == ["overview", "preparation"]


def test_a_gp_of_another_practice_sees_nothing_and_only_the_refusal_is_logged(
    world: World,
) -> None:
    prep = preparations.preparation(world.patient)
    preparations.prepared_symptom(prep, "cough", own_words="Hemmeligt")
    client = Client()
    client.force_login(world.stranger_gp)
    response = client.get(reverse("records:patient_overview", args=[world.patient.pk]))
    assert response.status_code == 404
    assert b"Hemmeligt" not in response.content
    rows = AccessLogEntry.objects.filter(patient=world.patient)
    assert factories.only_refused(rows, world.stranger_gp, world.patient)


def test_the_diary_chart_puts_each_day_where_it_belongs(world: World) -> None:
    sent = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    prep = preparations.preparation(world.patient, sent_at=sent)
    cough = preparations.prepared_symptom(prep, "cough")
    # The x axis covers the 28 days up to the day it was sent, 20 units a day from x=40;
    # severity 0 is y=160 and 10 is y=10, 15 units a point.
    preparations.diary(cough, {0: 4, 1: 6, 5: 10})
    tired = preparations.prepared_symptom(prep, "fatigue")
    preparations.diary(tired, {27: 0})
    panel = _panel(_overview(world))
    cough_series = re.search(r'"diary-series" data-code="cough">(.*?)</g>', panel, re.S)
    assert cough_series is not None
    # Days 27 and 26 (1 and 0 before the day sent) are joined; day 22 stands alone.
    assert re.findall(r'<polyline points="([^"]+)"', cough_series.group(1)) == ["560,70 580,100"]
    points = re.findall(
        r'data-day="([\d-]+)" data-severity="(\d+)" data-x="([\d.]+)" data-y="([\d.]+)"',
        cough_series.group(1),
    )
    assert points == [
        ("2026-11-23", "10", "480", "10"),
        ("2026-11-27", "6", "560", "70"),
        ("2026-11-28", "4", "580", "100"),
    ]
    tired_series = re.search(r'"diary-series" data-code="fatigue">(.*?)</g>', panel, re.S)
    assert tired_series is not None
    assert 'data-day="2026-11-01" data-severity="0" data-x="40" data-y="160"' in tired_series.group(
        1
    )
    # The same values as a table, for those who cannot see the chart.
    table = re.search(r'<table[^>]*data-testid="diary-table".*?</table>', panel, re.S)
    assert table is not None
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th>(.*?)</tr>", table.group(0))
    assert [(day, re.findall(r"<td>([^<]+)</td>", cells)) for day, cells in rows] == [
        ("01.11.2026", ["–", "0"]),
        ("23.11.2026", ["10", "–"]),
        ("27.11.2026", ["6", "–"]),
        ("28.11.2026", ["4", "–"]),
    ]
    assert 'role="img"' in panel


def test_no_chart_without_a_diary(world: World) -> None:
    prep = preparations.preparation(world.patient)
    preparations.prepared_symptom(prep, "cough")
    assert 'data-testid="diary-chart"' not in _panel(_overview(world))


@pytest.mark.parametrize(
    ("language", "words"),
    [("da", "Søster, brystkræft"), ("en", "Sister, breast cancer"), ("tr", "Meme kanseri")],
)
def test_a_relatives_cancer_in_the_gps_language(world: World, language: str, words: str) -> None:
    prep = preparations.preparation(world.patient)
    preparations.family_risk(prep, relation="sister", cancer_site="breast")
    assert words in _text(_panel(_overview(world, language=language)))


def test_where_on_the_body_in_the_gps_language(world: World) -> None:
    prep = preparations.preparation(world.patient)
    preparations.prepared_symptom(prep, "cough", body_area="head")
    preparations.prepared_symptom(prep, "fatigue", body_area="")
    panel = _panel(_overview(world))
    assert re.findall(r'data-testid="body-area">\(([^)]+)\)<', panel) == ["Hovedet"]


def test_the_language_written_in_is_named_when_it_is_not_the_gps(world: World) -> None:
    prep = preparations.preparation(world.patient, language="tr", interpreter_needed=False)
    preparations.prepared_symptom(prep, "cough")
    assert "Ingen tolk nødvendig · Skrevet på: Tyrkisk" in _text(_panel(_overview(world)))
    prep.language = "da"
    prep.save()
    line = re.search(r'data-testid="preparation-interpreter">(.*?)</p>', _overview(world), re.S)
    assert line is not None
    assert _text(line.group(1)) == "Ingen tolk nødvendig"
