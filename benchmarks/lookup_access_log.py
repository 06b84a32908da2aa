"""What the access log costs a lookup: two gunicorn servers side by side on PostgreSQL.

Usage (repository root, PostgreSQL reachable):

    .venv/bin/python benchmarks/lookup_access_log.py
    .venv/bin/python benchmarks/lookup_access_log.py --requests 3000 --rounds 5

Both servers (2 sync workers each) serve the same database with authentication and
throttling on; one writes an access event per lookup (the service as shipped), the
other is the baseline whose workers skip only that write
(benchmarks/gunicorn_without_access_log.py). The script records one run, then
alternates rounds of `GET /rebalance/runs/{id}` between the two at concurrency 1 and
prints per-request latency for each, and the event's share. Traffic goes to 127.0.0.1
only; the number of requests is fixed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

if __package__:
    from .api_key import UNTHROTTLED, auth_header, create_bench_key
    from .http_throughput import DEFAULT_BODY, ensure_database, free_port, load_body, post, status_of
else:
    from api_key import UNTHROTTLED, auth_header, create_bench_key
    from http_throughput import DEFAULT_BODY, ensure_database, free_port, load_body, post, status_of

REPO = Path(__file__).resolve().parent.parent
BASELINE_CONFIG = Path(__file__).resolve().parent / "gunicorn_without_access_log.py"


def get(url: str, key: str) -> int:
    return status_of(urllib.request.Request(url, headers=auth_header(key)))


def start(env, port: int, config: Path | None):
    command = [sys.executable, "-m", "gunicorn", "lotus_manage.wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "sync",
               "--log-level", "warning"]
    if config is not None:
        command += ["--config", str(config)]
    return subprocess.Popen(command, cwd=REPO, env=env)


def wait_until_up(base: str, key: str) -> None:
    for _ in range(200):
        try:
            get(f"{base}/rebalance/runs/rr_00000000", key)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {base} did not come up")


def timed_round(url: str, key: str, requests: int) -> list[float]:
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        status = get(url, key)
        latencies.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"lookup answered {status}")
    return latencies


def count_events(env) -> int:
    code = "from access_control.models import AccessEvent; print(AccessEvent.objects.count())"
    out = subprocess.run([sys.executable, "manage.py", "shell", "--no-startup", "-c", code],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120)
    return int(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="lookups per server per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--body", type=Path, default=DEFAULT_BODY)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", default="lotus_manage_bench")
    args = parser.parse_args(argv)

    ensure_database(f"{args.pg}/postgres", args.database)
    env = {**os.environ, "DATABASE_URL": f"{args.pg}/{args.database}", "DEBUG": "false",
           "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only-secret-key"),
           "ALLOWED_HOSTS": "127.0.0.1",
           **{name: os.environ.get(name, rate) for name, rate in UNTHROTTLED.items()}}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    key = create_bench_key(env, prefix="bench-lookup")
    ports = {"with access log": free_port(), "without (baseline)": free_port()}
    servers = [start(env, ports["with access log"], None), start(env, ports["without (baseline)"], BASELINE_CONFIG)]
    try:
        bases = {label: f"http://127.0.0.1:{port}" for label, port in ports.items()}
        for base in bases.values():
            wait_until_up(base, key)
        if post(f"{bases['with access log']}/rebalance/simulate", load_body(args.body), key) != 200:
            raise RuntimeError("could not record a run to look up")
        events_before = count_events(env)
        run_id = _latest_run_id(env)
        results: dict[str, list[float]] = {label: [] for label in bases}
        for _ in range(args.rounds):
            for label, base in bases.items():
                results[label] += timed_round(f"{base}/rebalance/runs/{run_id}", key, args.requests)
        written = count_events(env) - events_before
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)

    print(f"GET /rebalance/runs/{{id}}, concurrency 1, {args.rounds} rounds x {args.requests} requests per server")
    medians = {}
    for label, latencies in results.items():
        latencies.sort()
        medians[label] = statistics.median(latencies) * 1000
        p95 = latencies[int(0.95 * len(latencies))] * 1000
        print(f"  {label:20s} median {medians[label]:6.2f} ms  p95 {p95:6.2f} ms  "
              f"mean {statistics.fmean(latencies) * 1000:6.2f} ms  ({len(latencies)} ok)")
    extra = medians["with access log"] - medians["without (baseline)"]
    print(f"  access event: +{extra:.2f} ms per lookup = {extra / medians['without (baseline)'] * 100:.0f} % "
          f"of the baseline lookup; events written: {written} "
          f"(expected {args.rounds * args.requests}, the baseline server writes none)")
    return 0


def _latest_run_id(env) -> str:
    code = "from dpm_runs.models import RebalanceRun; print(RebalanceRun.objects.order_by('-id').values_list('rebalance_run_id', flat=True)[0])"
    out = subprocess.run([sys.executable, "manage.py", "shell", "--no-startup", "-c", code],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120)
    return out.stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    sys.exit(main())
