"""htmx gets the fragment it asked for; a history restore, and every other request, gets the
whole page. One rule, on every screen that answers htmx."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory
from django.urls import reverse

from opspor.htmx import is_htmx
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralOrigin
from tests import factories

FRAGMENT = {"HX-Request": "true"}
HISTORY_RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def _html(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    return response.content.decode()


@pytest.mark.parametrize(
    ("headers", "wants_fragment"),
    [
        ({}, False),
        (FRAGMENT, True),
        (HISTORY_RESTORE, False),
        ({"HX-Request": "false"}, False),
        ({"HX-History-Restore-Request": "true"}, False),
    ],
)
def test_only_an_htmx_swap_asks_for_a_fragment(
    headers: dict[str, str], wants_fragment: bool
) -> None:
    assert is_htmx(RequestFactory().get("/", headers=headers)) is wants_fragment


@pytest.mark.django_db
@pytest.mark.parametrize(("headers", "whole"), [(FRAGMENT, False), (HISTORY_RESTORE, True)])
def test_the_patient_list_answers_a_history_restore_with_the_whole_page(
    headers: dict[str, str], whole: bool
) -> None:
    gp = factories.gp()
    assert gp.practice is not None and gp.user is not None
    factories.patient(gp.practice, name="Karen Holm")
    client = Client()
    client.force_login(gp.user)
    factories.patient(gp.practice, name="Bent Mortensen")
    client.post(reverse("records:practice_patients"), {"q": "holm"})
    response = client.get(reverse("records:practice_patients"), headers=headers)
    assert "Bent Mortensen" not in _html(response), "the search kept in the session applies"
    assert "Karen Holm" in _html(response)
    assert ("<html" in _html(response)) is whole
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
@pytest.mark.parametrize(("headers", "whole"), [(FRAGMENT, False), (HISTORY_RESTORE, True)])
def test_the_referral_forms_check_answers_a_history_restore_with_the_whole_page(
    headers: dict[str, str], whole: bool
) -> None:
    gp = factories.gp()
    assert gp.practice is not None and gp.user is not None
    patient = factories.patient(gp.practice, name="Karen Holm")
    client = Client()
    client.force_login(gp.user)
    response = client.post(
        reverse("referrals:new", args=[patient.pk]),
        {
            "pathway": "kidney",
            "clinical_question": "Visible haematuria, 68 years",
            "origin": ReferralOrigin.GENERAL_PRACTICE,
            "token": "a" * 32,
            "action": "check",
        },
        headers=headers,
    )
    page = _html(response)
    assert response.status_code == 200
    assert 'data-testid="completeness"' in page
    assert ("<html" in page) is whole
    assert ("Karen Holm" in page) is whole  # the form's page names the patient; the box not
    assert not Referral.objects.exists()  # a check saves nothing
