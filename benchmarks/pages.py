"""What the page benchmarks share: the machine's name, a throwaway Django on SQLite, and
timing a page through Django's test Client.

Each benchmark is run as a script (`.venv/bin/python benchmarks/NAME.py`), so this module is
imported from the script's own folder.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def django_setup(var_dir: str) -> None:
    """Django on a new SQLite database under `var_dir`, migrated."""
    # Settings are read at import, so the environment comes first. DEBUG off, as in
    # production: with DEBUG on Django keeps every query in memory and the figures drift.
    os.environ["OPSPOR_VAR_DIR"] = var_dir
    Path(var_dir, "static").mkdir()  # WhiteNoise warns about a missing static root
    os.environ["OPSPOR_DEBUG"] = "false"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.settings")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def time_page(client: Any, url: str, n: int) -> list[float]:
    """`n` requests of the page, each in milliseconds from the call to the response."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return times


def count_queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def percentile(times: list[float], q: int) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[q - 1]


def summary(name: str, times: list[float], width: int) -> str:
    """One line: the name, then p50, p95 and the maximum in milliseconds."""
    return (
        f"{name:{width}s} p50 {percentile(times, 50):6.1f} ms   "
        f"p95 {percentile(times, 95):6.1f} ms   max {max(times):6.1f} ms"
    )


def ratio(times: list[float], base: list[float]) -> str:
    return (
        f"p50 {percentile(times, 50) / percentile(base, 50):.2f}, "
        f"p95 {percentile(times, 95) / percentile(base, 95):.2f}"
    )
