"""Simulate and analyze bodies: shapes, engine objects, lots rule, scenarios, limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebalance.engine.models import (
    CashBalance,
    EngineOptions,
    FxRate,
    ModelTarget,
    PortfolioSnapshot,
    Position,
    Price,
    RebalanceInputs,
    ShelfEntry,
    ShelfStatus,
)
from rebalance.boundary import BatchRebalanceRequest, RebalanceRequest
from rebalance.boundary import limits

from .conftest import valid

MODEL_ATTRIBUTES_MSG = "Input should be a valid dictionary or object to extract fields from"
LOTS_MSG = "Value error, sum(lot.quantity) must equal position.quantity within tolerance 0.0001"
NAME_MSG = "Value error, scenario names must match regex [a-z0-9_\\-]{1,64}"


def locs_and_messages(issues):
    return [(issue["loc"], issue["msg"]) for issue in issues]


# --- simulate -----------------------------------------------------------------------------


def test_simulate_body_becomes_engine_objects(simulate_body):
    request = valid(RebalanceRequest, simulate_body)
    inputs, options = request.to_engine()
    assert isinstance(inputs, RebalanceInputs) and isinstance(options, EngineOptions)
    assert inputs.portfolio == PortfolioSnapshot(
        portfolio_id="pf_spec_001",
        base_currency="SGD",
        positions=(Position("SG_BANK_EQ", Decimal("300")),),
        cash_balances=(CashBalance("SGD", Decimal("10000.00")),),
    )
    assert inputs.market_data.prices[1] == Price("US_TECH_ETF", Decimal("200.00"), "USD")
    assert inputs.market_data.fx_rates == (FxRate("USD/SGD", Decimal("1.35")),)
    assert inputs.model.targets[0] == ModelTarget("SG_BANK_EQ", Decimal("0.40"))
    assert inputs.shelf[0] == ShelfEntry(
        "SG_BANK_EQ", ShelfStatus.APPROVED, asset_class="EQUITY", attributes={"region": "SG"}
    )
    assert inputs.shelf[0].status is ShelfStatus.APPROVED
    assert str(options.cash_band_max_weight) == "0.20"


def test_an_invalid_body_gives_issues_and_no_request():
    from rebalance.boundary import validate_request

    request, issues = validate_request({}, RebalanceRequest)
    assert request is None and len(issues) == 5


def test_all_five_members_are_required(issues_of):
    issues = issues_of(RebalanceRequest, {"unknown": 1})
    assert locs_and_messages(issues) == [
        (["body", name], "Field required")
        for name in (
            "portfolio_snapshot",
            "market_data_snapshot",
            "model_portfolio",
            "shelf_entries",
            "options",
        )
    ]
    assert all(issue["type"] == "missing" and issue["input"] == {"unknown": 1} for issue in issues)


def test_missing_member_is_reported_with_the_whole_body_as_input(simulate_body, issues_of):
    del simulate_body["model_portfolio"]
    assert issues_of(RebalanceRequest, simulate_body) == [
        {
            "type": "missing",
            "loc": ["body", "model_portfolio"],
            "msg": "Field required",
            "input": simulate_body,
        }
    ]


def test_null_options_is_not_an_object(simulate_body, issues_of):
    simulate_body["options"] = None
    [issue] = issues_of(RebalanceRequest, simulate_body)
    assert (issue["type"], issue["loc"], issue["msg"]) == (
        "model_attributes_type",
        ["body", "options"],
        MODEL_ATTRIBUTES_MSG,
    )


def test_null_body_is_missing_and_non_object_body_is_not_an_object(issues_of):
    assert issues_of(RebalanceRequest, None) == [
        {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}
    ]
    for body in ("raw text", [], 5):
        [issue] = issues_of(BatchRebalanceRequest, body)
        assert (issue["type"], issue["loc"], issue["input"]) == (
            "model_attributes_type",
            ["body"],
            body,
        )


def test_optional_members_take_the_dataclass_defaults(simulate_body):
    simulate_body["portfolio_snapshot"] = {"portfolio_id": "p", "base_currency": "USD"}
    simulate_body["market_data_snapshot"] = {}
    simulate_body["shelf_entries"] = [{"instrument_id": "X", "status": "BANNED"}]
    request = valid(RebalanceRequest, simulate_body)
    inputs, _ = request.to_engine()
    assert inputs.portfolio.positions == () and inputs.portfolio.cash_balances == ()
    assert inputs.market_data.prices == () and inputs.market_data.snapshot_id is None
    assert inputs.shelf == (ShelfEntry("X", ShelfStatus.BANNED),)
    assert inputs.shelf[0].asset_class == "UNKNOWN" and inputs.shelf[0].settlement_days == 2


@pytest.mark.parametrize(
    ("path", "value", "loc", "issue_type", "message"),
    [
        (("model_portfolio",), {}, ["model_portfolio", "targets"], "missing", "Field required"),
        (("shelf_entries",), {}, ["shelf_entries"], "list_type", "Input should be a valid list"),
        (
            ("portfolio_snapshot", "portfolio_id"),
            5,
            ["portfolio_snapshot", "portfolio_id"],
            "string_type",
            "Input should be a valid string",
        ),
        (
            ("portfolio_snapshot", "positions"),
            None,
            ["portfolio_snapshot", "positions"],
            "list_type",
            "Input should be a valid list",
        ),
        (
            ("market_data_snapshot", "prices"),
            [{"instrument_id": "X", "price": "1e101", "currency": "USD"}],
            ["market_data_snapshot", "prices", 0, "price"],
            "decimal_out_of_range",
            None,
        ),
        (
            ("market_data_snapshot", "fx_rates"),
            [{"pair": "USD/SGD"}],
            ["market_data_snapshot", "fx_rates", 0, "rate"],
            "missing",
            "Field required",
        ),
        (
            ("shelf_entries",),
            [{"instrument_id": "X", "status": "approved"}],
            ["shelf_entries", 0, "status"],
            "literal_error",
            "Input should be 'APPROVED', 'RESTRICTED', 'BANNED', 'SUSPENDED' or 'SELL_ONLY'",
        ),
        (
            ("shelf_entries",),
            [{"instrument_id": "X", "status": "APPROVED", "liquidity_tier": "L6"}],
            ["shelf_entries", 0, "liquidity_tier"],
            "literal_error",
            "Input should be 'L1', 'L2', 'L3', 'L4' or 'L5'",
        ),
        (
            ("shelf_entries",),
            [{"instrument_id": "X", "status": "APPROVED", "settlement_days": 11}],
            ["shelf_entries", 0, "settlement_days"],
            "less_than_equal",
            "Input should be less than or equal to 10",
        ),
        (
            ("shelf_entries",),
            [{"instrument_id": "X", "status": "APPROVED", "attributes": {"sector": 1}}],
            ["shelf_entries", 0, "attributes", "sector"],
            "string_type",
            "Input should be a valid string",
        ),
        (
            ("shelf_entries",),
            [{"instrument_id": "X", "status": "APPROVED", "min_notional": 5}],
            ["shelf_entries", 0, "min_notional"],
            "model_attributes_type",
            MODEL_ATTRIBUTES_MSG,
        ),
    ],
)
def test_shape_issues_are_located(simulate_body, issues_of, path, value, loc, issue_type, message):
    target = simulate_body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    [issue] = issues_of(RebalanceRequest, simulate_body)
    assert issue["loc"] == ["body", *loc]
    assert issue["type"] == issue_type
    if message is not None:
        assert issue["msg"] == message


def test_json_number_decimals(simulate_body):
    simulate_body["market_data_snapshot"]["prices"][0]["price"] = 50
    simulate_body["market_data_snapshot"]["prices"][1]["price"] = 200.5
    request = valid(RebalanceRequest, simulate_body)
    prices = request.to_engine()[0].market_data.prices
    assert [str(p.price) for p in prices] == ["50", "200.5"]


def test_unknown_keys_are_ignored_at_every_level(simulate_body):
    simulate_body["extra"] = 1
    simulate_body["portfolio_snapshot"]["positions"][0]["extra"] = {"x": 1}
    simulate_body["shelf_entries"][0]["extra"] = None
    valid(RebalanceRequest, simulate_body)


# --- lots rule ----------------------------------------------------------------------------


def _with_lots(body, quantity, lot_quantities):
    body["portfolio_snapshot"]["positions"] = [
        {"instrument_id": "SG_BANK_EQ", "quantity": "1"},
        {
            "instrument_id": "SG_BANK_EQ",
            "quantity": quantity,
            "lots": [
                {
                    "lot_id": f"L{i}",
                    "quantity": q,
                    "unit_cost": {"amount": "10", "currency": "SGD"},
                    "purchase_date": "2024-01-01",
                }
                for i, q in enumerate(lot_quantities)
            ],
        },
    ]
    return body


@pytest.mark.parametrize(
    ("quantity", "lots"),
    [
        ("300", ["100", "200"]),
        ("300", ["100", "199.9999"]),
        ("300", ["100", "200.0001"]),
        ("300", ["299.99995"]),
        ("7", []),
    ],
)
def test_lots_within_tolerance_are_accepted(simulate_body, issues_of, quantity, lots):
    assert issues_of(RebalanceRequest, _with_lots(simulate_body, quantity, lots)) == []


@pytest.mark.parametrize(
    ("quantity", "lots"),
    [("300", ["100", "199.9998"]), ("300", ["100", "200.00011"]), ("300", ["0"])],
)
def test_lots_outside_tolerance_fail_at_the_position(simulate_body, issues_of, quantity, lots):
    body = _with_lots(simulate_body, quantity, lots)
    [issue] = issues_of(RebalanceRequest, body)
    assert issue["type"] == "value_error"
    assert issue["loc"] == ["body", "portfolio_snapshot", "positions", 1]
    assert issue["msg"] == LOTS_MSG
    assert issue["input"] == body["portfolio_snapshot"]["positions"][1]
    assert issue["ctx"] == {"error": {}}


def test_lot_fields_are_checked_before_the_lots_rule(simulate_body, issues_of):
    body = _with_lots(simulate_body, "300", ["-1"])
    [issue] = issues_of(RebalanceRequest, body)
    assert issue["loc"] == ["body", "portfolio_snapshot", "positions", 1, "lots", 0, "quantity"]
    assert (issue["type"], issue["ctx"]) == ("greater_than_equal", {"ge": 0})


# --- analyze ------------------------------------------------------------------------------


def test_batch_body_gives_inputs_and_raw_scenario_options_in_request_order(analyze_body):
    analyze_body["scenarios"] = {
        "z_last": {"options": {"target_method": "FOO"}},  # contents not validated here
        "a_first": {"description": None},
        "baseline": {"description": "x", "options": {"max_turnover_pct": "0.5"}},
    }
    analyze_body["options"] = "ignored: analyze has no top-level options"
    request = valid(BatchRebalanceRequest, analyze_body)
    inputs, scenarios = request.to_engine()
    assert inputs.portfolio.portfolio_id == "pf_spec_001"
    assert scenarios == {
        "z_last": {"target_method": "FOO"},
        "a_first": {},
        "baseline": {"max_turnover_pct": "0.5"},
    }
    assert list(scenarios) == ["z_last", "a_first", "baseline"]


@pytest.mark.parametrize(
    ("scenarios", "loc", "issue_type", "message"),
    [
        ({}, ["scenarios"], "value_error", "Value error, at least one scenario is required"),
        (
            {f"s{i}": {} for i in range(21)},
            ["scenarios"],
            "value_error",
            "Value error, scenario count exceeds maximum of 20",
        ),
        ({"Baseline": {"options": {}}}, ["scenarios"], "value_error", NAME_MSG),
        ({"ok": {}, "has space": {}}, ["scenarios"], "value_error", NAME_MSG),
        ({"a" * 65: {}}, ["scenarios"], "value_error", NAME_MSG),
        ({"": {}}, ["scenarios"], "value_error", NAME_MSG),
        ({"abc\n": {}}, ["scenarios"], "value_error", NAME_MSG),
        ({"caf\u00e9": {}}, ["scenarios"], "value_error", NAME_MSG),
        ({"x": None}, ["scenarios", "x"], "model_attributes_type", MODEL_ATTRIBUTES_MSG),
        ({"x": []}, ["scenarios", "x"], "model_attributes_type", MODEL_ATTRIBUTES_MSG),
        (
            {"x": {"options": None}},
            ["scenarios", "x", "options"],
            "dict_type",
            "Input should be a valid dictionary",
        ),
        (
            {"x": {"options": []}},
            ["scenarios", "x", "options"],
            "dict_type",
            "Input should be a valid dictionary",
        ),
        (
            {"x": {"description": 5}},
            ["scenarios", "x", "description"],
            "string_type",
            "Input should be a valid string",
        ),
        # value problems are reported instead of the name/count checks
        ({"Bad": None}, ["scenarios", "Bad"], "model_attributes_type", MODEL_ATTRIBUTES_MSG),
        # the count check runs before the name check
        (
            {**{f"s{i}": {} for i in range(20)}, "BAD": {}},
            ["scenarios"],
            "value_error",
            "Value error, scenario count exceeds maximum of 20",
        ),
    ],
)
def test_scenario_rules(analyze_body, issues_of, scenarios, loc, issue_type, message):
    analyze_body["scenarios"] = scenarios
    [issue] = issues_of(BatchRebalanceRequest, analyze_body)
    assert (issue["loc"], issue["type"], issue["msg"]) == (["body", *loc], issue_type, message)


def test_scenario_name_issue_matches_the_spec_example(analyze_body, issues_of):
    analyze_body["scenarios"] = {"Baseline": {"options": {}}}
    assert issues_of(BatchRebalanceRequest, analyze_body) == [
        {
            "type": "value_error",
            "loc": ["body", "scenarios"],
            "msg": NAME_MSG,
            "input": {"Baseline": {"options": {}}},
            "ctx": {"error": {}},
        }
    ]


def test_valid_scenario_names(analyze_body):
    analyze_body["scenarios"] = {name: {} for name in ("a", "0", "cap_half", "what-if_2", "a" * 64)}
    valid(BatchRebalanceRequest, analyze_body)
    analyze_body["scenarios"] = {f"s{i}": {} for i in range(20)}
    valid(BatchRebalanceRequest, analyze_body)


def test_scenarios_member_is_required_and_an_object(analyze_body, issues_of):
    del analyze_body["scenarios"]
    assert locs_and_messages(issues_of(BatchRebalanceRequest, analyze_body)) == [
        (["body", "scenarios"], "Field required")
    ]
    analyze_body["scenarios"] = ["baseline"]
    assert locs_and_messages(issues_of(BatchRebalanceRequest, analyze_body)) == [
        (["body", "scenarios"], "Input should be a valid dictionary")
    ]


# --- hardening limits ---------------------------------------------------------------------


def test_limits_are_the_documented_ones():
    assert (
        limits.MAX_POSITIONS,
        limits.MAX_LOTS_PER_POSITION,
        limits.MAX_CASH_BALANCES,
        limits.MAX_PRICES,
        limits.MAX_FX_RATES,
        limits.MAX_MODEL_TARGETS,
        limits.MAX_SHELF_ENTRIES,
        limits.MAX_ATTRIBUTES_PER_SHELF_ENTRY,
        limits.MAX_GROUP_CONSTRAINTS,
        limits.MAX_OVERDRAFT_CURRENCIES,
    ) == (10_000, 1_000, 1_000, 20_000, 2_000, 10_000, 20_000, 100, 200, 200)


@pytest.mark.parametrize(
    ("path", "limit", "kind"),
    [
        (("portfolio_snapshot", "positions"), limits.MAX_POSITIONS, "List"),
        (("portfolio_snapshot", "positions", 0, "lots"), limits.MAX_LOTS_PER_POSITION, "List"),
        (("portfolio_snapshot", "cash_balances"), limits.MAX_CASH_BALANCES, "List"),
        (("market_data_snapshot", "prices"), limits.MAX_PRICES, "List"),
        (("market_data_snapshot", "fx_rates"), limits.MAX_FX_RATES, "List"),
        (("model_portfolio", "targets"), limits.MAX_MODEL_TARGETS, "List"),
        (("shelf_entries",), limits.MAX_SHELF_ENTRIES, "List"),
        (("shelf_entries", 0, "attributes"), limits.MAX_ATTRIBUTES_PER_SHELF_ENTRY, "Dictionary"),
        (("options", "group_constraints"), limits.MAX_GROUP_CONSTRAINTS, "Dictionary"),
        (("options", "max_overdraft_by_ccy"), limits.MAX_OVERDRAFT_CURRENCIES, "Dictionary"),
    ],
)
def test_oversized_collections_are_rejected_before_their_items(
    simulate_body, issues_of, path, limit, kind
):
    target = simulate_body
    for key in path[:-1]:
        target = target[key]
    # Invalid items: proves the size check runs first and reports alone.
    if kind == "List":
        target[path[-1]] = [None] * (limit + 1)
    else:
        target[path[-1]] = {f"k{i}": None for i in range(limit + 1)}
    [issue] = issues_of(RebalanceRequest, simulate_body)
    assert issue["type"] == "too_long"
    assert issue["loc"] == ["body", *path]
    # pydantic's too_long wording and context.
    assert issue["msg"] == f"{kind} should have at most {limit} items after validation, not {limit + 1}"
    assert issue["ctx"] == {"field_type": kind, "max_length": limit, "actual_length": limit + 1}


def test_collections_at_their_limit_are_accepted(simulate_body):
    simulate_body["shelf_entries"][0]["attributes"] = {
        f"k{i}": "v" for i in range(limits.MAX_ATTRIBUTES_PER_SHELF_ENTRY)
    }
    simulate_body["options"]["max_overdraft_by_ccy"] = {
        f"C{i}": "1" for i in range(limits.MAX_OVERDRAFT_CURRENCIES)
    }
    simulate_body["options"]["group_constraints"] = {
        f"k:{i}": {"max_weight": "0.1"} for i in range(limits.MAX_GROUP_CONSTRAINTS)
    }
    simulate_body["portfolio_snapshot"]["positions"][0]["lots"] = [
        {
            "lot_id": str(i),
            "quantity": "0.3",
            "unit_cost": {"amount": "1", "currency": "SGD"},
            "purchase_date": "d",
        }
        for i in range(limits.MAX_LOTS_PER_POSITION)
    ]
    valid(RebalanceRequest, simulate_body)
