"""Request-path speed of two commits, side by side in one run.

Usage (repository root, PostgreSQL reachable, the project's .venv):

    .venv/bin/python benchmarks/compare_commits.py                       # 3162881 vs the work tree
    .venv/bin/python benchmarks/compare_commits.py --baseline 3162881 --candidate HEAD --rounds 5

Each side is extracted with `git archive` into a temporary directory (the work tree is
served in place unless --candidate names a commit), migrated into a PostgreSQL database
of its own (dropped and re-created), and served by gunicorn with 2 sync workers on a
free 127.0.0.1 port, with the interpreter running this script (its venv must hold both
sides' requirements). Requests never keep the connection alive (urllib sends
`Connection: close`), and carry an API key created on the candidate (a side without
authentication ignores it). Throttling stays on, at rates no measure reaches.

Measures, each run on both sides back to back (which side goes first alternates by
round), after a CHECKPOINT so that neither side waits behind the other's WAL (median
over rounds):

* simulate, N=10 instruments, concurrency 1 and 8 (a fresh Idempotency-Key and a body
  of its own per request: the portfolio id varies);
* simulate, N=1,000, concurrency 1;
* replay, N=10, concurrency 1 (one key, the same bytes every time, as a retry sends);
* one simulate of N=5,000 with the full feature profile (tax lots, tax awareness with a
  binding gains budget, settlement awareness): median latency of 3 requests.

Bodies come from benchmarks/engine_scaling.py's synthetic cases. All traffic goes to
127.0.0.1; every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import itertools
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
import uuid
from decimal import Decimal
from enum import Enum
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.engine_scaling import build_case  # noqa: E402
from benchmarks.http_throughput import ensure_database, free_port, status_of  # noqa: E402

MAX_REQUESTS = 20_000
TARGETS = {"simulate N=10, c=1": 2.0, "simulate N=10, c=8": 2.0, "simulate N=1000, c=1": 2.5,
           "replay N=10, c=1": 3.5, "one N=5000 (full profile)": 2.5}
RATES = {"DPM_THROTTLE_SIMULATE": "100000000/min", "DPM_THROTTLE_SUPPORT": "100000000/min"}


def _json_value(value):
    """An engine input dataclass tree as request JSON (decimals as strings)."""
    if dataclasses.is_dataclass(value):
        return {f.name: _json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(_json_value(k)): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def body_for(n: int, variant: str) -> bytes:
    case = build_case(n, variant)
    inputs = case.inputs
    body = {
        "portfolio_snapshot": _json_value(inputs.portfolio),
        "market_data_snapshot": _json_value(inputs.market_data),
        "model_portfolio": _json_value(inputs.model),
        "shelf_entries": _json_value(inputs.shelf),
        "options": _json_value(case.options),
    }
    return json.dumps(body).encode()


class Side:
    """One commit: its tree, database and gunicorn server."""

    def __init__(self, label: str, tree: Path, database: str, pg: str):
        self.label, self.tree, self.database = label, tree, database
        self.env = {
            **os.environ, "DATABASE_URL": f"{pg}/{database}", "DEBUG": "false", "ENV_FILE": "",
            "SECRET_KEY": "benchmark-only-secret-key", "ALLOWED_HOSTS": "127.0.0.1", **RATES,
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.log = tempfile.TemporaryFile()

    def manage(self, *args: str) -> str:
        proc = subprocess.run([sys.executable, "manage.py", *args], cwd=self.tree, env=self.env,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"{self.label}: manage.py {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
        return proc.stdout

    def start(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "lotus_manage.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "2", "--worker-class", "sync", "--timeout", "120",
             "--log-level", "warning"],
            cwd=self.tree, env=self.env, stdout=self.log, stderr=self.log,
        )

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)


def post(url: str, body: bytes, key: str, idempotency_key: str) -> int:
    return status_of(urllib.request.Request(url + "/rebalance/simulate", data=body, method="POST", headers={
        "Content-Type": "application/json", "Idempotency-Key": idempotency_key,
        "Authorization": f"Api-Key {key}"}), timeout=120)


def distinct(body: bytes, number: int) -> bytes:
    """``body`` with a portfolio id of its own: fresh requests are different requests, as
    in production, so nothing a server remembers of a body it has seen applies to them."""
    marker = b'"portfolio_id": "'
    if marker not in body:
        raise ValueError("the body has no portfolio_id to vary")
    return body.replace(marker, marker + b"%d-" % number, 1)


def throughput(side: Side, body: bytes, key: str, concurrency: int, seconds: float, replay: bool) -> float:
    """Requests per second answered 200 within ``seconds``; every fresh request has a
    body of its own, a replay resends the same bytes."""
    replay_key = f"replay-{uuid.uuid4().hex}"
    if replay and post(side.url, body, key, replay_key) != 200:
        raise RuntimeError(f"{side.label}: the first call of the replay measure failed")
    deadline = time.monotonic() + seconds
    done, failed = [0], [0]
    numbers = itertools.count()
    lock = threading.Lock()

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if done[0] + failed[0] >= MAX_REQUESTS:
                    return
            if replay:
                status = post(side.url, body, key, replay_key)
            else:
                with lock:
                    number = next(numbers)
                status = post(side.url, distinct(body, number), key, f"b-{uuid.uuid4().hex}")
            with lock:
                done[0] += status == 200
                failed[0] += status != 200
    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed[0]:
        raise RuntimeError(f"{side.label}: {failed[0]} requests failed")
    return done[0] / (time.monotonic() - started)


def single_latency(side: Side, body: bytes, key: str, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        if post(side.url, body, key, f"big-{uuid.uuid4().hex}") != 200:
            raise RuntimeError(f"{side.label}: the N=5000 request failed")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def extract(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO, capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def checkpoint(pg: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def recreate_database(pg: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ensure_database(f"{pg}/postgres", name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="3162881")
    parser.add_argument("--candidate", help="a commit (default: the work tree as it is)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="per throughput measure and round")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args(argv)

    bodies = {10: body_for(10, "base"), 1000: body_for(1000, "base"), 5000: body_for(5000, "tax")}
    with tempfile.TemporaryDirectory(prefix="lm-compare-") as tmp:
        baseline_tree = extract(args.baseline, Path(tmp) / "baseline")
        candidate_tree = extract(args.candidate, Path(tmp) / "candidate") if args.candidate else REPO
        sides = [Side(f"baseline {args.baseline}", baseline_tree, "lm_compare_baseline", args.pg),
                 Side(f"candidate {args.candidate or 'work tree'}", candidate_tree, "lm_compare_candidate",
                      args.pg)]
        for side in sides:
            recreate_database(args.pg, side.database)
            side.manage("migrate", "--noinput", "-v0")
        key = sides[1].manage("create_api_client", f"bench-{uuid.uuid4().hex[:8]}", "--role", "simulate",
                              "--role", "support").strip().splitlines()[-1]
        results: dict[str, dict[str, list[float]]] = {name: {s.label: [] for s in sides} for name in TARGETS}
        try:
            for side in sides:
                side.start()
            for side in sides:
                for _ in range(300):
                    try:
                        if post(side.url, bodies[10], key, f"warm-{uuid.uuid4().hex}") == 200:
                            break
                    except OSError:
                        time.sleep(0.1)
                else:
                    raise RuntimeError(f"{side.label} did not come up")
            measures = {
                "simulate N=10, c=1": lambda side: throughput(side, bodies[10], key, 1, args.seconds, replay=False),
                "simulate N=10, c=8": lambda side: throughput(side, bodies[10], key, 8, args.seconds, replay=False),
                "simulate N=1000, c=1": lambda side: throughput(side, bodies[1000], key, 1, args.seconds,
                                                                replay=False),
                "replay N=10, c=1": lambda side: throughput(side, bodies[10], key, 1, args.seconds, replay=True),
                "one N=5000 (full profile)": lambda side: single_latency(side, bodies[5000], key),
            }
            for round_number in range(1, args.rounds + 1):
                print(f"round {round_number}/{args.rounds}", file=sys.stderr)
                # Each measure runs on both sides back to back, the side going first
                # alternating by round; a CHECKPOINT before each, so that no side's
                # durable commits wait behind the WAL the other side just wrote.
                order = sides if round_number % 2 else sides[::-1]
                for name, measure in measures.items():
                    for side in order:
                        checkpoint(args.pg)
                        results[name][side.label].append(measure(side))
        finally:
            for side in sides:
                side.stop()

    base, cand = (s.label for s in sides)
    print(f"{'measure':28s} {'baseline':>14s} {'candidate':>14s} {'ratio':>7s} {'target':>7s}")
    for name, target in TARGETS.items():
        b, c = statistics.median(results[name][base]), statistics.median(results[name][cand])
        if name.startswith("one "):
            print(f"{name:28s} {b * 1000:11.0f} ms {c * 1000:11.0f} ms {b / c:6.2f}x {target:6.1f}x")
        else:
            print(f"{name:28s} {b:10.1f} r/s {c:10.1f} r/s {c / b:6.2f}x {target:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
