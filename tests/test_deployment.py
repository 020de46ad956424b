"""The deployment files say what README's "Production" says, and README lists every setting.

The image cannot be built here (no registry for the base images), so the Containerfile is
read as its instructions, compose.yaml as YAML and the systemd units as INI files, and each
is checked for what the production setup relies on.
"""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "opspor"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Containerfile, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def stages(path: Path) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions(path):
        if keyword == "FROM":
            result.append([])
        assert result, "the Containerfile must start with FROM"
        result[-1].append((keyword, rest))
    return result


def test_the_containerfile_builds_in_stages_and_runs_as_a_user() -> None:
    built = stages(ROOT / "Containerfile")
    bases = [stage[0][1].split()[0] for stage in built]
    assert bases[0].startswith("docker.io/library/node:")  # the npm packages
    assert all(base.startswith("docker.io/library/python:3.12-slim") for base in bases[1:])
    runs = " ".join(rest for stage in built for keyword, rest in stage if keyword == "RUN")
    assert "npm ci" in runs
    assert "--require-hashes -r /tmp/requirements.lock" in runs
    assert "compilemessages" in runs and "collectstatic --noinput" in runs
    assert "postgresql-client" in runs  # pg_dump for `opspor backup`
    final = dict(built[-1])
    user = final["USER"]
    assert user not in {"root", "0"}
    assert "useradd" in runs and user in runs
    assert final["EXPOSE"] == "8000"
    assert shlex.split(final["CMD"].strip("[]").replace(",", " ")) == [
        "gunicorn",
        "--config",
        "python:opspor.gunicorn_conf",
        "opspor.wsgi",
    ]
    assert "OPSPOR_ENV=production" in final["ENV"]
    # Nothing fetched from outside the lock files.
    assert not any(keyword == "ADD" for stage in built for keyword, _ in stage)


def test_every_vendor_file_the_makefile_copies_is_in_the_image() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    containerfile = (ROOT / "Containerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"node_modules/(\S+?)(?=\s|$)", makefile)) - {".installed"}
    assert len(copied) >= 8
    for source in copied:
        assert f"/src/node_modules/{source}" in containerfile, source


def test_every_source_map_a_vendor_file_names_is_copied_too() -> None:
    """Production's collectstatic (hashed names) stops at a file that names a missing map."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    # The files `cp` puts among the static files (the sed lines only read theirs).
    copies = "\n".join(line for line in makefile.splitlines() if line.startswith("\tcp "))
    copied = set(re.findall(r"node_modules/(\S+?)(?=\s|$)", copies))
    files = [source for source in copied if source.endswith((".js", ".css"))]
    assert files
    for source in files:
        text = (ROOT / "node_modules" / source).read_text(encoding="utf-8", errors="replace")
        for name in re.findall(r"sourceMappingURL=(\S+?\.map)", text):
            folder = source.rsplit("/", 1)[0]
            assert f"{folder}/{name}" in copied, f"{source} names {name}: copy it too"


def test_secrets_and_local_builds_stay_out_of_the_image_and_the_repository() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", "node_modules", "build", "var", ".git"} <= set(ignored)
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_web_worker_and_postgresql_with_health_checks() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "migrate", "web", "worker"}
    assert services["db"]["image"].startswith("docker.io/library/postgres:")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["web"]["command"][:3] == ["gunicorn", "--config", "python:opspor.gunicorn_conf"]
    assert services["worker"]["command"] == ["opspor", "worker"]
    assert services["migrate"]["command"] == ["opspor", "migrate", "--noinput"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
        assert services[name]["env_file"] == ".env"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert services["migrate"]["build"]["dockerfile"] == "Containerfile"
    declared = set(compose()["volumes"])
    used = {
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
    }
    assert used == declared == {"postgres", "quality-region", "backups"}


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def test_compose_variables_are_in_the_env_example() -> None:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    wanted = set(re.findall(r"(?<!\$)\$\{([A-Z_]+)\}", text))
    assert wanted <= set(env_example())
    assert env_example()["OPSPOR_ENV"] == "production"
    assert env_example()["OPSPOR_SECRET_KEY"] == ""  # to be filled in, never a real one


def settings_read() -> set[str]:
    """Every environment variable the site reads through its typed reader."""
    names: set[str] = set()
    for path in (SRC / "settings.py", SRC / "gunicorn_conf.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"env\.[a-z_]+\(\s*\"([A-Z_]+)\"", text))
    return names


def test_readme_production_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    production = readme.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    read = settings_read()
    assert {"DATABASE_URL", "OPSPOR_SECRET_KEY", "OPSPOR_WEB_WORKERS"} <= read
    assert sorted(name for name in read if f"`{name}`" not in production) == []
    assert set(env_example()) - {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"} <= read


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((ROOT / "deploy" / "systemd" / name).read_text(encoding="utf-8"))
    return parser


def test_the_systemd_units_run_web_worker_and_nightly_backups() -> None:
    web, worker = unit("opspor-web.service"), unit("opspor-worker.service")
    assert (
        "gunicorn --config python:opspor.gunicorn_conf opspor.wsgi" in web["Service"]["ExecStart"]
    )
    assert worker["Service"]["ExecStart"].endswith("opspor worker")
    assert worker["Service"]["KillSignal"] == "SIGTERM"
    for service in (web, worker):
        assert service["Service"]["User"] == "opspor"
        assert service["Service"]["EnvironmentFile"] == "/etc/opspor/opspor.env"
        assert service["Install"]["WantedBy"] == "multi-user.target"
    backup = unit("opspor-backup.service")
    assert backup["Service"]["Type"] == "oneshot"
    assert backup["Service"]["ExecStart"].endswith("opspor backup")
    timer = unit("opspor-backup.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 01:30:00"
    assert timer["Timer"]["Persistent"] == "true"
