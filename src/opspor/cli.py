"""The `opspor` command.

Commands that need no database (`synth`, `assess`, `scan`) run without starting Django, so that
generating a population or assessing a context never depends on a configured site; every
other command is a Django management command (`seed`, `token`, `migrate`, `runserver`, ...).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

PureCommand = Callable[[list[str]], int]


def _pure_commands() -> dict[str, PureCommand]:
    from opspor.engine.cli import main as assess_main
    from opspor.population.scan.cli import main as scan_main
    from opspor.synth.cli import main as synth_main

    return {"synth": synth_main, "assess": assess_main, "scan": scan_main}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in {"synth", "assess", "scan"}:
        return _pure_commands()[args[0]](args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.settings")
    from django.core.management import execute_from_command_line

    from opspor.config import SettingError

    try:
        execute_from_command_line(["opspor", *args])
    except SettingError as error:
        print(f"opspor: configuration error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
