"""A pytest plugin: no log line written during the run may hold patient data.

Every line a real log handler formats (what it would write to the console or a file), in
any thread (the live server's included) and in every xdist worker, is scanned for a
CPR-shaped number and for the names of the demo patients and of the patients the tests
make most. A line that holds one fails the run at its end, with the test that wrote it.

The handlers are watched through `logging.Handler.format`, which every handler that writes
text calls after its filters have passed the record; pytest's own capturing handlers are
left out (they keep records for reports, they write no log).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Generator, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

# The shape the redaction filter scrubs (opspor.accounts.logging), kept here on its own so
# that the scan does not trust the code it checks.
CPR_SHAPED = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
STORIES_FILE = Path(__file__).resolve().parents[1] / "src/opspor/demo/stories.yaml"
# The demo's imported patient (opspor/demo/imported_patient.py NAME; a test keeps them
# the same) and the names the tests give their patients most often.
OTHER_NAMES = (
    "Ib Lindberg",
    "Karen Holm",
    "Svend Ibsen",
    "Bent Mortensen",
    "Bent Jørgensen",
    "Karen Lund",
    "Zahra Ahmadi",
    "Birthe Sørensen",
)
OUTSIDE_TESTS = "(outside any test: session set-up or tear-down)"
_MAX_SHOWN = 40
_LINE_SHOWN = 300


def demo_patient_names(stories_file: Path = STORIES_FILE) -> tuple[str, ...]:
    stories = yaml.safe_load(stories_file.read_text(encoding="utf-8"))["stories"]
    return tuple(story["name"] for story in stories)


@dataclass(frozen=True)
class Finding:
    test: str
    what: str
    line: str

    def __str__(self) -> str:
        shown = self.line if len(self.line) <= _LINE_SHOWN else self.line[:_LINE_SHOWN] + "…"
        return f"{self.test}: {self.what} in {shown!r}"


class Scanner:
    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)
        # Also as a query string or form body writes it: "karen+holm", "Karen%20Holm".
        self._names = re.compile(
            "|".join(
                r"(?:\s|\+|%20)+".join(re.escape(part) for part in name.split())
                for name in self.names
            ),
            re.IGNORECASE,
        )

    def scan(self, line: str) -> str | None:
        """What patient data the line holds ("a CPR-shaped number", "the name …"), or None."""
        if CPR_SHAPED.search(line):
            return "a CPR-shaped number"
        name = self._names.search(line)
        if name:
            return f"the patient name {name.group(0)!r}"
        return None


def _written_by_pytest(handler: logging.Handler) -> bool:
    return type(handler).__module__.startswith("_pytest.")


class LogScan:
    """Watches every handler's formatted output for the whole session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.scanner = Scanner((*demo_patient_names(), *OTHER_NAMES))
        self.findings: list[Finding] = []
        self.test = OUTSIDE_TESTS
        self._lock = threading.Lock()
        self._original: Callable[[logging.Handler, logging.LogRecord], str] | None = None

    def install(self) -> None:
        original = logging.Handler.format
        self._original = original
        scan = self

        def format_and_scan(handler: logging.Handler, record: logging.LogRecord) -> str:
            text = original(handler, record)
            if not _written_by_pytest(handler):
                scan.check(text)
            return text

        logging.Handler.format = format_and_scan  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if self._original is not None:
            logging.Handler.format = self._original  # type: ignore[method-assign]
            self._original = None

    def check(self, text: str) -> None:
        for line in text.splitlines():
            what = self.scanner.scan(line)
            if what is not None:
                with self._lock:
                    self.findings.append(Finding(self.test, what, line))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, Any]:
        self.test = item.nodeid
        try:
            return (yield)
        finally:
            self.test = OUTSIDE_TESTS

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller reports
            workeroutput["log_scan_findings"] = [asdict(f) for f in self.findings]
            return
        if self.findings and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.findings:
            return
        terminalreporter.section("patient data in the log", sep="=", red=True, bold=True)
        terminalreporter.line(
            f"{len(self.findings)} log line(s) written during the run hold patient data; "
            "log the patient's id, never the CPR number or the name:",
            red=True,
        )
        for finding in self.findings[:_MAX_SHOWN]:
            terminalreporter.line(f"  {finding}")
        if len(self.findings) > _MAX_SHOWN:
            terminalreporter.line(f"  … and {len(self.findings) - _MAX_SHOWN} more")


class FromWorkers:
    """On the xdist controller: gathers what each worker's scan found."""

    def __init__(self, scan: LogScan) -> None:
        self.scan = scan

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", {}) or {}
        for found in output.get("log_scan_findings", []):
            self.scan.findings.append(Finding(**found))


def pytest_configure(config: pytest.Config) -> None:
    scan = LogScan(config)
    scan.install()
    config.pluginmanager.register(scan, "log_scan")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(FromWorkers(scan), "log_scan_from_workers")


def pytest_unconfigure(config: pytest.Config) -> None:
    scan = config.pluginmanager.get_plugin("log_scan")
    if isinstance(scan, LogScan):
        scan.uninstall()
