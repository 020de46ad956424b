"""The admin shows every case's audit trail read-only, naming Opspor itself where it acted."""

from __future__ import annotations

import pytest
from django.test import Client

from opspor.accounts.models import Role, User
from opspor.referrals.models import ReferralEvent
from opspor.referrals.workflow import ReferralState
from tests.referrals.worlds import NOW, make_world, referral_in

pytestmark = pytest.mark.django_db


def test_the_audit_trail_is_shown_and_cannot_be_changed() -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.REJECTED)
    ReferralEvent.objects.create(
        referral=referral,
        actor=None,
        at=NOW,
        action="escalate",
        from_state="rejected",
        to_state="rejected",
    )
    admin = User.objects.create_superuser("root", "root@opspor.example", "x", role=Role.ADMIN)
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/referrals/referralevent/")
    assert page.status_code == 200
    assert "Opspor (automatisk)" in page.content.decode()  # the site speaks Danish
    assert client.get("/admin/referrals/referralevent/add/").status_code == 403
    event = ReferralEvent.objects.get()
    assert client.get(f"/admin/referrals/referralevent/{event.pk}/change/").status_code == 200
    before = ReferralEvent.objects.count()
    client.post(f"/admin/referrals/referralevent/{event.pk}/delete/", {"post": "yes"})
    assert ReferralEvent.objects.count() == before
    assert client.get("/admin/records/accesslogentry/add/").status_code == 403
