"""End-to-end status derivation (engine spec §1, §5, §14, §16), the early-blocked result,
and our deliberate differences from the reference: zero prices and out-of-range trade
sizes block the run instead of raising."""

import re
from dataclasses import replace
from decimal import Decimal

from rebalance.engine import simulate
from rebalance.engine.render import render_result

from .builders import (
    RUN_ID,
    entry,
    fx,
    inputs,
    lot,
    market,
    model,
    options,
    portfolio,
    pos,
    rule,
    run,
    shelf,
    trades,
)

D = Decimal
CASH_1K = portfolio("USD", [], [("USD", "1000")])


def early_blocked_shape(result):
    assert result.status == "BLOCKED" and result.early_blocked
    assert result.intents == [] and result.reconciliation is None and result.tax_impact is None
    assert result.after_simulated is result.before
    assert str(result.universe.coverage) == "0"
    assert [r.rule_id for r in result.rule_results] == [
        "CASH_BAND",
        "SINGLE_POSITION_MAX",
        "DATA_QUALITY",
        "MIN_TRADE_SIZE",
        "NO_SHORTING",
        "INSUFFICIENT_CASH",
    ]
    body = render_result(result)
    assert body["explanation"] == {"summary": "Blocked"}
    assert body["universe"]["coverage"] == {"price_coverage_pct": "0", "fx_coverage_pct": "0"}
    assert (result.gate_decision.gate, result.gate_decision.recommended_next_step) == (
        "BLOCKED",
        "FIX_INPUT",
    )


# --- deliberate difference: zero price ----------------------------------------------------


def test_zero_priced_model_target_blocks_instead_of_raising():
    # Reference: DivisionByZero (non-zero value gap) → HTTP 500.
    result = run(
        inputs(
            CASH_1K,
            market([("Z", "0"), ("A", "10")]),
            model(("Z", "0.5"), ("A", "0.3")),
            shelf("Z", "A"),
        ),
        enable_tax_awareness=True,
    )
    early_blocked_shape(result)
    assert result.diagnostics.warnings == ["ZERO_PRICE_Z"]
    assert result.diagnostics.blocking_issues == ["Z"]
    dq = rule(result, "DATA_QUALITY")
    assert (dq.status, str(dq.measured), dq.reason_code) == ("FAIL", "1", "MISSING_DATA")
    assert [(r.reason_code, r.details) for r in result.gate_decision.reasons] == [
        ("HARD_RULE_FAIL:DATA_QUALITY", {"reason_code": "MISSING_DATA"})
    ]
    # The target trace is kept; tax_impact is dropped on the early block.
    assert [r.instrument_id for r in result.targets] == ["Z", "A"]


def test_zero_priced_held_non_model_position_blocks_instead_of_raising():
    # Reference: InvalidOperation (0 // 0, zero value gap).
    pf = portfolio("USD", [("H", "10")], [("USD", "1000")])
    result = run(
        inputs(pf, market([("H", "0"), ("A", "10")]), model(("A", "0.5")), shelf("A", "H"))
    )
    early_blocked_shape(result)
    assert result.diagnostics.warnings == ["ZERO_PRICE_H"]
    assert result.diagnostics.blocking_issues == ["H"]


def test_zero_priced_locked_holding_and_zero_weight_target_both_reported():
    pf = portfolio("USD", [("L", "10")], [("USD", "1000")])
    md = market([("L", "0"), ("W0", "0"), ("A", "10")])
    result = run(
        inputs(pf, md, model(("W0", "0"), ("A", "0.5")), shelf(("L", "SUSPENDED"), "W0", "A"))
    )
    early_blocked_shape(result)
    assert result.diagnostics.warnings == ["ZERO_PRICE_W0", "ZERO_PRICE_L"]
    assert result.diagnostics.blocking_issues == ["W0", "L"]
    assert str(rule(result, "DATA_QUALITY").measured) == "2"


def test_zero_price_counts_even_when_missing_data_does_not_block():
    result = run(
        inputs(CASH_1K, market([("Z", "0")]), model(("Z", "0.5")), shelf("Z")),
        block_on_missing_prices=False,
        block_on_missing_fx=False,
    )
    early_blocked_shape(result)
    assert rule(result, "DATA_QUALITY").status == "FAIL"


def test_zero_price_is_not_reported_when_the_run_blocks_before_sizing():
    result = run(
        inputs(CASH_1K, market([("Z", "0")]), model(("Z", "0.5"), ("M", "0.1")), shelf("Z"))
    )
    early_blocked_shape(result)
    assert result.diagnostics.shelf_missing == ["M"]
    assert result.diagnostics.warnings == [] and result.diagnostics.blocking_issues == []


def test_zero_price_on_held_position_without_trading_need_is_harmless_if_never_sized():
    # Priced 0 but its FX rate is missing: the instrument never reaches sizing.
    pf = portfolio("USD", [("J", "10")], [("USD", "1000")])
    result = run(
        inputs(pf, market([("J", "0", "JPY"), ("A", "10")]), model(("A", "0.5")), shelf("A", "J")),
        block_on_missing_fx=False,
    )
    assert not result.early_blocked
    assert "ZERO_PRICE_J" not in result.diagnostics.warnings
    assert result.diagnostics.fx_missing[:1] == ["JPY/USD"]


# --- deliberate difference: trade size beyond Decimal precision ---------------------------


def test_trade_size_out_of_range_blocks_instead_of_raising():
    pf = portfolio("USD", [], [("USD", "1E+40")])
    result = run(inputs(pf, market([("A", "1")]), model(("A", "1")), shelf("A")))
    early_blocked_shape(result)
    assert result.diagnostics.warnings == ["TRADE_SIZE_OUT_OF_RANGE_A"]
    assert result.diagnostics.blocking_issues == ["A"]
    assert str(rule(result, "DATA_QUALITY").measured) == "1"


def test_huge_holding_sold_to_zero_is_out_of_range():
    pf = portfolio("USD", [("A", "1E+40")], [("USD", "0")])
    result = run(
        inputs(pf, market([("A", "1"), ("B", "1")]), model(("B", "0.000001")), shelf("A", "B"))
    )
    early_blocked_shape(result)
    assert result.diagnostics.warnings == ["TRADE_SIZE_OUT_OF_RANGE_B", "TRADE_SIZE_OUT_OF_RANGE_A"]


# --- status derivation --------------------------------------------------------------------


def test_ready_run_full_shape():
    result = run(inputs(CASH_1K, market([("A", "10")]), model(("A", "0.5")), shelf("A")))
    assert result.status == "READY" and not result.early_blocked
    assert trades(result) == [("oi_1", "BUY", "A", "50")]
    assert result.reconciliation.status == "OK"
    assert all(r.status == "PASS" for r in result.rule_results)
    assert (result.gate_decision.gate, result.gate_decision.recommended_next_step) == (
        "EXECUTION_READY",
        "EXECUTE",
    )
    assert result.tax_impact is None and result.comparison is None
    assert (result.rebalance_run_id, result.universe.universe_id, result.target_id) == (
        RUN_ID,
        "u_" + RUN_ID,
        "t_" + RUN_ID,
    )


def test_soft_fail_is_pending_review_with_risk_review_gate():
    result = run(
        inputs(CASH_1K, market([("A", "10")]), model(("A", "0.5")), shelf("A")),
        cash_band_max_weight="0.1",
    )
    assert result.status == "PENDING_REVIEW"
    assert result.reconciliation.status == "OK"
    assert result.gate_decision.gate == "RISK_REVIEW_REQUIRED"


def test_target_pending_review_never_demotes_blocked():
    # The cash buffer binds (target stage PENDING_REVIEW) and the 1 % FX buffer then
    # overdraws the base cash (INSUFFICIENT_CASH).
    pf = portfolio("SGD", [], [("SGD", "10000")])
    md = market([("A", "10", "USD")], [fx("USD/SGD", "1")])
    result = run(
        inputs(pf, md, model(("A", "1.0")), shelf("A")),
        min_cash_buffer_pct="0.005",
        compare_target_methods=True,
    )
    assert result.comparison.primary_status == "PENDING_REVIEW"
    assert trades(result) == [("oi_1", "BUY", "A", "995")]
    ic = rule(result, "INSUFFICIENT_CASH")
    assert (ic.status, str(ic.measured)) == ("FAIL", "-49.50")
    assert result.status == "BLOCKED"


def test_missing_price_of_holding_blocks_at_first_gate_with_trace():
    # Scenario 107 shape: the before-state valuation logs the price.
    pf = portfolio("USD", [("H", "10")], [("USD", "1000")])
    result = run(
        inputs(pf, market([("A", "10")]), model(("H", "0.2"), ("A", "0.5")), shelf("H", "A"))
    )
    early_blocked_shape(result)
    assert result.diagnostics.price_missing == ["H"]
    assert [r.instrument_id for r in result.targets] == ["H", "A"]


def test_missing_fx_of_target_blocks_at_second_gate():
    # Scenario 310 shape.
    pf = portfolio("SGD", [], [("SGD", "1000")])
    result = run(inputs(pf, market([("US", "10", "USD")]), model(("US", "0.5")), shelf("US")))
    early_blocked_shape(result)
    assert result.diagnostics.fx_missing == ["USD/SGD"]


def test_missing_data_not_blocking_lets_the_run_complete():
    pf = portfolio("USD", [("H", "10")], [("USD", "1000"), ("CHF", "5")])
    result = run(
        inputs(pf, market([("A", "10")]), model(("A", "0.5")), shelf("A", "H")),
        block_on_missing_prices=False,
        block_on_missing_fx=False,
    )
    assert not result.early_blocked
    assert result.status == "READY"
    assert trades(result) == [("oi_1", "BUY", "A", "50")]
    assert result.diagnostics.price_missing == ["H", "H", "H"]
    assert result.diagnostics.fx_missing == ["CHF/USD", "CHF/USD", "CHF/USD"]
    assert rule(result, "DATA_QUALITY").status == "PASS"
    assert result.gate_decision.gate == "EXECUTION_READY"


def test_second_gate_rules_count_suppressions_made_before_it():
    sh = (entry("A", min_notional=("1000", "USD")), entry("NP"))
    result = run(inputs(CASH_1K, market([("A", "10")]), model(("A", "0.5"), ("NP", "0.1")), sh))
    early_blocked_shape(result)
    assert str(rule(result, "MIN_TRADE_SIZE").measured) == "1"
    assert len(result.diagnostics.suppressed_intents) == 1


def test_tax_impact_is_an_object_on_completed_tax_aware_runs_even_without_sells():
    result = run(
        inputs(CASH_1K, market([("A", "10")]), model(("A", "0.5")), shelf("A")),
        enable_tax_awareness=True,
    )
    assert result.tax_impact is not None
    assert str(result.tax_impact.total_realized_gain.amount) == "0"


# --- general behaviour --------------------------------------------------------------------


def test_simulate_defaults_and_random_ids():
    inp = inputs(CASH_1K, market([("A", "10")]), model(("A", "0.5")), shelf("A"))
    first = simulate(inp, options())
    second = simulate(inp, options())
    assert re.fullmatch(r"rr_[0-9a-f]{8}", first.rebalance_run_id)
    assert first.rebalance_run_id != second.rebalance_run_id
    assert (first.request_hash, first.correlation_id) == ("no_hash", "c_none")
    lineage = render_result(first)["lineage"]
    assert lineage == {
        "portfolio_snapshot_id": "pf",
        "market_data_snapshot_id": "md",
        "request_hash": "no_hash",
        "idempotency_key": None,
        "engine_version": None,
    }


def test_simulate_is_deterministic_apart_from_ids():
    inp = inputs(
        portfolio(
            "SGD",
            [pos("ABC", "100", lots=[lot("L1", "100", "80", "USD")]), ("X", "5")],
            [("SGD", "1000"), ("EUR", "10")],
        ),
        market(
            [("ABC", "100", "USD"), ("X", "3", "SGD"), ("N", "7", "EUR")],
            [fx("USD/SGD", "1.35"), fx("EUR/SGD", "1.5")],
        ),
        model(("ABC", "0.3"), ("N", "0.4")),
        shelf("ABC", "X", "N"),
    )
    opts = options(
        enable_tax_awareness=True, max_realized_capital_gains="50", enable_settlement_awareness=True
    )
    one = render_result(simulate(inp, opts, run_id="rr_aaaaaaaa"))
    two = render_result(simulate(inp, opts, run_id="rr_aaaaaaaa"))
    assert one == two


def test_inputs_are_not_mutated():
    pf = portfolio("USD", [pos("A", "10", lots=[lot("L", "10", "5", "USD")])], [("USD", "10")])
    inp = inputs(
        pf, market([("A", "10"), ("B", "10")]), model(("A", "0"), ("B", "0.5")), shelf("A", "B")
    )
    snapshot = repr(inp)
    run(inp, enable_tax_awareness=True, max_turnover_pct="0.5")
    assert repr(inp) == snapshot


def test_portfolio_snapshot_id_is_not_used_in_lineage():
    pf = replace(CASH_1K, snapshot_id="snap_1", portfolio_id="pf_7")
    result = run(inputs(pf, market([("A", "10")]), model(("A", "0.5")), shelf("A")))
    assert render_result(result)["lineage"]["portfolio_snapshot_id"] == "pf_7"


def test_garbage_collector_state_is_restored_after_simulate_and_render():
    import gc

    inp = inputs(CASH_1K, market([("A", "10")]), model(("A", "0.5")), shelf("A"))
    was_enabled = gc.isenabled()
    try:
        gc.enable()
        render_result(run(inp))
        assert gc.isenabled()
        gc.disable()
        render_result(run(inp))
        assert not gc.isenabled()
    finally:
        (gc.enable if was_enabled else gc.disable)()
