"""What recording a replay in the key's history costs, on PostgreSQL.

Usage (repository root, PostgreSQL on 127.0.0.1):

    .venv/bin/python benchmarks/key_history_replay_cost.py
    .venv/bin/python benchmarks/key_history_replay_cost.py --replays 3000 --rounds 5

In one process against a scratch database (``lm_wt8_bench`` unless --database),
one simulate call records a run under a key; then rounds alternate between

* ``without``: ``RunRepository.claim`` recording no entry (on PostgreSQL one
  statement that finds the key taken and reads its run);
* ``with``: the claim as the service calls it, with the entry written in that
  same statement and committed durably (it waits for the WAL flush);
* ``separate``: the claim without the entry, then the entry as an INSERT of its
  own (``record_key_event``): the round trip the single statement saves;
* ``service``: the whole replay path, ``simulate_idempotently`` (canonical text,
  hash, claim with its entry), for scale;

and prints per-replay latency (median, p95, p99, mean) of each and what the entry
adds. Nothing goes over the network. Figures only.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replays", type=int, default=2000, help="replays per round and way (default 2000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="lm_wt8_bench")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO / "benchmarks"))
    from http_throughput import ensure_database
    from run_listing import ADMIN_URL, setup_django

    ensure_database(ADMIN_URL, args.database)
    setup_django(args.database)

    import json
    import uuid

    from django.core.management import call_command

    from access_control.clients import create_client
    from dpm_runs.key_history import record_key_event
    from dpm_runs.models import KeyOutcome
    from dpm_runs.repository import Replay, RunRepository
    from rebalance.boundary import RebalanceRequest, validate_request
    from rebalance.services import simulate_idempotently

    call_command("migrate", verbosity=0)
    client_id = create_client(f"bench-replay-{uuid.uuid4().hex[:8]}", ["simulate"]).client.pk
    body = json.loads((REPO / "docs" / "examples" / "simulate-request.json").read_text())
    validated, issues = validate_request(body, RebalanceRequest)
    assert not issues, issues
    key = f"bench-replay-{uuid.uuid4().hex}"
    first = simulate_idempotently(validated, key, "corr-bench", client_id=client_id)
    repository = RunRepository()
    digest = repository.get_run(first.rebalance_run_id, client_id=None).request_hash

    def without():
        assert isinstance(repository.claim(client_id, key, digest), Replay)

    def with_entry():
        assert isinstance(repository.claim(client_id, key, digest, correlation_id="corr-bench"), Replay)

    def separate():
        outcome = repository.claim(client_id, key, digest)
        assert isinstance(outcome, Replay)
        record_key_event(client_id=client_id, key=key, outcome=KeyOutcome.REPLAYED, request_hash=digest,
                         correlation_id="corr-bench", rebalance_run_id=outcome.run.rebalance_run_id)

    def service():
        assert simulate_idempotently(validated, key, "corr-bench", client_id=client_id).replayed

    ways = {"without": without, "with": with_entry, "separate": separate, "service": service}
    times: dict[str, list[float]] = {name: [] for name in ways}
    for fn in ways.values():  # warm-up
        for _ in range(50):
            fn()
    for _ in range(args.rounds):
        for name, fn in ways.items():
            for _ in range(args.replays):
                started = time.perf_counter()
                fn()
                times[name].append((time.perf_counter() - started) * 1000)

    print(f"\n{args.rounds} rounds x {args.replays} replays per way; milliseconds per replay\n")
    print(f"{'way':10} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}")
    for name, values in times.items():
        print(f"{name:10} {statistics.median(values):7.3f} {percentile(values, 95):7.3f} "
              f"{percentile(values, 99):7.3f} {statistics.fmean(values):7.3f}")
    base = statistics.median(times["without"])
    for name in ("with", "separate"):
        added = statistics.median(times[name]) - base
        added_mean = statistics.fmean(times[name]) - statistics.fmean(times["without"])
        print(f"\n{name}: the history entry adds {added:.3f} ms at the median, {added_mean:.3f} ms "
              f"on average ({added / statistics.median(times['service']) * 100:.0f} % of the "
              "service's median replay)", end="")
    print()


if __name__ == "__main__":
    main()
