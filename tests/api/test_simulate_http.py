"""POST /rebalance/simulate over HTTP: happy path, correlation ids, run recording, zero price."""
from __future__ import annotations

import json
import re

import pytest

from dpm_runs.models import IdempotencyRecord, RebalanceRun

from .conftest import SIMULATE, simulate_body

pytestmark = pytest.mark.django_db

CORR_RE = re.compile(r"corr_[0-9a-f]{32}")


def test_happy_path_is_ready_and_echoes_the_correlation_id(api):
    response = api.simulate(simulate_body(), key="happy-1", correlation="corr-happy-1")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Correlation-Id"] == "corr-happy-1"
    assert response["Idempotent-Replayed"] == "false"
    body = response.json()
    assert body["status"] == "READY"
    assert body["correlation_id"] == "corr-happy-1"
    assert re.fullmatch(r"rr_[0-9a-f]{8}", body["rebalance_run_id"])
    assert body["lineage"]["request_hash"].startswith("sha256:")
    assert [(i["instrument_id"], i["side"], i["quantity"]) for i in body["intents"]] == [
        ("ALPHA", "BUY", "50"), ("BETA", "BUY", "8")]


@pytest.mark.parametrize("header", [None, ""], ids=["absent", "empty"])
def test_generated_correlation_id_is_unique_and_echoed_in_header_and_body(api, header):
    first = api.simulate(simulate_body(), key="gen-1", correlation=header)
    second = api.simulate(simulate_body(), key="gen-2", correlation=header)

    ids = []
    for response in (first, second):
        assert response.status_code == 200
        generated = response["X-Correlation-Id"]
        assert CORR_RE.fullmatch(generated)
        assert response.json()["correlation_id"] == generated
        ids.append(generated)
    assert ids[0] != ids[1]
    # Never the reference's shared constant.
    assert "c_none" not in ids


def test_run_is_recorded_and_all_three_lookups_return_it(api):
    response = api.simulate(simulate_body(), key="rec-1", correlation="corr-rec-1")
    text = response.content.decode()
    body = json.loads(text)
    run_id = body["rebalance_run_id"]

    by_id = api.get(f"/rebalance/runs/{run_id}")
    by_corr = api.get("/rebalance/runs/by-correlation/corr-rec-1")
    for lookup in (by_id, by_corr):
        assert lookup.status_code == 200
        data = lookup.json()
        assert data["rebalance_run_id"] == run_id
        assert data["correlation_id"] == "corr-rec-1"
        assert data["idempotency_key"] == "rec-1"
        assert data["portfolio_id"] == "pf_api_test"
        assert data["request_hash"] == body["lineage"]["request_hash"]
        assert data["result"] == body
        # The stored text is served verbatim, not re-serialised.
        assert lookup.content.decode().endswith('"result":' + text + "}")

    by_key = api.get("/rebalance/runs/idempotency/rec-1")
    assert by_key.status_code == 200
    mapping = by_key.json()
    assert mapping["idempotency_key"] == "rec-1"
    assert mapping["rebalance_run_id"] == run_id
    assert mapping["request_hash"] == body["lineage"]["request_hash"]
    assert mapping["created_at"] == by_id.json()["created_at"]

    assert RebalanceRun.objects.filter(idempotency_key="rec-1").count() == 1
    assert IdempotencyRecord.objects.get(key="rec-1").state == "COMPLETED"


def test_generated_correlation_id_can_be_looked_up(api):
    response = api.simulate(simulate_body(), key="gen-lookup")
    generated = response["X-Correlation-Id"]
    lookup = api.get(f"/rebalance/runs/by-correlation/{generated}")
    assert lookup.status_code == 200
    assert lookup.json()["rebalance_run_id"] == response.json()["rebalance_run_id"]


def test_blocked_and_pending_outcomes_are_200_not_errors(api):
    # A model target without a shelf entry: always an early block (domain outcome, HTTP 200).
    body = simulate_body()
    body["shelf_entries"] = body["shelf_entries"][:1]
    response = api.simulate(body, key="blocked-1")
    assert response.status_code == 200
    assert response.json()["status"] == "BLOCKED"
    assert response.json()["diagnostics"]["data_quality"]["shelf_missing"] == ["BETA"]
    assert RebalanceRun.objects.get(idempotency_key="blocked-1").status == "BLOCKED"


# --- zero price: a deliberate fix of the reference's 500 -------------------------------


def test_zero_price_on_a_traded_instrument_is_a_blocked_200_with_a_warning(api):
    body = simulate_body()
    body["market_data_snapshot"]["prices"][1]["price"] = "0"
    response = api.simulate(body, key="zero-1", correlation="corr-zero-1")

    assert response.status_code == 200, response.content
    result = response.json()
    assert result["status"] == "BLOCKED"
    assert "ZERO_PRICE_BETA" in result["diagnostics"]["warnings"]
    assert result["intents"] == []
    # Recorded like any other fresh run.
    assert api.get("/rebalance/runs/by-correlation/corr-zero-1").json()["result"] == result


def test_zero_price_on_a_held_non_model_instrument_is_blocked_not_500(api):
    # The reference raised InvalidOperation here (zero value gap).
    body = simulate_body()
    body["portfolio_snapshot"]["positions"] = [{"instrument_id": "HELD", "quantity": "10"}]
    body["market_data_snapshot"]["prices"].append(
        {"instrument_id": "HELD", "price": "0", "currency": "USD"})
    body["shelf_entries"].append({"instrument_id": "HELD", "status": "APPROVED"})
    response = api.simulate(body, key="zero-2")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "BLOCKED"
    assert "ZERO_PRICE_HELD" in response.json()["diagnostics"]["warnings"]


def test_simulate_path_is_exact(api):
    assert api.post(SIMULATE + "/", simulate_body(), key="slash").status_code == 404
