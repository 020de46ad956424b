"""The scan of the run's own log lines (tests/log_scan.py) finds patient data, and fails the
run naming the test, also from a thread and from an xdist worker."""

from __future__ import annotations

import io
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.utils.log import DEFAULT_LOGGING, ServerFormatter
from pytest_django.live_server_helper import LiveServer

from opspor.demo.imported_patient import NAME as IMPORTED_PATIENT_NAME
from tests.log_scan import OTHER_NAMES, LogScan, Scanner, demo_patient_names

REPO = Path(__file__).resolve().parents[1]
# What runserver logs for each request (django.core.servers.basehttp.WSGIRequestHandler).
REQUEST_LINE = '"%s" %s %s'
SEARCHED = "GET /patients/?q=0101011234 HTTP/1.1"


@pytest.fixture
def scanner() -> Scanner:
    return Scanner((*demo_patient_names(), *OTHER_NAMES))


def _runserver_record() -> logging.LogRecord:
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, REQUEST_LINE, (SEARCHED, "302", "0"), None
    )
    record.status_code = 302
    return record


def test_the_scan_knows_every_demo_patient() -> None:
    names = demo_patient_names()
    assert "Ole Mikkelsen" in names and len(names) >= 10
    assert " ".join(IMPORTED_PATIENT_NAME) in OTHER_NAMES


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ('"GET /patients/?q=0101011234 HTTP/1.1" 200 512', "a CPR-shaped number"),
        ("patient 010101-1234 looked up", "a CPR-shaped number"),
        ("opened the record of Ole Mikkelsen", "the patient name 'Ole Mikkelsen'"),
        ('"GET /patients/?q=ole+mikkelsen HTTP/1.1"', "the patient name 'ole+mikkelsen'"),
        ("searched KAREN%20HOLM", "the patient name 'KAREN%20HOLM'"),
    ],
)
def test_the_scanner_flags_patient_data(scanner: Scanner, line: str, what: str) -> None:
    assert scanner.scan(line) == what


@pytest.mark.parametrize(
    "line",
    [
        '"GET /patients/?q=[CPR REDACTED] HTTP/1.1" 200 512',
        "opened the record of patient #42",
        "order 123456789012 and 12345",
        "Ole looked at Mikkelsen's car",
    ],
)
def test_the_scanner_passes_lines_without_patient_data(scanner: Scanner, line: str) -> None:
    assert scanner.scan(line) is None


def test_the_scanner_would_have_caught_runservers_request_line(scanner: Scanner) -> None:
    """The bug it was written for: Django's own runserver handler, which had no redaction
    filter, wrote the search's CPR number verbatim. Its formatter, on its own (a real
    handler would put the line into this run's log)."""
    djangos = DEFAULT_LOGGING["formatters"]["django.server"]
    assert djangos["()"] == "django.utils.log.ServerFormatter"
    line = ServerFormatter(fmt=djangos["format"], style=djangos["style"]).format(
        _runserver_record()
    )
    assert "0101011234" in line
    assert scanner.scan(line) == "a CPR-shaped number"


def test_runservers_request_line_goes_through_the_redacting_handler(
    scanner: Scanner, console: io.StringIO
) -> None:
    """The same line, logged as runserver logs it, with the settings' logging in place."""
    logging.getLogger("django.server").handle(_runserver_record())
    written = console.getvalue()
    assert '"GET /patients/?q=[CPR REDACTED] HTTP/1.1" 302 0' in written
    assert "0101011234" not in written
    assert all(scanner.scan(line) is None for line in written.splitlines())


# The plugin on a session of its own: a test that writes patient data through a handler
# without the filter fails the run.

LEAKING_TESTS = """
import logging, sys, threading

def _unfiltered(name):
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(sys.stderr))
    return logger

def test_clean():
    logging.getLogger("clean").warning("opened the record of patient #42")

def test_leaks_a_cpr():
    _unfiltered("leaky").warning('"GET /patients/?q=0101011234 HTTP/1.1" 200 5')

def test_leaks_a_name_from_a_thread():
    logger = _unfiltered("threaded")
    thread = threading.Thread(target=logger.warning, args=("searched Ole Mikkelsen",))
    thread.start()
    thread.join(timeout=10)
"""

CLEAN_TESTS = """
import logging

def test_clean():
    logging.getLogger("clean").warning("opened the record of patient #42")
"""


@pytest.fixture
def inner_env(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [str(REPO), str(REPO / "src"), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))


PLUGIN_ONLY = ("-p", "no:django", "-p", "no:cacheprovider", "-p", "tests.log_scan")


@pytest.mark.slow
@pytest.mark.usefixtures("inner_env")
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_leaking_test_fails_the_run_and_is_named(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makepyfile(test_inner=LEAKING_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN_ONLY, *workers, timeout=120)
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = result.stdout.str()
    assert "patient data in the log" in report
    assert "test_inner.py::test_leaks_a_cpr: a CPR-shaped number in" in report
    assert (
        "test_inner.py::test_leaks_a_name_from_a_thread: the patient name 'Ole Mikkelsen'" in report
    )
    assert "test_inner.py::test_clean:" not in report


@pytest.mark.slow
@pytest.mark.usefixtures("inner_env")
def test_a_clean_run_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=CLEAN_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN_ONLY, timeout=120)
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    assert "patient data in the log" not in result.stdout.str()


@pytest.mark.django_db(transaction=True)
def test_the_live_servers_lines_are_scanned(
    live_server: LiveServer, request: pytest.FixtureRequest
) -> None:
    """The browser tests' server answers in a thread of its own; its lines are scanned too.
    The line is taken back out of the findings here, so that this run still passes."""
    scan = request.config.pluginmanager.get_plugin("log_scan")
    assert isinstance(scan, LogScan)
    before = len(scan.findings)
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(f"{live_server.url}/no-such-page/Ole%20Mikkelsen/", timeout=30)
    assert answer.value.code == 404
    found = scan.findings[before:]
    del scan.findings[before:]
    assert [(f.test, f.what) for f in found] == [
        (request.node.nodeid, "the patient name 'Ole Mikkelsen'")
    ]
    assert "Not Found: /no-such-page/Ole Mikkelsen/" in found[0].line
