"""The patient sees the trusted links their doctor sent on their own page, and the read is
logged; nobody else reads them there."""

from __future__ import annotations

import re

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from opspor.accounts.models import Role
from opspor.portal.answers import my_trusted_links
from opspor.portal.models import PreparationState, TrustedLinkAnswer
from opspor.portal.services import review
from opspor.portal.trusted import load_catalogue
from opspor.records.models import AccessLogEntry, Patient
from tests import factories
from tests.portal import factories as preparations
from tests.referrals.worlds import World, make_world

pytestmark = pytest.mark.django_db


class Setting:
    def __init__(self) -> None:
        self.world: World = make_world()
        self.account = factories.user(Role.PATIENT)
        self.patient: Patient = self.world.patient
        self.patient.user = self.account
        self.patient.save()
        self.link = load_catalogue().links[0]


@pytest.fixture
def setting() -> Setting:
    return Setting()


def _page(setting: Setting, language: str = "da") -> str:
    client = Client()
    client.force_login(setting.account)
    client.cookies["django_language"] = language
    response = client.get(reverse("portal:my_record"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_patient_sees_what_their_doctor_suggests(setting: Setting) -> None:
    prep = preparations.preparation(setting.patient)
    review.trusted_link_answer(preparation=prep, link=setting.link.key, by=setting.world.gp)
    page = _page(setting)
    section = re.search(r'<section[^>]*data-testid="my-trusted-links".*?</section>', page, re.S)
    assert section is not None
    assert "Din læge foreslår, at du læser" in section.group(0)
    assert f'href="{setting.link.url}"' in section.group(0)
    assert setting.link.titles["da"] in section.group(0)
    assert setting.link.publisher in section.group(0)
    assert 'rel="noreferrer"' in section.group(0)
    english = _page(setting, "en")
    assert setting.link.titles["en"] in english
    assert (
        AccessLogEntry.objects.filter(
            patient=setting.patient, user=setting.account, what="own trusted links"
        ).count()
        == 2
    )


def test_each_link_once_and_a_link_no_longer_in_the_catalogue_left_out(setting: Setting) -> None:
    first = preparations.preparation(setting.patient)
    second = preparations.preparation(setting.patient)
    for prep in (first, second):
        review.trusted_link_answer(preparation=prep, link=setting.link.key, by=setting.world.gp)
    TrustedLinkAnswer.objects.create(
        preparation=second, link="withdrawn-link", by=setting.world.gp, at=first.sent_at
    )
    shown = my_trusted_links(user=setting.account, patient=setting.patient)
    assert [s.link.url for s in shown] == [setting.link.url]


def test_nothing_to_show_is_neither_shown_nor_logged(setting: Setting) -> None:
    draft = preparations.preparation(setting.patient, state=PreparationState.DRAFT)
    TrustedLinkAnswer.objects.create(
        preparation=draft, link=setting.link.key, by=setting.world.gp, at=draft.updated_at
    )
    page = _page(setting)
    assert 'data-testid="my-trusted-links"' not in page
    assert not AccessLogEntry.objects.filter(what="own trusted links").exists()


def test_only_the_patient_themself_reads_them(setting: Setting) -> None:
    prep = preparations.preparation(setting.patient)
    review.trusted_link_answer(preparation=prep, link=setting.link.key, by=setting.world.gp)
    other = factories.user(Role.PATIENT)
    factories.patient(setting.patient.practice, user=other)
    for user in (other, setting.world.gp):
        with pytest.raises(Http404):
            my_trusted_links(user=user, patient=setting.patient)
    assert not AccessLogEntry.objects.filter(what="own trusted links").exists()
    client = Client()
    client.force_login(other)
    assert setting.link.url not in client.get(reverse("portal:my_record")).content.decode()
