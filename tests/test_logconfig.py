"""The logging configuration: one redacting handler for every logger, plain or JSON lines,
and the request id on each line written while answering a request."""

from __future__ import annotations

import http.client
import io
import json
import logging
import logging.config
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils.log import configure_logging

from opspor import request_ids
from opspor.accounts.logging import REDACTED, RedactPatientData
from opspor.config import Env, SettingError
from opspor.logconfig import JsonFormatter, logging_config, logging_config_from
from opspor.request_ids import AddRequestId
from tests.logs import console_handler
from tests.referrals.test_background import free_port

REPO = Path(__file__).resolve().parents[1]
CPR = "0101011234"
# Loggers that came, or come, with handlers of their own.
LOGGERS = ("", "opspor", "django", "django.request", "django.server", "django.security.csrf")
GUNICORN = ("gunicorn.error", "gunicorn.access")


def _handlers_reached(name: str) -> list[logging.Handler]:
    logger: logging.Logger | None = logging.getLogger(name)
    reached: list[logging.Handler] = []
    while logger is not None:
        # pytest's own, which keep records for its reports, write no log.
        reached.extend(h for h in logger.handlers if not type(h).__module__.startswith("_pytest"))
        logger = logger.parent if logger.propagate else None
    return reached


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("opspor.t", logging.ERROR, __file__, 1, message, args, exc_info)


@pytest.fixture
def json_console() -> Iterator[io.StringIO]:
    """The JSON configuration in force, its output read back; the settings' afterwards."""
    logging.config.dictConfig(logging_config(fmt="json"))
    handler = console_handler()
    written = io.StringIO()
    handler.setStream(written)
    try:
        yield written
    finally:
        configure_logging(django_settings.LOGGING_CONFIG, django_settings.LOGGING)


def _lines(written: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in written.getvalue().splitlines()]


# Every handler redacts


@pytest.mark.parametrize("name", LOGGERS)
def test_every_handler_of_the_settings_redacts(name: str) -> None:
    handlers = _handlers_reached(name)
    assert handlers, f"{name or 'root'} reaches a handler"
    for handler in handlers:
        kinds = {type(f) for f in handler.filters}
        assert RedactPatientData in kinds, f"{handler} on {name or 'root'} does not redact"
        assert AddRequestId in kinds


@pytest.mark.usefixtures("json_console")
@pytest.mark.parametrize("name", LOGGERS + GUNICORN)
def test_every_handler_of_the_json_configuration_redacts(name: str) -> None:
    for handler in _handlers_reached(name):
        assert RedactPatientData in {type(f) for f in handler.filters}
        assert isinstance(handler.formatter, JsonFormatter)


def test_no_handler_mails_the_admins() -> None:
    # Django's default e-mails a failing request's details, which may hold patient data.
    for name in LOGGERS:
        assert not any(type(h).__name__ == "AdminEmailHandler" for h in _handlers_reached(name))


# The format and the level from the environment


def test_the_format_and_level_come_from_the_environment() -> None:
    assert logging_config_from(Env({}))["handlers"]["console"]["formatter"] == "plain"
    chosen = logging_config_from(Env({"OPSPOR_LOG_FORMAT": "json", "OPSPOR_LOG_LEVEL": "ERROR"}))
    assert chosen["handlers"]["console"]["formatter"] == "json"
    assert chosen["handlers"]["console"]["level"] == "ERROR"
    assert chosen["root"]["level"] == "ERROR"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("OPSPOR_LOG_FORMAT", "xml"), ("OPSPOR_LOG_FORMAT", ""), ("OPSPOR_LOG_LEVEL", "info")],
)
def test_a_malformed_format_or_level_is_refused(variable: str, value: str) -> None:
    with pytest.raises(SettingError, match=variable):
        logging_config_from(Env({variable: value}))


def test_an_unknown_format_is_refused_by_the_builder_too() -> None:
    with pytest.raises(ValueError, match="plain, json"):
        logging_config(fmt="yaml")


# The JSON lines


def test_a_json_line_has_time_level_logger_message() -> None:
    record = _record("answered %s in %d ms", "the worklist", 12)
    record.request_id = "abc-123"
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message", "request_id"}
    assert entry["level"] == "ERROR" and entry["logger"] == "opspor.t"
    assert entry["message"] == "answered the worklist in 12 ms"
    assert entry["request_id"] == "abc-123"
    written = datetime.fromisoformat(entry["time"])
    assert written.utcoffset() == timedelta(0)
    assert abs(written.timestamp() - record.created) < 0.001


def test_a_json_line_keeps_the_exception_on_one_line() -> None:
    try:
        raise ValueError("the queue is gone\nand so is the worker")
    except ValueError as error:
        record = _record("sweep failed", exc=error)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert "ValueError: the queue is gone\nand so is the worker" in entry["exception"]
    assert "request_id" not in entry, "no request, no id"


def test_json_lines_are_redacted(json_console: io.StringIO) -> None:
    logger = logging.getLogger("opspor.t")
    logger.warning("looked up %s", CPR)
    try:
        raise LookupError(f"no patient 010101-1234 ({CPR})")
    except LookupError:
        logger.exception("import failed")
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /?q={CPR} HTTP/1.1", 200, 5)
    written = json_console.getvalue()
    assert CPR not in written and "010101-1234" not in written
    first, second, third = _lines(json_console)
    assert first["message"] == f"looked up {REDACTED}"
    assert second["message"] == "import failed"
    assert f"LookupError: no patient {REDACTED} ({REDACTED})" in second["exception"]
    assert third == {**third, "logger": "django.server", "level": "INFO"}
    assert f"q={REDACTED}" in third["message"]


# The request id


@pytest.mark.django_db
def test_a_request_gets_an_id_of_letters_and_answers_with_it() -> None:
    client = Client()
    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]
    assert first != second
    for made in (first, second):
        assert len(made) == 20 and made.isalpha() and made.islower()


@pytest.mark.django_db
def test_a_proxys_request_id_is_kept() -> None:
    response = Client().get("/accounts/login/", headers={"X-Request-ID": "lb-7f3a.91_x"})
    assert response["X-Request-ID"] == "lb-7f3a.91_x"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sent",
    ["", "x" * 65, "two words", "<script>", "a/b", "ærø", CPR, "id-010101-1234", "ab1234567890"],
)
def test_an_unsafe_request_id_is_replaced(sent: str) -> None:
    answered = Client().get("/accounts/login/", headers={"X-Request-ID": sent})["X-Request-ID"]
    assert answered != sent
    assert len(answered) == 20 and answered.isalpha()


@pytest.mark.django_db
def test_lines_written_while_answering_carry_the_request_id(json_console: io.StringIO) -> None:
    client = Client()
    response = client.get(f"/no-such-page/?q={CPR}", headers={"X-Request-ID": "req-1"})
    assert response.status_code == 404
    logging.getLogger("opspor.t").warning("between requests")
    not_found, between = _lines(json_console)
    assert not_found["logger"] == "django.request" and not_found["level"] == "WARNING"
    assert not_found["request_id"] == "req-1"
    assert "request_id" not in between
    assert request_ids.current() is None, "the id does not outlive its request"


def test_a_line_written_inside_the_request_carries_its_id() -> None:
    from django.http import HttpRequest, HttpResponse

    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        record = _record("inside")
        AddRequestId().filter(record)
        seen.append(record.request_id)
        return HttpResponse()

    request = HttpRequest()
    request.META["HTTP_X_REQUEST_ID"] = "inner-9"
    response = request_ids.RequestId(view)(request)
    assert seen == ["inner-9"] and response["X-Request-ID"] == "inner-9"


# The real servers, as processes


def _serve(command: list[str], tmp_path: Path, port: int) -> tuple[str, str]:
    """Starts the server, sends it a search with a CPR number in the address, stops it;
    what it wrote to stdout and stderr."""
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "OPSPOR_LOG_FORMAT": "json",
        "OPSPOR_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "opspor.settings",
    }
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=stdout, stderr=stderr)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, err.read_text()
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    connection.request("GET", f"/patients/?q={CPR}")
                    assert connection.getresponse().status == 302  # to the login
                    break
                except ConnectionRefusedError:
                    time.sleep(0.2)
                finally:
                    connection.close()
            # The request line is written after the answer; give it a moment.
            deadline = time.monotonic() + 10
            while REDACTED not in err.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return out.read_text(), err.read_text()


def _request_line(written: str, logger: str) -> dict[str, str]:
    entries = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
    lines = [e for e in entries if e["logger"] == logger and "/patients/" in e["message"]]
    assert len(lines) == 1, written
    return lines[0]


@pytest.mark.slow
def test_runservers_request_log_is_json_and_redacted(tmp_path: Path) -> None:
    port = free_port()
    manage = str(REPO / "manage.py")
    command = [sys.executable, manage, "runserver", "--noreload", f"127.0.0.1:{port}"]
    stdout, stderr = _serve(command, tmp_path, port)
    assert CPR not in stdout + stderr
    line = _request_line(stderr, "django.server")
    assert line["level"] == "INFO"
    assert line["message"] == f'"GET /patients/?q={REDACTED} HTTP/1.1" 302 0'


@pytest.mark.slow
def test_gunicorns_access_log_is_json_and_redacted(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(
        "from opspor.config import Env\n"
        "from opspor.logconfig import logging_config_from\n"
        f"bind = '127.0.0.1:{port}'\n"
        "workers = 1\n"
        "logconfig_dict = logging_config_from(Env.from_os())\n"
    )
    command = [sys.executable, "-m", "gunicorn", "-c", str(config), "opspor.wsgi"]
    stdout, stderr = _serve(command, tmp_path, port)
    assert CPR not in stdout + stderr
    line = _request_line(stderr, "gunicorn.access")
    assert f'"GET /patients/?q={REDACTED} HTTP/1.1" 302' in line["message"]
    started = [json.loads(x) for x in stderr.splitlines() if "Booting worker" in x]
    assert started and started[0]["logger"] == "gunicorn.error", "gunicorn's own log is JSON"
