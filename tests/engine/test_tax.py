"""Tax awareness: HIFO lots and the realised-gains budget (engine spec §7, Appendix C
11–14, 38–39)."""

from decimal import Decimal

from rebalance.engine.lookups import FxTable
from rebalance.engine.render import render_result
from rebalance.engine.results import Diagnostics, FxIntent
from rebalance.engine.tax import TaxLedger

from .builders import (
    entry,
    fx,
    inputs,
    lot,
    market,
    model,
    portfolio,
    pos,
    rule,
    run,
    security,
    shelf,
    trades,
)

D = Decimal


def limit(ledger, position, requested, px="100", ccy="USD", rate="1.0", fx_rates=()):
    diag = Diagnostics()
    allowed = ledger.limit_sell(
        position, D(requested), D(px), ccy, D(rate), FxTable(tuple(fx_rates)), diag
    )
    return allowed, diag


# --- TaxLedger ----------------------------------------------------------------------------


def test_no_position_or_no_lots_returns_requested_without_accounting():
    ledger = TaxLedger(D("10"))
    assert limit(ledger, None, "7")[0] == D("7")
    assert limit(ledger, pos("A", "5"), "7")[0] == D("7")
    assert (ledger.gain_total, ledger.loss_total, ledger.budget_used) == (0, 0, 0)


def test_hifo_order_sells_highest_cost_first():
    # Scenario 09 HIFO: lots 50@10 and 50@100, price 100, sell 50 → all from the cost-100 lot.
    ledger = TaxLedger(None)
    p = pos("A", "100", lots=[lot("L_LOW", "50", "10", "USD"), lot("L_HIGH", "50", "100", "USD")])
    allowed, _ = limit(ledger, p, "50")
    assert allowed == D("50")
    assert str(ledger.gain_total) == "0.0" and str(ledger.loss_total) == "0"


def test_budget_cut_gives_fractional_quantity():
    ledger = TaxLedger(D("100"))
    p = pos("A", "100", lots=[lot("L1", "100", "91", "USD")])
    allowed, _ = limit(ledger, p, "60")
    # gain 9.0 per unit → 100 / 9.0 units.
    assert str(allowed) == "11.11111111111111111111111111"
    assert str(ledger.gain_total) == "99.99999999999999999999999999"
    impact = ledger.impact("USD")
    assert str(impact.budget_used.amount) == "100"  # snapped to the limit within 1e-10
    assert str(impact.total_realized_gain.amount) == "99.99999999999999999999999999"


def test_exhausted_budget_stops_at_first_gain_lot_but_losses_still_sell():
    ledger = TaxLedger(D("0"))
    p = pos("A", "30", lots=[lot("LOSS", "10", "150", "USD"), lot("GAIN", "20", "50", "USD")])
    allowed, _ = limit(ledger, p, "30")
    assert allowed == D("10")
    assert str(ledger.loss_total) == "500.0" and ledger.gain_total == 0


def test_lots_running_out_cap_the_sale_even_without_budget():
    ledger = TaxLedger(None)
    p = pos("A", "100", lots=[lot("L1", "100", "5", "USD")])
    allowed, _ = limit(ledger, p, "150", px="10")
    assert allowed == D("100")
    assert str(ledger.gain_total) == "500.0"


def test_zero_quantity_lots_are_skipped():
    ledger = TaxLedger(None)
    p = pos("A", "0", lots=[lot("L1", "0", "5", "USD")])
    allowed, _ = limit(ledger, p, "10")
    assert allowed == 0


def test_lot_cost_in_other_currency_is_converted_to_price_currency():
    ledger = TaxLedger(None)
    p = pos("A", "10", lots=[lot("L1", "10", "80", "EUR")])
    allowed, diag = limit(ledger, p, "10", px="100", fx_rates=[fx("EUR/USD", "1.1")])
    # cost 88.0 USD → gain 12.0 per unit × 10.
    assert allowed == D("10") and str(ledger.gain_total) == "120.00"
    assert diag.fx_missing == []


def test_missing_lot_cost_fx_disables_accounting_for_the_instrument():
    ledger = TaxLedger(D("1"))
    p = pos("A", "10", lots=[lot("L1", "10", "80", "EUR")])
    allowed, diag = limit(ledger, p, "10")
    assert allowed == D("10")
    assert diag.fx_missing == ["EUR/USD"]
    assert ledger.gain_total == 0 and ledger.budget_used == 0


def test_impact_without_limit_has_null_budget_fields():
    impact = TaxLedger(None).impact("SGD")
    assert (str(impact.total_realized_gain.amount), str(impact.total_realized_loss.amount)) == (
        "0",
        "0",
    )
    assert impact.budget_limit is None and impact.budget_used is None


def test_impact_budget_used_is_not_snapped_outside_tolerance():
    ledger = TaxLedger(D("100"), budget_used=D("99.9999999"))
    assert str(ledger.impact("USD").budget_used.amount) == "99.9999999"


# --- HIFO ties ----------------------------------------------------------------------------


def hifo_gain(lots):
    pf = portfolio("USD", [pos("A", "60", lots=lots)], [("USD", "0")])
    result = run(
        inputs(pf, market([("A", "100")]), model(("A", "0.5")), shelf("A")),
        enable_tax_awareness=True,
    )
    assert trades(result) == [("oi_1", "SELL", "A", "30")]
    return str(result.tax_impact.total_realized_gain.amount)


def test_equal_cost_tie_breaks_on_lot_id_descending():
    assert hifo_gain([lot("L1", "30", "80", "USD"), lot("L2", "30", "80.00", "USD")]) == "600.000"
    assert hifo_gain([lot("L1", "30", "80.00", "USD"), lot("L2", "30", "80", "USD")]) == "600.0"


def test_equal_cost_tie_breaks_on_purchase_date_text_descending():
    # "2024-1-15" > "2024-02-01" as text, so the first lot is sold first.
    lots = [
        lot("L1", "30", "80.00", "USD", "2024-1-15"),
        lot("L2", "30", "80", "USD", "2024-02-01"),
    ]
    assert hifo_gain(lots) == "600.000"


# --- §7 worked example --------------------------------------------------------------------

ABC_LOTS = [
    lot("L1", "30", "80", "USD", "2024-01-01"),
    lot("L2", "30", "80", "USD", "2024-01-01"),
    lot("L3", "20", "90", "USD", "2023-01-01"),
    lot("L4", "20", "120", "USD", "2022-01-01"),
]
ABC_INPUTS = inputs(
    portfolio("SGD", [pos("ABC", "100", lots=ABC_LOTS)], [("SGD", "0")]),
    market([("ABC", "100", "USD")], [("USD/SGD", "1.5")]),
    model(("ABC", "0.1")),
    shelf("ABC"),
)


def test_worked_example_with_budget():
    result = run(ABC_INPUTS, enable_tax_awareness=True, max_realized_capital_gains="700")
    assert str(result.before.total_value.amount) == "15000.0"
    sell = security(result, "ABC")
    assert (sell.side, str(sell.quantity)) == ("SELL", "53.33333333333333333333333333")
    assert str(sell.notional.amount) == "5333.333333333333333333333333"
    assert str(sell.notional_base.amount) == "8000.000000000000000000000000"
    assert sell.constraints_applied == ["TAX_BUDGET"]
    (event,) = result.diagnostics.tax_budget_constraint_events
    assert (
        event["instrument_id"],
        str(event["requested_quantity"]),
        str(event["allowed_quantity"]),
        event["reason_code"],
    ) == ("ABC", "90", "53.33333333333333333333333333", "TAX_BUDGET_LIMIT_REACHED")
    tax = render_result(result)["tax_impact"]
    assert tax == {
        "total_realized_gain": {"amount": "699.9999999999999999999999999", "currency": "SGD"},
        "total_realized_loss": {"amount": "600.0", "currency": "SGD"},
        "budget_limit": {"amount": "700", "currency": "SGD"},
        "budget_used": {"amount": "700", "currency": "SGD"},
    }
    assert "TAX_BUDGET_LIMIT_REACHED" in result.diagnostics.warnings
    # The USD proceeds are swept back to SGD.
    (sweep,) = [i for i in result.intents if isinstance(i, FxIntent)]
    assert (sweep.intent_id, sweep.rationale_code, sweep.pair) == ("oi_fx_2", "SWEEP", "USD/SGD")


def test_worked_example_without_budget():
    result = run(ABC_INPUTS, enable_tax_awareness=True)
    assert trades(result) == [("oi_1", "SELL", "ABC", "90")]
    assert security(result, "ABC").constraints_applied == []
    tax = result.tax_impact
    assert (str(tax.total_realized_gain.amount), str(tax.total_realized_loss.amount)) == (
        "1800.0",
        "600.0",
    )
    assert tax.budget_limit is None and tax.budget_used is None
    assert result.diagnostics.tax_budget_constraint_events == []


def test_tax_awareness_off_sells_in_full_and_reports_no_impact():
    result = run(ABC_INPUTS, max_realized_capital_gains="700")
    assert trades(result) == [("oi_1", "SELL", "ABC", "90")]
    assert result.tax_impact is None


# --- special cases ------------------------------------------------------------------------


def test_negative_weight_sell_of_unheld_instrument_is_not_accounted_and_shorts():
    pf = portfolio("USD", [], [("USD", "10000")])
    result = run(
        inputs(pf, market([("A", "10")]), model(("A", "-0.1")), shelf("A")),
        enable_tax_awareness=True,
        max_realized_capital_gains="100",
    )
    assert trades(result) == [("oi_1", "SELL", "A", "100")]
    t = result.tax_impact
    assert (
        str(t.total_realized_gain.amount),
        str(t.total_realized_loss.amount),
        str(t.budget_used.amount),
    ) == ("0", "0", "0")
    ns = rule(result, "NO_SHORTING")
    assert (ns.status, str(ns.measured)) == ("FAIL", "-100")
    assert result.status == "BLOCKED"


def test_lots_exhausted_before_requested_is_reported_as_budget_cut():
    pf = portfolio("USD", [pos("A", "100", lots=[lot("L1", "100", "5", "USD")])], [("USD", "0")])
    result = run(
        inputs(pf, market([("A", "10")]), model(("A", "-0.5")), shelf("A")),
        enable_tax_awareness=True,
    )
    assert trades(result) == [("oi_1", "SELL", "A", "100")]
    assert security(result, "A").constraints_applied == ["TAX_BUDGET"]
    (event,) = result.diagnostics.tax_budget_constraint_events
    assert (str(event["requested_quantity"]), str(event["allowed_quantity"])) == ("150", "100")
    assert str(result.tax_impact.total_realized_gain.amount) == "500.0"
    assert result.diagnostics.warnings.count("TAX_BUDGET_LIMIT_REACHED") == 1


def test_allowed_zero_gives_event_and_warning_but_no_intent():
    pf = portfolio("USD", [pos("A", "10", lots=[lot("L1", "10", "5", "USD")])], [("USD", "0")])
    result = run(
        inputs(pf, market([("A", "10")]), model(("A", "0")), shelf("A")),
        enable_tax_awareness=True,
        max_realized_capital_gains="0",
    )
    assert result.intents == []
    (event,) = result.diagnostics.tax_budget_constraint_events
    assert (str(event["requested_quantity"]), str(event["allowed_quantity"])) == ("10", "0")
    assert result.diagnostics.warnings == ["TAX_BUDGET_LIMIT_REACHED"]


def test_budget_warning_once_per_run_but_one_event_per_sell():
    pf = portfolio(
        "USD",
        [
            pos("A", "10", lots=[lot("LA", "10", "5", "USD")]),
            pos("B", "10", lots=[lot("LB", "10", "5", "USD")]),
        ],
        [("USD", "0")],
    )
    result = run(
        inputs(
            pf, market([("A", "10"), ("B", "10")]), model(("A", "0"), ("B", "0")), shelf("A", "B")
        ),
        enable_tax_awareness=True,
        max_realized_capital_gains="10",
    )
    assert result.diagnostics.warnings == ["TAX_BUDGET_LIMIT_REACHED"]
    assert [e["instrument_id"] for e in result.diagnostics.tax_budget_constraint_events] == [
        "A",
        "B",
    ]
    assert trades(result) == [("oi_1", "SELL", "A", "2")]  # 10 / 5.0 = "2" (exact quotient)


def test_tax_runs_before_turnover_cap():
    # Appendix C 38, turnover case.
    pf = portfolio(
        "USD",
        [
            pos("A", "100", lots=[lot("LA", "100", "50", "USD")]),
            pos("M", "100", lots=[lot("LM", "100", "50", "USD")]),
        ],
        [("USD", "0")],
    )
    md = market([("A", "100"), ("M", "100"), ("B", "100")])
    result = run(
        inputs(pf, md, model(("A", "0.2"), ("M", "0.4"), ("B", "0.4")), shelf("A", "M", "B")),
        enable_tax_awareness=True,
        max_realized_capital_gains="3500",
        max_turnover_pct="0.5",
    )
    assert sorted(trades(result)) == [("oi_2", "SELL", "M", "10"), ("oi_3", "BUY", "B", "80")]
    (event,) = result.diagnostics.tax_budget_constraint_events
    assert (
        event["instrument_id"],
        str(event["requested_quantity"]),
        str(event["allowed_quantity"]),
    ) == ("M", "20", "10")
    (dropped,) = result.diagnostics.dropped_intents
    assert (dropped["instrument_id"], str(dropped["potential_notional"].amount)) == ("A", "6000.0")
    t = result.tax_impact
    assert (str(t.total_realized_gain.amount), str(t.budget_used.amount)) == ("3500.0", "3500")


def test_tax_runs_before_dust_suppression():
    # Appendix C 38, suppression case.
    pf = portfolio("USD", [pos("A", "100", lots=[lot("LA", "100", "50", "USD")])], [("USD", "0")])
    sh = (entry("A", min_notional=("5000", "USD")), entry("B"))
    result = run(
        inputs(pf, market([("A", "100"), ("B", "100")]), model(("A", "0.9"), ("B", "0.1")), sh),
        enable_tax_awareness=True,
        max_realized_capital_gains="200",
    )
    (event,) = result.diagnostics.tax_budget_constraint_events
    assert (str(event["requested_quantity"]), str(event["allowed_quantity"])) == ("10", "4")
    assert [s["instrument_id"] for s in result.diagnostics.suppressed_intents] == ["A"]
    assert "TAX_BUDGET_LIMIT_REACHED" in result.diagnostics.warnings
    t = result.tax_impact
    assert (str(t.total_realized_gain.amount), str(t.budget_used.amount)) == ("200.0", "200")
