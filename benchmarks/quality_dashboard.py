"""Server time of the quality unit's dashboard (`/quality/`) with the whole region's figures,
and of a practice's mirror (`/quality/practice/`).

The region's figures come from a synthetic region's Parquet files (`opspor synth`, 1.9
million people by default, kept in `--cache` between runs) through the same refresh the
worker runs at night; the record holds one practice with a GP and the analyst. Each page is
requested through Django's test Client, logged in, and timed from the call to the response
(routing, the role check, the selectors over the stored figures, the Vega-Lite
specifications, the template). The baseline, in the same process: the same pages with the
figures of a small region (`--baseline-patients`, 20,000 people), so the ratio shows what the
region's size costs. The target: the dashboard renders in under 1 second at region scale.

    .venv/bin/python benchmarks/quality_dashboard.py [--patients 1900000] [--requests 20]
        [--cache /tmp/quality-region] [--baseline-patients 20000] [--as-of YYYY-MM-DD]
        [--scan SCAN.parquet]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from pages import count_queries, cpu_model, django_setup, ratio, summary, time_page


def _region(cache: Path, patients: int, as_of: date) -> Path:
    from opspor.synth import generate_region

    out = cache / f"region-{patients}-{as_of.isoformat()}"
    if not (out / "diagnoses.parquet").is_file():
        out.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        generate_region(out, n_patients=patients, seed=1, as_of=as_of)
        print(f"synthetic region of {patients:,} written in {time.perf_counter() - started:.1f} s")
    return out


def _refresh(region: Path, as_of: date, scan: Path | None = None) -> tuple[float, int]:
    from opspor.quality.models import QualityRefresh
    from opspor.quality.services import quality_refresh

    started = time.perf_counter()
    refresh = quality_refresh(
        by=QualityRefresh.By.COMMAND, as_of=as_of, region_data=region, scan_file=scan
    )
    return time.perf_counter() - started, refresh.cells


def _people() -> tuple[Any, Any]:
    from tests import factories

    from opspor.accounts.models import Role

    analyst = factories.user(Role.ANALYST)
    gp = factories.gp(factories.practice()).user
    return analyst, gp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1_900_000)
    parser.add_argument("--baseline-patients", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir(), "quality-region"))
    parser.add_argument(
        "--scan",
        type=Path,
        default=None,
        help="an `opspor scan --all-patients` result of the large region, for the signals",
    )
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=None, help="the figures' day (default today)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opspor-bench-quality-") as var:
        django_setup(var)
        from django.test import Client
        from django.utils import timezone

        as_of = args.as_of or timezone.localdate()
        analyst, gp = _people()
        client = Client()
        pages = {"dashboard": (analyst, "/quality/"), "mirror": (gp, "/quality/practice/")}
        figures: dict[str, dict[str, list[float]]] = {}
        for label, patients in (("baseline", args.baseline_patients), ("region", args.patients)):
            region = _region(args.cache, patients, as_of)
            seconds, cells = _refresh(region, as_of, args.scan if label == "region" else None)
            print(f"{label}: {patients:,} people, refresh {seconds:.1f} s, {cells:,} cells stored")
            figures[label] = {}
            for page, (user, url) in pages.items():
                client.force_login(user)
                client.get(url)  # templates compiled, caches warm
                figures[label][page] = time_page(client, url, args.requests)
                queries = count_queries(client, url)
                print(summary(f"  {page} ({queries} queries)", figures[label][page], 28))
        print(
            f"\n{platform.python_implementation()} {platform.python_version()}, {cpu_model()}, "
            f"{os.cpu_count()} cores"
        )
        for page in pages:
            print(
                f"ratio {page} region / baseline: "
                f"{ratio(figures['region'][page], figures['baseline'][page])}"
            )


if __name__ == "__main__":
    main()
