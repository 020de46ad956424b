"""The `opspor` command: pure commands run without Django, the rest are Django commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _opspor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opspor.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_synth_needs_no_database_or_site_configuration(tmp_path: Path) -> None:
    # A malformed DATABASE_URL would stop any command that starts Django.
    result = _opspor(
        "synth",
        "--patients",
        "300",
        "--seed",
        "1",
        "--out",
        str(tmp_path / "region"),
        "--no-progress",
        env={"DATABASE_URL": "mysql://nowhere/none"},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "region" / "contacts.parquet").is_file()


def test_django_commands_refuse_a_malformed_setting() -> None:
    result = _opspor("check", env={"DATABASE_URL": "mysql://nowhere/none"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "opspor: configuration error: DATABASE_URL must start with postgresql:// or sqlite://,"
        " not 'mysql'"
    )
