"""The Makefile: `make demo` links its e-mails to the port it serves on; `make test` brings
Spark and Java 17 and `make demo` does not; the second database pass leaves out only tests
that use no database."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NO_DATABASE_TESTS

ROOT = Path(__file__).resolve().parent.parent


def demo_recipe(*arguments: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", "demo", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def base_url_of(recipe: str, environment: dict[str, str]) -> str:
    """Run the recipe's line that sets OPSPOR_BASE_URL, as the demo's shell would."""
    [line] = re.findall(r"export OPSPOR_BASE_URL=[^;]*;", recipe)
    done = subprocess.run(
        ["bash", "-c", f'{line} echo "$OPSPOR_BASE_URL"'],
        env={"PATH": "/usr/bin:/bin"} | environment,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return done.stdout.strip()


def test_the_demo_passes_its_port_to_the_server_and_the_worker() -> None:
    recipe = demo_recipe("PORT=8765")
    assert "runserver 127.0.0.1:8765" in recipe
    assert base_url_of(recipe, {}) == "http://127.0.0.1:8765"
    # Set before the worker and the server start, so both have it.
    assert recipe.index("export OPSPOR_BASE_URL") < recipe.index("opspor worker")
    assert base_url_of(demo_recipe(), {}) == "http://127.0.0.1:8000"


def test_an_address_the_user_set_is_kept() -> None:
    recipe = demo_recipe("PORT=8765")
    chosen = {"OPSPOR_BASE_URL": "https://opspor.example"}
    assert base_url_of(recipe, chosen) == "https://opspor.example"


def dry_run(target: str, *arguments: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", target, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_the_tests_get_spark_and_java_and_the_demo_does_not() -> None:
    assert "openjdk-17-jre-headless" in dry_run("test")
    demo = dry_run("demo")
    assert "openjdk-17-jre-headless" not in demo
    assert "requirements-spark.lock" not in demo
    assert "pyspark" not in (ROOT / "requirements.lock").read_text()


PYTEST = ".venv/bin/pytest -n auto --dist worksteal"


def test_pytest_arguments_reach_pytest_and_none_means_the_whole_suite() -> None:
    assert dry_run("test").rstrip().endswith(PYTEST)
    assert (
        dry_run("test", "PYTEST_ARGS=-x -k referral").rstrip().endswith(f"{PYTEST} -x -k referral")
    )


def test_the_suite_runs_on_every_core_unless_told_one_process() -> None:
    for target in ("test", "test-db"):
        [pytest_line] = [line for line in dry_run(target).splitlines() if "bin/pytest" in line]
        assert " -n auto --dist worksteal" in pytest_line
        [one_process] = [
            line
            for line in dry_run(target, "PYTEST_WORKERS=0").splitlines()
            if "bin/pytest" in line
        ]
        assert " -n 0 " in one_process


def test_the_second_database_pass_leaves_out_the_tests_kept_free_of_the_database() -> None:
    [pytest_line] = [
        line for line in dry_run("test-db", "PYTEST_ARGS=-x").splitlines() if "bin/pytest" in line
    ]
    assert pytest_line.endswith(" -x")
    assert tuple(re.findall(r"--ignore=(\S+)", pytest_line)) == (*NO_DATABASE_TESTS, "tests/e2e")


def collect(tmp_path: Path, tests: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Collect the given test files with this suite's conftest hook, in a project of their own."""
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = opspor.settings\n")
    for name, source in tests.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly"],
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


ASKS_BY_FIXTURE = "def test_reads(db):\n    pass\n"
ASKS_BY_MARK = "import pytest\n\n\n@pytest.mark.django_db\ndef test_reads():\n    pass\n"
ASKS_FOR_NOTHING = "def test_counts():\n    pass\n"


def test_a_database_test_where_the_postgresql_pass_does_not_look_is_refused(
    tmp_path: Path,
) -> None:
    # The other way round, database tests elsewhere and plain tests there, is this very suite,
    # which is collected as usual.
    done = collect(
        tmp_path,
        {
            "tests/engine/test_fixture.py": ASKS_BY_FIXTURE,
            "tests/synth/test_mark.py": ASKS_BY_MARK,
            "tests/test_layers.py": ASKS_BY_FIXTURE,
            "tests/synth/test_plain.py": ASKS_FOR_NOTHING,
            "tests/records/test_records.py": ASKS_BY_FIXTURE,
            "tests/engine_notes/test_notes.py": ASKS_BY_FIXTURE,
        },
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    refused = re.findall(r"tests/\S+::test_\w+", done.stderr)
    assert sorted(refused) == [
        "tests/engine/test_fixture.py::test_reads",
        "tests/synth/test_mark.py::test_reads",
        "tests/test_layers.py::test_reads",
    ]


JAVA = "#!/bin/bash\necho '{kind} version \"{version}\" 2025-04-15' >&2\n"
# Debian's package puts a Java on PATH, or (as after a broken install) leaves the old one.
APT_GET = """#!/bin/bash
echo "$*" >> "{log}"
if [ "$1" = install ]; then printf '%s' '{java}' > "{bin}/java"; {chmod} +x "{bin}/java"; fi
"""


def spark_step(
    tmp_path: Path, on_path: str | None, java_home: str | None = None, installs: str = "17.0.18"
) -> tuple[subprocess.CompletedProcess[str], str]:
    """`make spark` with PySpark taken as installed, a `java` reporting the given version
    (none when None) and an `apt-get` that records its calls instead of installing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sed = shutil.which("sed")
    assert sed is not None
    (bin_dir / "sed").symlink_to(sed)

    def write_java(where: Path, version: str) -> None:
        kind = "java" if version.startswith("1.") else "openjdk"
        where.write_text(JAVA.format(kind=kind, version=version))
        where.chmod(0o755)

    if on_path is not None:
        write_java(bin_dir / "java", on_path)
    environment = {"PATH": str(bin_dir)}
    if java_home is not None:
        (tmp_path / "jdk" / "bin").mkdir(parents=True)
        write_java(tmp_path / "jdk" / "bin" / "java", java_home)
        environment["JAVA_HOME"] = str(tmp_path / "jdk")
    log = tmp_path / "apt-get.log"
    log.touch()
    installed_java = JAVA.format(kind="openjdk", version=installs).replace("'", "'\\''")
    (bin_dir / "apt-get").write_text(
        APT_GET.format(log=log, bin=bin_dir, java=installed_java, chmod=shutil.which("chmod"))
    )
    (bin_dir / "apt-get").chmod(0o755)
    venv = tmp_path / "venv"
    venv.mkdir()
    # Newer than the locks, so make takes the packages as installed.
    (venv / ".installed").touch()
    (venv / ".spark").touch()
    done = subprocess.run(
        [shutil.which("make") or "make", "--no-print-directory", "spark", f"VENV={venv}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done, log.read_text()


@pytest.mark.parametrize("version", ["17.0.15", "21.0.5", "25"])
def test_java_17_or_newer_is_used_as_it_is(tmp_path: Path, version: str) -> None:
    done, apt = spark_step(tmp_path, on_path=version)
    assert done.returncode == 0, done.stdout + done.stderr
    assert apt == ""


@pytest.mark.parametrize(
    ("version", "reported"), [("1.8.0_392", "1"), ("11.0.2", "11"), (None, "none")]
)
def test_an_older_or_missing_java_gets_debians_openjdk_17(
    tmp_path: Path, version: str | None, reported: str
) -> None:
    done, apt = spark_step(tmp_path, on_path=version)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"(found Java {reported})" in done.stdout
    assert apt.splitlines() == ["update -qq", "install -y -qq openjdk-17-jre-headless"]


def test_an_install_that_leaves_an_old_java_on_path_fails_clearly(tmp_path: Path) -> None:
    done, _ = spark_step(tmp_path, on_path="11.0.2", installs="11.0.2")
    assert done.returncode != 0
    assert "java on PATH is still Java 11; Spark needs 17 or newer" in done.stdout


def test_an_old_java_home_is_refused_rather_than_installed_around(tmp_path: Path) -> None:
    # Spark starts $JAVA_HOME's Java, so a newer one on PATH would not help.
    done, apt = spark_step(tmp_path, on_path="21.0.5", java_home="11.0.2")
    assert done.returncode != 0
    assert f"JAVA_HOME={tmp_path / 'jdk'} has Java 11; Spark needs 17 or newer" in done.stdout
    assert apt == ""


def test_a_new_java_home_is_enough_whatever_is_on_path(tmp_path: Path) -> None:
    done, apt = spark_step(tmp_path, on_path="11.0.2", java_home="17.0.15")
    assert done.returncode == 0, done.stdout + done.stderr
    assert apt == ""


def test_the_static_files_take_vegas_inline_style_sheets_as_files(tmp_path: Path) -> None:
    """vega-embed and its tooltip would add their CSS as inline <style>, which the
    Content-Security-Policy refuses; `make static` writes the same CSS as static files."""
    if not (ROOT / "node_modules" / "vega-embed" / "build" / "embed.js").exists():
        pytest.skip("the npm packages are not installed: run `make static`")
    recipe = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", "static"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    lines = [line for line in recipe.splitlines() if line.startswith("sed ") and ".css" in line]
    assert len(lines) == 2
    for line in lines:
        subprocess.run(
            ["bash", "-c", line.replace("build/static/vendor/vega/", f"{tmp_path}/")],
            cwd=ROOT,
            timeout=60,
            check=True,
        )
    for name, first in (("vega-embed.css", ".vega-embed {"), ("vega-tooltip.css", "#vg-tooltip-")):
        css = (tmp_path / name).read_text()
        assert css.startswith(first), css[:80]
        assert "`" not in css and "${" not in css
        assert css.count("{") == css.count("}") > 5
