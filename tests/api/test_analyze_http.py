"""POST /rebalance/analyze over HTTP (api spec §2.4, §2.5)."""
from __future__ import annotations

import json
import re

import pytest

from dpm_runs.models import RebalanceRun

from .conftest import analyze_body, assert_problem

pytestmark = pytest.mark.django_db

TURNOVER_MSG = "Value error, max_turnover_pct must be between 0 and 1 inclusive"
NAME_MSG = "Value error, scenario names must match regex [a-z0-9_\\-]{1,64}"

SCENARIOS = {
    "zeta": {"description": "ignored", "options": {"max_turnover_pct": "0.3"}},
    "alpha": {"options": {}},
    "mid_1": {"options": {"max_turnover_pct": "7"}},
    "b-2": {},
}


def test_results_are_sorted_and_invalid_options_fail_only_their_scenario(api):
    response = api.analyze(analyze_body(SCENARIOS), correlation="corr-batch")

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()  # json keeps the text's key order
    assert list(body["results"]) == ["alpha", "b-2", "zeta"]
    assert list(body["comparison_metrics"]) == ["alpha", "b-2", "zeta"]
    assert body["failed_scenarios"] == {"mid_1": f"INVALID_OPTIONS: {TURNOVER_MSG}"}
    assert body["warnings"] == ["PARTIAL_BATCH_FAILURE"]
    assert re.fullmatch(r"batch_[0-9a-f]{8}", body["batch_run_id"])
    assert body["base_snapshot_ids"] == {
        "portfolio_snapshot_id": "pf_api_test", "market_data_snapshot_id": "md"}
    # The turnover cap of zeta dropped trades; alpha has both.
    assert body["comparison_metrics"]["alpha"]["security_intent_count"] == 2
    assert body["comparison_metrics"]["zeta"]["security_intent_count"] == 1
    for name, result in body["results"].items():
        assert result["correlation_id"] == f"corr-batch:{name}"
        assert result["lineage"]["request_hash"] == f"{body['batch_run_id']}:{name}"
    assert response["X-Correlation-Id"] == "corr-batch"


def test_every_successful_scenario_is_recorded_and_failed_ones_are_not(api):
    body = api.analyze(analyze_body(SCENARIOS), correlation="corr-rec").json()

    assert RebalanceRun.objects.count() == 3
    batches = set(RebalanceRun.objects.values_list("batch_run_id", flat=True))
    assert batches == {body["batch_run_id"]}
    for name, result in body["results"].items():
        lookup = api.get(f"/rebalance/runs/by-correlation/corr-rec:{name}")
        assert lookup.status_code == 200
        data = lookup.json()
        assert data["rebalance_run_id"] == result["rebalance_run_id"]
        assert data["idempotency_key"] is None
        assert data["request_hash"] == f"{body['batch_run_id']}:{name}"
        assert data["result"] == result
    assert api.get("/rebalance/runs/by-correlation/corr-rec:mid_1").status_code == 404
    # No prefix matching: the bare header value finds nothing.
    assert api.get("/rebalance/runs/by-correlation/corr-rec").status_code == 404


def test_without_a_correlation_id_the_batch_id_is_the_prefix_and_is_echoed(api):
    scenarios = {"one": {}, "two": {"options": {"max_turnover_pct": "0.3"}}}
    response = api.analyze(analyze_body(scenarios))
    body = response.json()
    batch_id = body["batch_run_id"]
    assert response["X-Correlation-Id"] == batch_id
    for name in ("one", "two"):
        assert body["results"][name]["correlation_id"] == f"{batch_id}:{name}"
        lookup = api.get(f"/rebalance/runs/by-correlation/{batch_id}:{name}")
        assert lookup.json()["rebalance_run_id"] == body["results"][name]["rebalance_run_id"]
    assert body["warnings"] == []
    assert body["failed_scenarios"] == {}


def test_empty_correlation_header_counts_as_absent(api):
    response = api.analyze(analyze_body({"one": {}}), correlation="")
    body = response.json()
    assert response["X-Correlation-Id"] == body["batch_run_id"]
    assert body["results"]["one"]["correlation_id"] == f"{body['batch_run_id']}:one"


def test_two_calls_get_distinct_batches_and_runs(api):
    a = api.analyze(analyze_body({"one": {}})).json()
    b = api.analyze(analyze_body({"one": {}})).json()
    assert a["batch_run_id"] != b["batch_run_id"]
    assert a["results"]["one"]["rebalance_run_id"] != b["results"]["one"]["rebalance_run_id"]
    assert RebalanceRun.objects.count() == 2


def test_idempotency_key_is_ignored_on_analyze(api):
    for _ in range(2):
        response = api.analyze(analyze_body({"one": {}}), headers={"Idempotency-Key": "ana"})
        assert response.status_code == 200
    assert RebalanceRun.objects.count() == 2
    assert api.get("/rebalance/runs/idempotency/ana").status_code == 404


def test_all_scenarios_failing_is_still_200(api):
    response = api.analyze(analyze_body({"x": {"options": {"max_turnover_pct": "-1"}}}))
    assert response.status_code == 200
    body = response.json()
    assert body["results"] == {} and body["comparison_metrics"] == {}
    assert body["failed_scenarios"] == {"x": f"INVALID_OPTIONS: {TURNOVER_MSG}"}
    assert RebalanceRun.objects.count() == 0


def test_zero_price_in_a_scenario_is_blocked_not_an_execution_error(api):
    body = analyze_body({"one": {}})
    body["market_data_snapshot"]["prices"][0]["price"] = "0"
    result = api.analyze(body).json()
    assert result["failed_scenarios"] == {}
    assert result["results"]["one"]["status"] == "BLOCKED"
    assert "ZERO_PRICE_ALPHA" in result["results"]["one"]["diagnostics"]["warnings"]
    assert RebalanceRun.objects.count() == 1


def test_an_exception_in_one_scenario_is_contained(api, monkeypatch):
    import rebalance.engine.batch as batch

    real = batch.simulate

    def flaky(inputs, options, **kw):
        if kw["correlation_id"].endswith(":bad"):
            raise ZeroDivisionError("nope")
        return real(inputs, options, **kw)

    monkeypatch.setattr(batch, "simulate", flaky)
    body = api.analyze(analyze_body({"bad": {}, "good": {}})).json()
    assert body["failed_scenarios"] == {"bad": "SCENARIO_EXECUTION_ERROR: ZeroDivisionError"}
    assert list(body["results"]) == ["good"]
    assert RebalanceRun.objects.count() == 1


@pytest.mark.parametrize(
    ("scenarios", "msg"),
    [
        ({"Bad": {}}, NAME_MSG),
        ({"ok": {}, "has space": {}}, NAME_MSG),
        ({"x" * 65: {}}, NAME_MSG),
        ({"": {}}, NAME_MSG),
        ({}, "Value error, at least one scenario is required"),
        ({f"s{i}": {} for i in range(21)}, "Value error, scenario count exceeds maximum of 20"),
    ],
    ids=["upper", "space", "too_long", "empty_name", "none", "too_many"],
)
def test_bad_scenario_names_or_counts_are_422_and_nothing_runs(api, scenarios, msg):
    response = api.analyze(analyze_body(scenarios))
    detail = assert_problem(response, 422)["detail"]
    assert [(i["type"], i["loc"], i["msg"]) for i in detail] == [
        ("value_error", ["body", "scenarios"], msg)]
    assert RebalanceRun.objects.count() == 0


def test_twenty_scenarios_are_allowed(api):
    response = api.analyze(analyze_body({f"s{i:02d}": {} for i in range(20)}))
    assert response.status_code == 200
    assert len(response.json()["results"]) == 20


@pytest.mark.parametrize("options", [None, [], "x"], ids=["null", "array", "string"])
def test_scenario_options_not_an_object_is_dict_type(api, options):
    detail = assert_problem(api.analyze(analyze_body({"a": {"options": options}})), 422)["detail"]
    assert [(i["type"], i["loc"]) for i in detail] == [
        ("dict_type", ["body", "scenarios", "a", "options"])]


def test_analyze_body_errors_are_422(api):
    body = analyze_body({"a": {}})
    del body["scenarios"]
    body["shelf_entries"][0]["status"] = "NOPE"
    detail = assert_problem(api.analyze(body), 422)["detail"]
    assert [i["loc"] for i in detail] == [
        ["body", "shelf_entries", 0, "status"], ["body", "scenarios"]]
    assert api.analyze("{").status_code == 422
    assert assert_problem(api.analyze(""), 422)["detail"][0]["loc"] == ["body"]


def test_analyze_response_is_compact_json_text(api):
    text = api.analyze(analyze_body({"a": {}})).content.decode()
    assert json.loads(text)["results"]["a"]["status"] == "READY"
    assert ": " not in text[:200]
