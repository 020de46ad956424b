"""The worklist over the JSON API: the same items as the page, most urgent first, narrowed
by owner, paged with limit and offset, each answered patient's read logged, and no one but
a GP of the practice sees any of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.accounts.tokens import api_token_issue
from opspor.records.models import AccessLogEntry
from opspor.referrals.workflow import ReferralState
from opspor.safetynet.models import SafetyNetEpisode
from tests import factories
from tests.referrals.worlds import patient_in, referral_in
from tests.safetynet.test_worklist_page import (
    Practice,
    _many,
    follow_up_due,
    patient,
    practice,
    resulted,
)

pytestmark = pytest.mark.django_db
_ = practice

URL = "/api/v1/worklist"


def api(user: User) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_issue(user=user)}"})


def get(user: User, query: str = "") -> tuple[int, Any]:
    response = api(user).get(URL + query)
    return response.status_code, response.json()


def test_the_items_with_their_kind_patient_owner_and_case_most_urgent_first(
    practice: Practice,
) -> None:
    anna, bo = patient(practice, "Anna Due"), patient(practice, "Bo Holm")
    net = follow_up_due(practice, anna, owner=practice.other_gp)
    xray = resulted(practice, bo)
    status, body = get(practice.gp)
    assert status == 200
    assert body["count"] == 2 and (body["limit"], body["offset"]) == (100, 0)
    assert [(c["kind"], c["count"]) for c in body["counts"]] == [
        ("result_unseen", 1),
        ("follow_up_due", 1),
    ]
    first, second = body["items"]
    assert first["kind"] == "result_unseen"
    assert (first["patient_id"], first["patient_name"]) == (bo.pk, "Bo Holm")
    assert first["patient_url"] == reverse("records:patient_overview", args=[bo.pk])
    assert first["case_url"] == reverse("safetynet:detail", args=[xray.episode_id])
    assert first["detail"] == "Røntgen af thorax"  # in Danish, as the label
    assert first["label"] == "Svar ikke set af en læge"
    assert first["owner"]["id"] == practice.gp.pk
    assert first["dismiss_url"] is None
    assert second["kind"] == "follow_up_due"
    assert second["owner"] == {
        "id": practice.other_gp.pk,
        "name": practice.other_gp.clinician.name,  # type: ignore[attr-defined]
    }
    assert second["case_url"] == reverse("safetynet:detail", args=[net.pk])
    assert second["since"] == f"{practice.today - timedelta(days=3):%Y-%m-%d}"
    assert second["waited_days"] == 3


def test_owner_narrows_the_list(practice: Practice) -> None:
    follow_up_due(practice, patient(practice, "Mine Mortensen"))
    follow_up_due(practice, patient(practice, "Their Thomsen"), owner=practice.other_gp)
    _, mine = get(practice.gp, f"?owner={practice.gp.pk}")
    assert [i["patient_name"] for i in mine["items"]] == ["Mine Mortensen"]
    assert mine["count"] == 1
    _, theirs = get(practice.gp, f"?owner={practice.other_gp.pk}")
    assert [i["patient_name"] for i in theirs["items"]] == ["Their Thomsen"]
    _, nobody = get(practice.gp, f"?owner={practice.world.stranger_gp.pk}")
    assert (nobody["count"], nobody["items"]) == (0, [])


def test_limit_and_offset_page_through_the_sorted_list_and_only_the_answered_are_logged(
    practice: Practice,
) -> None:
    _many(practice, 12)
    _, whole = get(practice.gp)
    new_rows = factories.access_log_since_now()
    _, first = get(practice.gp, "?limit=5")
    _, rest = get(practice.gp, "?limit=5&offset=5")
    assert first["count"] == rest["count"] == 12
    assert [i["patient_id"] for i in first["items"] + rest["items"]] == [
        i["patient_id"] for i in whole["items"][:10]
    ]
    logged = new_rows().filter(user=practice.gp, what="worklist", channel="api")
    assert logged.count() == 10
    _, past = get(practice.gp, "?offset=50")
    assert (past["count"], past["items"]) == (12, [])


@pytest.mark.parametrize(
    "query", ["?limit=0", "?limit=501", "?offset=-1", "?owner=0", "?owner=x", "?limit=a"]
)
def test_bad_paging_or_owner_is_refused_with_422_and_nothing_logged(
    practice: Practice, query: str
) -> None:
    follow_up_due(practice, patient(practice, "Anna Due"))
    status, body = get(practice.gp, query)
    assert status == 422
    assert "detail" in body
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.UNIT_DOCTOR, Role.PATIENT, Role.ANALYST, Role.ADMIN])
def test_other_roles_are_refused_with_403_and_nothing_logged(practice: Practice, role: str) -> None:
    follow_up_due(practice, patient(practice, "Anna Due"))
    status, body = get(factories.user(role))
    assert status == 403
    assert body["code"] == "forbidden"
    assert "Anna Due" not in str(body)
    assert not AccessLogEntry.objects.exists()


def test_without_a_token_it_is_401(practice: Practice) -> None:
    assert Client().get(URL).status_code == 401
    bad = Client(headers={"authorization": "Bearer nonsense"}).get(URL)
    assert bad.status_code == 401


def test_another_practices_gp_sees_none_of_it(practice: Practice) -> None:
    follow_up_due(practice, patient(practice, "Anna Due"))
    referral_in(practice.world, ReferralState.REJECTED, decided_at=timezone.now())
    status, body = get(practice.world.stranger_gp, f"?owner={practice.gp.pk}")
    assert (status, body["count"], body["items"]) == (200, 0, [])
    assert not AccessLogEntry.objects.exists()


def test_the_same_queries_for_20_items_and_for_200(practice: Practice) -> None:
    client = api(practice.gp)

    def queries() -> int:
        # A whole default page (100) is one insert into the access log even on SQLite,
        # which splits an insert of more than 999 values.
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    _many(practice, 20)
    queries()  # the token's first use of the day is written once
    few = queries()
    _many(practice, 180)
    assert SafetyNetEpisode.objects.count() == 200
    assert queries() == few
    # A patient with several items is logged once per answer.
    resulted(practice, patient_in(practice.world.patient.practice))
    new_rows = factories.access_log_since_now()
    assert client.get(URL + "?limit=500").json()["count"] == 201
    assert new_rows().count() == 201
