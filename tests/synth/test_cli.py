"""`opspor synth`: bad input gives one clear line and exit 2 and writes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from opspor.synth.cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_writes_a_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "region"
    code, stdout, _ = _run(
        [
            "--patients",
            "500",
            "--seed",
            "1",
            "--out",
            str(out),
            "--as-of",
            "2024-12-31",
            "--practices",
            "3",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0
    assert "patients 500" in stdout
    assert pq.read_table(out / "patients.parquet").num_rows == 500
    assert pq.read_table(out / "practices.parquet").num_rows == 3
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dir left


def test_progress_bar_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, stderr = _run(
        ["--patients", "300", "--seed", "2", "--out", str(tmp_path / "r")], capsys
    )
    assert code == 0
    assert "synth" in stderr and "synth:" not in stdout


def test_rewriting_replaces_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "region"
    args = ["--seed", "1", "--out", str(out), "--as-of", "2024-12-31", "--no-progress"]
    assert _run(["--patients", "300", *args], capsys)[0] == 0
    (out / "notes.txt").write_text("kept")
    assert _run(["--patients", "200", *args], capsys)[0] == 0
    assert pq.read_table(out / "patients.parquet").num_rows == 200
    assert (out / "notes.txt").read_text() == "kept"


TOMORROW = (date.today() + timedelta(days=1)).isoformat()

BAD = [
    (["--patients", "0", "--seed", "1"], "--patients must be at least 1"),
    (["--patients", "-5", "--seed", "1"], "--patients"),
    (["--patients", "ten", "--seed", "1"], "--patients must be a whole number"),
    (["--patients", "2.5", "--seed", "1"], "--patients must be a whole number"),
    (["--patients", "10000001", "--seed", "1"], "--patients must be at most 10,000,000"),
    (["--patients", "10", "--seed", "-1"], "--seed must be 0 or more"),
    (["--patients", "10", "--seed", "x"], "--seed must be a whole number"),
    (["--patients", "10", "--seed", "1", "--as-of", TOMORROW], "is in the future"),
    (["--patients", "10", "--seed", "1", "--as-of", "2024-02-30"], "real date"),
    (["--patients", "10", "--seed", "1", "--as-of", "31-12-2024"], "YYYY-MM-DD"),
    (["--patients", "10", "--seed", "1", "--as-of", "20241231"], "YYYY-MM-DD"),
    (["--patients", "10", "--seed", "1", "--practices", "0"], "--practices must be at least 1"),
    (["--patients", "10", "--seed", "1", "--practices", "11"], "cannot exceed --patients"),
    (["--seed", "1"], "required"),
    (["--patients", "10"], "required"),
    (["--patients", "10", "--seed", "1", "--colour", "red"], "unrecognized arguments"),
]


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    out = tmp_path / "region"
    code, stdout, stderr = _run([*argv, "--out", str(out)], capsys)
    assert code == 2
    assert stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("opspor synth: error: ")
    assert message in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_out_that_is_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file.parquet"
    target.write_text("not a directory")
    code, _, stderr = _run(["--patients", "10", "--seed", "1", "--out", str(target)], capsys)
    assert code == 2
    assert "is not a directory" in stderr
    assert target.read_text() == "not a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.parquet"]


def test_out_below_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    code, _, stderr = _run(
        ["--patients", "10", "--seed", "1", "--out", str(target / "region")], capsys
    )
    assert code == 2
    assert "is not a directory" in stderr
