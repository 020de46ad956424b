"""`opspor assess FILE|- [--ruleset NAME]` and `opspor assess --schema`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from opspor.engine.assess import assess
from opspor.engine.assessment import Assessment
from opspor.engine.context import PatientContext
from opspor.engine.rules.loader import DEFAULT_RULESET, RULESETS
from opspor.engine.rules.schema import RuleError

# A context is small; a file above this is not a patient context and is refused unread.
MAX_INPUT_BYTES = 20 * 1024 * 1024


def schemas() -> dict[str, Any]:
    return {
        "PatientContext": PatientContext.model_json_schema(),
        "Assessment": Assessment.model_json_schema(),
    }


def describe(error: ValidationError) -> list[str]:
    """One line per offending field, its path written as in the JSON."""
    lines = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in item["loc"]) or "(context)"
        lines.append(f"{path}: {item['msg']}")
    return lines


def _fail(message: str) -> int:
    print(f"opspor assess: {message}", file=sys.stderr)
    return 2


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="opspor assess",
        description="Assess one patient context (JSON) and print the findings.",
    )
    parser.add_argument("file", nargs="?", help="a PatientContext JSON file, or - for stdin")
    parser.add_argument("--ruleset", default=DEFAULT_RULESET, choices=RULESETS)
    parser.add_argument("--schema", action="store_true", help="print the JSON Schemas and exit")
    args = parser.parse_args(argv)
    if args.schema:
        print(json.dumps(schemas(), indent=2, ensure_ascii=False))
        return 0
    if args.file is None:
        return _fail("give a FILE or - for standard input (or --schema)")
    try:
        if args.file == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            path = Path(args.file)
            if path.stat().st_size > MAX_INPUT_BYTES:
                return _fail(f"{args.file}: larger than {MAX_INPUT_BYTES // 2**20} MiB")
            raw = path.read_bytes()
    except OSError as error:
        return _fail(f"cannot read {args.file}: {error.strerror}")
    if len(raw) > MAX_INPUT_BYTES:
        return _fail(f"input larger than {MAX_INPUT_BYTES // 2**20} MiB")
    try:
        context = PatientContext.model_validate_json(raw)
    except ValidationError as error:
        return _fail("invalid context:\n  " + "\n  ".join(describe(error)))
    try:
        result = assess(context, ruleset=args.ruleset)
    except RuleError as error:
        return _fail(f"rule set error: {error}")
    print(result.model_dump_json(indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
