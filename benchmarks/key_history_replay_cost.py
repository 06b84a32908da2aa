"""What recording a replay in the key's history costs, on PostgreSQL.

Usage (repository root, PostgreSQL on 127.0.0.1):

    .venv/bin/python benchmarks/key_history_replay_cost.py
    .venv/bin/python benchmarks/key_history_replay_cost.py --replays 3000 --rounds 5

In one process against a scratch database (``lm_wt8_bench`` unless --database),
one simulate call records a run under a key; then rounds alternate between

* ``before``: the run store's replay as it was, ``RunRepository.claim`` (an
  INSERT ... ON CONFLICT DO NOTHING and one SELECT);
* ``durable``: the same claim plus the history INSERT committed the ordinary
  way, waiting for its WAL flush (the first version of this change);
* ``after``:  the same claim plus ``record_key_event`` as shipped (the INSERT
  in a transaction with synchronous_commit off: no wait for the flush);
* ``service``: the whole replay path, ``simulate_idempotently`` (request tree,
  hash, claim, history entry), for scale;

and prints per-replay latency (median, p95, p99, mean) of each and the
history entry's share. Nothing goes over the network. Figures only.
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
    from django.utils import timezone

    from dpm_runs.models import IdempotencyEvent, KeyOutcome
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

    def before():
        outcome = repository.claim(client_id, key, digest)
        assert isinstance(outcome, Replay)

    def durable():
        outcome = repository.claim(client_id, key, digest)
        assert isinstance(outcome, Replay)
        IdempotencyEvent.objects.create(
            client_id=client_id, key=key, occurred_at=timezone.now(), outcome=KeyOutcome.REPLAYED,
            request_hash=digest, correlation_id="corr-bench", rebalance_run_id=outcome.run.rebalance_run_id)

    def after():
        outcome = repository.claim(client_id, key, digest)
        assert isinstance(outcome, Replay)
        record_key_event(client_id=client_id, key=key, outcome=KeyOutcome.REPLAYED, request_hash=digest,
                         correlation_id="corr-bench", rebalance_run_id=outcome.run.rebalance_run_id)

    def service():
        assert simulate_idempotently(validated, key, "corr-bench", client_id=client_id).replayed

    ways = {"before": before, "durable": durable, "after": after, "service": service}
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
    base = statistics.median(times["before"])
    for name in ("durable", "after"):
        added = statistics.median(times[name]) - base
        added_mean = statistics.fmean(times[name]) - statistics.fmean(times["before"])
        print(f"\n{name}: the history entry adds {added:.3f} ms at the median, {added_mean:.3f} ms "
              f"on average ({added / statistics.median(times['service']) * 100:.0f} % of the "
              "service's median replay)", end="")
    print()


if __name__ == "__main__":
    main()
