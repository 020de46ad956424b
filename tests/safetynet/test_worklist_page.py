"""The practice's worklist page, the GP's start page: what waits, most urgent first, one
click to the patient and to the case, narrowed by owner or kind, each shown patient's read
logged in one query, and an item gone only when someone acts on it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.records.models import AccessLogEntry, Patient
from opspor.referrals.workflow import ReferralState
from opspor.safetynet import services
from opspor.safetynet.models import Investigation, SafetyNetEpisode
from opspor.safetynet.views import worklist as worklist_view
from opspor.safetynet.worklist import ItemKind, WorklistItem, practice_worklist
from opspor.safetynet.worklist_rows import GENERIC_LABEL, KIND_LABELS, kind_label
from tests import factories
from tests.referrals.worlds import World, make_world, patient_in, referral_in

pytestmark = pytest.mark.django_db

URL = "/safety-nets/worklist/"


@dataclass
class Practice:
    world: World
    gp: User
    other_gp: User
    client: Client
    today: date


@pytest.fixture
def practice() -> Practice:
    world = make_world()
    return Practice(
        world=world,
        gp=world.gp,
        other_gp=world.other_gp,
        client=logged_in(world.gp),
        today=timezone.localdate(),
    )


def patient(p: Practice, name: str) -> Patient:
    made = patient_in(p.world.patient.practice)
    Patient.objects.filter(pk=made.pk).update(name=name)
    made.name = name
    return made


def episode(p: Practice, who: Patient, *, owner: User | None = None) -> SafetyNetEpisode:
    return services.episode_open(
        patient=who,
        by=p.gp,
        owner=owner,
        reason="pending_investigations",
        follow_up_on=p.today + timedelta(days=14),
        ends_on=p.today + timedelta(days=42),
        advice="Kom igen, hvis det bliver værre.",
    )


def follow_up_due(p: Practice, who: Patient, *, owner: User | None = None) -> SafetyNetEpisode:
    made = episode(p, who, owner=owner)
    SafetyNetEpisode.objects.filter(pk=made.pk).update(follow_up_on=p.today - timedelta(days=3))
    return made


def resulted(p: Practice, who: Patient) -> Investigation:
    xray = services.investigation_order(
        episode=episode(p, who),
        by=p.gp,
        kind="chest_xray",
        description="Røntgen af thorax",
        expected_by=p.today + timedelta(days=7),
    )
    return services.investigation_record_result(investigation=xray, by=p.gp, text="Normal")


def logged_in(user: User) -> Client:
    # A fresh login: a session does not outlive a jump of days.
    client = Client(headers={"accept-language": "da"})
    client.force_login(user)
    return client


def page(p: Practice, query: str = "", client: Client | None = None) -> str:
    response = (client or p.client).get(URL + query)
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> list[str]:
    return re.findall(r'data-testid="worklist-item" data-kind="([a-z_]+)"', html)


def names(html: str) -> list[str]:
    return re.findall(r'data-testid="worklist-patient">([^<]+)<', html)


# --- the start page ----------------------------------------------------------------------


def test_the_gps_start_page_is_the_worklist_with_the_patient_list_one_click_away(
    practice: Practice,
) -> None:
    response = practice.client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("safetynet:worklist") == URL
    html = page(practice)
    assert 'data-testid="nav-worklist"' in html and 'aria-current="page"' in html
    assert f'href="{reverse("records:practice_patients")}"' in html
    assert 'data-testid="nav-patients"' in html


# --- what it shows ------------------------------------------------------------------------


def test_items_come_most_urgent_first_each_one_click_to_the_patient_and_the_case(
    practice: Practice,
) -> None:
    anna, bo, carl = (patient(practice, n) for n in ("Anna Due", "Bo Holm", "Carl Berg"))
    net = follow_up_due(practice, anna)
    xray = resulted(practice, bo)
    rejection = referral_in(
        practice.world,
        ReferralState.REJECTED,
        patient=carl,
        decided_at=timezone.now() - timedelta(days=2),
        alternative_plan_text="CT thorax",
    )
    html = page(practice)
    assert rows(html) == ["rejection_unacknowledged", "result_unseen", "follow_up_due"]
    assert names(html) == ["Carl Berg", "Bo Holm", "Anna Due"]
    for who in (anna, bo, carl):
        assert f'href="{reverse("records:patient_overview", args=[who.pk])}"' in html
    assert f'href="{rejection.get_absolute_url()}"' in html
    assert f'href="{reverse("safetynet:detail", args=[xray.episode_id])}"' in html
    assert f'href="{reverse("safetynet:detail", args=[net.pk])}"' in html
    # In Danish by default, with how long each has waited and who owns it.
    assert "Afvist henvisning, endnu ikke kvitteret" in html
    assert "Svar ikke set af en læge" in html
    assert "Opfølgning forfalden" in html
    assert "Røntgen af thorax" in html
    assert "3 dage" in html and "2 dage" in html
    owner = practice.gp.clinician.name  # type: ignore[attr-defined]
    assert owner in html
    # Counts per kind at the top, each a link that narrows the list to that kind.
    counts = html.split('data-testid="worklist-counts"')[1].split("</ul>")[0]
    assert re.search(r"Alle <span class=\"worklist-count\">3</span>", counts)
    assert 'href="?kind=result_unseen"' in counts
    assert rows(page(practice, "?kind=result_unseen")) == ["result_unseen"]


def test_the_owner_filter_narrows_and_mine_is_one_click(practice: Practice) -> None:
    follow_up_due(practice, patient(practice, "Mine Mortensen"))
    follow_up_due(practice, patient(practice, "Their Thomsen"), owner=practice.other_gp)
    assert names(page(practice)) == ["Mine Mortensen", "Their Thomsen"]
    html = page(practice)
    assert f'href="?owner={practice.gp.pk}"' in html  # "mine"
    assert names(page(practice, f"?owner={practice.gp.pk}")) == ["Mine Mortensen"]
    assert names(page(practice, f"?owner={practice.other_gp.pk}")) == ["Their Thomsen"]
    # Someone who is not a GP of the practice, or no number at all: the whole practice.
    stranger = practice.world.stranger_gp
    assert len(names(page(practice, f"?owner={stranger.pk}"))) == 2
    assert len(names(page(practice, "?owner=x&kind=nonsense"))) == 2


def test_an_empty_worklist_says_only_that_nothing_waits(practice: Practice) -> None:
    html = page(practice)
    assert 'data-testid="worklist-empty"' in html
    assert "Intet på arbejdslisten venter på praksis." in html
    assert "bekymre" not in html and "ikke kræft" not in html


def test_the_page_speaks_arabic_right_to_left(practice: Practice) -> None:
    follow_up_due(practice, patient(practice, "Anna Due"))
    practice.client.cookies["django_language"] = "ar"
    html = page(practice)
    assert 'dir="rtl"' in html
    assert "حان موعد المتابعة" in html  # follow-up due
    assert "Follow-up due" not in html and "Opfølgning forfalden" not in html
    assert "Anna Due" in html


# --- the labels: one mapping, every kind ---------------------------------------------------


def test_every_kind_of_item_has_its_own_label_and_an_unknown_one_a_generic_label() -> None:
    for kind in ItemKind:
        assert kind.name.lower() in KIND_LABELS, kind
        assert kind_label(kind.name.lower()) != str(GENERIC_LABEL)
    # The kinds that the patient's side and the engine's signals bring have labels ready.
    for code in (
        "patient_got_worse",
        "patient_not_heard",
        "pattern_break",
        "long_absence",
        "repeat_symptom",
        "low_user_rise",
    ):
        assert code in KIND_LABELS
    assert kind_label("a_kind_nobody_labelled") == str(GENERIC_LABEL)


def test_an_item_that_can_be_dismissed_has_a_form_that_needs_a_reason(
    practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = patient(practice, "Dora Dahl")
    item = WorklistItem(
        kind=ItemKind.FOLLOW_UP_DUE,
        patient_id=who.pk,
        patient_name=who.name,
        owner_id=practice.gp.pk,
        since=practice.today,
        case_url="/somewhere/",
        detail="",
        dismiss_url="/dismiss/7/",
    )
    assert item.patient_url == reverse("records:patient_overview", args=[who.pk])
    monkeypatch.setattr(worklist_view, "practice_worklist", lambda **kwargs: [item])
    html = page(practice, "?owner=" + str(practice.gp.pk))
    form = html.split('data-testid="dismiss-form"')[1].split("</form>")[0]
    assert 'action="/dismiss/7/"' in html
    assert re.search(r'name="reason"[^>]* required', form)
    assert f'name="next" value="{URL}?owner={practice.gp.pk}"' in form
    assert "csrfmiddlewaretoken" in form
    # Items without a way to dismiss them have no such form.
    monkeypatch.setattr(
        worklist_view,
        "practice_worklist",
        lambda **kwargs: [WorklistItem(**{**item.__dict__, "dismiss_url": None})],
    )
    assert 'data-testid="dismiss-form"' not in page(practice)


# --- who may see it -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.UNIT_DOCTOR, Role.PATIENT, Role.ANALYST, Role.ADMIN])
def test_other_roles_are_refused_and_nothing_is_logged(practice: Practice, role: str) -> None:
    follow_up_due(practice, patient(practice, "Anna Due"))
    client = Client()
    client.force_login(factories.user(role))
    response = client.get(URL)
    assert response.status_code == 403
    assert "Anna Due" not in response.content.decode()
    assert not AccessLogEntry.objects.exists()


def test_an_anonymous_visitor_is_sent_to_login(practice: Practice) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_practices_items_are_never_shown_nor_logged(practice: Practice) -> None:
    follow_up_due(practice, patient(practice, "Anna Due"))
    resulted(practice, patient(practice, "Bo Holm"))
    stranger = logged_in(practice.world.stranger_gp)
    html = page(practice, client=stranger)
    assert rows(html) == [] and "Anna Due" not in html and "Bo Holm" not in html
    # Not even by naming one of the practice's GPs as the owner.
    html = page(practice, f"?owner={practice.gp.pk}", client=stranger)
    assert rows(html) == []
    assert not AccessLogEntry.objects.exists()


# --- the read log and its cost -------------------------------------------------------------


def test_each_patient_on_the_page_is_logged_once_as_read(practice: Practice) -> None:
    anna, bo = patient(practice, "Anna Due"), patient(practice, "Bo Holm")
    follow_up_due(practice, anna)
    resulted(practice, anna)  # a second item for the same patient
    follow_up_due(practice, bo)
    # Anna's follow-up and her result, Bo's follow-up: three items, two patients.
    assert len(rows(page(practice))) == 3
    logged = AccessLogEntry.objects.filter(user=practice.gp, what="worklist", channel="web")
    assert sorted(logged.values_list("patient_id", flat=True)) == sorted([anna.pk, bo.pk])


def _many(p: Practice, n: int) -> None:
    """`n` follow-ups due, each for a patient of its own, written in bulk."""
    template = follow_up_due(p, patient(p, "Template Patient"))
    patients = [patient_in(p.world.patient.practice) for _ in range(n - 1)]
    copies = []
    for who in patients:
        copy = SafetyNetEpisode.objects.get(pk=template.pk)
        copy.pk = None
        copy.patient = who
        copies.append(copy)
    SafetyNetEpisode.objects.bulk_create(copies)


def _queries(p: Practice, query: str = "") -> int:
    with CaptureQueriesContext(connection) as captured:
        page(p, query)
    return len(captured)


def test_the_page_costs_the_same_queries_for_20_items_and_for_200(practice: Practice) -> None:
    _many(practice, 20)
    assert len(practice_worklist(user=practice.gp)) == 20
    few = _queries(practice)
    _many(practice, 180)
    assert len(practice_worklist(user=practice.gp)) == 200
    assert _queries(practice) == few
    assert _queries(practice, "?page=4") == few


def test_a_long_worklist_is_cut_into_pages_and_only_the_shown_are_logged(
    practice: Practice,
) -> None:
    _many(practice, 60)
    first = page(practice)
    assert len(rows(first)) == 50
    assert "Side 1 af 2" in first
    assert AccessLogEntry.objects.filter(what="worklist").count() == 50
    second = page(practice, "?page=2")
    assert len(rows(second)) == 10
    assert set(names(first)).isdisjoint(names(second))
    # The filter travels with the page links.
    filtered = page(practice, f"?owner={practice.gp.pk}")
    assert f"?page=2&amp;owner={practice.gp.pk}" in filtered


# --- done only by an action -----------------------------------------------------------------


def test_an_item_goes_only_when_a_gp_acts_never_as_time_passes(practice: Practice) -> None:
    bo = patient(practice, "Bo Holm")
    xray = resulted(practice, bo)
    assert rows(page(practice)) == ["result_unseen"]
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        # Days later the result still waits.
        assert "result_unseen" in rows(page(practice, client=logged_in(practice.gp)))
    mark_seen = reverse("safetynet:investigation_mark_seen", args=[xray.pk])
    assert practice.client.post(mark_seen).status_code == 302
    assert rows(page(practice)) == ["result_not_told"]
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        # A month on, the follow-up is due too, and the result has still not been told.
        later = rows(page(practice, client=logged_in(practice.gp)))
        assert later == ["result_not_told", "follow_up_due"]
    mark_told = reverse("safetynet:investigation_mark_told", args=[xray.pk])
    assert practice.client.post(mark_told, {"how": "phone"}).status_code == 302
    assert rows(page(practice)) == []

    # A follow-up that is due stays until it is moved with a reason; without one, it stays.
    SafetyNetEpisode.objects.filter(pk=xray.episode_id).update(
        follow_up_on=practice.today - timedelta(days=1)
    )
    assert rows(page(practice)) == ["follow_up_due"]
    reschedule = reverse("safetynet:episode_reschedule", args=[xray.episode_id])
    day = f"{practice.today + timedelta(days=10):%Y-%m-%d}"
    refused = practice.client.post(reschedule, {"follow_up_on": day, "ends_on": "", "reason": " "})
    assert refused.status_code == 422
    assert rows(page(practice)) == ["follow_up_due"]
    moved = practice.client.post(
        reschedule, {"follow_up_on": day, "ends_on": "", "reason": "Patienten er bortrejst"}
    )
    assert moved.status_code == 302
    assert rows(page(practice)) == []
