"""The documentation tells the truth: examples are real engine output, and what the service
really sends (engine results, conformance cases, HTTP responses) fits the document."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from oas_checks import schema_errors

from lotus_manage.openapi import EXAMPLE_CORRELATION_ID, problem_body
from rebalance import openapi_examples as examples
from rebalance import schema as docs
from rebalance.boundary import (
    BatchRebalanceRequest,
    RebalanceRequest,
    validate_engine_options,
    validate_request,
)
from rebalance.engine import render_batch, render_result, run_batch, simulate
from rebalance.request_hash import hash_of_tree

GOLDEN = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "golden"
CASES = sorted(GOLDEN.glob("*.json")) if GOLDEN.is_dir() else []
ABSENT = "../shared/conformance is absent (plain clone outside CI): conformance cases skipped"


def _simulate(body: dict, correlation_id: str, run_id: str | None = None) -> dict[str, Any]:
    request, issues = validate_request(copy.deepcopy(body), RebalanceRequest)
    assert not issues, issues
    inputs, options = request.to_engine()
    result = simulate(
        inputs, options, request_hash=hash_of_tree(request.request_tree()),
        correlation_id=correlation_id, run_id=run_id,
    )
    return render_result(result)


def _analyze(body: dict, correlation_prefix: str | None, batch_id: str | None = None):
    request, issues = validate_request(copy.deepcopy(body), BatchRebalanceRequest)
    assert not issues, issues
    inputs, scenarios = request.to_engine()
    batch = run_batch(
        inputs, scenarios, validate_engine_options,
        correlation_prefix=correlation_prefix, batch_id=batch_id,
    )
    return render_batch(batch)


# --- The examples are what the engine returns ---------------------------------------------


def _documented_examples(openapi, path: str, method: str, status: str) -> dict[str, Any]:
    response = openapi["paths"][path][method]["responses"][status]
    return {
        name: example["value"]
        for body in response["content"].values()
        for name, example in body.get("examples", {}).items()
    }


@pytest.mark.parametrize("status", ["READY", "PENDING_REVIEW", "BLOCKED"])
def test_simulate_examples_are_engine_output_for_the_request_examples(openapi, status):
    request_example, run_id, correlation_id = examples.SIMULATE_EXAMPLES[status]
    produced = _simulate(request_example, correlation_id, run_id)
    documented = [v for v in _documented_examples(openapi, docs.SIMULATE_PATH, "post", "200")
                  .values() if v["status"] == status]
    # Same keys, same order, same text: json.dumps compares all three.
    assert [json.dumps(v) for v in documented] == [json.dumps(produced)]


def test_ready_example_is_the_spec_example(openapi):
    ready = examples.simulate_result("READY")
    assert ready["lineage"]["request_hash"] == (
        "sha256:594f6d575544ad2bea108779e626034f67064d36a0c474d72d333d51d1461634"  # spec §9
    )
    [lookup] = _documented_examples(
        openapi, "/rebalance/runs/{rebalance_run_id}", "get", "200").values()
    assert lookup["result"] == ready
    [request] = [
        example["value"] for example in openapi["paths"][docs.SIMULATE_PATH]["post"]
        ["requestBody"]["content"]["application/json"]["examples"].values()
    ]
    assert request == examples.SIMULATE_REQUEST


def test_analyze_example_is_engine_output(openapi):
    [documented] = _documented_examples(openapi, docs.ANALYZE_PATH, "post", "200").values()
    produced = _analyze(examples.ANALYZE_REQUEST, examples.BATCH_CORRELATION_ID,
                        examples.BATCH_RUN_ID)
    run_id = produced["results"]["cap_half"]["rebalance_run_id"]  # random: align it
    produced = json.loads(json.dumps(produced).replace(run_id, examples.SCENARIO_RUN_IDS["cap_half"]))
    produced["run_at_utc"] = examples.BATCH_RUN_AT
    assert json.dumps(produced) == json.dumps(documented)
    assert set(produced["failed_scenarios"]) == {"bad_group"}


def test_validation_examples_are_the_boundarys_own_issues(openapi):
    [simulate] = _documented_examples(openapi, docs.SIMULATE_PATH, "post", "422").values()
    assert [(i["type"], i["loc"]) for i in simulate["detail"]] == [
        ("missing", ["header", "Idempotency-Key"]),
        ("enum", ["body", "options", "target_method"]),
        ("value_error", ["body", "options", "group_constraints"]),
    ]
    [analyze] = _documented_examples(openapi, docs.ANALYZE_PATH, "post", "422").values()
    assert [(i["type"], i["loc"]) for i in analyze["detail"]] == [("value_error", ["body", "scenarios"])]


def test_examples_are_the_same_on_every_build():
    first = json.dumps([examples.simulate_result(s) for s in examples.SIMULATE_EXAMPLES])
    examples.simulate_result.cache_clear()
    examples.batch_result.cache_clear()
    again = json.dumps([examples.simulate_result(s) for s in examples.SIMULATE_EXAMPLES])
    assert first == again
    assert examples.batch_result()["run_at_utc"] == examples.BATCH_RUN_AT


def test_the_checks_reject_a_wrong_result(components):
    wrong = copy.deepcopy(examples.simulate_result("READY"))
    wrong["before"]["positions"][0]["weight"] = 0.6  # a number, not a decimal string
    wrong["intents"][1]["intent_type"] = "FX_FORWARD"  # no such variant
    del wrong["lineage"]["engine_version"]  # a key the contract says is always there
    wrong["diagnostics"]["surprise"] = []  # an undocumented key
    errors = "\n".join(schema_errors(wrong, "RebalanceResult", components))
    for fragment in ("weight", "FX_FORWARD", "engine_version", "surprise"):
        assert fragment in errors


# --- Real engine output fits the schema ---------------------------------------------------


@pytest.mark.parametrize("path", CASES or [None], ids=lambda p: p.stem if p else "absent")
def test_conformance_results_fit_the_schema(path, components):
    if path is None:
        pytest.skip(ABSENT)
    case = json.loads(path.read_text())
    correlation = (case.get("headers") or {}).get("X-Correlation-Id")
    if case["kind"] == "simulate":
        component, produced = "RebalanceResult", _simulate(case["request"], correlation or "c_none")
    else:
        component, produced = "BatchRebalanceResult", _analyze(case["request"], correlation)
    assert schema_errors(case["expected"], component, components) == []  # the reference's
    assert schema_errors(produced, component, components) == []  # ours


def _three_targets(**options) -> dict[str, Any]:
    """Spec §4.14's comparison example: USD 10,000 cash, model A/B/C 0.5/0.3/0.2."""
    ids = {"A": "0.5", "B": "0.3", "C": "0.2"}
    return {
        "portfolio_snapshot": {
            "portfolio_id": "pf_cmp", "base_currency": "USD", "positions": [],
            "cash_balances": [{"currency": "USD", "amount": "10000"}],
        },
        "market_data_snapshot": {
            "prices": [{"instrument_id": i, "price": "10", "currency": "USD"} for i in ids],
            "fx_rates": [],
        },
        "model_portfolio": {"targets": [{"instrument_id": i, "weight": w} for i, w in ids.items()]},
        "shelf_entries": [{"instrument_id": i, "status": "APPROVED"} for i in ids],
        "options": options,
    }


def test_shapes_the_conformance_cases_miss_fit_the_schema(components):
    compared = _simulate(
        _three_targets(single_position_max_weight="0.4", compare_target_methods=True), "c"
    )
    assert compared["explanation"]["target_method_comparison"]["differing_instruments"]
    no_gates = _simulate(_three_targets(enable_workflow_gates=False), "c")
    assert no_gates["gate_decision"] is None
    early_blocked = _three_targets(compare_target_methods=True)
    early_blocked["shelf_entries"] = []
    blocked = _simulate(early_blocked, "c")
    assert blocked["explanation"] == {"summary": "Blocked"}
    for result in (compared, no_gates, blocked):
        assert schema_errors(result, "RebalanceResult", components) == []


# --- Real HTTP responses fit the document -------------------------------------------------


def _assert_documented(openapi, components, response, path: str, method: str = "post"):
    """Status, media type, body and required headers of ``response`` are as documented."""
    documented = openapi["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in documented, (status, response.content[:300])
    spec = documented[status]
    media = response["Content-Type"].split(";")[0]
    assert media in spec["content"], (media, list(spec["content"]))
    assert schema_errors(response.json(), spec["content"][media]["schema"], components) == []
    for name, header in spec.get("headers", {}).items():
        if header.get("required"):
            assert response.has_header(name), name
        if response.has_header(name) and "enum" in header["schema"]:
            assert response[name] in header["schema"]["enum"], name


def _post(client: Client, path: str, body: Any, **headers: str):
    return client.generic(
        "POST", path, json.dumps(body), content_type="application/json", headers=headers
    )


@pytest.mark.django_db
def test_simulate_responses_are_documented(openapi, components, client):
    first = _post(client, docs.SIMULATE_PATH, examples.SIMULATE_REQUEST,
                  **{"Idempotency-Key": "oas-1", "X-Correlation-Id": "corr-oas-1"})
    assert first.status_code == 200 and first["Idempotent-Replayed"] == "false"
    _assert_documented(openapi, components, first, docs.SIMULATE_PATH)

    replay = _post(client, docs.SIMULATE_PATH, examples.SIMULATE_REQUEST,
                   **{"Idempotency-Key": "oas-1"})
    assert replay["Idempotent-Replayed"] == "true"
    _assert_documented(openapi, components, replay, docs.SIMULATE_PATH)

    changed = copy.deepcopy(examples.SIMULATE_REQUEST)
    changed["options"]["cash_band_max_weight"] = "0.25"
    conflict = _post(client, docs.SIMULATE_PATH, changed, **{"Idempotency-Key": "oas-1"})
    assert conflict.status_code == 409
    _assert_documented(openapi, components, conflict, docs.SIMULATE_PATH)

    invalid = _post(client, docs.SIMULATE_PATH, {"portfolio_snapshot": []})
    assert invalid.status_code == 422
    _assert_documented(openapi, components, invalid, docs.SIMULATE_PATH)


@pytest.mark.django_db
def test_analyze_responses_are_documented(openapi, components, client):
    ok = _post(client, docs.ANALYZE_PATH, examples.ANALYZE_REQUEST)
    assert ok.status_code == 200
    _assert_documented(openapi, components, ok, docs.ANALYZE_PATH)
    bad = copy.deepcopy(examples.ANALYZE_REQUEST)
    bad["scenarios"] = {"Baseline": {"options": {}}}
    invalid = _post(client, docs.ANALYZE_PATH, bad)
    assert invalid.status_code == 422
    _assert_documented(openapi, components, invalid, docs.ANALYZE_PATH)


@pytest.mark.django_db
def test_refusals_are_documented(openapi, components, issue_key):
    """No key is 401 everywhere; a key without the simulate role is 403 on simulate/analyze."""
    anonymous = Client()
    support_only = Client(headers={"Authorization": f"Api-Key {issue_key(['support'])}"})
    for path in (docs.SIMULATE_PATH, docs.ANALYZE_PATH):
        body = examples.SIMULATE_REQUEST if path == docs.SIMULATE_PATH else examples.ANALYZE_REQUEST
        refused = _post(anonymous, path, body, **{"Idempotency-Key": "oas-refused"})
        assert refused.status_code == 401
        _assert_documented(openapi, components, refused, path)
        forbidden = _post(support_only, path, body, **{"Idempotency-Key": "oas-refused"})
        assert forbidden.status_code == 403
        _assert_documented(openapi, components, forbidden, path)
    refused = anonymous.get("/rebalance/runs/rr_00000000")
    assert refused.status_code == 401
    _assert_documented(openapi, components, refused, "/rebalance/runs/{rebalance_run_id}", "get")


def test_problem_examples_match_the_real_envelope(rf):
    from lotus_manage.problems import problem_response

    request = rf.post(docs.SIMULATE_PATH)
    request.correlation_id = EXAMPLE_CORRELATION_ID
    real = json.loads(problem_response(request, 409, "IDEMPOTENCY_KEY_IN_PROGRESS").content)
    assert real == problem_body(409, "IDEMPOTENCY_KEY_IN_PROGRESS", docs.SIMULATE_PATH)


@pytest.mark.django_db
def test_lookup_responses_are_documented(openapi, components, client):
    created = _post(client, docs.SIMULATE_PATH, examples.SIMULATE_REQUEST,
                    **{"Idempotency-Key": "oas-lookup"})
    run_id = created.json()["rebalance_run_id"]
    found = client.get(f"/rebalance/runs/{run_id}")
    _assert_documented(openapi, components, found, "/rebalance/runs/{rebalance_run_id}", "get")
    mapping = client.get("/rebalance/runs/idempotency/oas-lookup")
    _assert_documented(
        openapi, components, mapping, "/rebalance/runs/idempotency/{idempotency_key}", "get"
    )
    missing = client.get("/rebalance/runs/rr_00000000")
    _assert_documented(openapi, components, missing, "/rebalance/runs/{rebalance_run_id}", "get")


@pytest.mark.django_db
def test_health_responses_are_documented(openapi, components):
    from django.db import connection

    anonymous = Client()
    _assert_documented(openapi, components, anonymous.get("/health/live"), "/health/live", "get")
    _assert_documented(openapi, components, anonymous.get("/health/ready"), "/health/ready", "get")
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute("DELETE FROM django_migrations WHERE app = 'dpm_runs'")
    pending = anonymous.get("/health/ready")
    assert pending.status_code == 503
    _assert_documented(openapi, components, pending, "/health/ready", "get")


@pytest.mark.django_db
def test_database_unavailable_is_documented(openapi, components, client, monkeypatch):
    from django.db import OperationalError

    import rebalance.views

    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(rebalance.views, "simulate_idempotently", unreachable)
    answer = _post(client, docs.SIMULATE_PATH, examples.SIMULATE_REQUEST, **{"Idempotency-Key": "oas-503"})
    assert answer.status_code == 503
    _assert_documented(openapi, components, answer, docs.SIMULATE_PATH)


@pytest.mark.django_db
def test_metrics_response_is_documented(openapi, issue_key):
    response = Client(headers={"Authorization": f"Api-Key {issue_key(['support'])}"}).get("/metrics")
    documented = openapi["paths"]["/metrics"]["get"]["responses"]
    assert str(response.status_code) in documented
    assert response["Content-Type"].split(";")[0] in documented["200"]["content"]
    assert response.has_header("X-Correlation-Id")
