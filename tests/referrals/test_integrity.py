"""What the shared case machinery decides once for every app, seen through the referrals:
an idempotency key is bound to its request, Opspor's findings are the server's own, and
text that is only invisible characters is no text."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as PageClient
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.casework.models import IdempotencyRecord, Notification
from opspor.casework.text import has_words, visible
from opspor.referrals.models import AdviceRequest, Message, Referral, ReferralEvent
from opspor.referrals.workflow import ReferralState
from tests.referrals.test_api import ApiWorld, api_world, make_sent
from tests.referrals.worlds import World, make_world, patient_in, referral_in

# Characters that show nothing: the zero-width space, the word joiner, the zero-width
# no-break space (BOM), the left-to-right mark, a no-break space and an ideographic space.
INVISIBLE = ["\u200b", "\u2060", "\ufeff", "\u200e", "\u00a0", "\u3000", " \n\t"]


def counts() -> tuple[int, int, int, int, int]:
    return (
        Referral.objects.count(),
        AdviceRequest.objects.count(),
        Message.objects.count(),
        Notification.objects.count(),
        IdempotencyRecord.objects.count(),
    )


@pytest.fixture
def api(live_server: Any) -> ApiWorld:
    return api_world(live_server.url)


# --- an Idempotency-Key is bound to its request -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_key_reused_for_another_patient_is_refused_and_creates_nothing(api: ApiWorld) -> None:
    body = {"patient_id": api.patient.pk, "pathway": "kidney", "clinical_question": "Haematuria"}
    status, first = api.gp.post("/referrals", body, key="k-1")
    assert status == 201
    # The same request again: the first result, nothing new.
    assert api.gp.post("/referrals", body, key="k-1") == (201, first)
    before = counts()
    other = patient_in(api.patient.practice)
    status, error = api.gp.post("/referrals", body | {"patient_id": other.pk}, key="k-1")
    assert (status, error["code"]) == (422, "key_reused")
    assert "different request" in error["detail"]
    assert counts() == before
    assert not Referral.objects.filter(patient=other).exists()


@pytest.mark.django_db(transaction=True)
def test_a_key_reused_for_another_thread_is_refused(api: ApiWorld) -> None:
    one, two = make_sent(api)["id"], make_sent(api)["id"]
    status, _ = api.gp.post(f"/referrals/{one}/messages", {"body": "Call her"}, key="m-1")
    assert status == 201
    before = counts()
    status, error = api.gp.post(f"/referrals/{two}/messages", {"body": "Call her"}, key="m-1")
    assert (status, error["code"]) == (422, "key_reused")
    assert counts() == before
    assert not Message.objects.filter(referral_id=two).exists()


@pytest.mark.django_db(transaction=True)
def test_a_key_reused_with_another_body_is_refused(api: ApiWorld) -> None:
    body = {"patient_id": api.patient.pk, "question": "Weight loss 6 kg: refer?"}
    status, first = api.gp.post("/advice-requests", body, key="a-1")
    assert status == 201
    before = counts()
    status, error = api.gp.post("/advice-requests", body | {"question": "Anaemia?"}, key="a-1")
    assert (status, error["code"]) == (422, "key_reused")
    assert counts() == before
    assert AdviceRequest.objects.get().question == "Weight loss 6 kg: refer?"
    # The key stays bound to the first request, which still answers with its result.
    assert api.gp.post("/advice-requests", body, key="a-1") == (201, first)


@pytest.mark.django_db(transaction=True)
def test_keys_are_the_callers_own(api: ApiWorld) -> None:
    body = {"patient_id": api.patient.pk, "question": "Weight loss 6 kg: refer?"}
    api.gp.post("/advice-requests", body, key="shared")
    status, _ = api.other_gp.post("/advice-requests", body, key="shared")
    assert status == 201
    assert AdviceRequest.objects.count() == 2


# --- Opspor's findings are computed by the server ----------------------------------------

CLAIMED = {
    "ruleset": "nice-ng12",
    "as_of": "2025-01-01",
    "findings": [
        {
            "kind": "guideline_criterion",
            "text": {"da": "Opfylder kriterier for lungekræft", "en": "Meets lung cancer criteria"},
            "source": "Made up by the client",
        }
    ],
}


@pytest.mark.django_db(transaction=True)
def test_findings_a_client_sends_are_kept_as_the_gps_own_text(api: ApiWorld) -> None:
    body = {
        "patient_id": api.patient.pk,
        "pathway": "kidney",
        "informed_about_kraeft": True,
        "findings": CLAIMED,  # what an old client called the field
        "gp_findings": CLAIMED,
    }
    status, draft = api.gp.post("/referrals", body)
    assert status == 201
    referral = Referral.objects.get(pk=draft["id"])
    # Opspor's own snapshot of the record, not the client's claim.
    assert referral.findings["ruleset"] == "dk-pakkeforloeb"
    assert "Meets lung cancer criteria" not in str(referral.findings)
    assert "Meets lung cancer criteria" in referral.gp_findings
    assert draft["findings"] == referral.findings
    assert "Meets lung cancer criteria" in draft["gp_findings"]

    status, sent = api.gp.post(f"/referrals/{referral.pk}/send")
    assert status == 200 and "Meets lung cancer criteria" not in str(sent["findings"])

    # The unit sees the claim as the GP's, never under Opspor's findings.
    page = PageClient()
    page.force_login(api.users.doctor)
    html = page.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    opspor_part, _, rest = html.partition('id="findings-heading"')[2].partition("</section>")
    assert "Meets lung cancer criteria" not in opspor_part
    assert 'data-testid="gp-findings"' in rest and "Meets lung cancer criteria" in rest


@pytest.mark.django_db(transaction=True)
def test_an_advice_requests_summary_is_the_servers(api: ApiWorld) -> None:
    body = {"patient_id": api.patient.pk, "question": "Refer?", "gp_findings": "Lost 6 kg"}
    status, advice = api.gp.post("/advice-requests", body)
    assert status == 201
    assert advice["patient_summary"]["ruleset"] == "dk-pakkeforloeb"
    assert advice["gp_findings"] == "Lost 6 kg"


MALFORMED: list[Any] = [
    "not an object",
    [1, "two", None],
    {"findings": "not a list"},
    {"findings": [1, "x", {"kind": "pattern_break"}], "as_of": "yesterday", "ruleset": 7},
    {"findings": [{"kind": "new_symptom", "text": ["a", "list"]}], "as_of": None},
]


@pytest.mark.django_db
@pytest.mark.parametrize("stored", MALFORMED)
def test_a_case_page_never_fails_on_malformed_stored_findings(stored: Any) -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.SENT, findings=stored, completeness=stored)
    advice = AdviceRequest.objects.create(
        patient=world.patient,
        practice=world.patient.practice,
        unit=world.patient.practice.diagnostic_unit,
        asked_by=world.gp,
        question="Refer?",
        patient_summary=stored,
        sent_at=referral.sent_at,
        answer_due_at=referral.triage_due_at,
    )
    for user in (world.gp, world.doctor):
        client = PageClient()
        client.force_login(user)
        for url in (
            reverse("referrals:detail", args=[referral.pk]),
            reverse("referrals:advice_detail", args=[advice.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 200, (url, user)
            assert 'data-testid="no-findings"' in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stored", MALFORMED)
def test_the_api_never_fails_on_malformed_stored_findings(live_server: Any, stored: Any) -> None:
    world = api_world(live_server.url)
    referral = referral_in(world.users, ReferralState.SENT, findings=stored, completeness=stored)
    status, body = world.doctor.get(f"/referrals/{referral.pk}")
    assert status == 200
    assert isinstance(body["findings"], dict) and isinstance(body["missing"], list)


# --- required text after removing invisible characters -----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("blank", INVISIBLE)
def test_a_rejection_of_invisible_text_is_refused_on_the_screen(blank: str) -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.SENT)
    client = PageClient()
    client.force_login(world.doctor)
    before = (referral.state, ReferralEvent.objects.count(), Notification.objects.count())
    response = client.post(
        reverse("referrals:reject", args=[referral.pk]),
        {
            "reason_category": "criteria_not_met",
            "reason_text": blank,
            "alternative_plan_text": blank,
        },
    )
    assert response.status_code == 422
    referral.refresh_from_db()
    assert (referral.state, ReferralEvent.objects.count(), Notification.objects.count()) == before


@pytest.mark.django_db(transaction=True)
def test_invisible_text_is_refused_by_the_api(api: ApiWorld) -> None:
    zwsp = "\u200b"
    rid = make_sent(api)["id"]
    before = counts()
    status, error = api.doctor.post(
        f"/referrals/{rid}/reject",
        {
            "reason_category": "criteria_not_met",
            "reason_text": zwsp,
            "alternative_plan": {"text": zwsp},
        },
    )
    assert status == 422 and error["code"] == "invalid"
    status, error = api.doctor.post(
        f"/referrals/{rid}/reject",
        {
            "reason_category": "criteria_not_met",
            "reason_text": "Criteria not met",
            "alternative_plan": {"text": "\u2060\u200b"},
        },
    )
    assert (status, error["code"]) == (422, "missing_plan")
    status, error = api.gp.post(f"/referrals/{rid}/messages", {"body": "\u200b \u2060"})
    assert (status, error["code"]) == (422, "invalid")
    status, error = api.gp.post(
        "/advice-requests", {"patient_id": api.patient.pk, "question": "\ufeff\u200b"}
    )
    assert (status, error["code"]) == (422, "invalid")
    assert counts() == before
    assert Referral.objects.get(pk=rid).state == ReferralState.SENT


@given(st.text(alphabet=st.characters(categories=["Cf", "Zs", "Zl", "Zp", "Cc"]), max_size=30))
@settings(max_examples=200, deadline=None)
def test_nothing_made_only_of_invisible_characters_counts_as_written(text: str) -> None:
    assert not has_words(text)
    assert not has_words(f" {text}\n")


@given(st.text(min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_text_counts_as_written_exactly_when_something_visible_is_left(text: str) -> None:
    assert has_words(text) == bool(visible(text))
    assert has_words(text + "a")


_ = World  # the world's people are named in the fixtures above


def test_the_frailty_section_is_named_once() -> None:
    # One owner (workflow.FRAILTY_LABELS): the form, the API and the model follow it.
    from opspor.referrals.api.schemas import ReferralFields
    from opspor.referrals.forms import ReferralForm
    from opspor.referrals.workflow import FRAILTY_FIELDS, FRAILTY_LABELS

    assert set(FRAILTY_FIELDS) <= set(ReferralFields.model_fields)
    assert {n: ReferralForm.base_fields[n].label for n in FRAILTY_FIELDS} == FRAILTY_LABELS
    assert all(Referral._meta.get_field(name) for name in FRAILTY_FIELDS)
