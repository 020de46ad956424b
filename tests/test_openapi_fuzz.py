"""Requests generated from the OpenAPI schema, sent to the live server (schemathesis).

schemathesis reads /api/v1/openapi.json from the running server and generates requests
for every operation, as a GP and as a doctor of the unit, each with a valid bearer token:

- valid requests (the ids in the path and in the body drawn from real rows, other
  practices' and units' rows and ids that do not exist; known pathways, rejection reasons
  and catalogue plans besides made-up ones), and
- malformed ones (a path id, a query parameter or a body that breaks the schema).

Every answer must be no server error, a status the operation documents, with the
documented content type and a body that matches the documented schema; a malformed
request must be refused; an operation that succeeds with the token must refuse the same
request without one and with a wrong one.

Then workflows along the links between operations (schemathesis infers them from the
schema: an id in one answer is a path parameter of another, e.g. a referral created, then
sent, accepted, messaged), as a state machine: every answer on the way must conform too.

Bounded for CI: a few examples per operation and a few short workflows, a deadline for each
example and a time limit for each test, derandomized (the same requests on every run), no
example database, no shrinking. A longer run:
`OPSPOR_FUZZ_EXAMPLES=1000 pytest tests/test_openapi_fuzz.py` (figures in
docs/fuzzing.md); it is then random, so each run tries other requests.

The tests after it pin down, one request each, what the generated requests found.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from opspor.accounts.models import User
from opspor.accounts.tokens import api_token_issue
from opspor.casework.models import Notification
from opspor.engine.alternatives import load_catalogue
from opspor.records.models import LabResult
from opspor.referrals import services
from opspor.referrals.models import AdviceRequest, Message, Referral
from opspor.referrals.workflow import PATHWAYS, AdviceState, ReferralState, RejectionReason
from opspor.safetynet import services as safety_nets
from opspor.safetynet.workflow import EpisodeOutcome
from tests import factories
from tests.api_schema import schema_headers
from tests.referrals.test_api import snapshot
from tests.referrals.worlds import World, advice_in, make_world, referral_in

pytestmark = pytest.mark.django_db(transaction=True)

# Examples per operation and mode, and workflows per role; more for a longer run.
MAX_EXAMPLES = int(os.environ.get("OPSPOR_FUZZ_EXAMPLES", "5"))
LONG_RUN = MAX_EXAMPLES > 5
WORKFLOWS = MAX_EXAMPLES
WORKFLOW_STEPS = 8
# One example is one request (three with `ignored_auth`), one workflow at most eight: far
# more than this means a hanging server, not a slow machine. The whole test is bounded too.
EXAMPLE_DEADLINE = timedelta(seconds=20)
WORKFLOW_DEADLINE = timedelta(seconds=120)
TEST_LIMIT_S = 0 if LONG_RUN else 600
Check = Callable[..., Any]
CONFORMANCE: list[Check] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NOT_FOUND = 10**9  # an id no row has
# What was sent, for the longer run's figures (printed at the end of the module with -s):
# generated examples by operation, and workflow steps by operation and status.
examples: Counter[str] = Counter()
steps: Counter[tuple[str, int]] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    started = time.monotonic()
    yield
    if not LONG_RUN:
        return
    operations = set(examples) | {label for label, _ in steps}
    print(
        f"\nOPSPOR_FUZZ_EXAMPLES={MAX_EXAMPLES}: {len(operations)} operations, "
        f"{sum(examples.values())} examples, {sum(steps.values())} workflow steps, "
        f"{time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    for label in sorted(operations):
        reached = sorted(status for op, status in steps if op == label)
        print(f"  {examples[label]:6d}  {label}  workflow answers {reached}", file=sys.stderr)


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in tests/referrals/conftest.py: the shared CPR counter is left where it was.
    monkeypatch.setattr(factories, "_counter", itertools.count(2_000_000))


def realistic(world: World, ids: dict[str, list[int]]) -> dict[str, st.SearchStrategy[Any]]:
    """Values for body fields that reach past the first refusal, by field name."""
    stranger_unit = factories.unit()
    return {
        "patient_id": st.sampled_from(ids["patient_id"]),
        "from_advice_id": st.sampled_from(ids["advice_id"]),
        "unit_id": st.sampled_from(
            [world.patient.practice.diagnostic_unit_id, stranger_unit.pk, NOT_FOUND]
        ),
        "pathway": st.sampled_from(sorted(PATHWAYS)),
        "reason_category": st.sampled_from(RejectionReason.values),
        "alternative_plan": st.sampled_from(
            [{"code": entry.code} for entry in load_catalogue().entries[:3]]
        ),
        # A safety net's dates within its year, and the rows a result links to.
        "follow_up_on": st.sampled_from([_in_days(7), _in_days(14)]),
        "ends_on": st.sampled_from([_in_days(30), _in_days(400)]),
        "expected_by": st.sampled_from([_in_days(7), _in_days(-1)]),
        "owner_id": st.sampled_from([world.other_gp.pk, world.stranger_gp.pk, NOT_FOUND]),
        "lab_result_id": st.sampled_from(ids["lab_result_id"]),
    }


def _in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def safety_net_ids(world: World, stranger: World) -> dict[str, list[int]]:
    """Episodes in every state, investigations in every state, and a stranger's of each."""
    today = timezone.localdate()

    def opened(w: World) -> Any:
        return safety_nets.episode_open(
            patient=w.patient,
            by=w.gp,
            reason="pending_investigations",
            follow_up_on=today + timedelta(days=7),
            ends_on=today + timedelta(days=30),
        )

    def ordered(episode: Any, by: User) -> Any:
        return safety_nets.investigation_order(
            episode=episode, by=by, kind="fit", expected_by=today + timedelta(days=7)
        )

    episode = opened(world)
    investigations = [ordered(episode, world.gp) for _ in range(5)]
    _, resulted, seen, told, cancelled = investigations
    for investigation in (resulted, seen, told):
        safety_nets.investigation_record_result(investigation=investigation, by=world.gp, text="ok")
    safety_nets.investigation_mark_seen(investigation=seen, by=world.gp)
    safety_nets.investigation_mark_told(investigation=told, by=world.gp, how="phone")
    safety_nets.investigation_cancel(investigation=cancelled, by=world.gp, reason="Not needed")
    waiting, closed = opened(world), opened(world)
    safety_nets.episode_await_follow_up(episode=waiting, by=world.gp)
    safety_nets.episode_close(episode=closed, by=world.gp, outcome=EpisodeOutcome.MOVED_AWAY)
    theirs = opened(stranger)
    their_investigation = ordered(theirs, stranger.gp)
    mine = LabResult.objects.create(
        patient=world.patient, code="haemoglobin", value=8.1, unit="mmol/L", taken_on=today
    )
    their_lab = LabResult.objects.create(
        patient=stranger.patient, code="haemoglobin", value=8.1, unit="mmol/L", taken_on=today
    )
    return {
        "episode_id": [
            episode.pk,
            opened(world).pk,
            waiting.pk,
            closed.pk,
            theirs.pk,
            NOT_FOUND,
        ],
        # Mostly this episode's own, so that the actions are reached.
        "investigation_id": [
            *(i.pk for i in investigations),
            their_investigation.pk,
            NOT_FOUND,
        ],
        "lab_result_id": [mine.pk, their_lab.pk, NOT_FOUND],
    }


def aimed(
    case_strategy: st.SearchStrategy[Any], fields: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[Any]:
    """Cases whose body fields, where generated, are sometimes replaced by realistic ones."""

    @st.composite
    def draw(draw: st.DrawFn) -> Any:
        case = draw(case_strategy)
        if isinstance(case.body, dict) and draw(st.booleans()):
            for name in sorted(set(case.body) & set(fields)):
                case.body[name] = draw(fields[name])
        return case

    return draw()


def fhir_ids(ids: dict[str, list[Any]]) -> list[str]:
    """The FHIR API's ids of the same rows (`interop.exporting.ids`), and a malformed one."""
    prefixed = {
        "patient": ids["patient_id"],
        "referral": ids["referral_id"],
        "advice": ids["advice_id"],
        "episode": ids["episode_id"],
        "investigation": ids["investigation_id"],
    }
    return [f"{prefix}-{pk}" for prefix, pks in prefixed.items() for pk in pks] + ["no-such-id"]


def real_ids(world: World) -> dict[str, list[Any]]:
    """Rows in every state for the generated requests to reach, and some out of reach."""
    referrals = [referral_in(world, state).pk for state in ReferralState.values]
    advice = [advice_in(world, state).pk for state in AdviceState.values]
    with_thread = referral_in(world, ReferralState.SENT)
    services.message_post(thread=with_thread, by=world.gp, body="Is CT enough?")
    services.message_post(thread=with_thread, by=world.doctor, body="Yes, for now.")
    services.message_post(thread=advice_in(world, AdviceState.SENT), by=world.gp, body="News?")
    # Another practice's referral and another unit's advice request: 404 for this world.
    stranger = make_world()
    found: dict[str, list[Any]] = {
        "referral_id": [
            *referrals,
            with_thread.pk,
            referral_in(stranger, ReferralState.SENT).pk,
            NOT_FOUND,
        ],
        "advice_id": [*advice, advice_in(stranger, AdviceState.SENT).pk, NOT_FOUND],
        "patient_id": [world.patient.pk, stranger.patient.pk, NOT_FOUND],
        **safety_net_ids(world, stranger),
    }
    return found | {"fhir_id": fhir_ids(found)}


def send_and_check(
    strategy: st.SearchStrategy[Any],
    checks: list[Check],
    base_url: str,
    session: requests.Session,
    auth: dict[str, str],
) -> None:
    """Send the requests the strategy draws; the first failing one raises its failures."""

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=EXAMPLE_DEADLINE,
        derandomize=not LONG_RUN,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def send(case: Any) -> None:
        examples[case.operation.label] += 1
        # The token is given again here so that the checks know it is the caller's own
        # (`ignored_auth` then retries without it and with a wrong one).
        case.call_and_validate(base_url=base_url, session=session, headers=auth, checks=checks)

    send()


@pytest.mark.slow
@pytest.mark.timeout(TEST_LIMIT_S)
@pytest.mark.parametrize("role", ["gp", "unit_doctor"])
def test_every_operation_answers_as_documented(live_server: Any, role: str) -> None:
    world = make_world()
    ids = real_ids(world)
    fields = realistic(world, ids)
    user = world.gp if role == "gp" else world.doctor
    auth = {"Authorization": f"Bearer {api_token_issue(user=user)}"}
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/v1/openapi.json", headers=schema_headers()
    )
    session = requests.Session()
    failures: list[str] = []

    for result in schema.get_all_operations():
        operation = result.ok()
        base = CONFORMANCE
        # Valid requests, aimed at real rows.
        real = st.fixed_dictionaries(
            {p.name: st.sampled_from(ids[p.name]) for p in operation.path_parameters}
        )
        valid = aimed(
            real.flatmap(
                lambda path, op=operation: op.as_strategy(
                    GenerationMode.POSITIVE, path_parameters=path, headers=auth
                )
            ),
            fields,
        )
        runs = [(GenerationMode.POSITIVE, valid, [*base, ignored_auth])]
        # Malformed requests; the token stays valid, so the refusal is about the request.
        # A malformed body or query goes to a real row (a made-up id would be refused
        # before the body is read); an operation with neither gets a malformed path id.
        if operation.query or len(operation.body):
            invalid = real.flatmap(
                lambda path, op=operation: op.as_strategy(
                    GenerationMode.NEGATIVE, path_parameters=path, headers=auth
                )
            )
        elif operation.path_parameters:
            invalid = operation.as_strategy(GenerationMode.NEGATIVE, headers=auth)
        else:
            invalid = None  # nothing to break
        if invalid is not None:
            runs.append((GenerationMode.NEGATIVE, invalid, [*base, negative_data_rejection]))

        for mode, strategy, checks in runs:
            try:
                send_and_check(strategy, checks, live_server.url, session, auth)
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{mode} {operation.label}: {error}")

    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
@pytest.mark.timeout(TEST_LIMIT_S)
@pytest.mark.parametrize("role", ["gp", "unit_doctor"])
def test_workflows_along_the_links_answer_as_documented(live_server: Any, role: str) -> None:
    world = make_world()
    real_ids(world)  # rows in every state for the lists to answer with
    user = world.gp if role == "gp" else world.doctor
    auth = {"Authorization": f"Bearer {api_token_issue(user=user)}"}
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/v1/openapi.json", headers=schema_headers()
    )
    base_url = live_server.url
    session = requests.Session()
    machine = schema.as_state_machine()
    links = [name for name in vars(machine) if name.startswith(("GET_", "POST_"))]
    assert links, "no links between operations: nothing to follow"

    called: list[tuple[str, int]] = []

    class Workflow(machine):  # type: ignore[valid-type,misc]
        def before_call(self, case: Any) -> None:
            # The caller's own token, over any the schema's security made up.
            case.headers = {**(case.headers or {}), **auth}

        def after_call(self, response: Any, case: Any) -> None:
            called.append((case.operation.label, response.status_code))

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": base_url, "session": session, "headers": auth}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CONFORMANCE, headers=auth)

    Workflow.run(
        settings=settings(
            max_examples=WORKFLOWS,
            stateful_step_count=WORKFLOW_STEPS,
            deadline=WORKFLOW_DEADLINE,
            derandomize=not LONG_RUN,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    steps.update(called)
    # The links were followed: some step reached a real row through an earlier answer.
    assert any(status < 300 and "{" in label for label, status in called), called


# --- what the generated requests found ------------------------------------------------


class Api:
    """Single requests to the live server, each answer checked against the schema."""

    def __init__(self, base: str, user: User | None) -> None:
        self.base = base
        self.schema = schemathesis.openapi.from_url(
            f"{base}/api/v1/openapi.json", headers=schema_headers()
        )
        self.auth = {"Authorization": f"Bearer {api_token_issue(user=user)}"} if user else {}

    def send(
        self,
        label: str,
        path: dict[str, Any] | None = None,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        raw: bytes | None = None,
    ) -> requests.Response:
        operation = self.schema.find_operation_by_label(label)
        assert operation is not None, label
        case = operation.Case(path_parameters=path or {}, query=query, headers=self.auth)
        method, _, template = label.partition(" ")
        data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
        headers = self.auth | ({"Content-Type": "application/json"} if data is not None else {})
        response = requests.request(
            method,
            self.base + template.format(**(path or {})),
            params=query,
            data=data,
            headers=headers,
            timeout=10,
        )
        case.validate_response(response, checks=CONFORMANCE)  # raises on any mismatch
        return response


def test_refusals_are_documented_and_answered_as_documented(live_server: Any) -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.SENT)
    path = {"referral_id": referral.pk}
    gp = Api(live_server.url, world.gp)

    # No token, or a wrong one: 401 (was undocumented).
    anonymous = Api(live_server.url, None)
    assert anonymous.send("GET /api/v1/referrals").status_code == 401
    assert anonymous.send("POST /api/v1/referrals/{referral_id}/withdraw", path).status_code == 401
    gp.auth = {"Authorization": "Bearer not-a-token"}
    assert gp.send("GET /api/v1/notifications").status_code == 401
    gp = Api(live_server.url, world.gp)

    # A body that is not JSON at all: 400 (was undocumented).
    for label in (
        "POST /api/v1/referrals/{referral_id}/messages",
        "POST /api/v1/referrals/{referral_id}/withdraw",
    ):
        response = gp.send(label, path, raw=b"{not json")
        assert response.status_code == 400, response.text
    # A query parameter out of range: 422 with the schema's errors (was undocumented).
    for label, query in (
        ("GET /api/v1/referrals/{referral_id}/messages", {"format": "xml"}),
        ("GET /api/v1/notifications", {"limit": 0}),
    ):
        arguments = path if "{referral_id}" in label else None
        response = gp.send(label, arguments, query=query)
        assert response.status_code == 422
        assert isinstance(response.json()["detail"], list)
    # The service's own 422 has its code; both shapes are documented.
    doctor = Api(live_server.url, world.doctor)
    response = doctor.send(
        "POST /api/v1/referrals/{referral_id}/reject",
        path,
        body={"reason_category": "criteria_not_met", "reason_text": "No haematuria"},
    )
    assert (response.status_code, response.json()["code"]) == (422, "missing_plan")
    assert snapshot(referral.pk) == (ReferralState.SENT, 0)


def test_the_fhir_answer_of_a_thread_is_documented(live_server: Any) -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.SENT)
    gp = Api(live_server.url, world.gp)
    label = "GET /api/v1/referrals/{referral_id}/messages"
    path = {"referral_id": referral.pk}

    # With and without messages (an empty thread has no `entry`), as application/fhir+json.
    empty = gp.send(label, path, query={"format": "fhir"})
    assert empty.headers["Content-Type"].startswith("application/fhir+json")
    assert "entry" not in empty.json()
    services.message_post(thread=referral, by=world.gp, body="Is CT enough?")
    full = gp.send(label, path, query={"format": "fhir"})
    assert [e["resource"]["resourceType"] for e in full.json()["entry"]] == ["Communication"]
    assert gp.send(label, path).json()[0]["body"] == "Is CT enough?"


@pytest.mark.parametrize("body", ["withdraw", 5, [], True, [{"reason": "x"}]])
def test_a_body_that_is_not_an_object_is_refused_and_changes_nothing(
    live_server: Any, body: Any
) -> None:
    # Was: any JSON value passed as an empty body, and the referral was withdrawn.
    world = make_world()
    referral = referral_in(world, ReferralState.SENT)
    path = {"referral_id": referral.pk}
    gp = Api(live_server.url, world.gp)
    for label in (
        "POST /api/v1/referrals/{referral_id}/withdraw",
        "POST /api/v1/referrals/{referral_id}/send",
        "POST /api/v1/referrals/{referral_id}/messages",
    ):
        response = gp.send(label, path, body=body)
        assert response.status_code == 422, (label, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", "payload"]
    assert snapshot(referral.pk) == (ReferralState.SENT, 0)
    assert not Message.objects.exists()
    # No body, or null, is still no body: the GP withdraws.
    assert gp.send("POST /api/v1/referrals/{referral_id}/withdraw", path, raw=b"null").ok
    assert snapshot(referral.pk)[0] == ReferralState.WITHDRAWN


def test_ids_beyond_the_database_range_are_refused(live_server: Any) -> None:
    # Was a server error: an id past 64 bits cannot be compared with the ids in the database.
    world = make_world()
    referral = referral_in(world, ReferralState.SENT)
    services.message_post(thread=referral, by=world.doctor, body="For the practice")
    [notification] = Notification.objects.all()
    gp = Api(live_server.url, world.gp)

    for ids in ([2**63], [notification.pk, 2**63], [0], [-1]):
        response = gp.send("POST /api/v1/notifications/mark-read", body={"ids": ids})
        assert response.status_code == 422, response.text
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    response = gp.send(
        "POST /api/v1/notifications/mark-read", body={"ids": [notification.pk, 2**63 - 1]}
    )
    assert response.json() == {"marked": 1}
    # The largest id in a path is simply not found.
    assert gp.send("GET /api/v1/referrals/{referral_id}", {"referral_id": 2**63}).status_code == 404


@pytest.mark.parametrize(
    "when",
    [
        "1036-02-27T18:35:17.4Z",  # was 200 with the offset +00:50:20, not a valid date-time
        "0001-01-01T00:00:00+05:00",  # was a server error
        "9999-12-31T23:59:59Z",  # was a server error
        "1999-12-31T22:59:59Z",
        "2100-01-01T00:00:00Z",
    ],
)
def test_an_appointment_outside_plausible_years_is_refused(live_server: Any, when: str) -> None:
    world = make_world()
    referral = referral_in(world, ReferralState.ACCEPTED)
    doctor = Api(live_server.url, world.doctor)
    label = "POST /api/v1/referrals/{referral_id}/book-appointment"
    path = {"referral_id": referral.pk}

    response = doctor.send(label, path, body={"appointment_at": when})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "appointment_at"]
    assert snapshot(referral.pk) == (ReferralState.ACCEPTED, 0)
    # A time without an offset is still the service's refusal, with its code.
    response = doctor.send(label, path, body={"appointment_at": "2026-03-20T10:00:00"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid")
    # The first and last moments allowed are booked and written back with their offset.
    for moment, written in (
        ("2000-01-01T00:00:00Z", "2000-01-01T01:00:00+01:00"),
        ("2099-12-31T23:59:59Z", "2100-01-01T00:59:59+01:00"),
    ):
        referral = referral_in(world, ReferralState.ACCEPTED)
        response = doctor.send(label, {"referral_id": referral.pk}, body={"appointment_at": moment})
        assert response.json()["appointment_at"] == written


def test_text_with_a_nul_character_is_refused(live_server: Any) -> None:
    # PostgreSQL cannot store U+0000 in text or JSON, so it would be a server error there;
    # refused on every database alike, before anything is stored.
    world = make_world()
    referral = referral_in(world, ReferralState.SENT)
    gp = Api(live_server.url, world.gp)
    path = {"referral_id": referral.pk}
    for label, arguments, body in (
        ("POST /api/v1/referrals/{referral_id}/messages", path, {"body": "CT\x00 first?"}),
        ("POST /api/v1/referrals/{referral_id}/withdraw", path, {"reason": "\x00"}),
        (
            "POST /api/v1/advice-requests",
            None,
            {"patient_id": world.patient.pk, "question": "Refer?", "patient_summary": {"a\x00": 1}},
        ),
        (
            "POST /api/v1/referrals",
            None,
            {"patient_id": world.patient.pk, "pathway": "kidney", "findings": {"x": ["\x00"]}},
        ),
    ):
        response = gp.send(label, arguments, body=body)
        assert response.status_code == 422, (label, response.text)
        assert "NUL" in response.json()["detail"][0]["msg"]
    assert snapshot(referral.pk) == (ReferralState.SENT, 0)
    assert not Message.objects.exists()
    assert Referral.objects.count() == 1 and not AdviceRequest.objects.exists()


@pytest.mark.parametrize("as_of", ["0001-01-05", "1899-12-31"])
def test_an_assessment_before_1900_is_refused(live_server: Any, as_of: str) -> None:
    # Was a server error (found by the longer run): the engine's baselines start years
    # before `as_of`, before the first day a date can hold.
    gp = Api(live_server.url, make_world().gp)
    context = {"as_of": as_of, "patient": {"birth_date": "0001-01-01", "sex": "male"}}
    response = gp.send("POST /api/v1/assess", body=context)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "context", "as_of"]
