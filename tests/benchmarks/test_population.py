"""The population benchmark (`benchmarks/population.py`): its figures at a tiny size, how it
measures a child's memory, its refusals, and the pandas reference held to the scan."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from population_pandas import differences, population_signals, read_tables

from opspor.population.scan.run import scan
from opspor.population.scan.shape import RESULT_COLUMNS
from opspor.synth import generate_region
from population import CommandFailed, measure

ROOT = Path(__file__).resolve().parents[2]
T = date(2025, 6, 30)
NUMBER = r"[\d,]+(?:\.\d+)?"


def _benchmark(*args: str | Path, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "population.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def _figure(pattern: str, text: str) -> re.Match[str]:
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"{pattern!r} not in:\n{text}"
    return found


def test_the_benchmark_prints_its_figures_at_a_tiny_size(tmp_path: Path) -> None:
    done = _benchmark("--patients", "1500", "--pandas-sample", "1000", "--cache", tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    _figure(r"^region: 1,500 patients, [\d,]+ contacts, as of 2025-06-30, seed 1", out)
    scanned = _figure(
        rf"^scan \(duckdb\) +wall +({NUMBER}) s \(in process +({NUMBER}) s\)"
        rf" +peak RSS +({NUMBER}) MB +tree peak +{NUMBER} MB"
        rf" +rows ({NUMBER}), patients ({NUMBER})$",
        out,
    )
    wall, inside, peak_mb, rows, patients = (float(g.replace(",", "")) for g in scanned.groups())
    assert 0 < inside < wall
    assert peak_mb > 50  # an interpreter with DuckDB and Arrow loaded
    assert 0 < rows < patients <= 1500
    _figure(rf"^floor \(duckdb aggregate\) +wall +{NUMBER} s .* rows {NUMBER}$", out)
    _figure(rf"^ratio scan / floor: in process {NUMBER}, wall {NUMBER}  \(target <= 5: ", out)
    _figure(rf"^pandas \(1,000-patient sample\) +wall +{NUMBER} s .* patients {NUMBER}$", out)
    _figure(rf"^per patient: pandas {NUMBER} us, scan \(duckdb\) {NUMBER} us$", out)
    _figure(rf"^ratio pandas / scan per patient: {NUMBER}  \(target >= 20: ", out)
    _figure(r"^agreement pandas / scan on the sample: identical \([\d,]+ rows\)$", out)
    # The region was generated into the cache, and is reused by the next run.
    assert (tmp_path / "region-1500-seed1-2025-06-30" / "contacts.parquet").is_file()


def test_the_scale_study_prints_and_draws_each_size(tmp_path: Path) -> None:
    # One size is in the cache already and is reused; the other is generated.
    generate_region(tmp_path / "region-600-seed1-2025-06-30", 600, 1, T)
    plot = tmp_path / "scaling.png"
    done = _benchmark("--scale", "600,1200", "--plot", plot, "--cache", tmp_path)
    assert done.returncode == 0, done.stderr
    assert not re.search(r"^ +600 patients  synth", done.stdout, re.MULTILINE)
    _figure(rf"^ +1,200 patients  synth +{NUMBER} s  peak +{NUMBER} MB$", done.stdout)
    for size in ("600", "1,200"):
        _figure(
            rf"^ +{size} patients  scan \(duckdb\) wall +{NUMBER} s  in process +{NUMBER} s"
            rf"  peak +{NUMBER} MB  rows {NUMBER}  listed {NUMBER}$",
            done.stdout,
        )
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale", "1000,lots"], "--scale: sizes, comma-separated: not a whole number"),
        (["--scale", "1000,0"], "must be at least 1"),
        (["--backend", "sqlite"], "--backend: one or more of duckdb, spark"),
        (["--patients", "-5"], "--patients: must be at least 1"),
        (["--pandas-sample", "-1"], "--pandas-sample: must be 0 or more"),
        (["--data", "{tmp}/nowhere"], "--data: no contacts.parquet in"),
        (["--plot", "{tmp}/plot.png"], "--plot needs --scale"),
        (["--as-of", "2025-13-01"], "--as-of"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(
    tmp_path: Path, args: list[str], message: str
) -> None:
    cache = tmp_path / "cache"
    done = _benchmark(*(a.format(tmp=tmp_path) for a in args), "--cache", cache, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr
    assert not cache.exists()
    assert not (tmp_path / "plot.png").exists()


# --- how a child's memory and time are measured ---------------------------------------------

ALLOCATE = "import sys, time; b = bytearray({mb} << 20); b[::4096] = b'x' * len(b[::4096]); "


def test_a_childs_peak_memory_is_its_own(tmp_path: Path) -> None:
    small = measure([sys.executable, "-c", "print('{}')"], timeout_s=30)
    big = measure(
        [sys.executable, "-c", ALLOCATE.format(mb=200) + "time.sleep(0.5); print('{\"n\": 1}')"],
        timeout_s=30,
    )
    assert big.report == {"n": 1}
    assert big.peak_rss_kb - small.peak_rss_kb > 190 * 1024
    # Measured after the big one: the figure is not the largest child's so far.
    again = measure([sys.executable, "-c", "print('{}')"], timeout_s=30)
    assert again.peak_rss_kb < big.peak_rss_kb - 150 * 1024


def test_the_tree_peak_adds_up_the_processes_below_the_child() -> None:
    # A grandchild that outlives nothing the child waits for: only the sampling sees it
    # beside the child, as the JVM beside a Spark driver.
    grandchild = ALLOCATE.format(mb=150) + "time.sleep(1.5)"
    child = (
        "import subprocess, sys; "
        f"p = subprocess.Popen([sys.executable, '-c', {grandchild!r}]); "
        + ALLOCATE.format(mb=100)
        + "p.wait(); print('{}')"
    )
    m = measure([sys.executable, "-c", child], timeout_s=30)
    assert m.tree_peak_kb > 240 * 1024
    assert m.peak_rss_kb < m.tree_peak_kb


def test_a_command_that_fails_or_runs_too_long_is_reported() -> None:
    with pytest.raises(CommandFailed, match=r"exit status 3\n.*no such table"):
        measure(
            [sys.executable, "-c", "import sys; sys.stderr.write('no such table'); sys.exit(3)"],
            timeout_s=30,
        )
    with pytest.raises(CommandFailed, match="stopped after 1 s"):
        measure([sys.executable, "-c", "import time; time.sleep(30)"], timeout_s=1)


# --- the pandas reference and the scan ------------------------------------------------------


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("population") / "region"
    generate_region(data, 3_000, 11, T, 3)
    return data


@pytest.mark.parametrize("as_of", [T, date(2023, 2, 28)])
def test_the_pandas_reference_and_the_scan_agree_on_every_column(
    region: Path, tmp_path: Path, as_of: date
) -> None:
    out = tmp_path / "scan.parquet"
    report = scan(region, as_of=as_of, out=out, all_patients=True)
    scanned = pq.read_table(out).replace_schema_metadata(None)
    reference = population_signals(read_tables(region), as_of)
    assert reference.schema.names == list(RESULT_COLUMNS)
    assert reference.num_rows == report.patients_scanned > 2_000
    assert differences(reference, scanned, rel=0.0) == []
    # Every column holds values on both sides, so the agreement covers each of them.
    for column in RESULT_COLUMNS:
        assert reference[column].null_count < reference.num_rows, column


def test_the_reference_and_the_scan_keep_the_same_rows_with_a_signal(
    region: Path, tmp_path: Path
) -> None:
    from population_pandas import with_signal

    out = tmp_path / "scan.parquet"
    scan(region, as_of=T, out=out)
    scanned = pq.read_table(out).replace_schema_metadata(None)
    reference = with_signal(population_signals(read_tables(region), T))
    assert 0 < scanned.num_rows < 2_000
    assert differences(reference, scanned, rel=0.0) == []
