"""Simulate throughput of a real server: gunicorn (2 sync workers) on PostgreSQL.

Usage (repository root, PostgreSQL reachable):

    .venv/bin/python benchmarks/http_throughput.py            # concurrency 1 and 8
    .venv/bin/python benchmarks/http_throughput.py --concurrency 1 4 8 --seconds 15

It creates (or reuses) the database ``lotus_manage_bench``, migrates it, starts gunicorn on
a free 127.0.0.1 port, and for each concurrency level sends simulate requests with fresh
Idempotency-Keys (every request runs the engine and records a run) for a fixed time.
Prints requests per second and latency percentiles. Traffic goes to 127.0.0.1 only and
every loop is bounded in time and count.

Requests carry an API key: ``--api-key KEY`` (a key of a client with the simulate role in
that database), or by default a new client with every role, created after migrating. The
server's throttle rates are raised out of the way unless DPM_THROTTLE_* are set.

The request body defaults to the ``request`` of conformance case 01 in ../shared
(``--body FILE`` takes either a bare body or a fixture file).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

if __package__:
    from .api_key import UNTHROTTLED, auth_header, create_bench_key
else:  # run as a script: benchmarks/ is on sys.path
    from api_key import UNTHROTTLED, auth_header, create_bench_key

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BODY = REPO.parent / "shared" / "conformance" / "golden" / "golden_scenario_01_cash_inflow.json"
MAX_REQUESTS_PER_LEVEL = 20_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_body(path: Path) -> bytes:
    data = json.loads(path.read_text())
    if "request" in data and "portfolio_snapshot" not in data:
        data = data["request"]
    return json.dumps(data).encode()


def ensure_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def status_of(request: urllib.request.Request, timeout: float = 30) -> int:
    """Send ``request``, read the whole answer, return its status (errors included)."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def post(url: str, body: bytes, key: str) -> int:
    return status_of(urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": f"bench-{uuid.uuid4().hex}",
                 **auth_header(key)},
    ))


def run_level(url: str, body: bytes, key: str, concurrency: int, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker():
        nonlocal errors
        while time.monotonic() < deadline:
            with lock:
                if len(latencies) + errors >= MAX_REQUESTS_PER_LEVEL:
                    return
            start = time.perf_counter()
            status = post(url, body, key)
            elapsed = time.perf_counter() - start
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {
        "concurrency": concurrency, "ok": len(latencies), "errors": errors,
        "rps": len(latencies) / wall, "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
        "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement time per level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--body", type=Path, default=DEFAULT_BODY)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without database name")
    parser.add_argument("--database", default="lotus_manage_bench")
    parser.add_argument("--api-key", help="API key to send (default: create a client for this run)")
    args = parser.parse_args(argv)

    if not args.body.is_file():
        print(f"request body not found: {args.body} (pass --body FILE)", file=sys.stderr)
        return 2
    body = load_body(args.body)
    ensure_database(f"{args.pg}/postgres", args.database)
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.pg}/{args.database}",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only-secret-key"),
        "ALLOWED_HOSTS": "127.0.0.1",
        **{name: os.environ.get(name, rate) for name, rate in UNTHROTTLED.items()},
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    key = args.api_key or create_bench_key(env)
    port = free_port()
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "lotus_manage.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--worker-class", "sync", "--log-level", "warning"],
        cwd=REPO, env=env,
    )
    url = f"http://127.0.0.1:{port}/rebalance/simulate"
    try:
        for _ in range(100):
            try:
                status = post(url, body, key)
                if status == 200:
                    break
                if status in (401, 403):
                    print(f"the server refused the API key ({status}); --api-key needs the "
                          "simulate role in this database", file=sys.stderr)
                    return 1
            except OSError:
                time.sleep(0.1)
        else:
            print("server did not come up", file=sys.stderr)
            return 1
        for _ in range(20):  # warm both workers
            post(url, body, key)
        print(f"gunicorn {args.workers} sync workers, PostgreSQL database {args.database}, "
              f"{args.seconds:.0f} s per level, body {args.body.name}")
        print(f"{'conc':>4} {'req/s':>8} {'ok':>6} {'err':>4} {'mean ms':>8} {'p50':>7} {'p95':>7} {'p99':>7}")
        for level in args.concurrency:
            r = run_level(url, body, key, level, args.seconds)
            print(f"{r['concurrency']:>4} {r['rps']:>8.1f} {r['ok']:>6} {r['errors']:>4} "
                  f"{r['mean']:>8.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
