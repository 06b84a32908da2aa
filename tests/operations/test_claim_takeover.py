"""Idempotency claims of dead workers: real gunicorn workers, a real SIGKILL.

Server A's worker claims a key and computes a large simulate; the test freezes it
(SIGSTOP) mid-computation, so it is alive but silent, and asks server B for the same
key and body:

* while A's worker lives, B answers 409 IDEMPOTENCY_KEY_IN_PROGRESS and never takes
  over, even once A's lease has run out (no work is computed twice);
* once A's worker is SIGKILLed, B takes the claim over within 5 s, although A's 60 s
  lease has barely started, and the key still yields exactly one run.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from datetime import datetime, timezone


from .served import large_simulate_body, simulate

INSTRUMENTS = 3000
TAKEOVER_LIMIT_SECONDS = 5


def _claim(served, key: str):
    rows = served.query(
        "SELECT state, lease_expires_at FROM dpm_runs_idempotencyrecord WHERE key = %s", (key,))
    return rows[0] if rows else (None, None)


def _runs(served, key: str) -> int:
    return served.query("SELECT count(*) FROM dpm_runs_rebalancerun WHERE idempotency_key = %s", (key,))[0][0]


def _start_claim_on(server, served, key: str, body: bytes):
    """Post ``body`` to ``server`` in a thread; return (thread, answers) once the claim
    is IN_PROGRESS, with the server's worker frozen mid-computation."""
    [worker] = server.worker_pids()
    answers: list = []
    thread = threading.Thread(target=lambda: answers.append(
        _safe(lambda: simulate(server.base, served.key, key, body))), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while _claim(served, key)[0] != "IN_PROGRESS":
        assert time.monotonic() < deadline, "the claim never appeared"
        time.sleep(0.005)
    os.kill(worker, signal.SIGSTOP)
    assert _claim(served, key)[0] == "IN_PROGRESS" and _runs(served, key) == 0, "finished too early"
    return worker, thread, answers


def _safe(call):
    try:
        return call()
    except OSError as error:  # the connection of a killed worker
        return error


def test_a_killed_workers_claim_is_taken_over_within_5_seconds(postgresql_served, start_servers):
    served = postgresql_served
    a, b = start_servers((served.url, 1, {}), (served.url, 1, {}))  # default 60 s lease
    body = large_simulate_body(INSTRUMENTS, "pf_takeover")
    worker, thread, answers = _start_claim_on(a, served, "takeover-1", body)
    try:
        # Negative control: the holder is alive (frozen), so B must refuse.
        status, headers, content = simulate(b.base, served.key, "takeover-1", body)
        assert status == 409 and json.loads(content)["detail"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
        assert headers["Retry-After"] == "1"  # alive: the key frees when it finishes
        lease_left = (_claim(served, "takeover-1")[1] - datetime.now(timezone.utc)).total_seconds()
        assert lease_left > 50  # a take-over below is not the lease running out

        os.kill(worker, signal.SIGKILL)
        killed = time.monotonic()
        while True:
            status, headers, content = simulate(b.base, served.key, "takeover-1", body)
            if status != 409:
                break
            assert time.monotonic() - killed < TAKEOVER_LIMIT_SECONDS, "no take-over within 5 s"
            time.sleep(0.05)
        took = time.monotonic() - killed
    finally:
        thread.join(timeout=30)
    print(f"take-over after SIGKILL: {took:.2f} s (including B's computation)")
    assert status == 200 and headers["Idempotent-Replayed"] == "false"
    assert took < TAKEOVER_LIMIT_SECONDS
    assert _runs(served, "takeover-1") == 1
    assert _claim(served, "takeover-1")[0] == "COMPLETED"
    assert isinstance(answers[0], OSError) or answers[0][0] != 200  # A never answered a run


def test_a_live_worker_past_its_lease_is_never_taken_over(postgresql_served, start_servers):
    served = postgresql_served
    a, b = start_servers((served.url, 1, {"DPM_IDEMPOTENCY_LEASE_SECONDS": "1"}), (served.url, 1, {}))
    body = large_simulate_body(INSTRUMENTS, "pf_live_holder")
    worker, thread, answers = _start_claim_on(a, served, "live-holder-1", body)
    try:
        time.sleep(1.5)  # A's 1 s lease is over; A is alive (frozen)
        status, headers, content = simulate(b.base, served.key, "live-holder-1", body)
        assert status == 409 and json.loads(content)["detail"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
        assert headers["Retry-After"] == "1"  # overdue: retry soon
    finally:
        os.kill(worker, signal.SIGCONT)
        thread.join(timeout=30)
    status, headers, first = answers[0]
    assert (status, headers["Idempotent-Replayed"]) == (200, "false")
    status, headers, replay = simulate(b.base, served.key, "live-holder-1", body)
    assert (status, headers["Idempotent-Replayed"]) == (200, "true")
    assert replay == first
    assert _runs(served, "live-holder-1") == 1
