"""The notifications page: reading it changes nothing; marking them read is a POST."""

from __future__ import annotations

import itertools
import re

import pytest
from django.test import Client
from django.urls import reverse

from opspor.accounts.models import Role, User
from opspor.casework.models import Notification
from opspor.referrals import services
from opspor.referrals.workflow import ReferralState
from tests import factories
from tests.referrals.worlds import World, referral_in

pytestmark = pytest.mark.django_db

PAGE = reverse("casework:notifications")
MARK = "/notifications/mark-read/"


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factories, "_counter", itertools.count(3_000_000))


def client_of(user: User, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def told_the_practice(world: World) -> list[int]:
    referral = referral_in(world, ReferralState.SENT)
    services.message_post(thread=referral, by=world.doctor, body="Call me")
    services.message_post(thread=referral, by=world.doctor, body="Again")
    ids = list(Notification.objects.filter(practice=world.patient.practice).values_list("pk"))
    assert len(ids) == 2
    return [pk for (pk,) in ids]


def unread(ids: list[int]) -> int:
    return Notification.objects.filter(pk__in=ids, read_at=None).count()


def test_opening_the_page_leaves_them_unread_and_offers_to_mark_them(world: World) -> None:
    ids = told_the_practice(world)
    client = client_of(world.other_gp, csrf=True)
    for _ in range(2):
        page = client.get(PAGE).content.decode()
        assert page.count('class="is-unacknowledged"') == 2 and "Ny" in page
    assert unread(ids) == 2
    # The button is a POST form with the CSRF token and the ids shown.
    form = re.search(rf'<form method="post" action="{MARK}".*?</form>', page, re.S)
    assert form, page
    assert "csrfmiddlewaretoken" in form.group()
    shown = re.findall(r'name="ids" value="(\d+)"', form.group())
    assert sorted(map(int, shown)) == sorted(ids)
    assert "Markér som læst" in form.group()


def test_the_post_marks_the_ones_shown(world: World) -> None:
    ids = told_the_practice(world)
    client = client_of(world.other_gp)
    response = client.post(MARK, {"ids": ids})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert unread(ids) == 0
    assert set(Notification.objects.values_list("read_by", flat=True)) == {world.other_gp.pk}
    page = client.get(PAGE).content.decode()
    assert "is-unacknowledged" not in page and MARK not in page
    # A notification that came after the page was shown is not among the ids: still new.
    referral = referral_in(world, ReferralState.SENT)
    services.message_post(thread=referral, by=world.doctor, body="Later")
    client.post(MARK, {"ids": ids})
    assert Notification.objects.filter(read_at=None).count() == 1


def test_a_post_of_another_practice_or_unit_marks_nothing_of_ours(world: World) -> None:
    ids = told_the_practice(world)
    for stranger in (world.stranger_gp, world.stranger_doctor, world.doctor):
        response = client_of(stranger).post(MARK, {"ids": ids})
        assert response.status_code == 302
    assert unread(ids) == 2
    # Other roles are refused before anything is read.
    for role in (Role.PATIENT, Role.ANALYST):
        assert client_of(factories.user(role)).post(MARK, {"ids": ids}).status_code == 403
    assert unread(ids) == 2


@pytest.mark.parametrize(
    "data", [{}, {"ids": ["x", "-1", "", str(2**63), "١"]}, {"ids": [str(10**40)]}]
)
def test_ids_that_are_not_ids_mark_nothing(world: World, data: dict[str, object]) -> None:
    ids = told_the_practice(world)
    response = client_of(world.gp).post(MARK, data)
    assert response.status_code == 302
    assert unread(ids) == 2


def test_marking_read_needs_a_post_with_the_csrf_token(world: World) -> None:
    ids = told_the_practice(world)
    client = client_of(world.gp, csrf=True)
    assert client.get(MARK, {"ids": ids}).status_code == 405
    assert client.post(MARK, {"ids": ids}).status_code == 403
    assert unread(ids) == 2


def test_opening_the_case_still_marks_its_notifications_read(world: World) -> None:
    ids = told_the_practice(world)
    referral_id = Notification.objects.get(pk=ids[0]).subject_id
    client_of(world.gp).get(reverse("referrals:detail", args=[referral_id]))
    assert unread(ids) == 0


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Mark as read"), ("ar", "تعليم كمقروءة"), ("tr", "Okundu olarak işaretle")],
)
def test_the_button_speaks_the_chosen_language(world: World, language: str, words: str) -> None:
    told_the_practice(world)
    client = client_of(world.gp)
    client.cookies["django_language"] = language
    assert words in client.get(PAGE).content.decode()
