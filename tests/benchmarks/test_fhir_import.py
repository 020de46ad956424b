"""The FHIR import benchmark (`benchmarks/fhir_import.py`) at a tiny size: its floor alone,
its refusals, and, where the importer is there, the import against the floor."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"[\d,]+(?:\.\d+)?"
HAS_IMPORTER = importlib.util.find_spec("opspor.interop.importing") is not None


def _benchmark(*args: str | Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # a throwaway SQLite file, never the tests' database
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "fhir_import.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
        env=env,
    )


def _figure(pattern: str, text: str) -> re.Match[str]:
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"{pattern!r} not in:\n{text}"
    return found


def test_the_floor_alone_at_a_tiny_size_and_the_cache_reused(tmp_path: Path) -> None:
    done = _benchmark("--resources", "400", "--floor-only", "--cache", tmp_path)
    assert done.returncode == 0, done.stderr
    _figure(r"^extract: 400 resources, \d+ MB, written in [\d.]+ s", done.stdout)
    _figure(
        rf"^floor \(read \+ json \+ R4B validation\) +{NUMBER} s +{NUMBER} resources/s"
        rf" +peak RSS {NUMBER} MB \(\+{NUMBER}\)$",
        done.stdout,
    )
    assert (tmp_path / "fhir-400-seed1-practicesauto" / "Patient.ndjson").is_file()
    again = _benchmark("--resources", "400", "--floor-only", "--cache", tmp_path, "--tracemalloc")
    assert again.returncode == 0, again.stderr
    _figure(r"^extract: 400 resources, \d+ MB, reused ", again.stdout)
    _figure(rf"heap peak {NUMBER} MB$", again.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resources", "0"], "--resources: must be at least 1"),
        (["--resources", "many"], "--resources: not a whole number"),
        (["--seed", "-1"], "--seed: must be at least 0"),
        (["--resources", "3", "--practices", "4"], "ask for at least"),
    ],
)
def test_bad_input_is_refused(tmp_path: Path, args: list[str], message: str) -> None:
    done = _benchmark(*args, "--floor-only", "--cache", tmp_path / "cache", timeout=60)
    assert done.returncode == 2
    assert message in done.stderr
    assert not list((tmp_path / "cache").glob("*/*.ndjson"))


@pytest.mark.skipif(HAS_IMPORTER, reason="the importer is there")
def test_without_the_importer_the_benchmark_says_so(tmp_path: Path) -> None:
    done = _benchmark("--resources", "400", "--cache", tmp_path, timeout=60)
    assert done.returncode == 3
    assert "the importer (opspor.interop.importing) is not there" in done.stderr


def test_the_import_against_the_floor_at_a_tiny_size(tmp_path: Path) -> None:
    pytest.importorskip("opspor.interop.importing")
    done = _benchmark("--resources", "1500", "--practices", "2", "--cache", tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    _figure(r"^database: sqlite, practices made 2, there already 0$", out)
    _figure(
        rf"^import \(import_paths\) +{NUMBER} s +{NUMBER} resources/s +peak RSS {NUMBER} MB",
        out,
    )
    report = json.loads(_figure(r"^report: (\{.*\})$", out).group(1))
    assert report
    _figure(rf"^ratio import / floor: {NUMBER}$", out)
