"""The workbench endpoints (listing, key history, support bundle, verify) in the document,
and what they really send fits it."""
from __future__ import annotations

import json

import pytest
from django.test import Client
from oas_checks import ref_name
from test_openapi_matches_service import _assert_documented

from rebalance import schema as docs
from tests.factories import spec_simulate_body

LIST = "/rebalance/runs"
HISTORY = "/rebalance/runs/idempotency/{idempotency_key}/history"
BUNDLE = "/rebalance/runs/{rebalance_run_id}/support-bundle"
VERIFY = "/rebalance/runs/{rebalance_run_id}/verify"
OPERATIONS = [(LIST, "get"), (HISTORY, "get"), (BUNDLE, "get"), (VERIFY, "post")]
PROBLEM = "application/problem+json"


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_operations_need_an_api_key_and_answer_problems(openapi, path, method):
    operation = openapi["paths"][path][method]
    assert operation["security"] == [{"ApiKeyAuth": []}]
    responses = operation["responses"]
    for status, response in responses.items():
        if status != "200":
            assert list(response["content"]) == [PROBLEM], status
            assert ref_name(response["content"][PROBLEM]["schema"]) in {"Problem", "ValidationProblem"}
        assert response["headers"]["X-Correlation-Id"]["required"] is True
    assert {"200", "401", "403", "404", "429"} <= set(responses)


def test_the_listing_documents_its_filters_limit_and_errors(openapi):
    operation = openapi["paths"][LIST]["get"]
    params = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(params) == {"portfolio_id", "status", "created_from", "created_to", "correlation_id",
                           "idempotency_key", "request_hash", "batch_run_id", "limit", "cursor"}
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
    assert params["created_from"]["schema"] == {"type": "string", "format": "date-time"}
    responses = operation["responses"]
    assert ref_name(responses["200"]["content"]["application/json"]["schema"]) == "DpmRunListResponse"
    assert ref_name(responses["422"]["content"][PROBLEM]["schema"]) == "ValidationProblem"
    examples = responses["400"]["content"][PROBLEM]["examples"].values()
    assert [example["value"]["detail"] for example in examples] == ["DPM_CURSOR_INVALID"]


def test_the_bundle_documents_its_request_as_an_object_and_refers_to_the_result_component(components):
    bundle = components["DpmSupportBundle"]["properties"]
    # The stored request is normalised text, not what RebalanceRequest says clients send.
    assert bundle["request"]["type"] == "object" and "$ref" not in bundle["request"]
    assert ref_name(bundle["result"]) == "RebalanceResult"


def _post_simulate(client, key):
    return client.generic("POST", docs.SIMULATE_PATH, json.dumps(spec_simulate_body()),
                          content_type="application/json", headers={"Idempotency-Key": key})


@pytest.mark.django_db
def test_workbench_responses_are_documented(openapi, components, client, issue_key):
    run_id = _post_simulate(client, "oas-wb").json()["rebalance_run_id"]
    _post_simulate(client, "oas-wb")
    check = lambda response, path, method="get": _assert_documented(  # noqa: E731
        openapi, components, response, path, method)

    page = client.get(f"{LIST}?limit=1")
    check(page, LIST)
    check(client.get(f"{LIST}?limit=0&colour=red"), LIST)
    check(client.get(f"{LIST}?cursor=forged"), LIST)
    check(client.get("/rebalance/runs/idempotency/oas-wb/history"), HISTORY)
    check(client.get("/rebalance/runs/idempotency/nope/history"), HISTORY)
    check(client.get(f"/rebalance/runs/{run_id}/support-bundle"), BUNDLE)
    check(client.get("/rebalance/runs/rr_00000000/support-bundle"), BUNDLE)
    check(client.post(f"/rebalance/runs/{run_id}/verify"), VERIFY, "post")
    check(client.post("/rebalance/runs/rr_00000000/verify"), VERIFY, "post")

    simulate_only = Client(headers={"Authorization": f"Api-Key {issue_key(['simulate'])}"})
    forbidden = simulate_only.get(f"/rebalance/runs/{run_id}/support-bundle")
    assert forbidden.status_code == 403
    check(forbidden, BUNDLE)
    anonymous = Client().post(f"/rebalance/runs/{run_id}/verify")
    assert anonymous.status_code == 401
    check(anonymous, VERIFY, "post")


@pytest.mark.django_db
def test_listing_filters_document_the_nul_rule_the_service_enforces(openapi, client):
    import re

    parameters = {p["name"]: p["schema"] for p in openapi["paths"]["/rebalance/runs"]["get"]["parameters"]}
    pattern = parameters["idempotency_key"]["pattern"]
    assert re.search(pattern, "a\x00b") is None and re.search(pattern, "any text") is not None
    assert client.get("/rebalance/runs", {"idempotency_key": "a\x00b"}).status_code == 422
    assert client.get("/rebalance/runs", {"idempotency_key": "any text"}).status_code == 200
