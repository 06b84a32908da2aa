"""Stage 4 — security trade intents (engine spec §6), including our deliberate
differences from the reference: a zero price or an out-of-range trade size never raises;
it is recorded as a blocking issue with a warning."""

from decimal import Decimal

from rebalance.engine.intents import generate_security_intents
from rebalance.engine.models import Money
from rebalance.engine.results import Diagnostics, TargetRow
from rebalance.engine.tax import TaxLedger

from .builders import (
    cash,
    entry,
    indexes,
    inputs,
    lot,
    market,
    model,
    money,
    options,
    portfolio,
    pos,
    rule,
    run,
    shelf,
    trades,
)

D = Decimal


def trace(*rows):
    return [TargetRow(iid, D("0"), D(w), Money(D("0"), "X"), ()) for iid, w in rows]


def generate(rows, pf, md, tv, sh=(), ledger=None, **opts):
    mi, si = indexes(md, sh)
    diag = Diagnostics()
    intents = generate_security_intents(
        trace(*rows), pf, D(tv), mi, si, options(**opts), ledger, diag
    )
    return intents, diag


def summary(intents):
    return [
        (
            i.intent_id,
            i.side,
            i.instrument_id,
            str(i.quantity),
            str(i.notional.amount),
            i.notional.currency,
            str(i.notional_base.amount),
            i.notional_base.currency,
            i.constraints_applied,
        )
        for i in intents
    ]


def test_scenario_03_buy_in_foreign_currency():
    pf = portfolio("SGD", [], [("SGD", "10000.00")])
    md = market([("US_EQ", "100.0", "USD")], [("USD/SGD", "1.35")])
    intents, diag = generate([("US_EQ", "0.5")], pf, md, "10000.00")
    # target value 5000.000 / 1.35 = 3703.70… USD → 37 units.
    assert summary(intents) == [
        ("oi_1", "BUY", "US_EQ", "37", "3700.0", "USD", "4995.000", "SGD", [])
    ]
    assert intents[0].dependencies == []
    assert diag.warnings == [] and diag.blocking_issues == []


def test_sell_down_to_target_and_sell_to_zero():
    pf = portfolio("USD", [("A", "100"), ("B", "30")], [])
    md = market([("A", "10"), ("B", "7")])
    intents, _ = generate([("A", "0.25"), ("B", "0")], pf, md, "1210")
    # A: target 302.50, current 1000 → SELL floor(697.50 / 10) = 69; B: SELL all 30.
    assert [
        (i.side, i.instrument_id, str(i.quantity), str(i.notional.amount)) for i in intents
    ] == [("SELL", "A", "69", "690"), ("SELL", "B", "30", "210")]


def test_zero_quantity_produces_no_intent_and_consumes_no_id():
    pf = portfolio("USD", [("A", "10")], [("USD", "100")])
    md = market([("A", "10"), ("B", "10"), ("C", "10")])
    intents, _ = generate([("A", "0.5"), ("B", "0.004"), ("C", "0.3")], pf, md, "200")
    # A already at 100 (target 100.0); B target 0.8 < 1 unit; C BUY 6.
    assert [(i.intent_id, i.instrument_id, str(i.quantity)) for i in intents] == [
        ("oi_1", "C", "6")
    ]


def test_missing_price_and_missing_fx_are_logged_and_skipped():
    pf = portfolio("USD", [], [("USD", "1000")])
    md = market([("J", "100", "JPY"), ("A", "10")])
    intents, diag = generate([("NP", "0.2"), ("J", "0.2"), ("A", "0.2")], pf, md, "1000")
    assert diag.price_missing == ["NP"]
    assert diag.fx_missing == ["JPY/USD"]
    assert [(i.intent_id, i.instrument_id) for i in intents] == [("oi_1", "A")]


def test_duplicated_trace_id_keeps_first_position_and_last_value():
    pf = portfolio("USD", [], [("USD", "1000")])
    md = market([("A", "10"), ("B", "10")])
    intents, _ = generate([("A", "0.1"), ("B", "0.2"), ("A", "0.5")], pf, md, "1000")
    assert [(i.intent_id, i.instrument_id, str(i.quantity)) for i in intents] == [
        ("oi_1", "A", "50"),
        ("oi_2", "B", "20"),
    ]


def test_market_value_sizes_the_trade_in_calculated_mode():
    # Appendix C 7: tv 1100.0, target 550.0, sized against market value 500 → BUY 5.
    pf = portfolio("USD", [pos("X", "10", ("500", "USD"))], [("USD", "1000")])
    result = run(inputs(pf, market([("X", "10")]), model(("X", "0.5")), shelf("X")))
    assert str(result.before.total_value.amount) == "1100.0"
    assert trades(result) == [("oi_1", "BUY", "X", "5")]


# --- dust suppression ---------------------------------------------------------------------


def test_scenario_110_shelf_min_notional_suppresses_dust():
    pf = portfolio("SGD", [], [("SGD", "10000.0")])
    md = market([("DUST_ASSET", "10.0", "SGD"), ("BIG_ASSET", "100", "SGD")])
    sh = (entry("DUST_ASSET", min_notional=("500", "SGD")), entry("BIG_ASSET"))
    intents, diag = generate([("DUST_ASSET", "0.01"), ("BIG_ASSET", "0.99")], pf, md, "10000.0", sh)
    assert diag.suppressed_intents == [
        {
            "instrument_id": "DUST_ASSET",
            "reason": "BELOW_MIN_NOTIONAL",
            "intended_notional": money("100.0", "SGD"),
            "threshold": money("500", "SGD"),
        }
    ]
    assert str(diag.suppressed_intents[0]["intended_notional"].amount) == "100.0"
    assert [
        (i.intent_id, i.instrument_id, str(i.quantity), i.constraints_applied) for i in intents
    ] == [("oi_1", "BIG_ASSET", "99", [])]


def test_request_min_notional_overrides_shelf_and_ignores_currency():
    pf = portfolio("USD", [], [("USD", "10000")])
    md = market([("A", "10"), ("B", "10")])
    sh = (entry("A", min_notional=("1", "USD")), entry("B"))
    intents, diag = generate(
        [("A", "0.1"), ("B", "0.6")], pf, md, "10000", sh, min_trade_notional=("5000", "JPY")
    )
    # A (1000 < 5000, "JPY" amount compared as is) is suppressed; B (6000) kept, labelled.
    assert [s["instrument_id"] for s in diag.suppressed_intents] == ["A"]
    assert diag.suppressed_intents[0]["threshold"] == money("5000", "JPY")
    assert [(i.instrument_id, i.constraints_applied) for i in intents] == [("B", ["MIN_NOTIONAL"])]


def test_min_notional_label_even_when_suppression_is_off():
    pf = portfolio("USD", [], [("USD", "1000")])
    intents, diag = generate(
        [("A", "0.1")],
        pf,
        market([("A", "10")]),
        "1000",
        (entry("A", min_notional=("5000", "USD")),),
        suppress_dust_trades=False,
    )
    assert diag.suppressed_intents == []
    assert [(str(i.quantity), i.constraints_applied) for i in intents] == [("10", ["MIN_NOTIONAL"])]


def test_zero_trade_is_suppressed_whenever_a_positive_threshold_applies():
    pf = portfolio("USD", [("X", "50"), ("Y", "50")], [("USD", "0")])
    md = market([("X", "10"), ("Y", "10")])
    result = run(
        inputs(pf, md, model(("X", "0.5"), ("Y", "0.5")), shelf("X", "Y")),
        min_trade_notional=("1", "EUR"),
    )
    assert result.intents == []
    assert [
        (
            s["instrument_id"],
            str(s["intended_notional"].amount),
            s["intended_notional"].currency,
            str(s["threshold"].amount),
            s["threshold"].currency,
        )
        for s in result.diagnostics.suppressed_intents
    ] == [("X", "0", "USD", "1", "EUR"), ("Y", "0", "USD", "1", "EUR")]
    mts = rule(result, "MIN_TRADE_SIZE")
    assert (mts.status, str(mts.measured), mts.reason_code) == ("PASS", "2", "INTENTS_SUPPRESSED")
    assert result.status == "READY"


# --- deliberate differences: zero price / out-of-range size never raise -------------------


def test_zero_price_with_value_gap_is_a_blocking_issue_not_an_exception():
    pf = portfolio("USD", [], [("USD", "1000")])
    md = market([("Z", "0"), ("A", "10")])
    intents, diag = generate([("Z", "0.5"), ("A", "0.2")], pf, md, "1000")
    assert diag.warnings == ["ZERO_PRICE_Z"]
    assert diag.blocking_issues == ["Z"]
    # Later instruments are still sized.
    assert [(i.intent_id, i.instrument_id) for i in intents] == [("oi_1", "A")]


def test_zero_price_with_zero_gap_is_a_blocking_issue_not_an_exception():
    # Held, non-model APPROVED position priced 0: value 0, target 0 (reference: 0 // 0).
    pf = portfolio("USD", [("H", "10")], [("USD", "1000")])
    intents, diag = generate([("H", "0.0")], pf, market([("H", "0")]), "1000")
    assert intents == []
    assert diag.warnings == ["ZERO_PRICE_H"] and diag.blocking_issues == ["H"]


def test_zero_price_without_fx_rate_is_only_missing_fx():
    pf = portfolio("USD", [], [("USD", "1000")])
    intents, diag = generate([("Z", "0.5")], pf, market([("Z", "0", "JPY")]), "1000")
    assert intents == [] and diag.fx_missing == ["JPY/USD"]
    assert diag.warnings == [] and diag.blocking_issues == []


def test_trade_size_beyond_decimal_precision_is_a_blocking_issue():
    # delta 1E+40 at price 1: the unit count needs 41 digits.
    pf = portfolio("USD", [], [("USD", "1E+40")])
    md = market([("A", "1"), ("B", "1")])
    intents, diag = generate([("A", "1"), ("B", "0")], pf, md, "1E+40")
    assert diag.warnings == ["TRADE_SIZE_OUT_OF_RANGE_A"]
    assert diag.blocking_issues == ["A"]
    assert intents == []


def test_tiny_price_out_of_range_size():
    pf = portfolio("USD", [], [("USD", "1000")])
    intents, diag = generate([("A", "0.5")], pf, market([("A", "1E-30")]), "1000")
    assert diag.warnings == ["TRADE_SIZE_OUT_OF_RANGE_A"] and diag.blocking_issues == ["A"]
    assert intents == []


def test_28_digit_trade_size_is_still_sized():
    pf = portfolio("USD", [], [("USD", "1000")])
    # 1000 / 1E-24 = 1E+27 units: 28 digits, still within precision.
    intents, diag = generate([("A", "1")], pf, market([("A", "1E-24")]), "1000")
    assert diag.blocking_issues == [] and diag.warnings == []
    assert [str(i.quantity) for i in intents] == ["1" + "0" * 27]
    # One more digit (1E+28 units, 29 digits) is out of range.
    intents, diag = generate([("A", "1")], pf, market([("A", "1E-25")]), "1000")
    assert intents == [] and diag.warnings == ["TRADE_SIZE_OUT_OF_RANGE_A"]


def test_tax_limited_sell_is_labelled():
    pf = portfolio("USD", [pos("A", "100", lots=[lot("L1", "100", "5", "USD")])], [])
    ledger = TaxLedger(D("100"))
    intents, diag = generate(
        [("A", "0")],
        pf,
        market([("A", "10")]),
        "1000",
        ledger=ledger,
        enable_tax_awareness=True,
        max_realized_capital_gains="100",
    )
    # Gain 5.0 per unit, budget 100 → 20 units.
    assert [(i.side, str(i.quantity), i.constraints_applied) for i in intents] == [
        ("SELL", "20", ["TAX_BUDGET"])
    ]
    assert diag.warnings == ["TAX_BUDGET_LIMIT_REACHED"]


def test_dust_trade_threshold_and_pending_cash_are_never_read():
    # Appendix C 30: reserved inputs change nothing.
    pf = portfolio("USD", [], [cash("USD", "1000", pending="-999999")])
    result = run(
        inputs(pf, market([("A", "10")]), model(("A", "0.1")), shelf("A")),
        dust_trade_threshold=("1000000", "USD"),
    )
    assert trades(result) == [("oi_1", "BUY", "A", "10")]
    assert result.diagnostics.suppressed_intents == []
    assert result.status == "READY"
