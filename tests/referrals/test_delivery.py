"""The notification e-mail links to the address the server is reached at."""

from __future__ import annotations

import pytest
from django.core import mail
from pytest_django.fixtures import Settings

from opspor.casework.delivery import deliver
from opspor.casework.models import Notification
from opspor.referrals import services
from opspor.referrals.workflow import ReferralState
from tests.referrals.worlds import World, referral_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("base_url", "link"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/referrals/{}/"),
        ("https://opspor.regionh.example/", "https://opspor.regionh.example/referrals/{}/"),
    ],
)
def test_the_e_mail_links_to_the_configured_address(
    world: World, settings: Settings, base_url: str, link: str
) -> None:
    settings.OPSPOR_BASE_URL = base_url
    practice = world.patient.practice
    practice.email = "praksis@laegerne.example"
    practice.save()
    referral = referral_in(world, ReferralState.SENT)
    services.message_post(thread=referral, by=world.doctor, body="Call me")
    notification = Notification.objects.get(practice=practice)

    assert deliver(notification.pk) == "sent"
    [email] = mail.outbox
    assert link.format(referral.pk) in email.body
    assert "8000" not in email.body
