"""Concurrent POST /rebalance/simulate with one Idempotency-Key: the database decides.

32 threads, each with its own django.test.Client and therefore its own database
connection, are lined up on a barrier and post at once, all with one API client's
key (idempotency keys are scoped per API client). Whatever the interleaving,
one key must never map to two runs: every answer is the one run (fresh or replayed)
or 409 IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After (or 409 IDEMPOTENCY_KEY_CONFLICT
for another body).

PostgreSQL only: SQLite serialises writers with one database-wide lock, so it cannot
show what the unique constraint and the row locks decide under contention. The
two-process version over real sockets is benchmarks/http_concurrency.py
(docs/concurrency.md).
"""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

import rebalance.services
from access_control.clients import IssuedKey, create_client
from dpm_runs.models import IdempotencyRecord, IdempotencyState, RebalanceRun

from .conftest import SIMULATE, simulate_body

THREADS = 32
IN_PROGRESS = "IDEMPOTENCY_KEY_IN_PROGRESS"
CONFLICT = "IDEMPOTENCY_KEY_CONFLICT: request hash mismatch"


@pytest.fixture(autouse=True)
def _postgresql_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip(
            f"needs PostgreSQL (DB vendor is {connection.vendor}): SQLite serialises writers, "
            "so concurrent claims cannot race; run with DATABASE_URL=postgres://..."
        )


def _issue(name: str) -> IssuedKey:
    """A simulate client and its key, committed (transactional_db) before any thread starts."""
    return create_client(name, ["simulate"])


def _auth(issued: IssuedKey) -> dict[str, str]:
    return {"Authorization": f"Api-Key {issued.key}"}


@pytest.fixture
def caller(transactional_db) -> IssuedKey:
    """The API client every thread posts as."""
    return _issue("conc-caller")


def _post_all(bodies: list[bytes], key: str, callers: list[IssuedKey]) -> list[tuple[int, dict, bytes]]:
    """POST every body at once from its own thread, thread i as ``callers[i % len(callers)]``;
    (status, headers, content) per thread."""
    barrier = threading.Barrier(len(bodies))

    def worker(i: int, body: bytes):
        client = Client(headers=_auth(callers[i % len(callers)]))
        try:
            barrier.wait(timeout=30)
            response = client.post(SIMULATE, body, content_type="application/json",
                                   headers={"Idempotency-Key": key})
            return response.status_code, dict(response.headers), response.content
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(worker, range(len(bodies)), bodies, timeout=120))


def _slow_engine(monkeypatch, seconds: float) -> None:
    """Keep the first request computing long enough for every duplicate to arrive."""
    real = rebalance.services.simulate

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(rebalance.services, "simulate", slow)


def _check_in_progress(headers: dict, content: bytes) -> None:
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(content)["detail"] == IN_PROGRESS
    # The holder is alive (its claim lock is held: PostgreSQL) and computing: retry in 1 s.
    retry_after = int(headers["Retry-After"])
    assert retry_after == 1


def _assert_one_run(results, key: str, caller: IssuedKey) -> tuple[str, bytes]:
    """Every 200 carries the same run and bytes; exactly one was fresh; one run row
    with this key in the caller's key space, and one mapping."""
    ok = [(h, c) for s, h, c in results if s == 200]
    assert ok, "no request succeeded"
    bodies = {c for _, c in ok}
    assert len(bodies) == 1, "two different bodies answered for one key"
    fresh = [h for h, _ in ok if h["Idempotent-Replayed"] == "false"]
    assert len(fresh) == 1, f"{len(fresh)} fresh executions answered"
    run_id = json.loads(ok[0][1])["rebalance_run_id"]
    assert list(RebalanceRun.objects.filter(client=caller.client, idempotency_key=key).values_list(
        "rebalance_run_id", flat=True)) == [run_id]
    record = IdempotencyRecord.objects.get(client=caller.client, key=key)
    assert record.state == IdempotencyState.COMPLETED
    assert record.run.rebalance_run_id == run_id
    return run_id, ok[0][1]


def _tally(results) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status, headers, content in results:
        if status == 200:
            label = "200 replay" if headers["Idempotent-Replayed"] == "true" else "200 fresh"
        else:
            label = f"{status} {json.loads(content).get('detail')}"
        counts[label] = counts.get(label, 0) + 1
    return counts


def test_32_concurrent_requests_with_one_key_and_body_make_one_run(caller):
    body = json.dumps(simulate_body()).encode()
    results = _post_all([body] * THREADS, "conc-same", [caller])
    print("conc-same", _tally(results))

    for status, headers, content in results:
        assert status in (200, 409), (status, content)
        if status == 409:
            _check_in_progress(headers, content)
    _assert_one_run(results, "conc-same", caller)
    assert RebalanceRun.objects.count() == 1


def test_two_clients_racing_with_one_key_each_get_their_own_single_run(caller):
    """Half the threads post as each of two clients: one run per client's key space."""
    other = _issue("conc-other")
    body = json.dumps(simulate_body()).encode()
    results = _post_all([body] * THREADS, "conc-two", [caller, other])
    print("conc-two", _tally(results))

    for status, headers, content in results:
        assert status in (200, 409), (status, content)
        if status == 409:
            _check_in_progress(headers, content)
    run_ids = set()
    for index, issued in enumerate((caller, other)):
        mine = results[index::2]
        assert len(mine) == THREADS // 2
        run_id, _ = _assert_one_run(mine, "conc-two", issued)
        run_ids.add(run_id)
    assert len(run_ids) == 2
    assert RebalanceRun.objects.count() == 2
    assert IdempotencyRecord.objects.filter(key="conc-two").count() == 2


def test_duplicates_arriving_while_the_first_computes_get_409_in_progress(monkeypatch, caller):
    _slow_engine(monkeypatch, 0.5)
    body = json.dumps(simulate_body()).encode()
    results = _post_all([body] * THREADS, "conc-slow", [caller])

    tally = _tally(results)
    assert set(tally) <= {"200 fresh", "200 replay", f"409 {IN_PROGRESS}"}, tally
    assert tally["200 fresh"] == 1
    assert tally.get(f"409 {IN_PROGRESS}", 0) >= 1, tally
    for status, headers, content in results:
        if status == 409:
            _check_in_progress(headers, content)
    run_id, first = _assert_one_run(results, "conc-slow", caller)

    # Retrying after the first call finished gives the replay, byte for byte.
    retry = Client(headers=_auth(caller)).post(SIMULATE, body, content_type="application/json",
                          headers={"Idempotency-Key": "conc-slow"})
    assert retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first
    assert RebalanceRun.objects.count() == 1


@pytest.mark.parametrize("slow", [0.0, 0.3], ids=["engine_speed", "slow_engine"])
def test_32_concurrent_requests_with_one_key_and_two_bodies_never_make_two_runs(monkeypatch, slow, caller):
    if slow:
        _slow_engine(monkeypatch, slow)
    body_a = json.dumps(simulate_body()).encode()
    body_b = json.dumps(simulate_body(max_turnover_pct="0.5")).encode()
    bodies = [body_a if i % 2 == 0 else body_b for i in range(THREADS)]
    results = _post_all(bodies, "conc-mixed", [caller])
    print("conc-mixed", slow, _tally(results))

    _assert_one_run(results, "conc-mixed", caller)
    fresh = [sent for sent, (status, headers, _) in zip(bodies, results)
             if status == 200 and headers["Idempotent-Replayed"] == "false"]
    winner = fresh[0]
    for sent, (status, headers, content) in zip(bodies, results):
        assert status in (200, 409), (status, content)
        if sent != winner:
            # The other body is always a conflict, whether the winner has finished or not.
            assert status == 409
            assert headers["Content-Type"] == "application/problem+json"
            assert json.loads(content)["detail"] == CONFLICT
        elif status == 409:
            _check_in_progress(headers, content)
    assert RebalanceRun.objects.count() == 1


def test_replay_disabled_concurrent_calls_each_run_and_the_key_maps_to_one_of_them(monkeypatch, caller):
    monkeypatch.setenv("DPM_IDEMPOTENCY_REPLAY_ENABLED", "false")
    body = json.dumps(simulate_body()).encode()
    results = _post_all([body] * THREADS, "conc-noreplay", [caller])

    assert {s for s, _, _ in results} == {200}
    run_ids = {json.loads(c)["rebalance_run_id"] for _, _, c in results}
    assert len(run_ids) == THREADS
    assert RebalanceRun.objects.filter(client=caller.client, idempotency_key="conc-noreplay").count() == THREADS
    record = IdempotencyRecord.objects.get(client=caller.client, key="conc-noreplay")
    assert record.state == IdempotencyState.COMPLETED
    assert record.run.rebalance_run_id in run_ids
