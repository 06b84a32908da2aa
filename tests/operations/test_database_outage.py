"""A real database outage: gunicorn reaches PostgreSQL through a TCP forwarder that the
test stops (cutting every connection and refusing new ones) and starts again.

What must hold: every request that needs the database answers 503 problem+json
``DATABASE_UNAVAILABLE`` with Retry-After, never 500; /health/live stays 200 and
/health/ready turns 503; nothing is half-written; and once the database is back the
same worker processes (persistent connections, CONN_HEALTH_CHECKS) serve again
without a restart.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time

from .served import request, simulate, key_header, large_simulate_body
from .tcp_forwarder import TcpForwarder

PROBLEM = "application/problem+json"
SMALL = json.dumps({
    "portfolio_snapshot": {"portfolio_id": "pf_outage", "base_currency": "USD", "positions": [],
                           "cash_balances": [{"currency": "USD", "amount": "1000.00"}]},
    "market_data_snapshot": {"prices": [{"instrument_id": "ALPHA", "price": "10.00", "currency": "USD"}],
                             "fx_rates": []},
    "model_portfolio": {"targets": [{"instrument_id": "ALPHA", "weight": "0.50"}]},
    "shelf_entries": [{"instrument_id": "ALPHA", "status": "APPROVED", "asset_class": "EQUITY"}],
    "options": {},
}).encode()


def _assert_unavailable(answer):
    status, headers, body = answer
    assert status == 503, (status, body[:300])
    assert headers["Content-Type"] == PROBLEM
    assert json.loads(body)["detail"] == "DATABASE_UNAVAILABLE"
    assert headers["Retry-After"] == "5"


def _runs_with_key(served, key: str) -> int:
    return served.query("SELECT count(*) FROM dpm_runs_rebalancerun WHERE idempotency_key = %s", (key,))[0][0]


def _claim_state(served, key: str):
    rows = served.query("SELECT state FROM dpm_runs_idempotencyrecord WHERE key = %s", (key,))
    return rows[0][0] if rows else None


def test_outage_answers_503_and_the_same_workers_recover(postgresql_served, start_servers):
    served = postgresql_served
    forwarder = TcpForwarder(served.port)
    forwarder.start()
    try:
        # Persistent connections (CONN_MAX_AGE 60 by default) with health checks.
        [server] = start_servers((served.url_via_port(forwarder.port), 1, {}))
        base, auth = server.base, key_header(served.key)
        assert request("GET", base + "/health/ready")[0] == 200
        status, _, body = simulate(base, served.key, "outage-before", SMALL)
        assert status == 200
        run_id = json.loads(body)["rebalance_run_id"]
        workers = server.worker_pids()

        forwarder.stop()
        started = time.monotonic()
        assert request("GET", base + "/health/live")[0] == 200
        _assert_unavailable(request("GET", base + "/health/ready"))
        _assert_unavailable(simulate(base, served.key, "outage-during", SMALL))  # the key check itself
        _assert_unavailable(request("GET", f"{base}/rebalance/runs/{run_id}", headers=auth))
        _assert_unavailable(request("GET", base + "/metrics", headers=auth))
        assert time.monotonic() - started < 5  # refused at once, not after a long hang

        forwarder.start()
        assert request("GET", base + "/health/ready")[0] == 200
        status, headers, _ = simulate(base, served.key, "outage-during", SMALL)
        assert (status, headers["Idempotent-Replayed"]) == (200, "false")
        status, headers, _ = simulate(base, served.key, "outage-before", SMALL)
        assert (status, headers["Idempotent-Replayed"]) == (200, "true")
        assert server.worker_pids() == workers  # recovered without a restart
        assert _runs_with_key(served, "outage-during") == 1
        assert "Internal Server Error" not in server.log()
    finally:
        forwarder.stop()


def test_database_lost_in_the_middle_of_a_simulate(postgresql_served, start_servers):
    """The worker claims the key, the database goes while the engine runs: 503, no run
    recorded; once it is back, a retry takes over the claim at once (the worker's
    session, and so its claim lock, died with the connection) and runs exactly once."""
    served = postgresql_served
    forwarder = TcpForwarder(served.port)
    forwarder.start()
    try:
        [server] = start_servers((served.url_via_port(forwarder.port), 1, {}))
        [worker] = server.worker_pids()
        body = large_simulate_body(3000, "pf_outage_midway")
        answers = []
        thread = threading.Thread(target=lambda: answers.append(
            simulate(server.base, served.key, "outage-midway", body)))
        thread.start()
        deadline = time.monotonic() + 30
        while _claim_state(served, "outage-midway") != "IN_PROGRESS":
            assert time.monotonic() < deadline, "the claim never appeared"
            time.sleep(0.005)
        # Freeze the worker mid-computation, cut the database, let it go on.
        os.kill(worker, signal.SIGSTOP)
        assert _claim_state(served, "outage-midway") == "IN_PROGRESS"
        forwarder.stop()
        os.kill(worker, signal.SIGCONT)
        thread.join(timeout=30)
        _assert_unavailable(answers[0])
        assert _runs_with_key(served, "outage-midway") == 0  # nothing half-written

        forwarder.start()
        started = time.monotonic()
        status, headers, _ = simulate(server.base, served.key, "outage-midway", body)
        assert (status, headers["Idempotent-Replayed"]) == (200, "false"), status
        assert time.monotonic() - started < 5
        assert _runs_with_key(served, "outage-midway") == 1
        assert _claim_state(served, "outage-midway") == "COMPLETED"
    finally:
        forwarder.stop()


# --- The mapping itself, on any database ------------------------------------------------


def test_database_errors_map_to_503_and_other_errors_stay_500(rf):
    from django.db import InterfaceError, OperationalError

    from lotus_manage.problems import exception_handler, server_error

    request = rf.get("/rebalance/runs/rr_1")
    request.correlation_id = "corr-map"
    for error in (OperationalError("server closed the connection unexpectedly"),
                  InterfaceError("connection already closed")):
        answer = exception_handler(error, {"request": request})
        assert answer.status_code == 503 and answer["Retry-After"] == "5"
        assert json.loads(answer.content)["detail"] == "DATABASE_UNAVAILABLE"
    # Negative control: any other failure is still the generic 500.
    assert exception_handler(RuntimeError("bug"), {"request": request}).status_code == 500
    # Outside DRF views (middleware, admin) Django's handler500 sees the same errors.
    try:
        raise OperationalError("could not connect to server")
    except OperationalError:
        assert server_error(request).status_code == 503
    try:
        raise RuntimeError("bug")
    except RuntimeError:
        assert server_error(request).status_code == 500
