"""A run keeps its request as the canonical text the request hash was computed from."""
from __future__ import annotations

import hashlib
import json

import pytest

from dpm_runs.models import RebalanceRun
from tests.api.conftest import simulate_body

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_stored_request_is_the_hashed_text(client):
    body = simulate_body()
    body["portfolio_snapshot"]["portfolio_id"] = "pf_zürich"  # non-ASCII: escaped in the text
    response = client.post("/rebalance/simulate", json.dumps(body), content_type="application/json",
                           headers={"Idempotency-Key": "stored-text"})
    assert response.status_code == 200
    row = RebalanceRun.objects.get(rebalance_run_id=response.json()["rebalance_run_id"])
    digest = "sha256:" + hashlib.sha256(row.request.encode()).hexdigest()
    assert digest == row.request_hash == response.json()["lineage"]["request_hash"]
    assert json.loads(row.request)["portfolio_snapshot"]["portfolio_id"] == "pf_zürich"
    assert "\\u00fc" in row.request
