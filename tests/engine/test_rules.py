"""Rule engine (engine spec §12)."""

from decimal import Decimal

from rebalance.engine.models import ValuationMode
from rebalance.engine.results import Diagnostics
from rebalance.engine.rules import data_quality_count, evaluate_rules
from rebalance.engine.valuation import value_portfolio

from .builders import (
    entry,
    fx,
    indexes,
    inputs,
    market,
    model,
    options,
    portfolio,
    rule,
    rules,
    run,
    shelf,
)

D = Decimal


def state_of(pf, md, sh=()):
    mi, si = indexes(md, sh)
    return value_portfolio(
        pf.positions,
        list(pf.cash_balances),
        pf.base_currency,
        ValuationMode.CALCULATED,
        mi,
        si,
        Diagnostics(),
    )


def rows(rule_rows):
    return [
        (
            r.rule_id,
            r.severity,
            r.status,
            str(r.measured),
            {k: str(v) for k, v in r.threshold.items()},
            r.reason_code,
            r.remediation_hint,
        )
        for r in rule_rows
    ]


def test_all_pass_rows_in_order():
    state = state_of(portfolio("USD", [("A", "5")], [("USD", "50")]), market([("A", "10")]))
    assert rows(evaluate_rules(state, Diagnostics(), options())) == [
        ("CASH_BAND", "SOFT", "PASS", "0.5", {"min": "0.00", "max": "1.00"}, "OK", None),
        ("SINGLE_POSITION_MAX", "HARD", "PASS", "0", {"max": "-1"}, "NO_LIMIT_SET", None),
        ("DATA_QUALITY", "HARD", "PASS", "0", {"max": "0"}, "OK", None),
        ("MIN_TRADE_SIZE", "SOFT", "PASS", "0", {"min": "0"}, "OK", None),
        ("NO_SHORTING", "HARD", "PASS", "0", {"min": "0"}, "OK", None),
        ("INSUFFICIENT_CASH", "HARD", "PASS", "0", {"min": "0"}, "OK", None),
    ]


def test_cash_band_fail_below_min_and_above_max():
    state = state_of(portfolio("USD", [("A", "5")], [("USD", "50")]), market([("A", "10")]))
    low = rule(
        evaluate_rules(state, Diagnostics(), options(cash_band_min_weight="0.6")), "CASH_BAND"
    )
    assert (low.status, low.reason_code, low.remediation_hint) == (
        "FAIL",
        "THRESHOLD_BREACH",
        "Portfolio cash is outside policy bands.",
    )
    high = rule(
        evaluate_rules(state, Diagnostics(), options(cash_band_max_weight="0.4")), "CASH_BAND"
    )
    assert high.status == "FAIL"
    edge = rule(
        evaluate_rules(
            state, Diagnostics(), options(cash_band_min_weight="0.5", cash_band_max_weight="0.5")
        ),
        "CASH_BAND",
    )
    assert edge.status == "PASS"


def test_single_position_pass_measures_largest_raw_weight():
    state = state_of(
        portfolio("USD", [("A", "1"), ("B", "2")], [("USD", "7")]), market([("A", "1"), ("B", "1")])
    )
    (row,) = rules(
        evaluate_rules(state, Diagnostics(), options(single_position_max_weight="0.2")),
        "SINGLE_POSITION_MAX",
    )
    assert (row.status, str(row.measured), str(row.threshold["max"]), row.reason_code) == (
        "PASS",
        "0.2",
        "0.2",
        "OK",
    )


def test_single_position_tolerance_is_0_001():
    state = state_of(portfolio("USD", [("A", "201")], [("USD", "799")]), market([("A", "1")]))
    (row,) = rules(
        evaluate_rules(state, Diagnostics(), options(single_position_max_weight="0.2")),
        "SINGLE_POSITION_MAX",
    )
    assert row.status == "PASS"  # 0.201 is not > 0.201
    state = state_of(portfolio("USD", [("A", "2011")], [("USD", "7989")]), market([("A", "1")]))
    (row,) = rules(
        evaluate_rules(state, Diagnostics(), options(single_position_max_weight="0.2")),
        "SINGLE_POSITION_MAX",
    )
    assert row.status == "FAIL"


def test_single_position_pass_without_positions_measures_zero():
    state = state_of(portfolio("USD", [], [("USD", "7")]), market())
    (row,) = rules(
        evaluate_rules(state, Diagnostics(), options(single_position_max_weight="0.2")),
        "SINGLE_POSITION_MAX",
    )
    assert (row.status, str(row.measured)) == ("PASS", "0")


def test_seven_row_example_one_fail_row_per_breach_and_no_pass_row():
    pf = portfolio("USD", [("A", "60"), ("B", "30"), ("C", "10")], [("USD", "0")])
    md = market([("A", "100"), ("B", "100"), ("C", "100")])
    result = run(
        inputs(pf, md, model(("A", "0.2"), ("B", "0.2"), ("C", "0.2")), shelf("A", "B", "C")),
        single_position_max_weight="0.2",
        max_turnover_pct="0",
    )
    assert result.intents == []
    assert [(r.rule_id, r.status) for r in result.rule_results] == [
        ("CASH_BAND", "PASS"),
        ("SINGLE_POSITION_MAX", "FAIL"),
        ("SINGLE_POSITION_MAX", "FAIL"),
        ("DATA_QUALITY", "PASS"),
        ("MIN_TRADE_SIZE", "PASS"),
        ("NO_SHORTING", "PASS"),
        ("INSUFFICIENT_CASH", "PASS"),
    ]
    fails = rules(result, "SINGLE_POSITION_MAX")
    assert [(str(r.measured), r.reason_code, r.remediation_hint) for r in fails] == [
        ("0.6", "LIMIT_BREACH", "Instrument A exceeds max weight."),
        ("0.3", "LIMIT_BREACH", "Instrument B exceeds max weight."),
    ]
    assert result.status == "BLOCKED"


def test_data_quality_count_depends_on_flags_and_counts_duplicates():
    diag = Diagnostics(
        price_missing=["P", "P"], fx_missing=["EUR/USD"], shelf_missing=["M"], blocking_issues=["Z"]
    )
    assert data_quality_count(diag, options()) == 5
    assert data_quality_count(diag, options(block_on_missing_prices=False)) == 3
    assert (
        data_quality_count(diag, options(block_on_missing_prices=False, block_on_missing_fx=False))
        == 2
    )
    state = state_of(portfolio("USD", [], [("USD", "1")]), market())
    row = rule(evaluate_rules(state, diag, options()), "DATA_QUALITY")
    assert (row.status, str(row.measured), row.reason_code, row.remediation_hint) == (
        "FAIL",
        "5",
        "MISSING_DATA",
        "Check diagnostics for missing prices/FX.",
    )


def test_min_trade_size_never_fails():
    diag = Diagnostics(suppressed_intents=[{}, {}, {}])
    state = state_of(portfolio("USD", [], [("USD", "1")]), market())
    row = rule(evaluate_rules(state, diag, options()), "MIN_TRADE_SIZE")
    assert (row.status, str(row.measured), row.reason_code, row.remediation_hint) == (
        "PASS",
        "3",
        "INTENTS_SUPPRESSED",
        None,
    )


def test_no_shorting_and_insufficient_cash_measure_minimum():
    pf = portfolio(
        "USD", [("A", "-3"), ("B", "-7.5"), ("C", "2")], [("USD", "-50.0"), ("EUR", "-80")]
    )
    state = state_of(pf, market([("A", "1"), ("B", "1"), ("C", "1")], [fx("EUR/USD", "0.1")]))
    out = evaluate_rules(state, Diagnostics(), options())
    ns, ic = rule(out, "NO_SHORTING"), rule(out, "INSUFFICIENT_CASH")
    assert (ns.status, str(ns.measured), ns.reason_code, ns.remediation_hint) == (
        "FAIL",
        "-7.5",
        "SELL_EXCEEDS_HOLDINGS",
        "Reduce sell quantity.",
    )
    # Unconverted amounts: EUR -80 is the minimum even though it is worth only -8 USD.
    assert (ic.status, str(ic.measured), ic.reason_code, ic.remediation_hint) == (
        "FAIL",
        "-80",
        "CASH_BALANCE_NEGATIVE",
        "Ensure sufficient funding.",
    )


def test_cash_band_measures_merged_cash_asset_class():
    pf = portfolio("USD", [("MMF", "50")], [("USD", "50")])
    state = state_of(pf, market([("MMF", "1")]), (entry("MMF", asset_class="CASH"),))
    row = rule(
        evaluate_rules(state, Diagnostics(), options(cash_band_max_weight="0.9")), "CASH_BAND"
    )
    assert (row.status, row.measured) == ("FAIL", 1)


def test_scenario_103_sell_to_fund():
    pf = portfolio("USD", [("BOND", "1000")], [("USD", "100.0")])
    md = market([("BOND", "100.0"), ("EQ", "50.0")])
    result = run(inputs(pf, md, model(("BOND", "0.5"), ("EQ", "0.5")), shelf("BOND", "EQ")))
    assert [
        (i.side, i.instrument_id, str(i.quantity), str(i.notional.amount)) for i in result.intents
    ] == [("SELL", "BOND", "499", "49900.0"), ("BUY", "EQ", "1001", "50050.0")]
    assert str(result.after_simulated.total_value.amount) == "100100.00"
    cb = rule(result, "CASH_BAND")
    assert (cb.status, str(cb.measured)) == ("FAIL", "-0.0004995004995004995004995004995")
    ic = rule(result, "INSUFFICIENT_CASH")
    assert (ic.status, str(ic.measured)) == ("FAIL", "-50.0")
    assert result.diagnostics.warnings == ["SIMULATION_SAFETY_CHECK_FAILED"]
    assert result.status == "BLOCKED" and result.reconciliation is None
    assert [str(p.weight) for p in result.after_simulated.positions] == [
        "0.5004995004995004995004995005",
        "0.5",
    ]


def test_safety_check_warning_twice_when_shorting_and_overdrawn():
    pf = portfolio("USD", [("C", "10")], [("USD", "0")])
    md = market([("A", "10"), ("B", "10", "EUR"), ("C", "10")], [fx("EUR/USD", "1")])
    result = run(inputs(pf, md, model(("A", "-0.5"), ("B", "1.5")), shelf("A", "B", "C")))
    assert rule(result, "NO_SHORTING").status == "FAIL"
    assert rule(result, "INSUFFICIENT_CASH").status == "FAIL"
    assert result.diagnostics.warnings == [
        "SIMULATION_SAFETY_CHECK_FAILED",
        "SIMULATION_SAFETY_CHECK_FAILED",
    ]
    assert result.status == "BLOCKED"


def test_duplicated_positions_each_get_a_breach_row():
    pf = portfolio("USD", [("A", "40"), ("A", "40")], [("USD", "20")])
    state = state_of(pf, market([("A", "1")]))
    rows_ = rules(
        evaluate_rules(state, Diagnostics(), options(single_position_max_weight="0.3")),
        "SINGLE_POSITION_MAX",
    )
    assert [(r.status, str(r.measured)) for r in rows_] == [("FAIL", "0.4"), ("FAIL", "0.4")]
