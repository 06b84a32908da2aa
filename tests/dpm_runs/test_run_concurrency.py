"""Concurrent requests with one idempotency key, each on its own DB connection.

PostgreSQL only: SQLite serialises writers with a database-wide lock, so it
cannot show what the unique constraint and row locks decide under contention.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from dpm_runs.models import IdempotencyRecord, IdempotencyState, RebalanceRun
from dpm_runs.repository import Claimed, InProgress, Replay, RunRepository

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 32
HASH = "sha256:" + "c" * 64


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; concurrency is tested on PostgreSQL (DATABASE_URL=postgres://...)")


def _in_threads(fn, count: int = THREADS) -> list:
    """Run fn(i) in ``count`` threads released together; each closes its connection once
    every thread is done, as a live worker keeps its session while it computes (a closed
    session is a dead claimer whose claim may be taken over: dpm_runs/claim_locks.py)."""
    start, done = threading.Barrier(count), threading.Barrier(count)

    def worker(i):
        try:
            start.wait(timeout=30)
            return fn(i)
        finally:
            done.wait(timeout=60)
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def test_exactly_one_of_32_simultaneous_claims_wins(owner):
    repo = RunRepository(lease_seconds=60)
    outcomes = _in_threads(lambda i: repo.claim(owner.pk, "shared-key", HASH))

    claimed = [o for o in outcomes if isinstance(o, Claimed)]
    assert len(claimed) == 1
    assert all(isinstance(o, InProgress) and o.retry_after >= 1 for o in outcomes if o is not claimed[0])
    assert IdempotencyRecord.objects.filter(client=owner, key="shared-key").count() == 1


def test_one_claim_wins_in_each_clients_key_space(owner, other_owner):
    """16 threads per client race for one key: the key spaces never interfere."""
    repo = RunRepository(lease_seconds=60)
    clients = [owner.pk, other_owner.pk]
    outcomes = _in_threads(lambda i: (clients[i % 2], repo.claim(clients[i % 2], "shared-key", HASH)))

    for client_id in clients:
        mine = [o for c, o in outcomes if c == client_id]
        claimed = [o for o in mine if isinstance(o, Claimed)]
        assert len(mine) == THREADS // 2
        assert len(claimed) == 1
        assert claimed[0].client_id == client_id
        assert all(isinstance(o, InProgress) and o.retry_after >= 1 for o in mine if o is not claimed[0])
        assert IdempotencyRecord.objects.filter(client_id=client_id, key="shared-key").count() == 1
    assert IdempotencyRecord.objects.filter(key="shared-key").count() == 2


def test_32_requests_with_one_key_make_one_run_and_share_its_bytes(make_run, owner):
    repo = RunRepository(lease_seconds=60)
    runs = [make_run(request_hash=HASH) for _ in range(THREADS)]

    def simulate(i):
        """What a simulate view does: claim, compute, complete; retry while in progress."""
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline:
            outcome = repo.claim(owner.pk, "shared-key", HASH)
            seen.append(type(outcome).__name__)
            if isinstance(outcome, Claimed):
                time.sleep(0.2)  # the engine
                return seen, repo.complete(outcome, runs[i]).response_body
            if isinstance(outcome, Replay):
                return seen, outcome.run.response_body
            assert isinstance(outcome, InProgress), outcome
            time.sleep(0.05)
        raise AssertionError("no answer within 30 s")

    results = _in_threads(simulate)

    assert sum(seen.count("Claimed") for seen, _ in results) == 1
    assert len({body for _, body in results}) == 1
    assert RebalanceRun.objects.count() == 1
    record = IdempotencyRecord.objects.get(client=owner, key="shared-key")
    assert record.state == IdempotencyState.COMPLETED
    assert record.run.response_body == results[0][1]
    assert record.run.client_id == owner.pk


def test_concurrent_replay_disabled_records_all_runs_and_one_mapping(make_run, owner):
    repo = RunRepository()
    runs = [make_run(request_hash=f"sha256:{i:064x}") for i in range(16)]
    stored = _in_threads(lambda i: repo.record_simulate_run(owner.pk, "shared-key", runs[i]), count=16)

    assert RebalanceRun.objects.filter(client=owner, idempotency_key="shared-key").count() == 16
    record = IdempotencyRecord.objects.get(client=owner, key="shared-key")
    assert record.state == IdempotencyState.COMPLETED
    assert record.run.rebalance_run_id in {s.rebalance_run_id for s in stored}
    assert record.request_hash == record.run.request_hash
