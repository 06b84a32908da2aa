"""Rendering of results into the contract's JSON shape (engine spec §0.3, §16, §18)."""

import json
from decimal import Decimal

import pytest

from rebalance.engine.render import render_result, weight_text

from .builders import cash, entry, fx, inputs, lot, market, model, portfolio, pos, run, shelf

D = Decimal


@pytest.mark.parametrize(
    "raw, text",
    [
        ("0.5536332179930795847750865051", "0.5536"),
        ("0E+23", "0.0000"),
        ("0E+1", "0.0000"),
        ("1", "1.0000"),
        ("0.00005", "0.0000"),  # half-even: down to the even digit
        ("0.00015", "0.0002"),  # half-even: up to the even digit
        ("0.5004995004995004995004995005", "0.5005"),
        ("-0.0004995004995004995004995004995", "-0.0005"),
    ],
)
def test_weight_text_quantizes_half_even_to_four_places(raw, text):
    assert weight_text(D(raw)) == text


def test_weight_text_too_large_to_quantize_is_printed_raw():
    assert weight_text(D("1E+30")) == "1E+30"


def rich_result():
    """A completed run touching FX, tax, turnover, group caps, suppression and the ladder."""
    pf = portfolio(
        "SGD",
        [pos("ABC", "100", lots=[lot("L1", "100", "80", "USD")]), ("X", "5")],
        [cash("SGD", "20000", settled="900"), ("EUR", "10")],
    )
    md = market(
        [("ABC", "100", "USD"), ("X", "3", "SGD"), ("N", "7", "EUR"), ("D", "1", "SGD")],
        [fx("USD/SGD", "1.35"), fx("EUR/SGD", "1.5")],
    )
    sh = (
        entry("ABC", asset_class="EQUITY", attributes={"sector": "TECH"}),
        entry("X", asset_class="EQUITY", attributes={"sector": "BANK"}),
        entry("N", asset_class="BOND"),
        entry("D", min_notional=("100000", "SGD")),
    )
    return run(
        inputs(pf, md, model(("ABC", "0.3"), ("N", "0.4"), ("D", "0.01")), sh),
        enable_tax_awareness=True,
        max_realized_capital_gains="50",
        enable_settlement_awareness=True,
        max_overdraft_by_ccy={"SGD": "100000", "USD": "100000", "EUR": "100000"},
        group_constraints={"sector:TECH": "0.25"},
        compare_target_methods=True,
    )


def test_rich_result_completes():
    result = rich_result()
    assert result.status == "READY" and result.reconciliation.status == "OK"
    warnings = result.diagnostics.warnings
    assert {
        "CAPPED_BY_GROUP_LIMIT_sector:TECH",
        "TAX_BUDGET_LIMIT_REACHED",
        "SETTLEMENT_OVERDRAFT_UTILIZED",
    } <= set(warnings)


def test_top_level_and_nested_key_order():
    body = render_result(rich_result())
    assert list(body) == [
        "rebalance_run_id",
        "correlation_id",
        "status",
        "before",
        "universe",
        "target",
        "intents",
        "after_simulated",
        "reconciliation",
        "tax_impact",
        "rule_results",
        "explanation",
        "diagnostics",
        "gate_decision",
        "lineage",
    ]
    assert list(body["before"]) == [
        "total_value",
        "cash_balances",
        "positions",
        "allocation_by_asset_class",
        "allocation_by_instrument",
        "allocation",
        "allocation_by_attribute",
    ]
    assert list(body["before"]["positions"][0]) == [
        "instrument_id",
        "quantity",
        "instrument_currency",
        "asset_class",
        "price",
        "value_in_instrument_ccy",
        "value_in_base_ccy",
        "weight",
    ]
    assert list(body["before"]["cash_balances"][0]) == ["currency", "amount", "settled", "pending"]
    assert list(body["universe"]) == [
        "universe_id",
        "eligible_for_buy",
        "eligible_for_sell",
        "excluded",
        "coverage",
    ]
    assert list(body["target"]) == ["target_id", "strategy", "targets"]
    assert body["target"]["strategy"] == {}
    assert list(body["target"]["targets"][0]) == [
        "instrument_id",
        "model_weight",
        "final_weight",
        "final_value",
        "tags",
    ]
    assert list(body["reconciliation"]) == [
        "before_total_value",
        "after_total_value",
        "delta",
        "tolerance",
        "status",
    ]
    assert list(body["tax_impact"]) == [
        "total_realized_gain",
        "total_realized_loss",
        "budget_limit",
        "budget_used",
    ]
    assert list(body["rule_results"][0]) == [
        "rule_id",
        "severity",
        "status",
        "measured",
        "threshold",
        "reason_code",
        "remediation_hint",
    ]
    assert list(body["explanation"]) == ["summary", "target_method_comparison"]
    assert list(body["diagnostics"]) == [
        "warnings",
        "suppressed_intents",
        "dropped_intents",
        "group_constraint_events",
        "tax_budget_constraint_events",
        "cash_ladder",
        "cash_ladder_breaches",
        "missing_fx_pairs",
        "funding_plan",
        "insufficient_cash",
        "data_quality",
    ]
    assert list(body["diagnostics"]["data_quality"]) == [
        "price_missing",
        "fx_missing",
        "shelf_missing",
    ]
    assert list(body["gate_decision"]) == ["gate", "recommended_next_step", "reasons", "summary"]
    assert list(body["gate_decision"]["summary"]) == [
        "hard_fail_count",
        "soft_fail_count",
        "new_high_suitability_count",
        "new_medium_suitability_count",
    ]
    assert list(body["lineage"]) == [
        "portfolio_snapshot_id",
        "market_data_snapshot_id",
        "request_hash",
        "idempotency_key",
        "engine_version",
    ]


def test_intent_shapes():
    body = render_result(rich_result())
    security = [i for i in body["intents"] if i["intent_type"] == "SECURITY_TRADE"]
    fx_spot = [i for i in body["intents"] if i["intent_type"] == "FX_SPOT"]
    assert security and fx_spot
    assert list(security[0]) == [
        "intent_type",
        "intent_id",
        "instrument_id",
        "side",
        "quantity",
        "notional",
        "notional_base",
        "dependencies",
        "rationale",
        "constraints_applied",
    ]
    assert security[0]["rationale"] == {"code": "DRIFT_REBALANCE", "message": "Align"}
    assert list(fx_spot[0]) == [
        "intent_type",
        "intent_id",
        "pair",
        "buy_currency",
        "buy_amount",
        "sell_currency",
        "sell_amount_estimated",
        "dependencies",
        "rationale",
    ]
    assert all(i["dependencies"] == [] for i in fx_spot)
    assert {i["rationale"]["code"] for i in fx_spot} <= {"FUNDING", "SWEEP"}


def test_diagnostic_entries_are_json_shaped_with_string_decimals():
    result = rich_result()
    body = render_result(result)
    diag = body["diagnostics"]
    (event,) = diag["group_constraint_events"]
    assert list(event) == [
        "constraint_key",
        "group_weight_before",
        "max_weight",
        "released_weight",
        "recipients",
        "status",
    ]
    assert event["max_weight"] == "0.25" and all(
        isinstance(v, str) for v in event["recipients"].values()
    )
    (suppressed,) = diag["suppressed_intents"]
    assert suppressed["threshold"] == {"amount": "100000", "currency": "SGD"}
    assert suppressed["intended_notional"]["currency"] == "SGD"
    assert diag["cash_ladder"] and all(
        isinstance(p["date_offset"], int) for p in diag["cash_ladder"]
    )
    assert all(isinstance(p["projected_balance"], str) for p in diag["cash_ladder"])
    (tax_event,) = diag["tax_budget_constraint_events"]
    assert isinstance(tax_event["requested_quantity"], str)
    assert (
        diag["missing_fx_pairs"] == []
        and diag["funding_plan"] == []
        and diag["insufficient_cash"] == []
    )
    summary = body["gate_decision"]["summary"]
    assert all(isinstance(v, int) for v in summary.values())
    json.dumps(body)  # nothing but JSON types


def test_only_weights_are_quantized():
    body = render_result(
        run(
            inputs(
                portfolio("SGD", [("US_EQ", "10")], [("SGD", "1000.00"), ("EUR", "50")]),
                market([("US_EQ", "100.0", "USD")], [("SGD/USD", "0.75"), ("EUR/SGD", "1.5")]),
                model(("US_EQ", "0.5")),
                shelf("US_EQ"),
            )
        )
    )
    before = body["before"]
    assert before["total_value"] == {"amount": "2408.333333333333333333333333", "currency": "SGD"}
    assert before["positions"][0]["weight"] == "0.5536"
    assert before["allocation_by_instrument"][0]["weight"] == "0.5536"
    # Raw values elsewhere: the trace weight and the rule measure keep their full form.
    assert body["target"]["targets"][0]["final_weight"] == "0.5"
    cash_band = body["rule_results"][0]
    assert cash_band["rule_id"] == "CASH_BAND" and len(cash_band["measured"]) > 10


def test_early_blocked_rendering():
    result = run(
        inputs(portfolio("USD", [], [("USD", "1")]), market(), model(("A", "0.5")), shelf("A")),
        compare_target_methods=True,
    )
    body = render_result(result)
    assert body["explanation"] == {"summary": "Blocked"}
    assert body["reconciliation"] is None and body["tax_impact"] is None and body["intents"] == []
    assert body["after_simulated"] == body["before"]
    assert body["universe"]["coverage"] == {"price_coverage_pct": "0", "fx_coverage_pct": "0"}
    json.dumps(body)


def test_excluded_entries_and_null_optionals():
    result = run(
        inputs(
            portfolio("USD", [("L", "1")], [("USD", "10")]),
            market([("L", "1"), ("A", "1")]),
            model(("A", "0.5")),
            shelf("A", ("L", "BANNED")),
        ),
        enable_workflow_gates=False,
    )
    body = render_result(result)
    assert body["universe"]["excluded"] == [
        {"instrument_id": "L", "reason_code": "LOCKED_DUE_TO_BANNED", "details": None}
    ]
    assert body["gate_decision"] is None
    assert body["before"]["cash_balances"] == [
        {"currency": "USD", "amount": "10", "settled": None, "pending": None}
    ]
    assert body["explanation"] == {"summary": "READY", "target_method_comparison": None}
    assert body["rule_results"][1]["threshold"] == {"max": "-1"}
