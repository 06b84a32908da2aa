"""The document's request schemas accept exactly what the boundary accepts.

Each case puts one value into a valid body and asks both sides: the OpenAPI document
(as JSON Schema, map-key rules included) and the pydantic model that validates real
requests. A disagreement is what schemathesis reports as "schema-valid request
rejected" or "schema-violating request accepted"; these cases pin each fix.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from lotus_manage.middleware import correlation_id_issue
from rebalance.boundary import BatchRebalanceRequest, RebalanceRequest
from rebalance.headers import idempotency_key_issue
from tests.factories import small_analyze_body, small_simulate_body

REF_PREFIX = "#/components/schemas/"


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema 2020-12: ``nullable`` and the ``x-propertyNames`` key rules."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        ("propertyNames" if key == "x-propertyNames" else key): _as_json_schema(value)
        for key, value in node.items() if key != "nullable"
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="module")
def document_accepts(components):
    schemas = _as_json_schema(copy.deepcopy(components))

    def accepts(component: str, body: Any) -> bool:
        root = {"$ref": REF_PREFIX + component, "components": {"schemas": schemas}}
        return jsonschema.Draft202012Validator(root).is_valid(body)

    return accepts


def _model_accepts(model: Any, body: Any) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


def _with(body: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def _assert_agree(document_accepts, component, model, body):
    assert document_accepts(component, body) == _model_accepts(model, body), body


def test_the_unchanged_bodies_are_valid_on_both_sides(document_accepts):
    assert document_accepts("RebalanceRequest", small_simulate_body())
    assert _model_accepts(RebalanceRequest, small_simulate_body())
    analyze = small_analyze_body({"base": {}})
    assert document_accepts("BatchRebalanceRequest", analyze)
    assert _model_accepts(BatchRebalanceRequest, analyze)


BOOLEANS = [True, False, 0, 1, 1.0, 0.0, 2, 0.5, None, [], {}, "true", "FALSE", "Yes", "n",
            "On", "off", "1", "0", "t", "F", "", "maybe", "1.0", " yes", "truth", "10"]


@pytest.mark.parametrize("value", BOOLEANS, ids=repr)
def test_booleans_are_documented_in_their_lax_forms(document_accepts, value):
    body = _with(small_simulate_body(), ("options", "allow_restricted"), value)
    _assert_agree(document_accepts, "RebalanceRequest", RebalanceRequest, body)


INTEGERS = [0, 2, 10, 11, -1, 2.0, 2.5, "2", " 2 ", "+02.00", "-0", "-0.0", "007", "11",
            "-1", "2.5", "2.", "", "two", True, False, None, 1e1, "1e1"]


@pytest.mark.parametrize("value", INTEGERS, ids=repr)
def test_bounded_integers_are_documented_in_their_lax_forms(document_accepts, value):
    body = _with(small_simulate_body(), ("shelf_entries", 0, "settlement_days"), value)
    _assert_agree(document_accepts, "RebalanceRequest", RebalanceRequest, body)


@pytest.mark.parametrize("value", [1, 20, 0, 21, True, False, "1", "20", "0", "21"], ids=repr)
def test_an_integer_starting_at_one_takes_true_but_not_false(document_accepts, value):
    body = _with(small_simulate_body(), ("options", "drift_top_contributors_limit"), value)
    _assert_agree(document_accepts, "RebalanceRequest", RebalanceRequest, body)


DECIMALS = ["1000.00", " 1000 ", "+5", "-5", "1e2", "1E-5", ".5", "5.", "", " ", "abc",
            "NaN", "Infinity", "0x10", "1.2.3", 1000, -3, 0.25, True, None, [],
            10**50 - 1, -(10**50 - 1), 10**50, 0, 0.0, -0.0, 1e-100, -1e-100, 9e-101,
            5e-324, -2.2e-311]


@pytest.mark.parametrize("value", DECIMALS, ids=repr)
def test_decimals_are_documented_as_text_or_number_without_empty_text(document_accepts, value):
    body = _with(small_simulate_body(), ("portfolio_snapshot", "cash_balances", 0, "amount"), value)
    _assert_agree(document_accepts, "RebalanceRequest", RebalanceRequest, body)


WEIGHTS = ["0", "0.5", "1", "1.000", "00.25", ".75", "1.0001", "-0.1", "2", "", 0, 1, 0.5,
           1.5, -1, 1e-100, 5e-324, -0.0]


@pytest.mark.parametrize("value", WEIGHTS, ids=repr)
def test_weights_are_documented_between_zero_and_one(document_accepts, value):
    body = _with(small_simulate_body(), ("options", "single_position_max_weight"), value)
    _assert_agree(document_accepts, "RebalanceRequest", RebalanceRequest, body)


@pytest.mark.parametrize("path", [
    ("portfolio_snapshot", "portfolio_id"),
    ("market_data_snapshot", "prices", 0, "instrument_id"),
    ("shelf_entries", 0, "asset_class"),
])
@pytest.mark.parametrize("value", ["EQ_1", "", "EQ\x00", "\x00", "X" * 128, "X" * 129])
def test_identifiers_are_documented_without_nul_characters(document_accepts, path, value):
    # PostgreSQL refuses NUL in stored text: such a request was a 500 there, now a 422.
    body = _with(small_simulate_body(), path, value)
    _assert_agree(document_accepts, "RebalanceRequest", RebalanceRequest, body)


@pytest.mark.parametrize("key", ["sector", "", "sec\x00tor", "X" * 128, "X" * 129])
def test_shelf_attribute_keys_are_documented(document_accepts, key):
    body = _with(small_simulate_body(), ("shelf_entries", 0, "attributes"), {key: "TECH"})
    _assert_agree(document_accepts, "RebalanceRequest", RebalanceRequest, body)


@pytest.mark.parametrize("key", ["sector:TECH", "sector", ":TECH", "sector:", "a:b:c", "",
                                 "sector:TE\x00CH"])
def test_group_constraint_keys_are_documented(document_accepts, key):
    body = _with(small_simulate_body(), ("options", "group_constraints"), {key: {"max_weight": "0.5"}})
    _assert_agree(document_accepts, "RebalanceRequest", RebalanceRequest, body)


@pytest.mark.parametrize("key", ["L1", "L5", "L6", "l1", ""])
def test_liquidity_tier_keys_are_documented(document_accepts, key):
    thresholds = {"max_weight_by_liquidity_tier": {key: "0.5"}}
    body = _with(small_simulate_body(), ("options", "suitability_thresholds"), thresholds)
    _assert_agree(document_accepts, "RebalanceRequest", RebalanceRequest, body)


@pytest.mark.parametrize("key", ["USD", "", "X" * 128, "X" * 129, "US\x00D"])
def test_overdraft_currency_keys_are_documented(document_accepts, key):
    body = _with(small_simulate_body(), ("options", "max_overdraft_by_ccy"), {key: "10"})
    _assert_agree(document_accepts, "RebalanceRequest", RebalanceRequest, body)


@pytest.mark.parametrize("scenarios", [
    {},
    {"base": {}},
    {f"s{index}": {} for index in range(20)},
    {f"s{index}": {} for index in range(21)},
    {"Base": {}},
    {"": {}},
    {"x" * 64: {}},
    {"x" * 65: {}},
    # The contents of a scenario's options are validated when it runs (HTTP 200 with
    # INVALID_OPTIONS), so the document accepts any object there.
    {"base": {"options": {"target_method": "nonsense", "group_constraints": [None]}}},
    {"base": {"options": []}},
    {"base": {"options": None}},
], ids=lambda scenarios: repr(scenarios)[:60])
def test_analyze_scenarios_are_documented(document_accepts, scenarios):
    body = small_analyze_body(scenarios)
    _assert_agree(document_accepts, "BatchRebalanceRequest", BatchRebalanceRequest, body)


def _header_schema(openapi, name):
    (parameter,) = [
        p for p in openapi["paths"]["/rebalance/simulate"]["post"]["parameters"] if p["name"] == name
    ]
    return parameter["schema"]


def _header_accepts(schema, value):
    return jsonschema.Draft202012Validator(schema).is_valid(value)


@pytest.mark.parametrize("value", ["k-1", "a", "", " k", "k ", "a b", "k\t1", "é", "k" * 256, "k" * 257])
def test_the_idempotency_key_header_is_documented_exactly(openapi, value):
    documented = _header_accepts(_header_schema(openapi, "Idempotency-Key"), value)
    assert documented == (idempotency_key_issue(value) is None)


@pytest.mark.parametrize("value", ["corr-1", "", "a b", "x" * 128, "x" * 129, "a/b", "a:b@c+d=e~f.g_h"])
def test_the_correlation_id_header_is_documented_exactly(openapi, value):
    documented = _header_accepts(_header_schema(openapi, "X-Correlation-Id"), value)
    # Empty counts as absent (a fresh id is generated), so it is accepted too.
    assert documented == (value == "" or correlation_id_issue(value) is None)


def test_every_map_key_rule_is_a_valid_regular_expression(openapi):
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "x-propertyNames" in node and "pattern" in node["x-propertyNames"]:
                found.append(re.compile(node["x-propertyNames"]["pattern"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(openapi)
    assert len(found) >= 3  # scenario names, group-constraint keys, liquidity tiers
