"""gunicorn with gunicorn.conf.py and 2 workers, LOG_FORMAT=json: metrics add up across
the workers (a killed one included), and every line the server writes is one JSON
object carrying the request's correlation id.
"""
from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from .served import CLIENT_NAME, key_header, request, simulate

# An instrument id that must never reach a log line (no portfolio contents).
SECRET_INSTRUMENT = "ZZ_CONTENT_MARKER_41"
REQUESTS_PER_BATCH = 12


def _body(portfolio_id: str = "pf_served") -> bytes:
    return json.dumps({
        "portfolio_snapshot": {"portfolio_id": portfolio_id, "base_currency": "USD", "positions": [],
                               "cash_balances": [{"currency": "USD", "amount": "1000.00"}]},
        "market_data_snapshot": {"prices": [{"instrument_id": SECRET_INSTRUMENT, "price": "10.00",
                                             "currency": "USD"}], "fx_rates": []},
        "model_portfolio": {"targets": [{"instrument_id": SECRET_INSTRUMENT, "weight": "0.50"}]},
        "shelf_entries": [{"instrument_id": SECRET_INSTRUMENT, "status": "APPROVED",
                           "asset_class": "EQUITY"}],
        "options": {},
    }).encode()


@pytest.fixture(scope="module")
def served_app(served_database, tmp_path_factory):
    from .served import Server

    tmp = tmp_path_factory.mktemp("served_app")
    metrics_dir = tmp / "metrics"
    metrics_dir.mkdir()
    server = Server(served_database.url, tmp / "gunicorn.log", workers=2,
                    LOG_FORMAT="json", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    try:
        server.wait_until_serving()
        yield server, served_database, metrics_dir
    finally:
        server.stop()


def _samples(server, key) -> dict[tuple, float]:
    status, headers, body = request("GET", server.base + "/metrics", headers=key_header(key))
    assert status == 200, body[:300]
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def _get(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _executed_by(metrics_dir, pid: int) -> float:
    """Simulations one worker executed, from its own samples file."""
    path = Path(metrics_dir) / f"counter_{pid}.db"
    if not path.exists():
        return 0.0
    return sum(
        sample.value
        for metric in MultiProcessCollector.merge([str(path)])
        for sample in metric.samples
        if sample.name == "dpm_idempotency_outcomes_total" and sample.labels == {"outcome": "executed"}
    )


def _batch(server, key, prefix: str) -> None:
    def one(i):
        # Each key twice: a fresh run, then its replay.
        first = simulate(server.base, key, f"{prefix}-{i}", _body())
        again = simulate(server.base, key, f"{prefix}-{i}", _body())
        return first[0], again[0], again[1].get("Idempotent-Replayed")

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, range(REQUESTS_PER_BATCH)))
    unavailable = [line for line in server.log().splitlines() if "database unavailable" in line]
    assert results == [(200, 200, "true")] * REQUESTS_PER_BATCH, unavailable


def test_metrics_add_up_across_two_workers_and_a_killed_one(served_app):
    server, served, metrics_dir = served_app
    before = _samples(server, served.key)
    _batch(server, served.key, "served-a")

    # One worker dies (SIGKILL): gunicorn replaces it, its counts must stay in the sums.
    victim = max(server.worker_pids(), key=lambda pid: _executed_by(metrics_dir, pid))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while victim in server.worker_pids() or len(server.worker_pids()) != 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    server.wait_until_serving()
    _batch(server, served.key, "served-b")
    after = _samples(server, served.key)

    def delta(name, **labels):
        return _get(after, name, **labels) - _get(before, name, **labels)

    total = 2 * REQUESTS_PER_BATCH
    assert delta("dpm_idempotency_outcomes_total", outcome="executed") == total
    assert delta("dpm_idempotency_outcomes_total", outcome="replayed") == total
    assert delta("dpm_runs_recorded_total", status="READY") == total
    assert delta("dpm_http_requests_total", method="POST", route="/rebalance/simulate", status="200") == 2 * total
    assert delta("dpm_simulate_duration_seconds_count", scope="request") == 2 * total
    assert delta("dpm_simulate_duration_seconds_count", scope="engine") == total
    # The counts come from more than one process, the killed worker's among them: the
    # totals above hold only because its samples were kept and added up.
    writers = {path.stem.rsplit("_", 1)[-1] for path in Path(metrics_dir).glob("counter_*.db")}
    assert str(victim) in writers and len(writers) >= 2, writers
    # Negative control: the killed worker's share is not nothing, so dropping its file
    # would break the totals.
    assert 0 < _executed_by(metrics_dir, victim) < total


def test_every_line_is_json_with_correlation_ids(served_app):
    server, served, _ = served_app
    status, headers, body = simulate(server.base, served.key, "json-log-1", _body(),
                                     **{"X-Correlation-Id": "corr-json-log-1"})
    assert status == 200
    run_id = json.loads(body)["rebalance_run_id"]
    # A portfolio id that tries to forge a log line.
    forged = "pf_x\r\n{\"level\": \"INFO\", \"message\": \"forged\"}"
    assert simulate(server.base, served.key, "json-log-2", _body(forged))[0] == 200
    assert request("GET", server.base + "/no/such/page")[0] == 404
    time.sleep(0.3)  # the access line is written just after the response

    lines = [line for line in server.log().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line parses as one object
    for record in records:
        assert {"time", "level", "logger", "message", "correlation_id", "client"} <= set(record), record
    assert not any(SECRET_INSTRUMENT in line for line in lines)
    assert not any(record["message"] == "forged" for record in records)

    [recorded] = [r for r in records if r["message"].startswith("simulate recorded")
                  and r["correlation_id"] == "corr-json-log-1"]
    assert recorded["rebalance_run_id"] == run_id
    assert recorded["client"] == CLIENT_NAME
    [access] = [r for r in records if r["logger"] == "gunicorn.access"
                and r["correlation_id"] == "corr-json-log-1"]
    assert access["client"] == CLIENT_NAME and access["status"] == 200
    assert isinstance(access["duration_ms"], (int, float)) and access["duration_ms"] > 0
    assert any(r["logger"] == "gunicorn.error" and "Booting worker" in r["message"] for r in records)
