"""``opspor synth``: write a synthetic region as Parquet files.

Every argument is checked before anything is written; a bad value prints one line to
stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from opspor.synth.generator import MAX_PATIENTS, generate_region

PROG = "opspor synth"
MAX_SEED = 2**63 - 1


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the usage block too; one line says enough.
        # argparse says "argument --x: --x must ..."; the checks below already name the option.
        if message.startswith("argument ") and ": " in message:
            message = message.split(": ", 1)[1]
        raise UsageError(message)


def _positive_int(name: str, upper: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {text!r}"
            ) from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {value}")
        if value > upper:
            raise argparse.ArgumentTypeError(f"{name} must be at most {upper:,}, got {value:,}")
        return value

    parse.__name__ = name
    return parse


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed must be 0 or more, got {value}")
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"--seed must be at most {MAX_SEED}")
    return value


def _as_of(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--as-of must be a real date written YYYY-MM-DD, got {text!r}"
        ) from None
    if value > date.today():
        raise argparse.ArgumentTypeError(f"--as-of {value} is in the future")
    if value.year < 1900:
        raise argparse.ArgumentTypeError(f"--as-of {value} is before 1900")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=(
            "Write a synthetic Capital Region (patients, practices, ten years of contacts "
            "and clinical events) as Parquet files. The same seed, as-of date and sizes "
            "give byte-identical files."
        ),
    )
    parser.add_argument(
        "--patients",
        required=True,
        type=_positive_int("--patients", MAX_PATIENTS),
        help=f"number of patient records (1 to {MAX_PATIENTS:,})",
    )
    parser.add_argument("--seed", required=True, type=_seed, help="random seed (0 or more)")
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument(
        "--as-of",
        type=_as_of,
        default=None,
        help="last day of the history, YYYY-MM-DD (default: today)",
    )
    parser.add_argument(
        "--practices",
        type=_positive_int("--practices", MAX_PATIENTS),
        default=None,
        help="number of practices (default: the region's patients per practice)",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="do not show a progress bar on stderr"
    )
    return parser


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"--out {out}: {parent} is not a directory")


def _advance(bar: Any) -> Callable[[int], None]:
    """The generator reports whole patients; tqdm's update takes floats and returns a flag."""

    def advance(n: int) -> None:
        bar.update(n)

    return advance


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(args_list)
        if args.practices is not None and args.practices > args.patients:
            raise UsageError(
                f"--practices ({args.practices:,}) cannot exceed --patients ({args.patients:,})"
            )
        _check_out(args.out)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2

    as_of = args.as_of or date.today()
    progress_bar = None
    if not args.no_progress:
        from tqdm import tqdm

        progress_bar = tqdm(
            total=args.patients, unit="patients", unit_scale=True, file=sys.stderr, desc="synth"
        )
    try:
        summary = generate_region(
            args.out,
            n_patients=args.patients,
            seed=args.seed,
            as_of=as_of,
            n_practices=args.practices,
            progress=_advance(progress_bar) if progress_bar is not None else None,
        )
    except OSError as exc:
        print(f"{PROG}: error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        if progress_bar is not None:
            progress_bar.close()
    rows = ", ".join(f"{name} {n:,}" for name, n in summary.rows.items())
    print(f"Wrote {args.out} (as of {as_of}, seed {args.seed}): {rows}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
