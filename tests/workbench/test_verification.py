"""Verification of recorded runs: MATCH on fresh runs, DRIFT once a stored result is tampered with."""
from __future__ import annotations

import json

import pytest

from dpm_runs.models import RebalanceRun
from rebalance.engine.version import ENGINE_VERSION
from rebalance.verification import DRIFT, MATCH, differences, verify_run
from tests.api.conftest import analyze_body, simulate_body

pytestmark = pytest.mark.django_db


def _simulate(client, key="verify-1", **options) -> str:
    response = client.post("/rebalance/simulate", json.dumps(simulate_body(**options)),
                           content_type="application/json", headers={"Idempotency-Key": key})
    assert response.status_code == 200, response.content
    return response.json()["rebalance_run_id"]


def _tamper(run_id: str, old: str, new: str) -> None:
    row = RebalanceRun.objects.get(rebalance_run_id=run_id)
    assert old in row.response_body
    RebalanceRun.objects.filter(pk=row.pk).update(response_body=row.response_body.replace(old, new, 1))


def test_a_fresh_simulate_run_matches(client):
    run_id = _simulate(client)
    verification = verify_run(run_id)
    assert verification.outcome == MATCH
    assert verification.differences == []
    assert verification.engine_version == ENGINE_VERSION
    assert verification.as_dict()["rebalance_run_id"] == run_id


def test_fresh_analyze_scenario_runs_match(client):
    response = client.post("/rebalance/analyze", json.dumps(analyze_body({"a": {"options": {}}, "b": {"options": {}}})),
                           content_type="application/json")
    assert response.status_code == 200, response.content
    runs = RebalanceRun.objects.filter(batch_run_id__isnull=False)
    assert runs.count() == 2
    assert {verify_run(run.rebalance_run_id).outcome for run in runs} == {MATCH}


def test_a_tampered_stored_result_drifts_at_the_changed_value(client):
    run_id = _simulate(client)
    stored = json.loads(RebalanceRun.objects.get(rebalance_run_id=run_id).response_body)
    _tamper(run_id, f'"status":"{stored["status"]}"', '"status":"BLOCKED"')
    verification = verify_run(run_id)
    assert verification.outcome == DRIFT
    assert verification.differences == [{"path": "/status", "stored": "BLOCKED", "recomputed": stored["status"]}]


def test_a_number_respelled_in_the_stored_result_is_drift():
    # Same value, different bytes: the stored text is what clients received.
    assert differences('{"a":{"x":1.50}}', '{"a":{"x":1.5}}') == [
        {"path": "/a/x", "stored": "1.50", "recomputed": "1.5"}
    ]


def test_verification_records_no_run(client):
    run_id = _simulate(client)
    before = RebalanceRun.objects.count()
    verify_run(run_id)
    assert RebalanceRun.objects.count() == before


def test_an_unknown_run_has_no_verification(db):
    assert verify_run("rr_missing") is None


def test_a_tampered_stored_request_drifts(client):
    run_id = _simulate(client)
    row = RebalanceRun.objects.get(rebalance_run_id=run_id)
    request = json.loads(row.request)
    request["portfolio_snapshot"]["cash_balances"][0]["amount"] = "2000.00"
    RebalanceRun.objects.filter(pk=row.pk).update(request=json.dumps(request))
    verification = verify_run(run_id)
    assert verification.outcome == DRIFT
    assert verification.differences  # the result of the altered request differs somewhere


def test_a_stored_request_that_no_longer_validates_drifts_at_the_request(client):
    run_id = _simulate(client)
    RebalanceRun.objects.filter(rebalance_run_id=run_id).update(request=json.dumps({"portfolio_snapshot": []}))
    verification = verify_run(run_id)
    assert verification.outcome == DRIFT
    [difference] = verification.differences
    assert difference["path"] == "/request" and difference["recomputed"] is None
    assert {issue["type"] for issue in difference["stored"]} >= {"missing"}
