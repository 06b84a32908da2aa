"""GET /metrics in process: who may read it, and what the counters count.

Across gunicorn workers: test_served_metrics_and_logs.py.
"""
from __future__ import annotations

import json

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from tests.api.conftest import simulate_body
from tests.conftest import key_headers

pytestmark = pytest.mark.django_db

SIMULATE = "/rebalance/simulate"


def _value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _post(client, key, body=None):
    return client.post(SIMULATE, json.dumps(body or simulate_body()), content_type="application/json",
                       headers={"Idempotency-Key": key})


def test_metrics_need_a_support_key(issue_key):
    assert Client().get("/metrics").status_code == 401
    simulate_only = Client(headers=key_headers(issue_key(["simulate"])))
    refused = simulate_only.get("/metrics")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "DPM_ROLE_REQUIRED: support"
    support = Client(headers=key_headers(issue_key(["support"])))
    response = support.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    for name in ("dpm_runs_recorded_total", "dpm_idempotency_outcomes_total",
                 "dpm_simulate_duration_seconds", "dpm_http_requests_total",
                 "dpm_database_unavailable_total"):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name


def test_idempotency_outcomes_runs_and_durations_are_counted(client, django_capture_on_commit_callbacks):
    names = ("executed", "replayed", "conflict", "in_progress")
    before = {o: _value("dpm_idempotency_outcomes_total", outcome=o) for o in names}
    runs_before = _value("dpm_runs_recorded_total", status="READY")
    engine_before = _value("dpm_simulate_duration_seconds_count", scope="engine")
    request_before = _value("dpm_simulate_duration_seconds_count", scope="request")

    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "m-1").status_code == 200
    assert _post(client, "m-1").status_code == 200  # replay
    assert _post(client, "m-1", simulate_body(max_turnover_pct="0.5")).status_code == 409

    after = {o: _value("dpm_idempotency_outcomes_total", outcome=o) for o in names}
    assert {o: after[o] - before[o] for o in names} == {
        "executed": 1, "replayed": 1, "conflict": 1, "in_progress": 0,
    }
    assert _value("dpm_runs_recorded_total", status="READY") - runs_before == 1
    assert _value("dpm_simulate_duration_seconds_count", scope="engine") - engine_before == 1
    assert _value("dpm_simulate_duration_seconds_count", scope="request") - request_before == 3


def test_a_run_rolled_back_is_not_counted(auth_headers, django_capture_on_commit_callbacks, monkeypatch):
    """Counted on commit only: a run whose transaction fails never reaches the total."""
    from dpm_runs.repository import RunRepository

    def fail_after_the_insert(self, claim, row):
        raise RuntimeError("lost before the commit")

    monkeypatch.setattr(RunRepository, "_complete_claim", fail_after_the_insert)
    # PostgreSQL completes in one statement: make its last part (the history entry) fail.
    from dpm_runs import repository

    monkeypatch.setattr(
        repository, "_COMPLETE_IN_ONE_STATEMENT_SQL",
        repository._COMPLETE_IN_ONE_STATEMENT_SQL.replace("%(executed)s", "'not-an-outcome'"),
    )
    before = _value("dpm_runs_recorded_total", status="READY")
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(Client(headers=auth_headers, raise_request_exception=False), "m-rollback")
    assert answer.status_code == 500
    assert _value("dpm_runs_recorded_total", status="READY") == before
    monkeypatch.undo()
    # Negative control: the same request, committed, is counted.
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(Client(headers=auth_headers), "m-rollback").status_code == 200
    assert _value("dpm_runs_recorded_total", status="READY") == before + 1


def test_http_requests_are_labelled_by_route_template_never_raw_ids(client):
    run_id = _post(client, "m-route").json()["rebalance_run_id"]
    client.get(f"/rebalance/runs/{run_id}")
    client.get("/rebalance/runs/rr_0000dead")
    client.get("/no/such/path/123")
    text = client.get("/metrics").content.decode()
    assert 'route="/rebalance/runs/<str:rebalance_run_id>"' in text
    assert 'route="unmatched"' in text
    # Negative control of the assertion below: the id really was requested.
    assert run_id and "rr_0000dead" not in text and run_id not in text
