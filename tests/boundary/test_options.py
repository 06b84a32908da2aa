"""EngineOptions: fields, defaults, the §3.18 messages and the order issues come in."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from rebalance.engine.errors import InvalidOptions
from rebalance.engine.models import (
    EngineOptions,
    GroupConstraint,
    Money,
    TargetMethod,
    ValuationMode,
)
from pydantic import ValidationError

from rebalance.boundary import EngineOptions as EngineOptionsModel
from rebalance.boundary import validate_engine_options

DECLARATION_ORDER = (
    "valuation_mode target_method compare_target_methods compare_target_methods_tolerance "
    "cash_band_min_weight cash_band_max_weight single_position_max_weight min_trade_notional "
    "allow_restricted suppress_dust_trades dust_trade_threshold fx_buffer_pct "
    "block_on_missing_prices block_on_missing_fx min_cash_buffer_pct max_turnover_pct "
    "enable_tax_awareness max_realized_capital_gains enable_settlement_awareness "
    "enable_proposal_simulation enable_workflow_gates workflow_requires_client_consent "
    "client_consent_already_obtained proposal_apply_cash_flows_first "
    "proposal_block_negative_cash link_buy_to_same_currency_sell_dependency "
    "enable_drift_analytics enable_suitability_scanner suitability_thresholds "
    "enable_instrument_drift drift_top_contributors_limit drift_unmodeled_exposure_threshold "
    "auto_funding funding_mode fx_funding_source_currency fx_generation_policy "
    "settlement_horizon_days fx_settlement_days max_overdraft_by_ccy group_constraints"
).split()

GROUP_KEY_MSG = (
    "Value error, group_constraints keys must use format '<attribute_key>:<attribute_value>'"
)
GROUP_WEIGHT_MSG = "Value error, max_weight must be between 0 and 1 inclusive"
TURNOVER_MSG = "Value error, max_turnover_pct must be between 0 and 1 inclusive"
OVERDRAFT_NEGATIVE_MSG = "Value error, max_overdraft_by_ccy values must be non-negative"
OVERDRAFT_KEY_MSG = "Value error, max_overdraft_by_ccy keys must be non-empty currency codes"
CASH_BAND_MSG = "Value error, suitability cash band min cannot exceed max"
TIER_KEY_MSG = "Value error, liquidity tier keys must be one of L1, L2, L3, L4, L5"
TIER_RANGE_MSG = "Value error, liquidity-tier max weights must be between 0 and 1 inclusive"
DECIMAL_MSG = "Input should be a valid decimal"


def first_message(raw) -> str:
    with pytest.raises(InvalidOptions) as caught:
        validate_engine_options(raw)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == caught.value.message
    return caught.value.message


def test_fields_are_the_40_engine_options_in_declaration_order():
    declared = list(EngineOptionsModel.model_fields)
    assert declared == DECLARATION_ORDER
    assert declared == [f.name for f in dataclasses.fields(EngineOptions)]
    assert len(declared) == 40


def test_empty_object_gives_every_default_with_its_declared_scale():
    options = validate_engine_options({})
    assert options == EngineOptions()
    assert options.valuation_mode is ValuationMode.CALCULATED
    assert options.target_method is TargetMethod.HEURISTIC
    scales = {
        "compare_target_methods_tolerance": "0.0001",
        "cash_band_min_weight": "0.00",
        "cash_band_max_weight": "1.00",
        "fx_buffer_pct": "0.01",
        "min_cash_buffer_pct": "0.0",
        "drift_unmodeled_exposure_threshold": "0.01",
    }
    assert {name: str(getattr(options, name)) for name in scales} == scales
    thresholds = options.suitability_thresholds
    assert [str(thresholds.single_position_max_weight), str(thresholds.issuer_max_weight)] == [
        "0.10",
        "0.20",
    ]
    assert {k: str(v) for k, v in thresholds.max_weight_by_liquidity_tier.items()} == {
        "L4": "0.10",
        "L5": "0.05",
    }


def test_values_are_coerced_to_engine_types():
    options = validate_engine_options(
        {
            "valuation_mode": "TRUST_SNAPSHOT",
            "target_method": "SOLVER",
            "allow_restricted": "yes",
            "compare_target_methods": 1,
            "drift_top_contributors_limit": "7",
            "settlement_horizon_days": 3.0,
            "max_turnover_pct": 0.5,
            "min_trade_notional": {"amount": 100, "currency": "SGD"},
            "link_buy_to_same_currency_sell_dependency": None,
            "max_overdraft_by_ccy": {"USD": "1000.00"},
            "group_constraints": {"sector:TECH": {"max_weight": "0.3"}},
            "suitability_thresholds": {"max_weight_by_liquidity_tier": {"L1": "0.3"}},
            "not_an_option": 1,
        }
    )
    assert options.valuation_mode is ValuationMode.TRUST_SNAPSHOT
    assert options.target_method is TargetMethod.SOLVER
    assert options.allow_restricted is True and options.compare_target_methods is True
    assert options.drift_top_contributors_limit == 7 and options.settlement_horizon_days == 3
    assert str(options.max_turnover_pct) == "0.5"
    assert options.min_trade_notional == Money(Decimal("100"), "SGD")
    assert options.link_buy_to_same_currency_sell_dependency is None
    assert str(options.max_overdraft_by_ccy["USD"]) == "1000.00"
    assert options.group_constraints == {"sector:TECH": GroupConstraint(Decimal("0.3"))}
    # A supplied tier map replaces the default one entirely.
    assert options.suitability_thresholds.max_weight_by_liquidity_tier == {"L1": Decimal("0.3")}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # custom checks (value_error)
        ({"group_constraints": {"sectorTECH": {"max_weight": "0.2"}}}, GROUP_KEY_MSG),
        ({"group_constraints": {"a:b:c": {"max_weight": "0.2"}}}, GROUP_KEY_MSG),
        ({"group_constraints": {":b": {"max_weight": "0.2"}}}, GROUP_KEY_MSG),
        ({"group_constraints": {"a:": {"max_weight": "0.2"}}}, GROUP_KEY_MSG),
        ({"group_constraints": {"a:b": {"max_weight": "1.01"}}}, GROUP_WEIGHT_MSG),
        ({"group_constraints": {"a:b": {"max_weight": "-0.01"}}}, GROUP_WEIGHT_MSG),
        ({"max_turnover_pct": "1.5"}, TURNOVER_MSG),
        ({"max_turnover_pct": "-0.1"}, TURNOVER_MSG),
        ({"max_overdraft_by_ccy": {"USD": "-1"}}, OVERDRAFT_NEGATIVE_MSG),
        ({"max_overdraft_by_ccy": {"": "5"}}, OVERDRAFT_KEY_MSG),
        (
            {
                "suitability_thresholds": {
                    "cash_band_min_weight": "0.5",
                    "cash_band_max_weight": "0.1",
                }
            },
            CASH_BAND_MSG,
        ),
        (
            {"suitability_thresholds": {"cash_band_min_weight": "0.06"}},
            CASH_BAND_MSG,
        ),  # vs default max 0.05
        ({"suitability_thresholds": {"max_weight_by_liquidity_tier": {"L6": "0.1"}}}, TIER_KEY_MSG),
        ({"suitability_thresholds": {"max_weight_by_liquidity_tier": {"l1": "0.1"}}}, TIER_KEY_MSG),
        (
            {"suitability_thresholds": {"max_weight_by_liquidity_tier": {"L1": "1.5"}}},
            TIER_RANGE_MSG,
        ),
        # standard checks
        ({"target_method": "FOO"}, "Input should be 'HEURISTIC' or 'SOLVER'"),
        ({"target_method": "heuristic"}, "Input should be 'HEURISTIC' or 'SOLVER'"),
        ({"valuation_mode": "calculated"}, "Input should be 'CALCULATED' or 'TRUST_SNAPSHOT'"),
        ({"funding_mode": "MANUAL"}, "Input should be 'AUTO_FX'"),
        ({"fx_funding_source_currency": "ANY"}, "Input should be 'BASE_ONLY' or 'ANY_CASH'"),
        ({"fx_generation_policy": "MANY"}, "Input should be 'ONE_FX_PER_CCY'"),
        (
            {"suitability_thresholds": {"data_quality_issue_severity": "low"}},
            "Input should be 'LOW', 'MEDIUM' or 'HIGH'",
        ),
        ({"drift_top_contributors_limit": 0}, "Input should be greater than or equal to 1"),
        ({"drift_top_contributors_limit": 21}, "Input should be less than or equal to 20"),
        ({"drift_unmodeled_exposure_threshold": "1.1"}, "Input should be less than or equal to 1"),
        (
            {"drift_unmodeled_exposure_threshold": "-0.1"},
            "Input should be greater than or equal to 0",
        ),
        ({"max_realized_capital_gains": "-1"}, "Input should be greater than or equal to 0"),
        ({"settlement_horizon_days": 11}, "Input should be less than or equal to 10"),
        ({"fx_settlement_days": -1}, "Input should be greater than or equal to 0"),
        (
            {"suitability_thresholds": {"single_position_max_weight": "2"}},
            "Input should be less than or equal to 1",
        ),
        (
            {"suitability_thresholds": {"issuer_max_weight": "-1"}},
            "Input should be greater than or equal to 0",
        ),
        ({"max_turnover_pct": "abc"}, DECIMAL_MSG),
        ({"single_position_max_weight": "abc", "fx_buffer_pct": "x"}, DECIMAL_MSG),
        ({"fx_buffer_pct": "nan"}, "Input should be a finite number"),
        (
            {"fx_buffer_pct": True},
            "Decimal input should be an integer, float, string or Decimal object",
        ),
        (
            {"fx_buffer_pct": None},
            "Decimal input should be an integer, float, string or Decimal object",
        ),
        (
            {"allow_restricted": "maybe"},
            "Input should be a valid boolean, unable to interpret input",
        ),
        ({"allow_restricted": None}, "Input should be a valid boolean"),
        (
            {"settlement_horizon_days": "abc"},
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            {"settlement_horizon_days": 3.5},
            "Input should be a valid integer, got a number with a fractional part",
        ),
        ({"min_trade_notional": {"amount": "1"}}, "Field required"),
        ({"min_trade_notional": {"amount": "1", "currency": 5}}, "Input should be a valid string"),
        ({"dust_trade_threshold": {"currency": "SGD"}}, "Field required"),
        ({"group_constraints": {"a:b": {}}}, "Field required"),
        # non-objects, as EngineOptions.model_validate reports them
        (
            {"group_constraints": {"a:b": 5}},
            "Input should be a valid dictionary or instance of GroupConstraint",
        ),
        (
            {"min_trade_notional": "100 SGD"},
            "Input should be a valid dictionary or instance of Money",
        ),
        (
            {"suitability_thresholds": None},
            "Input should be a valid dictionary or instance of SuitabilityThresholds",
        ),
        ({"max_overdraft_by_ccy": ["USD"]}, "Input should be a valid dictionary"),
        ({"group_constraints": None}, "Input should be a valid dictionary"),
    ],
)
def test_scenario_options_report_the_catalogue_message(raw, message):
    assert first_message(raw) == message


@pytest.mark.parametrize("raw", [None, [], "x", 5])
def test_non_object_options(raw):
    assert first_message(raw) == "Input should be a valid dictionary or instance of EngineOptions"


# --- which issue comes first (§0.5 / §3.18 "Order of issues") ---------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # declaration order: field 31 before field 37
        (
            {"settlement_horizon_days": 11, "drift_top_contributors_limit": 0},
            "Input should be greater than or equal to 1",
        ),
        # field 29 (suitability) before field 40 (groups), whatever the key order
        (
            {
                "group_constraints": {"bad": {"max_weight": "0.5"}},
                "suitability_thresholds": {
                    "cash_band_min_weight": "0.5",
                    "cash_band_max_weight": "0.1",
                },
            },
            CASH_BAND_MSG,
        ),
        (
            {"target_method": "FOO", "valuation_mode": "BAR"},
            "Input should be 'CALCULATED' or 'TRUST_SNAPSHOT'",
        ),
        # a bad group value wins over a bad key
        ({"group_constraints": {"badkey": {"max_weight": "2"}}}, GROUP_WEIGHT_MSG),
        (
            {"group_constraints": {"ok:key": {"max_weight": "0.1"}, "badkey": {"max_weight": "x"}}},
            DECIMAL_MSG,
        ),
        (
            {"group_constraints": {"badkey": {"max_weight": "0.1"}, "a:b": 7}},
            "Input should be a valid dictionary or instance of GroupConstraint",
        ),
        # overdraft: parsing first, then per entry the key test before the sign test
        ({"max_overdraft_by_ccy": {"": "-5", "EUR": "abc"}}, DECIMAL_MSG),
        ({"max_overdraft_by_ccy": {"USD": "-1", "": "5"}}, OVERDRAFT_NEGATIVE_MSG),
        ({"max_overdraft_by_ccy": {"": "5", "USD": "-1"}}, OVERDRAFT_KEY_MSG),
        ({"max_overdraft_by_ccy": {"": "-5"}}, OVERDRAFT_KEY_MSG),
        # tiers: parsing first, then per entry the key test before the range test
        (
            {"suitability_thresholds": {"max_weight_by_liquidity_tier": {"L9": "2", "L1": "x"}}},
            DECIMAL_MSG,
        ),
        ({"suitability_thresholds": {"max_weight_by_liquidity_tier": {"L9": "2"}}}, TIER_KEY_MSG),
        (
            {"suitability_thresholds": {"max_weight_by_liquidity_tier": {"L1": "2", "L9": "0.1"}}},
            TIER_RANGE_MSG,
        ),
        # suitability fields in table order; the band check only when all six passed
        (
            {
                "suitability_thresholds": {
                    "cash_band_min_weight": "0.5",
                    "cash_band_max_weight": "0.1",
                    "single_position_max_weight": "2",
                }
            },
            "Input should be less than or equal to 1",
        ),
        (
            {
                "suitability_thresholds": {
                    "data_quality_issue_severity": "x",
                    "issuer_max_weight": "x",
                }
            },
            DECIMAL_MSG,
        ),
        # within a field: type/range before the custom check
        ({"max_turnover_pct": "x", "max_realized_capital_gains": "-1"}, DECIMAL_MSG),
        # Money: amount before currency
        ({"min_trade_notional": {"currency": 5}}, "Field required"),
    ],
)
def test_first_issue_follows_the_declaration_rules(raw, message):
    assert first_message(raw) == message


def test_simulate_lists_every_issue_in_order(issues_of):
    issues = issues_of(
        EngineOptionsModel,
        {"group_constraints": {"badkey": {"max_weight": "2"}}, "max_overdraft_by_ccy": {"": "-1"}},
    )
    assert [(i["loc"], i["msg"]) for i in issues] == [
        (["body", "max_overdraft_by_ccy"], OVERDRAFT_KEY_MSG),
        (["body", "group_constraints", "badkey", "max_weight"], GROUP_WEIGHT_MSG),
    ]


def test_body_validation_reports_non_objects_as_model_attributes_type(issues_of):
    [issue] = issues_of(EngineOptionsModel, {"group_constraints": {"a:b": 5}})
    assert issue["type"] == "model_attributes_type"
    assert issue["msg"] == "Input should be a valid dictionary or object to extract fields from"
    assert issue["loc"] == ["body", "group_constraints", "a:b"]


def test_batch_validation_reports_non_objects_as_model_type():
    with pytest.raises(ValidationError) as caught:
        EngineOptionsModel.model_validate({"min_trade_notional": []})
    [error] = caught.value.errors()
    assert (error["type"], error["loc"]) == ("model_type", ("min_trade_notional",))


def test_unknown_keys_are_ignored_everywhere():
    options = validate_engine_options(
        {
            "surprise": {"max_weight": "9"},
            "suitability_thresholds": {"surprise": "x"},
            "min_trade_notional": {"amount": "1", "currency": "SGD", "surprise": []},
            "group_constraints": {"a:b": {"max_weight": "0.5", "surprise": None}},
        }
    )
    assert options.group_constraints["a:b"].max_weight == Decimal("0.5")
