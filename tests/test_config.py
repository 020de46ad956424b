from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from opspor.config import Env, SettingError, parse_database_url


def test_postgres_url_is_parsed() -> None:
    db = parse_database_url("postgresql://postgres:s%40cret@127.0.0.1:5432/test")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "test",
        "postgres",
        "s@cret",
        "127.0.0.1",
        "5432",
    )


def test_sqlite_is_the_default(tmp_path: Path) -> None:
    db = Env({}).database("DATABASE_URL", tmp_path / "x.sqlite3")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "x.sqlite3")


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/db",
        "postgresql://localhost",
        "postgresql://h:99999999/db",
        "sqlite://",
    ],
)
def test_unusable_database_urls_are_refused(url: str) -> None:
    with pytest.raises(SettingError, match="DATABASE_URL"):
        parse_database_url(url)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("off", False), ("", False)]
)
def test_booleans(raw: str, expected: bool) -> None:
    assert Env({"X": raw}).flag("X", not expected) is expected


def test_malformed_values_name_the_variable() -> None:
    with pytest.raises(SettingError, match="OPSPOR_DEBUG"):
        Env({"OPSPOR_DEBUG": "maybe"}).flag("OPSPOR_DEBUG", False)
    with pytest.raises(SettingError, match="PORT must be a whole number"):
        Env({"PORT": "80a"}).integer("PORT", 8000)
    with pytest.raises(SettingError, match="at least 300"):
        Env({"S": "10"}).integer("S", 3600, minimum=300)
    with pytest.raises(SettingError, match="OPSPOR_ENV must be one of"):
        Env({"OPSPOR_ENV": "prod"}).choice(
            "OPSPOR_ENV", "development", ("development", "production")
        )


def test_a_base_url_is_an_absolute_address_without_a_trailing_slash() -> None:
    default = "http://127.0.0.1:8000"
    assert Env({}).url("U", default) == default
    assert Env({"U": "https://opspor.example/app/"}).url("U", default) == (
        "https://opspor.example/app"
    )
    for raw in (
        "",
        "127.0.0.1:8765",
        "ftp://opspor.example",
        "http://",
        "http://h:80a",
        "http://h/?a=1",
    ):
        with pytest.raises(SettingError, match=r"^U "):
            Env({"U": raw}).url("U", default)


def test_production_refuses_to_start_without_a_secret_key() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import opspor.settings"],
        env={"OPSPOR_ENV": "production", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "OPSPOR_SECRET_KEY must be set" in result.stderr


def _check_deploy(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "OPSPOR_ENV": "production",
        "OPSPOR_SECRET_KEY": "k" * 20 + "Zq9!xR2@vL7#mN4$pT8%wY1^bH6&cJ3*",
        "OPSPOR_ALLOWED_HOSTS": "opspor.example.org",
        "OPSPOR_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "opspor.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = _check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_notices_a_weakened_production_setting(tmp_path: Path) -> None:
    # The same check, with production set up without its HTTPS redirect, warns and fails.
    result = _check_deploy(tmp_path, OPSPOR_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_authentication_backends_are_python_paths_at_least_one() -> None:
    default = ["django.contrib.auth.backends.ModelBackend"]
    assert Env({}).dotted_paths("B", default) == default
    assert Env({"B": " a.b.C , d.E "}).dotted_paths("B", default) == ["a.b.C", "d.E"]
    for raw in ("", " , ", "ModelBackend", "a.b-c.D", "a..b", "a.b.C; rm -rf /", "1a.B"):
        with pytest.raises(SettingError, match=r"^B "):
            Env({"B": raw}).dotted_paths("B", default)


def test_a_deployment_names_its_login_backends_in_the_environment() -> None:
    import subprocess
    import sys

    src = Path(__file__).resolve().parents[1] / "src"
    show = "import opspor.settings as s; print(','.join(s.AUTHENTICATION_BACKENDS))"
    for given, expected in (
        (None, "django.contrib.auth.backends.ModelBackend"),
        ("deployment.oidc.MitIdBackend", "deployment.oidc.MitIdBackend"),
    ):
        env = {"PATH": "/usr/bin", "PYTHONPATH": str(src)}
        if given is not None:
            env["OPSPOR_AUTHENTICATION_BACKENDS"] = given
        result = subprocess.run(
            [sys.executable, "-c", show], env=env, capture_output=True, text=True, check=False
        )
        assert result.stdout.strip() == expected, result.stderr
    env = {"PATH": "/usr/bin", "PYTHONPATH": str(src), "OPSPOR_AUTHENTICATION_BACKENDS": "mitid"}
    result = subprocess.run(
        [sys.executable, "-c", show], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "OPSPOR_AUTHENTICATION_BACKENDS holds 'mitid'" in result.stderr
