"""The world the access-control matrix calls every page and endpoint in: practice A and its
diagnostic unit U, practice B with another unit, one person of each role, and a row of
every kind that a URL names, all owned by practice A and its patient.

    world = build()
    world.users["gp_a"], world.params["referral_id"], world.fhir_ids["ServiceRequest"]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from opspor.accounts.models import ApiToken, PasskeyDevice, Role, User
from opspor.accounts.tokens import api_token_issue
from opspor.casework.models import Notification
from opspor.portal.models import PreparationState
from opspor.referrals import services as referrals
from opspor.referrals.workflow import AdviceState, ReferralState
from opspor.safetynet import concerns
from opspor.safetynet import services as safety_nets
from opspor.safetynet.models import PatientSignal, SignalKind
from opspor.safetynet.workflow import ConcernKind
from tests import factories
from tests.portal import factories as portal_factories
from tests.referrals.worlds import advice_in, make_world, referral_in

# The roles the matrix calls as, in the order of the table's columns.
ROLES = (
    "anon",  # not logged in, no token
    "gp_a",  # a GP of practice A, which owns every object in the world
    "gp_b",  # a GP of practice B
    "unit_u",  # a doctor of unit U, the unit the referral and advice request went to
    "unit_b",  # a doctor of another unit
    "patient",  # the patient of practice A the objects are about
    "another",  # another patient of practice A
    "analyst",
    "admin",  # staff and superuser, as the demo's administrator
)


@dataclass
class AccessWorld:
    users: dict[str, User | None]
    # Values for the URL parameters, by parameter name.
    params: dict[str, Any]
    # The FHIR ids of the same rows, by resource type.
    fhir_ids: dict[str, str]


def build() -> AccessWorld:
    world = make_world()
    patient = world.patient
    patient.user = factories.user(Role.PATIENT)
    patient.save(update_fields=["user"])
    neighbour = factories.patient(patient.practice, user=factories.user(Role.PATIENT))
    assert neighbour.user is not None and patient.user is not None
    admin = factories.user(Role.ADMIN, is_staff=True, is_superuser=True)

    referral = referral_in(world, ReferralState.SENT)
    advice = advice_in(world, AdviceState.SENT)
    today = timezone.localdate()
    episode = safety_nets.episode_open(
        patient=patient,
        by=world.gp,
        reason="pending_investigations",
        follow_up_on=today + timedelta(days=7),
        ends_on=today + timedelta(days=30),
    )
    investigation = safety_nets.investigation_order(
        episode=episode, by=world.gp, kind="fit", expected_by=today + timedelta(days=7)
    )
    concern = concerns.concern_raise(
        episode=episode, by=patient.user, kind=ConcernKind.NOT_HEARD
    ).concern
    # A notification for practice A: the unit's message in the referral's thread.
    referrals.message_post(thread=referral, by=world.doctor, body="Is CT enough?")
    notification = Notification.objects.get(practice=patient.practice)
    now = timezone.now()
    PatientSignal.objects.create(
        patient=patient,
        practice=patient.practice,
        kind=SignalKind.PATTERN_BREAK,
        as_of=today,
        last_contact_at=now,
        computed_at=now,
    )
    factories.contact(patient, on=today - timedelta(days=3))
    # The patient's preparation sent to the practice, and a draft of the next one.
    sent = portal_factories.preparation(patient)
    sent_symptom = portal_factories.prepared_symptom(sent, "cough")
    risk = portal_factories.family_risk(sent)
    draft = portal_factories.preparation(patient, state=PreparationState.DRAFT)
    draft_symptom = portal_factories.prepared_symptom(draft, "fatigue")

    # A passkey of GP A's own, for the owner's passkey pages.
    passkey = PasskeyDevice.objects.create(
        user=world.gp, name="Work laptop", credential_id="AAAA", public_key=b"\xa0"
    )
    # A token of GP A's own, for the owner's token pages.
    api_token_issue(user=world.gp, scope="read")
    token = ApiToken.objects.filter(user=world.gp).latest("pk")

    users: dict[str, User | None] = {
        "anon": None,
        "gp_a": world.gp,
        "gp_b": world.stranger_gp,
        "unit_u": world.doctor,
        "unit_b": world.stranger_doctor,
        "patient": patient.user,
        "another": neighbour.user,
        "analyst": factories.user(Role.ANALYST),
        "admin": admin,
    }
    assert tuple(users) == ROLES
    return AccessWorld(
        users=users,
        params={
            "patient_id": patient.pk,
            "referral_id": referral.pk,
            "advice_id": advice.pk,
            "episode_id": episode.pk,
            "investigation_id": investigation.pk,
            "concern_id": concern.pk,
            "notification_id": notification.pk,
            "kind": SignalKind.PATTERN_BREAK.value,
            "preparation_id": sent.pk,
            "item_id": sent_symptom.pk,
            "risk_factor_id": risk.pk,
            "symptom_id": draft_symptom.pk,
            "indicator": "interval_primary_care",
            "service_id": "opspor-patient-view",
            "token_id": token.pk,
            "passkey_id": passkey.pk,
            # A password-reset link that is not valid: the page says so to anyone.
            "uidb64": "MA",
            "token": "not-a-reset-token",
        },
        fhir_ids={
            "Patient": f"patient-{patient.pk}",
            "ServiceRequest": f"referral-{referral.pk}",
            "Task": f"referral-{referral.pk}",
            "CommunicationRequest": f"advice-{advice.pk}",
            "EpisodeOfCare": f"episode-{episode.pk}",
        },
    )
