# ruff: noqa: E501
# (The table below is one line per endpoint, with a column per role.)
"""Every page and every API operation, called as every role, answers exactly as the table says.

The endpoints come from the URL configuration itself (`get_resolver()`, through every
include; the API's operations with their methods from django-ninja's path views), so a new
page or operation without a line in `EXPECTED` fails `test_every_endpoint_has_an_entry`,
naming it. The admin is one group, called on its index and one model's list.

Each call runs in a savepoint that is rolled back, so every call finds the same world
(`tests/access_world.py`: practice A owns every object; its unit U got the referral and
the advice request). A call the table refuses (401, 403, 404, 405, a redirect to the login)
must also leave every row count of the clinical tables as it was.

The table, one line per URL name and method, one column per role (`access_world.ROLES`):

    anon  not logged in, no token      unit_u   a doctor of unit U
    gp_a  a GP of practice A (owner)   unit_b   a doctor of another unit
    gp_b  a GP of practice B           patient  the patient; another: another patient of practice A
    analyst, admin

A cell is the status code, or `login` for a redirect to a login page. Pages are called with
a session (`force_login`), API operations with the user's bearer token. A POST carries the
body in `BODIES` (valid, so that the refusal is about who calls, not about what is sent),
or none. Adding an endpoint is one line in `EXPECTED` (and, for a POST whose body must be
valid to reach the role check, one in `BODIES`).
"""

from __future__ import annotations

import copy
import inspect
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from ninja.operation import PathView

from opspor.accounts.tokens import api_token_issue
from tests import access_world, factories
from tests.access_world import ROLES, AccessWorld

# fmt: off
EXPECTED: dict[str, str] = {
    # URL name and method                           anon    gp_a    gp_b    unit_u  unit_b  patient another analyst admin
    # Logging in, the start page and the language
    "home GET":                                     "login   302     302     302     302     302     302     302     302",
    "home POST":                                    "login   302     302     302     302     302     302     302     302",
    "login GET":                                    "200     302     302     302     302     302     302     302     302",
    "login POST":                                   "200     302     302     302     302     302     302     302     302",
    "logout POST":                                  "login   login   login   login   login   login   login   login   login",
    "set_language GET":                             "302     302     302     302     302     302     302     302     302",
    "set_language POST":                            "302     302     302     302     302     302     302     302     302",
    # The second factor, the password and the owner's API tokens (accounts).
    "second_factor GET":                            "login   302     302     302     302     403     403     302     302",
    "second_factor POST":                           "login   302     302     302     302     403     403     302     302",
    "second_factor_enrol GET":                      "login   login   login   login   login   403     403     login   login",
    "second_factor_enrol POST":                     "login   login   login   login   login   403     403     login   login",
    "passkey_login_options POST":                   "login   200     200     200     200     403     403     200     200",
    "passkey_login POST":                           "login   200     200     200     200     403     403     200     200",
    "account GET":                                  "login   200     200     200     200     403     403     200     200",
    "passkey_register_options POST":                "login   200     200     200     200     403     403     200     200",
    "passkey_register POST":                        "login   400     400     400     400     403     403     400     400",
    "passkey_remove GET":                           "login   200     404     404     404     403     403     404     404",
    "passkey_remove POST":                          "login   302     404     404     404     403     403     404     404",
    "recovery_codes GET":                           "login   200     200     200     200     403     403     200     200",
    "recovery_codes POST":                          "login   200     200     200     200     403     403     200     200",
    "password_change GET":                          "login   200     200     200     200     200     200     200     200",
    "password_change POST":                         "login   200     200     200     200     200     200     200     200",
    "password_change_done GET":                     "login   200     200     200     200     200     200     200     200",
    "password_reset GET":                           "200     200     200     200     200     200     200     200     200",
    "password_reset POST":                          "200     200     200     200     200     200     200     200     200",
    "password_reset_done GET":                      "200     200     200     200     200     200     200     200     200",
    "password_reset_confirm GET":                   "200     200     200     200     200     200     200     200     200",
    "password_reset_confirm POST":                  "200     200     200     200     200     200     200     200     200",
    "password_reset_complete GET":                  "200     200     200     200     200     200     200     200     200",
    "api_tokens GET":                               "login   200     200     200     200     403     403     200     200",
    "api_tokens POST":                              "login   400     400     400     400     403     403     400     400",
    "api_token_revoke GET":                         "login   200     404     404     404     403     403     404     404",
    "api_token_revoke POST":                        "login   302     404     404     404     403     403     404     404",
    # Who read the patient's record: the patient's own (portal).
    "portal:access_log GET":                        "login   403     403     403     403     200     200     403     403",
    "portal:access_log_csv GET":                    "login   403     403     403     403     200     200     403     403",
    # The diagnostic unit's start page
    "unit GET":                                     "login   403     403     200     200     403     403     403     403",
    # The patient's own pages
    "portal:my_record GET":                         "login   403     403     403     403     200     200     403     403",
    "portal:my_contacts GET":                       "login   403     403     403     403     200     200     403     403",
    "portal:my_pathway GET":                        "login   403     403     403     403     200     200     403     403",
    "portal:information GET":                       "login   403     403     403     403     200     200     403     403",
    "portal:concern_raise POST":                    "login   403     403     403     403     302     404     403     403",
    "portal:prepare GET":                           "login   403     403     403     403     200     200     403     403",
    "portal:prepare POST":                          "login   403     403     403     403     302     302     403     403",
    "portal:prepare_symptoms GET":                  "login   403     403     403     403     200     302     403     403",
    "portal:prepare_symptoms POST":                 "login   403     403     403     403     302     302     403     403",
    "portal:prepare_symptom GET":                   "login   403     403     403     403     200     404     403     403",
    "portal:prepare_symptom POST":                  "login   403     403     403     403     302     404     403     403",
    "portal:prepare_diary GET":                     "login   403     403     403     403     200     404     403     403",
    "portal:prepare_diary POST":                    "login   403     403     403     403     200     404     403     403",
    "portal:prepare_worries GET":                   "login   403     403     403     403     200     302     403     403",
    "portal:prepare_worries POST":                  "login   403     403     403     403     200     302     403     403",
    "portal:prepare_reading GET":                   "login   403     403     403     403     200     302     403     403",
    "portal:prepare_reading POST":                  "login   403     403     403     403     200     302     403     403",
    "portal:prepare_questions GET":                 "login   403     403     403     403     200     302     403     403",
    "portal:prepare_questions POST":                "login   403     403     403     403     302     302     403     403",
    "portal:prepare_send GET":                      "login   403     403     403     403     200     302     403     403",
    "portal:prepare_send POST":                     "login   403     403     403     403     302     302     403     403",
    # The GP's side of the patient's preparation
    "gp_preparation:symptom_confirm POST":          "login   302     404     403     403     403     403     403     403",
    "gp_preparation:risk_factor_confirm POST":      "login   302     404     403     403     403     403     403     403",
    "gp_preparation:trusted_links_send POST":       "login   302     404     403     403     403     403     403     403",
    # The record
    "records:practice_patients GET":                "login   200     200     403     403     403     403     403     403",
    "records:patient_detail GET":                   "login   200     404     403     403     403     403     403     403",
    "records:patient_overview GET":                 "login   200     404     403     403     403     403     403     403",
    "records:patient_contacts GET":                 "login   200     404     403     403     403     403     403     403",
    # Referrals and advice requests
    "referrals:list GET":                           "login   200     200     403     403     403     403     403     403",
    "referrals:unit_inbox GET":                     "login   403     403     200     200     403     403     403     403",
    "referrals:new GET":                            "login   200     404     403     403     403     403     403     403",
    "referrals:new POST":                           "login   200     404     403     403     403     403     403     403",
    "referrals:detail GET":                         "login   200     404     200     404     403     403     403     403",
    "referrals:send POST":                          "login   422     404     403     403     403     403     403     403",
    "referrals:withdraw POST":                      "login   302     404     403     403     403     403     403     403",
    "referrals:acknowledge_rejection POST":         "login   409     404     403     403     403     403     403     403",
    "referrals:accept POST":                        "login   403     403     302     404     403     403     403     403",
    "referrals:reject POST":                        "login   403     403     302     404     403     403     403     403",
    "referrals:return_with_advice POST":            "login   403     403     302     404     403     403     403     403",
    "referrals:record_first_contact POST":          "login   403     403     409     404     403     403     403     403",
    "referrals:book_appointment POST":              "login   403     403     422     404     403     403     403     403",
    "referrals:complete POST":                      "login   403     403     409     404     403     403     403     403",
    "referrals:message_post POST":                  "login   302     404     302     404     403     403     403     403",
    "referrals:advice_new GET":                     "login   200     404     403     403     403     403     403     403",
    "referrals:advice_new POST":                    "login   302     404     403     403     403     403     403     403",
    "referrals:advice_detail GET":                  "login   200     404     200     404     403     403     403     403",
    "referrals:advice_answer POST":                 "login   403     403     302     404     403     403     403     403",
    "referrals:advice_close POST":                  "login   302     404     403     403     403     403     403     403",
    "referrals:advice_message_post POST":           "login   302     404     302     404     403     403     403     403",
    "referrals:advice_convert GET":                 "login   302     404     403     403     403     403     403     403",
    # Safety nets and the worklist
    "safetynet:list GET":                           "login   200     200     403     403     403     403     403     403",
    "safetynet:worklist GET":                       "login   200     200     403     403     403     403     403     403",
    "safetynet:episode_open GET":                   "login   200     404     403     403     403     403     403     403",
    "safetynet:episode_open POST":                  "login   422     404     403     403     403     403     403     403",
    "safetynet:detail GET":                         "login   200     404     403     403     403     403     403     403",
    "safetynet:signal_dismiss POST":                "login   302     404     403     403     403     403     403     403",
    "safetynet:investigation_order POST":           "login   422     404     403     403     403     403     403     403",
    "safetynet:episode_await_follow_up POST":       "login   302     404     403     403     403     403     403     403",
    "safetynet:episode_reschedule POST":            "login   422     404     403     403     403     403     403     403",
    "safetynet:episode_close POST":                 "login   422     404     403     403     403     403     403     403",
    "safetynet:investigation_record_result POST":   "login   302     404     403     403     403     403     403     403",
    "safetynet:investigation_mark_seen POST":       "login   409     404     403     403     403     403     403     403",
    "safetynet:investigation_mark_told POST":       "login   409     404     403     403     403     403     403     403",
    "safetynet:concern_answer POST":                "login   302     404     403     403     403     403     403     403",
    "safetynet:investigation_cancel POST":          "login   302     404     403     403     403     403     403     403",
    # Quality
    "quality:dashboard GET":                        "login   403     403     403     403     403     403     200     403",
    "quality:mirror GET":                           "login   200     200     403     403     403     403     403     403",
    "quality:export_csv GET":                       "login   200     200     403     403     403     403     200     403",
    "quality:export_parquet GET":                   "login   200     200     403     403     403     403     200     403",
    # Notifications
    "casework:notifications GET":                   "login   200     200     200     200     403     403     403     403",
    "casework:notifications_mark_read POST":        "login   302     302=    302=    302=    403     403     403     403",
    # The API: its schema and docs, then every operation (bearer token)
    "api:openapi-json GET":                         "401     403     403     403     403     403     403     403     200",
    "api:openapi-view GET":                         "login   403     403     403     403     403     403     403     200",
    "api:me GET":                                   "401     200     200     200     200     200     200     200     200",
    "api:patient_detail GET":                       "401     200     404     403     403     200     404     403     403",
    "api:patient_contacts GET":                     "401     200     404     403     403     200     404     403     403",
    "api:assess_context POST":                      "401     200     200     200     200     403     403     403     403",
    "api:advice_request_list GET":                  "401     200     200     200     200     403     403     403     403",
    "api:advice_request_create POST":               "401     201     404     403     403     403     403     403     403",
    "api:advice_request_detail GET":                "401     200     404     200     404     403     403     403     403",
    "api:advice_request_answer POST":               "401     403     403     200     404     403     403     403     403",
    "api:advice_request_close POST":                "401     200     404     403     403     403     403     403     403",
    "api:advice_request_convert POST":              "401     409     404     403     403     403     403     403     403",
    "api:referral_list GET":                        "401     200     200     200     200     403     403     403     403",
    "api:referral_create POST":                     "401     201     404     403     403     403     403     403     403",
    "api:referral_detail GET":                      "401     200     404     200     404     403     403     403     403",
    "api:referral_send POST":                       "401     409     404     403     403     403     403     403     403",
    "api:referral_accept POST":                     "401     403     403     200     404     403     403     403     403",
    "api:referral_reject POST":                     "401     403     403     200     404     403     403     403     403",
    "api:referral_return_with_advice POST":         "401     403     403     200     404     403     403     403     403",
    "api:referral_acknowledge_rejection POST":      "401     409     404     403     403     403     403     403     403",
    "api:referral_withdraw POST":                   "401     200     404     403     403     403     403     403     403",
    "api:referral_book_appointment POST":           "401     403     403     409     404     403     403     403     403",
    "api:referral_first_contact POST":              "401     403     403     409     404     403     403     403     403",
    "api:referral_complete POST":                   "401     403     403     409     404     403     403     403     403",
    "api:referral_messages GET":                    "401     200     404     200     404     403     403     403     403",
    "api:referral_message_post POST":               "401     201     404     201     404     403     403     403     403",
    "api:advice_request_messages GET":              "401     200     404     200     404     403     403     403     403",
    "api:advice_request_message_post POST":         "401     201     404     201     404     403     403     403     403",
    "api:episode_list GET":                         "401     200     200     403     403     403     403     403     403",
    "api:episode_open POST":                        "401     201     404     403     403     403     403     403     403",
    "api:episode_detail GET":                       "401     200     404     403     403     403     403     403     403",
    "api:episode_await_follow_up POST":             "401     200     404     403     403     403     403     403     403",
    "api:episode_reschedule POST":                  "401     200     404     403     403     403     403     403     403",
    "api:episode_close POST":                       "401     200     404     403     403     403     403     403     403",
    "api:investigation_order POST":                 "401     201     404     403     403     403     403     403     403",
    "api:investigation_record_result POST":         "401     200     404     403     403     403     403     403     403",
    "api:investigation_mark_seen POST":             "401     409     404     403     403     403     403     403     403",
    "api:investigation_mark_told POST":             "401     409     404     403     403     403     403     403     403",
    "api:investigation_cancel POST":                "401     200     404     403     403     403     403     403     403",
    "api:worklist GET":                             "401     200     200     403     403     403     403     403     403",
    "api:dismissal_create POST":                    "401     201     404     403     403     403     403     403     403",
    "api:notification_list GET":                    "401     200     200     200     200     403     403     403     403",
    "api:notifications_read POST":                  "401     200     200=    200=    200=    403     403     403     403",
    "api:fhir_patient GET":                         "401     200     404     200     404     403     403     403     403",
    "api:fhir_patient_everything GET":              "401     200     404     200     404     403     403     403     403",
    "api:fhir_service_request GET":                 "401     200     404     200     404     403     403     403     403",
    "api:fhir_task GET":                            "401     200     404     200     404     403     403     403     403",
    "api:fhir_communications GET":                  "401     200     404     200     404     403     403     403     403",
    "api:fhir_communication_request GET":           "401     200     404     200     404     403     403     403     403",
    "api:fhir_episode GET":                         "401     200     404     403     403     403     403     403     403",
    "api:fhir_import POST":                         "401     403     403     403     403     403     403     403     200",
    "api:api-root GET":                             "404     404     404     404     404     404     404     404     404",
    # CDS Hooks: discovery is public, a service call needs the EHR's token
    "cds_hooks:discovery GET":                      "200     200     200     200     200     200     200     200     200",
    "cds_hooks:service POST":                       "401     401     401     401     401     401     401     401     401",
    # The admin, as one group
    "admin:index GET":                              "login   login   login   login   login   login   login   login   200",
    "admin:accounts_user_changelist GET":           "login   login   login   login   login   login   login   login   200",
}
# fmt: on

# The admin's pages are one group: called on these, and not listed one by one.
ADMIN_GROUP = ("admin:index", "admin:accounts_user_changelist")


def _days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


FORM_TOKEN = "5e1f0c2b9d4a4e7f8a6b3c2d1e0f9a8b"  # a form's idempotency key, as the pages make

# Valid bodies, by URL name and method; a callable gets the world's URL parameters.
BODIES: dict[str, Any] = {
    # The API: without a body that fits the schema, Ninja answers 422 before the role check.
    "api:assess_context POST": lambda p: {
        "as_of": _days(0),
        "patient": {"birth_date": "1970-02-01", "sex": "male"},
    },
    "api:advice_request_create POST": lambda p: {
        "patient_id": p["patient_id"],
        "question": "Weight loss 6 kg: refer?",
    },
    "api:advice_request_answer POST": {"answer": "Yes, refer."},
    "api:advice_request_close POST": {},
    "api:advice_request_convert POST": {"pathway": "kidney"},
    "api:referral_create POST": lambda p: {"patient_id": p["patient_id"], "pathway": "kidney"},
    "api:referral_send POST": {},
    "api:referral_reject POST": {
        "reason_category": "criteria_not_met",
        "reason_text": "No visible haematuria",
        "alternative_plan": {"code": "repeat_blood_tests"},
    },
    "api:referral_return_with_advice POST": {"advice_text": "CT urography first."},
    "api:referral_withdraw POST": {},
    "api:referral_book_appointment POST": lambda p: {
        "appointment_at": f"{_days(7)}T10:00:00+01:00"
    },
    "api:referral_first_contact POST": {},
    "api:referral_complete POST": {},
    "api:referral_message_post POST": {"body": "Is CT enough?"},
    "api:advice_request_message_post POST": {"body": "Any news?"},
    "api:episode_open POST": lambda p: {
        "patient_id": p["patient_id"],
        "reason": "pending_investigations",
        "follow_up_on": _days(7),
        "ends_on": _days(30),
    },
    "api:episode_reschedule POST": lambda p: {"follow_up_on": _days(14), "reason": "Scan moved"},
    "api:episode_close POST": {"outcome": "moved_away"},
    "api:investigation_order POST": lambda p: {"kind": "fit", "expected_by": _days(7)},
    "api:investigation_record_result POST": {"text": "Normal"},
    "api:investigation_mark_told POST": {"how": "phone"},
    "api:investigation_cancel POST": {"reason": "Not needed"},
    "api:dismissal_create POST": lambda p: {
        "patient_id": p["patient_id"],
        "kind": "pattern_break",
        "reason": "Seen today",
    },
    "api:notifications_read POST": lambda p: {"ids": [p["notification_id"]]},
    "api:fhir_import POST": {"resourceType": "Bundle", "type": "collection", "entry": []},
    # Pages: the role and the object are checked before the form, so a valid form is here
    # for the forbidden roles to be refused with it, and nothing changes.
    "referrals:withdraw POST": {"reason": "Seen at the hospital already"},
    "referrals:reject POST": {
        "reason_category": "criteria_not_met",
        "reason_text": "No visible haematuria",
        "alternative_plan_code": "repeat_blood_tests",
    },
    "referrals:return_with_advice POST": {"advice_text": "CT urography first."},
    "referrals:message_post POST": {"body": "Is CT enough?", "token": FORM_TOKEN},
    "referrals:advice_new POST": {"question": "Weight loss 6 kg: refer?", "token": FORM_TOKEN},
    "referrals:advice_answer POST": {"answer": "Yes, refer."},
    "referrals:advice_message_post POST": {"body": "Any news?", "token": FORM_TOKEN},
    "casework:notifications_mark_read POST": lambda p: {"ids": [p["notification_id"]]},
    "safetynet:investigation_record_result POST": {"text": "Normal"},
    "safetynet:investigation_mark_told POST": {"how": "phone"},
    "safetynet:investigation_cancel POST": {"reason": "Not needed"},
    "safetynet:concern_answer POST": {"note": "Called her; the scan is on Monday."},
    "safetynet:signal_dismiss POST": {"reason": "Seen today"},
    "portal:concern_raise POST": {"kind": "got_worse", "words": "More pain", "token": FORM_TOKEN},
}

# Query strings, by URL name and method.
QUERIES: dict[str, Callable[[AccessWorld], str]] = {
    "api:fhir_communications GET": lambda w: f"based-on=ServiceRequest/{w.fhir_ids['Task']}",
}

# The rows a refused call must leave as they were: every table of the project's apps but
# those that record the call itself (the access log is written for refused reads too; a
# token's last use is touched by any request with it).
STATE_APPS = (
    "accounts",
    "records",
    "casework",
    "referrals",
    "safetynet",
    "portal",
    "population",
    "quality",
    "interop",
)
NOT_STATE = {
    "records.accesslogentry",
    "accounts.apitoken",
    "accounts.apiratewindow",
    "accounts.loginattempt",
}
REFUSED = {"401", "403", "404", "405", "login"}
UNCHANGED = "="  # after a status: answered, and nothing may change (ids of others ignored)


@dataclass(frozen=True)
class Endpoint:
    name: str  # the URL name with its namespace, or the route when it has none
    method: str
    route: str
    api: bool

    @property
    def key(self) -> str:
        return f"{self.name} {self.method}"


def _patterns(
    resolvers: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[URLPattern, str, str]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            yield entry, prefix + str(entry.pattern), namespace


def _path_view(pattern: URLPattern) -> PathView | None:
    if not inspect.isfunction(pattern.callback):
        return None
    owner = inspect.getclosurevars(pattern.callback).nonlocals.get("self")
    return owner if isinstance(owner, PathView) else None


def endpoints() -> list[Endpoint]:
    """Every page of the URL configuration, and every method of every API operation."""
    found: dict[str, Endpoint] = {}
    for pattern, route, namespace in _patterns(get_resolver().url_patterns):
        if namespace.split(":")[0] == "admin":
            continue
        path_view = _path_view(pattern)
        if path_view is None:
            name = ":".join(n for n in (namespace, pattern.name) if n) if pattern.name else route
            found[name] = Endpoint(name, "*", route, api=False)
            continue
        for operation in path_view.operations:
            for method in operation.methods:
                # Ninja names an operation's URL after its function unless given a name.
                name = getattr(operation, "url_name", None) or operation.view_func.__name__
                endpoint = Endpoint(f"{namespace}:{name}", method, route, api=True)
                found[endpoint.key] = endpoint
    return list(found.values())


def test_every_endpoint_has_an_entry() -> None:
    listed = {key.rpartition(" ")[0] for key in EXPECTED}
    missing = [
        f"{e.name} ({'/' + e.route}){'' if e.method == '*' else ' ' + e.method}"
        for e in endpoints()
        if (e.key if e.api else e.name) not in (EXPECTED if e.api else listed)
    ]
    missing += [name for name in ADMIN_GROUP if name not in listed]
    assert not missing, (
        "No line in EXPECTED for:\n  "
        + "\n  ".join(missing)
        + f'\nAdd one per method: "name METHOD": "<a status for each of {" ".join(ROLES)}>"'
    )


def test_every_entry_names_an_endpoint() -> None:
    known = {e.key if e.api else e.name for e in endpoints()} | set(ADMIN_GROUP)
    stale = [key for key in EXPECTED if key not in known and key.rpartition(" ")[0] not in known]
    assert not stale, "Lines in EXPECTED for no endpoint: " + ", ".join(stale)


def test_every_line_has_a_cell_for_every_role() -> None:
    wrong = [key for key, row in EXPECTED.items() if len(row.split()) != len(ROLES)]
    assert not wrong, f"Lines without {len(ROLES)} cells: {', '.join(wrong)}"


# --- calling ------------------------------------------------------------------------------


def _state_tables() -> list[str]:
    return sorted(
        {
            m._meta.db_table
            for m in apps.get_models(include_auto_created=True)
            if m._meta.app_label in STATE_APPS and m._meta.label_lower not in NOT_STATE
        }
    )


def _state(tables: list[str], *, rows: bool) -> dict[str, Any]:
    """Each table's row count, or (for a POST) its rows."""
    # The table names come from the models, not from a request.
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if not rows:
            sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM {quote(t)}" for t in tables)  # noqa: S608
            cursor.execute(sql)
            return dict(cursor.fetchall())
        found: dict[str, Any] = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY 1")  # noqa: S608
            found[table] = cursor.fetchall()
        return found


def _url(name: str, route: str, world: AccessWorld) -> str:
    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    kwargs = {n: world.params[n] for n in names if n != "fhir_id"}
    if "fhir_id" in names:
        resource = route.split("/fhir/")[1].split("/")[0]
        kwargs["fhir_id"] = world.fhir_ids[resource]
    if name == "gp_preparation:risk_factor_confirm":
        kwargs["item_id"] = world.params["risk_factor_id"]
    if name in ADMIN_GROUP:
        return reverse(name)
    return reverse(name, kwargs=kwargs)


def _outcome(response: Any) -> str:
    if response.status_code == 302 and "/login/" in response.headers.get("Location", ""):
        return "login"
    return str(response.status_code)


class Caller:
    def __init__(self, world: AccessWorld) -> None:
        self.world = world
        self.pages: dict[str, Client] = {}
        self.api: dict[str, Client] = {}
        for role, user in world.users.items():
            page = Client(raise_request_exception=False)
            api = Client(raise_request_exception=False)
            if user is not None:
                page.force_login(user)
                api.defaults["HTTP_AUTHORIZATION"] = f"Bearer {api_token_issue(user=user)}"
            self.pages[role], self.api[role] = page, api

    def call(self, endpoint: Endpoint, method: str, role: str) -> Any:
        url = _url(endpoint.name, endpoint.route, self.world)
        query = QUERIES.get(f"{endpoint.name} {method}")
        if query is not None:
            url += "?" + query(self.world)
        body = BODIES.get(f"{endpoint.name} {method}")
        if callable(body):
            body = body(self.world.params)
        client = self.api[role] if endpoint.api else self.pages[role]
        # The call is rolled back, so what it does to the cookies is undone too (a logout
        # would end the session for the calls after it).
        cookies = copy.deepcopy(client.cookies)
        try:
            return self._send(client, endpoint, method, url, body)
        finally:
            client.cookies = cookies

    @staticmethod
    def _send(client: Client, endpoint: Endpoint, method: str, url: str, body: Any) -> Any:
        if endpoint.api:
            data = json.dumps(body) if body is not None else None
            return client.generic(method, url, data or "", content_type="application/json")
        if method == "GET":
            return client.get(url)
        form = urlencode(body or {}, doseq=True)
        return client.generic(method, url, form, "application/x-www-form-urlencoded")


def _lines() -> Iterator[tuple[Endpoint, str, str, str]]:
    by_name = {e.key if e.api else e.name: e for e in endpoints()}
    for key, row in EXPECTED.items():
        name, _, method = key.rpartition(" ")
        endpoint = by_name.get(key) or by_name.get(name)
        if endpoint is None and name in ADMIN_GROUP:
            endpoint = Endpoint(name, "*", "", api=False)
        if endpoint is None:
            continue  # a stale line: its own test names it
        for role, cell in zip(ROLES, row.split(), strict=True):
            yield endpoint, method, role, cell


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in tests/referrals/conftest.py: the shared CPR counter is left where it was.
    monkeypatch.setattr(factories, "_counter", itertools.count(3_000_000))


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_answers_the_role_as_the_table_says(role: str) -> None:
    world = access_world.build()
    caller = Caller(world)
    tables = _state_tables()
    wrong: list[str] = []
    for endpoint, method, cell_role, cell in _lines():
        if cell_role != role:
            continue
        expected = cell.removesuffix(UNCHANGED)
        guarded = expected in REFUSED or cell.endswith(UNCHANGED)
        # A refused read changes nothing that counts would not show; a write is compared
        # row by row.
        rows = method != "GET"
        with transaction.atomic():
            before = _state(tables, rows=rows) if guarded else None
            got = _outcome(caller.call(endpoint, method, role))
            after = _state(tables, rows=rows) if guarded else None
            transaction.set_rollback(True)
        line = f"{endpoint.name} {method} as {role}"
        if got != expected:
            wrong.append(f"{line}: {got}, expected {expected}")
        if before != after:
            assert before is not None and after is not None
            changed = sorted(t for t in before if before[t] != after[t])
            wrong.append(f"{line} ({got}) changed {', '.join(changed)}")
    assert not wrong, f"{len(wrong)} answers differ from the table:\n  " + "\n  ".join(wrong)
