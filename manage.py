#!/usr/bin/env python
"""Django's command-line utility; `opspor` is the same with the project's own commands."""

import sys

from opspor.cli import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
