"""A load test of the production setup on this machine: gunicorn's workers and the task
worker on PostgreSQL, driven by locust on 127.0.0.1 (`make load`).

    .venv/bin/python benchmarks/load.py [--stages 40,80,120,160,200] [--stage-seconds 120]
        [--settle 50] [--pace 5] [--web-workers 5]
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres] [--keep]

What it does, in order: makes a new PostgreSQL database (`opspor_load`, dropped at the end
unless `--keep`), migrates it and seeds the demo region as `make demo` does (3,000
patients and the 100,000-person quality region), collects the static files as production
does, makes the load test's own staff accounts (benchmarks/load_world.py), starts
`opspor worker` and gunicorn with `opspor.gunicorn_conf` and `OPSPOR_ENV=production`,
waits for /readyz, and runs locust (benchmarks/load_locustfile.py) in stages of more and
more users, each clicking once every `--pace` seconds: GPs, diagnostic-unit doctors,
patients and analysts in the proportions 6:2:3:1.

For each stage it prints the rate offered (users / pace), the rate served, the answers'
p50/p95/p99 and the errors, counted over the stage after its first `--settle` seconds
(while new users log in); the baseline is the first stage, and each stage's p95 is shown
as a ratio of it. A stage is sustained when no request failed, the rate served is at
least 95 % of the rate offered, and p95 is under one second; the highest sustained stage
is named at the end, with its figures by page. The server's own access log is checked
for 5xx answers besides.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg
from pages import cpu_model

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVED_SHARE = 0.95
P95_LIMIT_MS = 1000.0
GUNICORN_CONFIG = "python:opspor.gunicorn_conf"


@dataclass(frozen=True)
class Stage:
    users: int
    offered: float
    served: float
    p50: float
    p95: float
    p99: float
    requests: int
    errors: int

    @property
    def sustained(self) -> bool:
        return (
            self.errors == 0
            and self.served >= SERVED_SHARE * self.offered
            and (self.p95 < P95_LIMIT_MS)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stages", default="40,80,120,160,200")
    parser.add_argument("--stage-seconds", type=float, default=120)
    parser.add_argument("--settle", type=float, default=50, help="seconds left out per stage")
    parser.add_argument("--pace", type=float, default=5, help="seconds between a user's clicks")
    parser.add_argument("--spawn-rate", type=float, default=1, help="users started a second")
    parser.add_argument("--web-workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--quality-patients", type=int, default=100_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="opspor_load")
    parser.add_argument("--keep", action="store_true", help="keep the database and the files")
    args = parser.parse_args()
    stages = [int(n) for n in args.stages.split(",")]

    work = Path(tempfile.mkdtemp(prefix="opspor-load-"))
    database_url = _database_create(args.admin_url, args.database)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "DATABASE_URL": database_url,
        "OPSPOR_VAR_DIR": str(work / "var"),
        "OPSPOR_API_RATE_LIMIT": "0",
    }
    production = {
        **env,
        "OPSPOR_ENV": "production",
        "OPSPOR_SECRET_KEY": secrets.token_urlsafe(64),
        "OPSPOR_ALLOWED_HOSTS": "127.0.0.1",
        "OPSPOR_BASE_URL": f"https://127.0.0.1:{args.port}",
        "OPSPOR_BIND": f"127.0.0.1:{args.port}",
        "OPSPOR_WEB_WORKERS": str(args.web_workers),
        "OPSPOR_LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        started = time.monotonic()
        _run(["opspor", "migrate", "--noinput", "--verbosity", "0"], env, quiet=True)
        _run(
            [
                "opspor",
                "seed",
                "--patients",
                str(args.patients),
                "--seed",
                "2026",
                "--quality-region-patients",
                str(args.quality_patients),
            ],
            env,
            quiet=True,
        )
        _run(["opspor", "collectstatic", "--noinput", "--verbosity", "0"], production, quiet=True)
        # Enough accounts that no two simulated staff share one (their codes would clash).
        most = max(stages)
        world = work / "world.json"
        _run(
            [
                str(BIN / "python"),
                str(ROOT / "benchmarks" / "load_world.py"),
                "--out",
                str(world),
                "--gps",
                str(most * 6 // 12 + 2),
                "--unit-doctors",
                str(most * 2 // 12 + 2),
                "--analysts",
                str(most // 12 + 2),
            ],
            env,
            quiet=True,
        )
        print(f"database seeded in {time.monotonic() - started:.0f} s")

        access_log = work / "access.log"
        with access_log.open("wb") as log, (work / "worker.log").open("wb") as worker_log:
            processes.append(
                subprocess.Popen(
                    [str(BIN / "opspor"), "worker"],
                    env=production,
                    stdout=worker_log,
                    stderr=subprocess.STDOUT,
                )
            )
            processes.append(
                subprocess.Popen(
                    [str(BIN / "gunicorn"), "--config", GUNICORN_CONFIG, "opspor.wsgi"],
                    env=production,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            host = f"http://127.0.0.1:{args.port}"
            _wait_ready(f"{host}/readyz", timeout=120)
            samples_file = work / "samples.json"
            duration = args.stage_seconds * len(stages)
            _run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(ROOT / "benchmarks" / "load_locustfile.py"),
                    "--headless",
                    "--only-summary",
                    "--host",
                    host,
                    "--loglevel",
                    "WARNING",
                    "--stop-timeout",
                    "10",
                ],
                {
                    **os.environ,
                    "LOAD_WORLD": str(world),
                    "LOAD_SAMPLES": str(samples_file),
                    "LOAD_STAGES": ",".join(map(str, stages)),
                    "LOAD_STAGE_SECONDS": str(args.stage_seconds),
                    "LOAD_SPAWN_RATE": str(args.spawn_rate),
                    "LOAD_PACE_SECONDS": str(args.pace),
                },
                timeout=duration + 300,
                quiet=True,
                # locust ends with 1 when a request failed: the report counts those.
                accepted=(0, 1),
            )
        run = json.loads(samples_file.read_text())
        server_errors = _server_errors(access_log)
        _report(args, stages, run["started"], run["samples"], server_errors)
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in reversed(processes):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            _database_drop(args.admin_url, args.database)
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept: {database_url} and {work}")
    return 0


def _report(
    args: argparse.Namespace,
    stages: list[int],
    first: float,
    samples: list[list],
    server_errors: int,
) -> None:
    results = []
    windows = []
    for index, users in enumerate(stages):
        start = first + index * args.stage_seconds + args.settle
        end = first + (index + 1) * args.stage_seconds
        window = [s for s in samples if start <= s[0] < end and not s[1].startswith("login")]
        windows.append(window)
        results.append(_stage(users, args.pace, window, end - start))
    logins = [s for s in samples if s[1].startswith("login")]

    print(
        f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}, "
        f"{_postgres_version(args.admin_url)}"
    )
    print(
        f"server: gunicorn, {args.web_workers} sync workers, OPSPOR_ENV=production, and the task "
        f"worker; each user clicks every {args.pace:g} s; stages of {args.stage_seconds:g} s, "
        f"the first {args.settle:g} s of each left out"
    )
    base = results[0].p95 or 1.0
    print(
        f"{'users':>6} {'offered/s':>10} {'served/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'p95/base':>9} {'requests':>9} {'errors':>7}  sustained"
    )
    for r in results:
        print(
            f"{r.users:>6} {r.offered:>10.1f} {r.served:>9.1f} {r.p50:>8.0f} {r.p95:>8.0f} "
            f"{r.p99:>8.0f} {r.p95 / base:>9.2f} {r.requests:>9} {r.errors:>7}  "
            f"{'yes' if r.sustained else 'no'}"
        )
    failed_logins = sum(s[3] for s in logins)
    print(f"logins: {len(logins)} requests, {failed_logins} failed")
    print(f"server: {server_errors} answers with a 5xx status in gunicorn's access log")
    sustained = [r for r in results if r.sustained]
    if not sustained:
        print("no stage was sustained")
        return
    best = sustained[-1]
    index = results.index(best)
    print(
        f"highest sustained: {best.users} users, {best.served:.1f} requests/s, "
        f"p50/p95/p99 {best.p50:.0f}/{best.p95:.0f}/{best.p99:.0f} ms, {best.errors} errors"
    )
    by_page: dict[str, list[float]] = {}
    for s in windows[index]:
        by_page.setdefault(s[1], []).append(s[2])
    for name, times in sorted(by_page.items()):
        p50, p95, p99 = _percentiles(times)
        print(
            f"  {name:<22} {len(times):>6} requests  "
            f"p50 {p50:>5.0f}  p95 {p95:>5.0f}  p99 {p99:>5.0f} ms"
        )


def totp(key_hex: str, at: float) -> str:
    """RFC 6238's six-digit code (SHA-1, 30-second steps), as the authenticator app shows it
    (the load test's staff compute their own codes, with no Django in the locust process)."""
    counter = struct.pack(">Q", int(at) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def _stage(users: int, pace: float, window: list[list], seconds: float) -> Stage:
    times = [s[2] for s in window]
    p50, p95, p99 = _percentiles(times) if times else (0.0, 0.0, 0.0)
    return Stage(
        users=users,
        offered=users / pace,
        served=len(window) / seconds,
        p50=p50,
        p95=p95,
        p99=p99,
        requests=len(window),
        errors=sum(s[3] for s in window),
    )


def _percentiles(times: list[float]) -> tuple[float, float, float]:
    if len(times) < 2:
        value = times[0] if times else 0.0
        return value, value, value
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _server_errors(access_log: Path) -> int:
    # The access log's format (opspor.gunicorn_conf): address "method path protocol" status ...
    count = 0
    for line in access_log.read_text(errors="replace").splitlines():
        parts = line.split('" ')
        if len(parts) > 1 and parts[1][:1] == "5":
            count += 1
    return count


def _run(
    command: list[str],
    env: dict[str, str],
    *,
    timeout: float = 1800,
    quiet: bool = False,
    accepted: tuple[int, ...] = (0,),
) -> None:
    if command[0] == "opspor":
        command = [str(BIN / "opspor"), *command[1:]]
    result = subprocess.run(
        command, env=env, cwd=ROOT, timeout=timeout, capture_output=quiet, check=False
    )
    if result.returncode not in accepted:
        if quiet:
            sys.stderr.write(result.stdout.decode(errors="replace")[-4000:])
            sys.stderr.write(result.stderr.decode(errors="replace")[-4000:])
        raise SystemExit(f"{' '.join(command[:3])} … failed with exit code {result.returncode}")


def _wait_ready(url: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (our own server)
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server was not ready within {timeout:.0f} s ({url})")


def _database_create(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _database_drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_version(admin_url: str) -> str:
    with psycopg.connect(admin_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0].split()[0] if row else '?'}"


if __name__ == "__main__":
    sys.exit(main())
