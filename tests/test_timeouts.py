"""The suite never hangs: a test that waits for ever is stopped by its time limit, also in
a run started as a background job, which ignores SIGINT (so Ctrl+C, or a watchdog that
sends SIGINT, could never stop it).

The run is a real pytest process with the project's own configuration (pyproject.toml's
time limit and method), on a test file that sleeps for ever; only the limit is shortened.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HANGING = """
import time


def test_sleeps_for_ever():
    time.sleep(3600)
"""
# The run must end well within this, or the limit did not work.
BOUND_S = 60


def as_background_job() -> None:
    # What a shell does for `cmd &` when job control is off: SIGINT and SIGQUIT ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGQUIT, signal.SIG_IGN)


def run_pytest(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    test_file = tmp_path / "test_hanging.py"
    test_file.write_text(HANGING)
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(ROOT),
            "-o",
            "timeout=2",
            "-p",
            "no:randomly",
            *extra,
            str(test_file),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONDONTWRITEBYTECODE": "1"},
        preexec_fn=as_background_job,
        start_new_session=True,
        capture_output=True,
        text=True,
        timeout=BOUND_S,
    )
    return done, time.monotonic() - started


def test_every_test_has_a_limit_enforced_by_a_thread() -> None:
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    options = options["ini_options"]
    assert options["timeout_method"] == "thread"
    assert 0 < options["timeout"] <= 300


def test_a_hanging_test_in_a_background_run_is_stopped_by_its_time_limit(tmp_path: Path) -> None:
    done, took = run_pytest(tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Timeout" in output, output
    # The stack dump shows where it hung.
    assert "test_sleeps_for_ever" in output and "time.sleep(3600)" in output, output
    assert took < BOUND_S


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_a_hanging_test_under_xdist_fails_and_the_run_ends(tmp_path: Path) -> None:
    done, took = run_pytest(tmp_path, "-n", "1")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    # The worker that hung ended (its stack dump goes to its own stderr), and the test is
    # reported as failed.
    assert "crashed while running '::test_sleeps_for_ever'" in output, output
    assert "1 failed" in output, output
    assert took < BOUND_S
