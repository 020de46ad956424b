"""The longest text each field takes: the same on the screens and in the API.

Free text (a question, a reason, a plan, an answer, a message, a note) has at most
`MAX_TEXT_LENGTH` characters, a one-line code at most `MAX_LINE_LENGTH`; the specialist's
clinic and phone keep the shorter lengths their columns hold. Longer text is refused (422
in the API, a form error on the screen) and nothing is saved.
"""

from __future__ import annotations

from typing import Any

import pytest
from annotated_types import MaxLen
from django import forms as django_forms
from django.test import Client
from django.urls import reverse
from pydantic import BaseModel

from opspor.api import api
from opspor.casework.schemas import BodyIn
from opspor.casework.text import MAX_LINE_LENGTH, MAX_TEXT_LENGTH
from opspor.referrals import forms, services
from opspor.referrals.api import schemas as referrals_api
from opspor.referrals.models import AdviceRequest, Message, Referral
from opspor.referrals.workflow import AdviceState, ReferralState
from tests.referrals.test_api import ApiWorld, api_world, make_draft, make_sent
from tests.referrals.worlds import World, advice_in, make_world, referral_in

TEXT, LINE = MAX_TEXT_LENGTH, MAX_LINE_LENGTH

# Every text field of the API's bodies, with its limit.
API_LIMITS: dict[tuple[str, str], int] = {
    ("AdviceRequestIn", "question"): TEXT,
    ("AdviceAnswerIn", "answer"): TEXT,
    ("ReasonIn", "reason"): TEXT,
    ("ReferralFields", "pathway"): LINE,
    ("ReferralFields", "clinical_question"): TEXT,
    ("ReferralFields", "patient_wish"): TEXT,
    ("ReferralFields", "relatives_role"): TEXT,
    ("ReferralIn", "origin"): LINE,
    ("ReferralIn", "origin_name"): 150,  # the column's length
    ("ReferralIn", "origin_phone"): 20,  # the column's length
    ("SendIn", "incomplete_reason"): TEXT,
    ("RejectIn", "reason_category"): LINE,
    ("RejectIn", "reason_text"): TEXT,
    ("AlternativePlan", "code"): LINE,
    ("AlternativePlan", "text"): TEXT,
    ("ReturnWithAdviceIn", "advice_text"): TEXT,
    ("FirstContactIn", "note"): TEXT,
    ("MessageIn", "body"): TEXT,
}

# The same field on a screen: (form, field) -> (API schema, field).
FORM_FIELDS: dict[tuple[type[django_forms.Form], str], tuple[str, str]] = {
    (forms.AdviceRequestForm, "question"): ("AdviceRequestIn", "question"),
    (forms.AnswerForm, "answer"): ("AdviceAnswerIn", "answer"),
    (forms.ReferralForm, "clinical_question"): ("ReferralFields", "clinical_question"),
    (forms.ReferralForm, "patient_wish"): ("ReferralFields", "patient_wish"),
    (forms.ReferralForm, "relatives_role"): ("ReferralFields", "relatives_role"),
    (forms.ReferralForm, "origin_name"): ("ReferralIn", "origin_name"),
    (forms.ReferralForm, "origin_phone"): ("ReferralIn", "origin_phone"),
    (forms.ReferralForm, "incomplete_reason"): ("SendIn", "incomplete_reason"),
    (forms.SendForm, "incomplete_reason"): ("SendIn", "incomplete_reason"),
    (forms.RejectForm, "reason_text"): ("RejectIn", "reason_text"),
    (forms.RejectForm, "alternative_plan_text"): ("AlternativePlan", "text"),
    (forms.ReturnForm, "advice_text"): ("ReturnWithAdviceIn", "advice_text"),
    (forms.FirstContactForm, "note"): ("FirstContactIn", "note"),
    (forms.MessageForm, "body"): ("MessageIn", "body"),
}


def api_limit(schema: str, field: str) -> int | None:
    model = getattr(referrals_api, schema)
    assert issubclass(model, BaseModel)
    lengths = [m.max_length for m in model.model_fields[field].metadata if isinstance(m, MaxLen)]
    return lengths[0] if lengths else None


def text_fields() -> set[tuple[str, str]]:
    found = set()
    for name, model in vars(referrals_api).items():
        if isinstance(model, type) and issubclass(model, BodyIn):
            for field, info in model.model_fields.items():
                if info.annotation is str:
                    found.add((name, field))
    return found


def test_every_text_field_of_the_api_has_its_limit() -> None:
    # A text field added without a documented limit fails here.
    for schema, field in sorted(text_fields()):
        model = getattr(referrals_api, schema)
        owners = [c.__name__ for c in model.__mro__ if (c.__name__, field) in API_LIMITS]
        assert owners, f"{schema}.{field} has no documented limit"
        assert api_limit(schema, field) == API_LIMITS[(owners[0], field)], (schema, field)


def test_the_openapi_schema_states_the_limits() -> None:
    components = api.get_openapi_schema()["components"]["schemas"]
    for (schema, field), limit in API_LIMITS.items():
        assert components[schema]["properties"][field]["maxLength"] == limit, (schema, field)
    description = api.get_openapi_schema()["info"]["description"]
    assert f"{TEXT:,} characters" in description and f"at most {LINE}" in description


def test_the_forms_take_the_same_limits_as_the_api() -> None:
    for (form, field), (schema, api_field) in FORM_FIELDS.items():
        form_field = form.base_fields[field]
        assert isinstance(form_field, django_forms.CharField)
        assert form_field.max_length == api_limit(schema, api_field), (form.__name__, field)
    assert services.MAX_MESSAGE_LENGTH == TEXT  # the service's own check on a message


# --- over HTTP ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_too_long_text_is_refused_by_the_api_and_nothing_is_saved(live_server: Any) -> None:
    world: ApiWorld = api_world(live_server.url)
    sent = make_sent(world)
    draft = make_draft(world)
    long = "x" * (TEXT + 1)
    before = (AdviceRequest.objects.count(), Referral.objects.count(), Message.objects.count())
    for client, path, body in (
        (world.gp, "/advice-requests", {"patient_id": world.patient.pk, "question": long}),
        (
            world.gp,
            "/referrals",
            {"patient_id": world.patient.pk, "pathway": "kidney", "patient_wish": long},
        ),
        (world.gp, "/referrals", {"patient_id": world.patient.pk, "pathway": "k" * (LINE + 1)}),
        (world.gp, f"/referrals/{draft['id']}/send", {"incomplete_reason": long}),
        (world.gp, f"/referrals/{sent['id']}/messages", {"body": long}),
        (
            world.doctor,
            f"/referrals/{sent['id']}/reject",
            {
                "reason_category": "other",
                "reason_text": "Not now",
                "alternative_plan": {"text": long},
            },
        ),
        (world.doctor, f"/referrals/{sent['id']}/return-with-advice", {"advice_text": long}),
    ):
        status, answer = client.post(path, body)
        assert status == 422, (path, answer)
        assert answer["detail"][0]["type"] == "string_too_long", (path, answer)
    assert (
        AdviceRequest.objects.count(),
        Referral.objects.count(),
        Message.objects.count(),
    ) == before
    assert Referral.objects.get(pk=sent["id"]).state == ReferralState.SENT
    assert Referral.objects.get(pk=draft["id"]).state == ReferralState.DRAFT
    # The longest text allowed is taken.
    status, advice = world.gp.post(
        "/advice-requests", {"patient_id": world.patient.pk, "question": "x" * TEXT}
    )
    assert status == 201 and len(advice["question"]) == TEXT


@pytest.mark.django_db
def test_too_long_text_is_a_form_error_and_nothing_is_saved() -> None:
    world: World = make_world()
    gp = Client()
    gp.force_login(world.gp)
    doctor = Client()
    doctor.force_login(world.doctor)
    sent = referral_in(world, ReferralState.SENT)
    advice = advice_in(world, AdviceState.SENT)
    long = "x" * (TEXT + 1)
    before = (AdviceRequest.objects.count(), Referral.objects.count(), Message.objects.count())
    token = "b" * 32
    for client, url, data in (
        (
            gp,
            reverse("referrals:advice_new", args=[world.patient.pk]),
            {"question": long, "token": token},
        ),
        (
            gp,
            reverse("referrals:new", args=[world.patient.pk]),
            {
                "pathway": "kidney",
                "clinical_question": "Haematuria",
                "patient_wish": long,
                "origin": "general_practice",
                "token": token,
                "action": "draft",
            },
        ),
        (doctor, reverse("referrals:message_post", args=[sent.pk]), {"body": long, "token": token}),
        (doctor, reverse("referrals:advice_answer", args=[advice.pk]), {"answer": long}),
    ):
        response = client.post(url, data)
        assert response.status_code == 422, (url, response.status_code)
        page = response.content.decode()
        assert str(TEXT) in page, url  # the form error names the limit
    assert (
        AdviceRequest.objects.count(),
        Referral.objects.count(),
        Message.objects.count(),
    ) == before
    advice.refresh_from_db()
    assert advice.state == AdviceState.SENT
