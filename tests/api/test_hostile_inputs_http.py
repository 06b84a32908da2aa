"""Hostile inputs are stopped at the boundary (OWASP API4): each is a 422 problem before
any work is done, never a 500, nothing is stored, and the answer stays small."""

from __future__ import annotations

import json
import time

import pytest

from dpm_runs.models import IdempotencyRecord, RebalanceRun
from rebalance.boundary import limits

from .conftest import analyze_body, assert_problem, simulate_body

pytestmark = pytest.mark.django_db

LONG_ID = "x" * (limits.MAX_IDENTIFIER_LENGTH + 1)


def issues(response):
    return assert_problem(response, 422, title="Unprocessable Entity")["detail"]


def nothing_recorded():
    assert RebalanceRun.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


# --- integers beyond Python's int-string limit ---------------------------------------------


@pytest.mark.parametrize("where", ["price", "unknown_key"])
def test_integer_of_more_than_4300_digits_is_422_not_500(api, where):
    huge = "9" * 4301
    text = json.dumps(simulate_body())
    if where == "price":
        raw = text.replace('"10.00"', huge, 1)
    else:
        raw = text[:-1] + f', "note": {huge}}}'
    assert huge in raw
    detail = issues(api.simulate(raw, key="huge-int"))
    assert [(i["type"], i["loc"]) for i in detail] == [("json_invalid", ["body"])]
    assert "4300 digits" in detail[0]["ctx"]["error"]
    nothing_recorded()


def test_integer_just_under_the_limit_is_a_decimal_out_of_range(api):
    raw = json.dumps(simulate_body()).replace('"10.00"', "9" * 4300, 1)
    response = api.simulate(raw, key="big-int")
    [issue] = issues(response)
    assert issue["type"] == "decimal_out_of_range"
    assert issue["loc"] == ["body", "market_data_snapshot", "prices", 0, "price"]
    # The echoed number is cut like any other long input.
    assert issue["input"] == "9" * limits.MAX_ECHOED_INPUT_CHARS + "…"
    nothing_recorded()


# --- identifiers --------------------------------------------------------------------------


def _set(body: dict, path: tuple, value) -> None:
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


SIMULATE_IDENTIFIERS = [
    ("portfolio_snapshot", "snapshot_id"),
    ("portfolio_snapshot", "base_currency"),
    ("portfolio_snapshot", "cash_balances", 0, "currency"),
    ("market_data_snapshot", "snapshot_id"),
    ("market_data_snapshot", "prices", 0, "instrument_id"),
    ("market_data_snapshot", "prices", 0, "currency"),
    ("model_portfolio", "targets", 0, "instrument_id"),
    ("shelf_entries", 0, "instrument_id"),
    ("shelf_entries", 0, "asset_class"),
    ("shelf_entries", 0, "issuer_id"),
]


@pytest.mark.parametrize("path", SIMULATE_IDENTIFIERS, ids=lambda p: ".".join(map(str, p)))
def test_identifier_longer_than_the_maximum_is_422(api, path):
    body = simulate_body()
    _set(body, path, LONG_ID)
    [issue] = issues(api.simulate(body, key="long-id"))
    assert (issue["type"], issue["loc"]) == ("string_too_long", ["body", *path])
    assert issue["ctx"] == {"max_length": limits.MAX_IDENTIFIER_LENGTH}
    nothing_recorded()


def test_identifiers_at_the_maximum_are_accepted(api):
    body = simulate_body()
    at_max = "y" * limits.MAX_IDENTIFIER_LENGTH
    body["shelf_entries"][0]["attributes"] = {at_max: at_max}
    body["shelf_entries"][0]["issuer_id"] = at_max
    body["market_data_snapshot"]["snapshot_id"] = at_max
    assert api.simulate(body, key="max-id").status_code == 200


@pytest.mark.parametrize(
    ("member", "value", "tail"),
    [
        ("lots", None, ["lot_id"]),
        ("attribute key", None, [LONG_ID, "[key]"]),
        ("attribute value", None, ["sector"]),
        ("overdraft currency", None, [LONG_ID, "[key]"]),
        ("fx pair", None, ["pair"]),
    ],
)
def test_nested_identifiers_and_map_keys_are_bounded(api, member, value, tail):
    body = simulate_body()
    if member == "lots":
        body["portfolio_snapshot"]["positions"] = [{
            "instrument_id": "ALPHA", "quantity": "1",
            "lots": [{"lot_id": LONG_ID, "quantity": "1",
                      "unit_cost": {"amount": "1", "currency": "USD"}, "purchase_date": "d"}],
        }]
        prefix = ["portfolio_snapshot", "positions", 0, "lots", 0]
    elif member == "attribute key":
        body["shelf_entries"][0]["attributes"] = {LONG_ID: "TECH"}
        prefix = ["shelf_entries", 0, "attributes"]
    elif member == "attribute value":
        body["shelf_entries"][0]["attributes"] = {"sector": LONG_ID}
        prefix = ["shelf_entries", 0, "attributes"]
    elif member == "overdraft currency":
        body["options"]["max_overdraft_by_ccy"] = {LONG_ID: "1"}
        prefix = ["options", "max_overdraft_by_ccy"]
    else:
        body["market_data_snapshot"]["fx_rates"] = [{"pair": LONG_ID, "rate": "1"}]
        prefix = ["market_data_snapshot", "fx_rates", 0]
    [issue] = issues(api.simulate(body, key="nested-long-id"))
    assert (issue["type"], issue["loc"]) == ("string_too_long", ["body", *prefix, *tail])
    nothing_recorded()


def test_group_constraint_key_is_bounded(api):
    body = simulate_body()
    key = "a" * limits.MAX_IDENTIFIER_LENGTH + ":" + "b" * (limits.MAX_IDENTIFIER_LENGTH + 1)
    body["options"]["group_constraints"] = {key: {"max_weight": "0.5"}}
    [issue] = issues(api.simulate(body, key="long-group-key"))
    assert issue["type"] == "string_too_long"
    assert issue["loc"] == ["body", "options", "group_constraints", key, "[key]"]


def test_scenario_description_is_bounded(api):
    body = analyze_body({"base": {"description": "d" * (limits.MAX_DESCRIPTION_LENGTH + 1)}})
    [issue] = issues(api.analyze(body))
    assert (issue["type"], issue["loc"]) == (
        "string_too_long", ["body", "scenarios", "base", "description"])
    nothing_recorded()


# --- decimals -----------------------------------------------------------------------------


def test_decimal_with_too_many_significant_digits_is_422(api):
    body = simulate_body()
    body["model_portfolio"]["targets"][0]["weight"] = "0." + "1" * (limits.MAX_DECIMAL_DIGITS + 1)
    [issue] = issues(api.simulate(body, key="many-digits"))
    assert issue["type"] == "decimal_max_digits"
    assert issue["loc"] == ["body", "model_portfolio", "targets", 0, "weight"]
    assert issue["ctx"] == {"max_digits": limits.MAX_DECIMAL_DIGITS}
    nothing_recorded()


def test_decimal_at_the_digit_maximum_is_accepted(api):
    body = simulate_body()
    body["model_portfolio"]["targets"][0]["weight"] = "0." + "1" * limits.MAX_DECIMAL_DIGITS
    assert api.simulate(body, key="max-digits").status_code == 200


# --- analyze scenario count ---------------------------------------------------------------


def test_more_than_20_scenarios_are_rejected_before_any_is_validated(api):
    # 10,000 scenarios whose contents are all invalid: one issue, the count.
    scenarios = {f"S{i}": {"options": [], "description": 5} for i in range(10_000)}
    started = time.perf_counter()
    detail = issues(api.analyze(analyze_body(scenarios)))
    elapsed = time.perf_counter() - started
    assert [(i["type"], i["loc"], i["msg"]) for i in detail] == [
        ("value_error", ["body", "scenarios"],
         "Value error, scenario count exceeds maximum of 20")]
    assert isinstance(detail[0]["input"], str) and detail[0]["input"].endswith("…")
    assert elapsed < 5  # generous: it is one len(), not 10,000 validations
    nothing_recorded()


# --- size of the answer -------------------------------------------------------------------


def test_a_missing_member_does_not_echo_a_huge_body(api):
    body = simulate_body()
    del body["model_portfolio"]
    body["shelf_entries"] = [
        {"instrument_id": f"I{i:05d}", "status": "APPROVED"} for i in range(20_000)
    ]
    response = api.simulate(body, key="huge-echo")
    [issue] = issues(response)
    assert (issue["type"], issue["loc"]) == ("missing", ["body", "model_portfolio"])
    assert issue["input"].startswith('{"portfolio_snapshot":') and issue["input"].endswith("…")
    assert len(response.content) < 10_000
    nothing_recorded()


def test_a_huge_string_is_echoed_cut(api):
    body = simulate_body()
    body["portfolio_snapshot"]["base_currency"] = "U" * 5_000_000
    response = api.simulate(body, key="huge-string")
    [issue] = issues(response)
    assert issue["input"] == "U" * limits.MAX_ECHOED_INPUT_CHARS + "…"
    assert len(response.content) < 10_000


def test_thousands_of_invalid_items_list_only_the_first_hundred(api):
    body = simulate_body()
    body["shelf_entries"] = [{"instrument_id": f"I{i}", "status": "nope"} for i in range(20_000)]
    response = api.simulate(body, key="many-issues")
    detail = issues(response)
    assert len(detail) == limits.MAX_REPORTED_ISSUES
    assert [i["loc"][2] for i in detail] == list(range(limits.MAX_REPORTED_ISSUES))
    assert len(response.content) < 100 * 1_000
    nothing_recorded()


@pytest.mark.parametrize("escaped", ["pf_\\ud800", "pf_\\udc00x", "\\uDBFF"])
def test_unpaired_surrogate_in_a_string_is_422_not_500(api, escaped):
    raw = json.dumps(simulate_body()).replace('"pf_api_test"', f'"{escaped}"')
    [issue] = issues(api.simulate(raw, key="surrogate"))
    assert (issue["type"], issue["loc"]) == ("json_invalid", ["body"])
    nothing_recorded()


def test_escaped_surrogate_pair_is_text(api):
    raw = json.dumps(simulate_body()).replace('"pf_api_test"', '"pf_\\ud83d\\ude00"')
    assert api.simulate(raw, key="emoji").status_code == 200


def test_integer_field_given_a_huge_numeric_string_is_422(api):
    body = simulate_body(settlement_horizon_days="9" * 100_000)
    [issue] = issues(api.simulate(body, key="huge-int-string"))
    assert (issue["type"], issue["loc"]) == (
        "int_parsing_size", ["body", "options", "settlement_horizon_days"])
    assert issue["input"].endswith("…")
    nothing_recorded()


def test_a_body_of_millions_of_values_is_refused_before_parsing(api):
    # Two million invalid attribute values: pydantic would hold one error per value.
    body = simulate_body()
    body["shelf_entries"] = [
        {"instrument_id": f"I{i}", "status": "APPROVED", "attributes": {f"k{j}": j for j in range(100)}}
        for i in range(limits.MAX_BODY_SEPARATORS // 100 + 1)
    ]
    started = time.perf_counter()
    [issue] = issues(api.simulate(body, key="millions"))
    assert time.perf_counter() - started < 5
    assert (issue["type"], issue["loc"]) == ("too_long", ["body"])
    assert issue["ctx"] == {"field_type": "Body", "max_length": limits.MAX_BODY_SEPARATORS}
    nothing_recorded()


def test_the_largest_benchmark_body_is_far_below_the_separator_cap():
    from tests.factories import scaled_simulate_body

    raw = json.dumps(scaled_simulate_body(5_000, holdings=True)).encode()
    assert raw.count(b",") < limits.MAX_BODY_SEPARATORS // 4
