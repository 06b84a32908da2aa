"""The support bundle: contents, integrity and its replay property."""
from __future__ import annotations

import hashlib
import json

import pytest

from dpm_runs.bundles import support_bundle, support_bundle_json
from dpm_runs.models import RebalanceRun
from tests.api.conftest import simulate_body

pytestmark = pytest.mark.django_db


def _simulate(client, key, correlation="corr-bundle", body=None):
    response = client.post("/rebalance/simulate", json.dumps(body or simulate_body()),
                           content_type="application/json",
                           headers={"Idempotency-Key": key, "X-Correlation-Id": correlation})
    assert response.status_code == 200, response.content
    return response


def _result_text(bundle_text: str) -> str:
    """The bytes of the bundle's ``result`` member, as sent."""
    start = bundle_text.index('"result":') + len('"result":')
    end = bundle_text.index(',"idempotency":')
    return bundle_text[start:end]


def test_the_bundle_holds_the_run_its_request_result_and_integrity(client):
    run_id = _simulate(client, "bundle-1").json()["rebalance_run_id"]
    lookup = client.get(f"/rebalance/runs/{run_id}")
    text = support_bundle_json(run_id)
    bundle = json.loads(text)
    assert bundle["bundle_version"] == 1
    assert bundle["run"]["rebalance_run_id"] == run_id
    assert bundle["run"]["idempotency_key"] == "bundle-1"
    assert bundle["engine_version"] == "0.1.0"
    assert bundle["result"] == lookup.json()["result"]
    stored = RebalanceRun.objects.get(rebalance_run_id=run_id).response_body
    assert _result_text(text) == stored
    assert bundle["integrity"] == {
        "request_hash": bundle["run"]["request_hash"],
        "result_sha256": hashlib.sha256(stored.encode()).hexdigest(),
    }
    assert bundle["idempotency"]["mapping"]["rebalance_run_id"] == run_id
    assert [e["outcome"] for e in bundle["idempotency"]["history"]] == ["executed"]


def test_related_runs_share_the_correlation_id(client):
    first = _simulate(client, "bundle-a", correlation="corr-shared").json()["rebalance_run_id"]
    second = _simulate(client, "bundle-b", correlation="corr-shared").json()["rebalance_run_id"]
    _simulate(client, "bundle-c", correlation="corr-other")
    related = support_bundle(second)["related_runs"]
    assert [r["rebalance_run_id"] for r in related] == [first]
    assert "result" not in related[0]


def test_resending_the_bundles_request_with_the_runs_key_replays_that_run(client):
    original = _simulate(client, "bundle-replay")
    run_id = original.json()["rebalance_run_id"]
    bundle = support_bundle(run_id)
    again = client.post("/rebalance/simulate", json.dumps(bundle["request"]), content_type="application/json",
                        headers={"Idempotency-Key": bundle["run"]["idempotency_key"]})
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == original.content


def test_negative_control_a_tampered_request_does_not_replay(client):
    run_id = _simulate(client, "bundle-tamper").json()["rebalance_run_id"]
    request = support_bundle(run_id)["request"]
    request["portfolio_snapshot"]["cash_balances"][0]["amount"] = "999.00"
    again = client.post("/rebalance/simulate", json.dumps(request), content_type="application/json",
                        headers={"Idempotency-Key": "bundle-tamper"})
    assert again.status_code == 409


def test_an_unknown_run_has_no_bundle(db):
    assert support_bundle_json("rr_missing") is None
    assert support_bundle("rr_missing") is None
