"""The load test's users, for locust (started by benchmarks/load.py, which sets the
environment below).

Four kinds of user, in the proportions of a working day: GPs open their worklist, their
patients' overviews and records, search their list, and look at their referrals and safety
nets; diagnostic-unit doctors open their triage inbox and the referrals in it; patients view
their pathway and their record; analysts open the quality dashboard. Each logs in once, as
a person does (staff with the password and a code from their authenticator), then clicks on
at a steady pace. Every answer is checked: the expected status, and no login page in its
place (a lost session would otherwise pass as a fast 200).

Environment: LOAD_WORLD (the file benchmarks/load_world.py wrote), LOAD_SAMPLES (where every
request's time is written at the end), LOAD_STAGES (users per stage, e.g. "20,40,80"),
LOAD_STAGE_SECONDS, LOAD_SPAWN_RATE (users started a second), LOAD_PACE_SECONDS (each
user's time between the starts of two clicks).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any

from load import totp
from locust import FastHttpUser, LoadTestShape, constant_pacing, events, task

WORLD: dict[str, Any] = json.loads(Path(os.environ["LOAD_WORLD"]).read_text())
STAGES = [int(n) for n in os.environ.get("LOAD_STAGES", "10").split(",")]
STAGE_SECONDS = float(os.environ.get("LOAD_STAGE_SECONDS", "60"))
SPAWN_RATE = float(os.environ.get("LOAD_SPAWN_RATE", "2"))
PACE_SECONDS = float(os.environ.get("LOAD_PACE_SECONDS", "5"))
SAMPLES: list[tuple[float, str, float, int]] = []
STARTED: list[float] = []

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
LOGIN_FORM = b'name="password"'
CODE_FORM = b'name="code"'


@events.request.add_listener
def _sample(name: str, response_time: float, exception: object, **_: object) -> None:
    SAMPLES.append((time.time(), name, response_time, 0 if exception is None else 1))


@events.test_start.add_listener
def _started(**_: object) -> None:
    # The stages are timed from here, as the shape below times them.
    STARTED.append(time.time())


@events.quitting.add_listener
def _write_samples(**_: object) -> None:
    Path(os.environ["LOAD_SAMPLES"]).write_text(
        json.dumps({"started": STARTED[0], "samples": SAMPLES})
    )


class Stages(LoadTestShape):
    """Each stage's number of users for STAGE_SECONDS, then the next; users of an earlier
    stage stay logged in."""

    def tick(self) -> tuple[int, float] | None:
        stage = int(self.get_run_time() // STAGE_SECONDS)
        if stage >= len(STAGES):
            return None
        return STAGES[stage], SPAWN_RATE


class BehindTheProxy(DefaultCookiePolicy):
    """Sends the site's secure cookies over the plain HTTP between the TLS proxy and
    gunicorn, as the proxy passes on what the browser sent over HTTPS."""

    def return_ok_secure(self, cookie: object, request: object) -> bool:
        return True


class OpsporUser(FastHttpUser):
    abstract = True
    wait_time = constant_pacing(PACE_SECONDS)
    # Behind the TLS proxy of a production deployment: gunicorn believes X-Forwarded-Proto
    # from 127.0.0.1, so the site sees HTTPS (secure cookies, no redirect) and checks the
    # Origin of every POST against its own.
    default_headers = {"X-Forwarded-Proto": "https", "Accept-Language": "da"}
    account: dict[str, Any] = {}

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(BehindTheProxy())
        # The browser's Origin, which Django's CSRF check compares with the site's (HTTPS).
        self.client.client.default_headers.update(
            {"Origin": self.host.replace("http://", "https://")}
        )
        # A random start within the first pace, so that the users do not click in step.
        time.sleep(random.uniform(0, PACE_SECONDS))
        self.log_in()

    def csrf_of(self, body: bytes) -> str:
        found = CSRF.search(body)
        if found is None:
            raise RuntimeError("no CSRF token on the page")
        return found.group(1).decode()

    def log_in(self) -> None:
        page = self.client.get("/login/", name="login: page")
        with self.client.post(
            "/login/",
            data={
                "csrfmiddlewaretoken": self.csrf_of(page.content),
                "username": self.account["username"],
                "password": self.password(),
            },
            name="login: password",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200 or LOGIN_FORM in answer.content:
                answer.failure("the password was refused")
                return
            if "key" not in self.account:
                return
            if CODE_FORM not in answer.content:
                answer.failure("no code step after the password")
                return
            token = self.csrf_of(answer.content)
        with self.client.post(
            "/login/code/",
            data={"csrfmiddlewaretoken": token, "code": totp(self.account["key"], time.time())},
            name="login: code",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200 or CODE_FORM in answer.content:
                answer.failure("the code was refused")

    def password(self) -> str:
        return str(WORLD["password"])

    def page(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"status {answer.status_code}")
            elif LOGIN_FORM in answer.content or CODE_FORM in answer.content:
                answer.failure("sent to the login")


def _accounts(group: str) -> itertools.cycle[dict[str, Any]]:
    return itertools.cycle(WORLD[group])


_GPS = _accounts("gps")
_UNIT_DOCTORS = _accounts("unit_doctors")
_ANALYSTS = _accounts("analysts")
_PATIENTS = itertools.cycle(WORLD["patients"])


class GP(OpsporUser):
    weight = 6

    def on_start(self) -> None:
        self.account = next(_GPS)
        practice = str(self.account["practice"])
        self.patients = WORLD["patients_of_practice"][practice]
        self.searches = WORLD["searches_of_practice"][practice] or ["a"]
        super().on_start()

    @task(3)
    def worklist(self) -> None:
        self.page("/safety-nets/worklist/", "gp: worklist")

    @task(4)
    def overview(self) -> None:
        self.page(f"/patients/{random.choice(self.patients)}/overview/", "gp: overview")

    @task(1)
    def record(self) -> None:
        self.page(f"/patients/{random.choice(self.patients)}/", "gp: record")

    @task(1)
    def patient_list(self) -> None:
        self.page("/patients/", "gp: patient list")

    @task(1)
    def search(self) -> None:
        # As htmx sends it from the list's search field, the list being open: the table
        # comes back. The CSRF cookie's value is as good a token as the page's.
        token = next(c.value for c in self.client.cookiejar if c.name == "csrftoken")
        with self.client.post(
            "/patients/",
            data={"csrfmiddlewaretoken": token, "q": random.choice(self.searches)},
            headers={"HX-Request": "true"},
            name="gp: search",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200 or b"<table" not in answer.content:
                answer.failure(f"status {answer.status_code}, no table")

    @task(1)
    def referrals(self) -> None:
        self.page("/referrals/", "gp: referrals")

    @task(1)
    def safety_nets(self) -> None:
        self.page("/safety-nets/", "gp: safety nets")


class UnitDoctor(OpsporUser):
    weight = 2

    def on_start(self) -> None:
        self.account = next(_UNIT_DOCTORS)
        self.referrals = WORLD["referrals_of_unit"][str(self.account["unit"])]
        super().on_start()

    @task(3)
    def inbox(self) -> None:
        self.page("/referrals/inbox/", "unit: inbox")

    @task(3)
    def referral(self) -> None:
        if self.referrals:
            self.page(f"/referrals/{random.choice(self.referrals)}/", "unit: referral")
        else:
            self.inbox()


class Patient(OpsporUser):
    weight = 3

    def on_start(self) -> None:
        self.account = {"username": next(_PATIENTS)}
        super().on_start()

    def password(self) -> str:
        return str(WORLD["patient_password"])

    @task(3)
    def pathway(self) -> None:
        self.page("/patients/me/pathway/", "patient: pathway")

    @task(1)
    def record(self) -> None:
        self.page("/patients/me/", "patient: record")

    @task(1)
    def contacts(self) -> None:
        self.page("/patients/me/contacts/", "patient: contacts")


class Analyst(OpsporUser):
    weight = 1

    def on_start(self) -> None:
        self.account = next(_ANALYSTS)
        super().on_start()

    @task
    def dashboard(self) -> None:
        self.page("/quality/", "analyst: dashboard")
