"""`opspor assess`: JSON in, JSON out; bad input exits 2, names every field, prints nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from opspor.engine.cli import schemas

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
CONTEXT = {
    "as_of": "2026-11-20",
    "patient": {"birth_date": "1970-02-01", "sex": "male", "smoking": "current"},
    "symptoms": [{"code": "haemoptysis", "onset": "2026-11-01"}],
}


def _assess(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opspor.cli", "assess", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_assess_a_file(tmp_path: Path) -> None:
    path = tmp_path / "context.json"
    path.write_text(json.dumps(CONTEXT))
    result = _assess(str(path), "--ruleset", "nice-ng12")
    assert result.returncode == 0, result.stderr
    assessment = json.loads(result.stdout)
    assert assessment["ruleset"] == "nice-ng12"
    assert "ng12-1.1.1-haemoptysis" in {f.get("rule_id") for f in assessment["findings"]}


def test_assess_stdin_with_the_default_ruleset() -> None:
    result = _assess("-", stdin=json.dumps(CONTEXT))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ruleset"] == "dk-pakkeforloeb"


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ("{not json", ["(context)"]),
        (json.dumps({"patient": {"sex": "other"}}), ["as_of", "patient.birth_date", "patient.sex"]),
        (
            json.dumps({**CONTEXT, "symptoms": [{"code": "sadness", "onset": "2026-11-01"}]}),
            ["symptoms.0.code"],
        ),
        (json.dumps({**CONTEXT, "as_of": "2026-10-01"}), ["symptoms.0.onset"]),
    ],
)
def test_invalid_input_exits_2_names_the_fields_and_prints_nothing(
    payload: str, fields: list[str]
) -> None:
    result = _assess("-", stdin=payload)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("opspor assess: invalid context:")
    for field in fields:
        assert field in result.stderr


def test_unknown_ruleset_and_missing_file_are_clear() -> None:
    bad = _assess("-", "--ruleset", "who-knows", stdin=json.dumps(CONTEXT))
    assert bad.returncode == 2 and bad.stdout == "" and "who-knows" in bad.stderr
    missing = _assess("/nonexistent/context.json")
    assert missing.returncode == 2 and missing.stdout == "" and "cannot read" in missing.stderr


def test_schema_is_printed_and_published_in_docs() -> None:
    result = _assess("--schema")
    assert result.returncode == 0
    printed = json.loads(result.stdout)
    assert printed == schemas()
    assert (
        json.loads((DOCS / "patient-context.schema.json").read_text()) == printed["PatientContext"]
    )
    assert json.loads((DOCS / "assessment.schema.json").read_text()) == printed["Assessment"]
