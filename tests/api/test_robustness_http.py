"""Hostile or unusual input must be answered with 4xx problem details, never a 500, and
every error body must itself be valid JSON."""
from __future__ import annotations

import json

import pytest

from dpm_runs.models import RebalanceRun

from .conftest import ANALYZE, SIMULATE, analyze_body, assert_problem, simulate_body

pytestmark = pytest.mark.django_db


def strict_json(content: bytes):
    """Parse as RFC 8259 JSON: NaN / Infinity / -Infinity are not JSON."""

    def reject(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(content, parse_constant=reject)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_moderately_nested_unknown_key_is_ignored(api):
    text = json.dumps(simulate_body())
    raw = text[:-1] + ', "extra": ' + _nested(500) + "}"
    response = api.simulate(raw, key="nested-500")
    assert response.status_code == 200


@pytest.mark.parametrize("path", [SIMULATE, ANALYZE])
def test_deeply_nested_json_is_a_4xx_not_a_500(api, path):
    raw = '{"portfolio_snapshot": ' + _nested(5000) + "}"
    response = api.post(path, raw, key="nested-5000")
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert RebalanceRun.objects.count() == 0


def test_error_body_for_an_out_of_range_number_is_valid_json(api):
    body = simulate_body()
    body["market_data_snapshot"]["prices"][0]["price"] = 1e400  # json.dumps writes Infinity
    raw = json.dumps(body).replace("Infinity", "1e400")
    response = api.simulate(raw, key="inf-price")
    assert response.status_code == 422
    detail = strict_json(response.content)["detail"]
    assert [(i["type"], i["loc"]) for i in detail] == [
        ("finite_number", ["body", "market_data_snapshot", "prices", 0, "price"])]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_json_literals_get_a_422_whose_body_is_valid_json(api, token):
    raw = json.dumps(simulate_body()).replace('"10.00"', token)
    assert token in raw
    response = api.simulate(raw, key="nan-literal")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    detail = strict_json(response.content)["detail"]
    # json_invalid (not JSON, api §1.1) would be best; finite_number is acceptable.
    assert detail[0]["type"] in ("json_invalid", "finite_number")


def test_finite_number_issue_for_a_string_infinity_is_valid_json(api):
    body = simulate_body()
    body["market_data_snapshot"]["prices"][0]["price"] = "Infinity"
    response = api.simulate(body, key="inf-string")
    detail = strict_json(response.content)["detail"]
    assert [(i["type"], i["input"]) for i in detail] == [("finite_number", "Infinity")]


def test_lookups_answer_options_with_405(api):
    response = api.client.options("/rebalance/runs/rr_x")
    assert_problem(response, 405, "Method Not Allowed")


@pytest.mark.parametrize("path", [SIMULATE, ANALYZE])
def test_options_on_the_simulation_endpoints_is_405(api, path):
    assert_problem(api.client.options(path), 405, "Method Not Allowed")


def test_every_error_response_carries_the_correlation_id_it_logged(api):
    """A sample of 422, 404 and 405 answers: header and body agree, generated or not."""
    responses = [
        api.simulate("{", key="x"),
        api.get("/nope"),
        api.client.get(SIMULATE),
        api.analyze(analyze_body({}), correlation="corr-echo"),
    ]
    for response in responses:
        body = strict_json(response.content)
        assert body["correlation_id"] == response["X-Correlation-Id"]
    assert responses[-1]["X-Correlation-Id"] == "corr-echo"
