"""FX funding / sweep, dependencies and execution order (engine spec §9)."""

from decimal import Decimal

from rebalance.engine.fx_funding import plan_fx_and_order, project_balances
from rebalance.engine.lookups import FxTable
from rebalance.engine.results import Diagnostics, FxIntent, SecurityIntent

from .builders import (
    cash,
    cash_of,
    fx,
    inputs,
    market,
    model,
    money,
    options,
    portfolio,
    run,
    shelf,
    trades,
)

D = Decimal


def sec(n, iid, side, notional, ccy, rate="1.0"):
    return SecurityIntent(
        f"oi_{n}", iid, side, D("1"), money(notional, ccy), money(D(notional) * D(rate), "USD")
    )


def plan(intents, cash_rows, fx_rates=(), base="USD", **opts):
    diag = Diagnostics()
    out = plan_fx_and_order(
        intents, tuple(cash_rows), base, FxTable(tuple(fx_rates)), options(**opts), diag
    )
    return out, diag


def fx_rows(intents):
    return [
        (
            i.intent_id,
            i.pair,
            i.buy_currency,
            str(i.buy_amount),
            i.sell_currency,
            str(i.sell_amount_estimated),
            i.rationale_code,
            i.rationale_message,
        )
        for i in intents
        if isinstance(i, FxIntent)
    ]


def test_projection_overwrites_duplicate_currency_and_adds_trades():
    proj = project_balances(
        (cash("USD", "100"), cash("EUR", "5"), cash("USD", "40")),
        [sec(1, "A", "BUY", "30", "USD"), sec(2, "B", "SELL", "7", "JPY")],
    )
    assert {k: str(v) for k, v in proj.items()} == {"USD": "10", "EUR": "5", "JPY": "7"}
    assert list(proj) == ["USD", "EUR", "JPY"]


def test_worked_example_9_5():
    pf = portfolio("SGD", [], [("SGD", "10000"), ("EUR", "100")])
    md = market([("US", "100", "USD")], [("SGD/USD", "0.75"), ("EUR/SGD", "1.5")])
    result = run(inputs(pf, md, model(("US", "0.5")), shelf("US")))
    assert str(result.before.total_value.amount) == "10150.0"
    us = result.intents[-1]
    assert (us.intent_id, us.side, str(us.quantity), str(us.notional.amount)) == (
        "oi_1",
        "BUY",
        "38",
        "3800",
    )
    assert str(us.notional_base.amount) == "5066.666666666666666666666665"
    assert us.dependencies == ["oi_fx_3"]
    assert fx_rows(result.intents) == [
        ("oi_fx_2", "EUR/SGD", "SGD", "150.0", "EUR", "100", "SWEEP", "Sweep"),
        (
            "oi_fx_3",
            "USD/SGD",
            "USD",
            "3838.00",
            "SGD",
            "5117.333333333333333333333332",
            "FUNDING",
            "Fund",
        ),
    ]
    assert [i.intent_id for i in result.intents] == ["oi_fx_2", "oi_fx_3", "oi_1"]
    after = result.after_simulated
    assert str(cash_of(after, "SGD")) == "5032.666666666666666666666668"
    assert str(cash_of(after, "EUR")) == "0"
    assert str(cash_of(after, "USD")) == "38.00"


def test_sell_funds_same_currency_buy_and_surplus_is_swept():
    intents = [
        sec(1, "BUY_US", "BUY", "3000", "USD"),
        sec(2, "NEW_EU", "BUY", "2800", "EUR"),
        sec(3, "SELL_US", "SELL", "10000.0", "USD"),
    ]
    out, _ = plan(
        intents, [cash("SGD", "10000")], [fx("USD/SGD", "1.3"), fx("EUR/SGD", "1.6")], base="SGD"
    )
    assert fx_rows(out) == [
        ("oi_fx_4", "USD/SGD", "SGD", "9100.00", "USD", "7000.0", "SWEEP", "Sweep"),
        ("oi_fx_5", "EUR/SGD", "EUR", "2828.00", "SGD", "4524.800", "FUNDING", "Fund"),
    ]
    by_id = {i.intent_id: i for i in out}
    assert by_id["oi_1"].dependencies == ["oi_3"]
    assert by_id["oi_2"].dependencies == ["oi_fx_5"]
    assert [i.intent_id for i in out] == ["oi_3", "oi_fx_4", "oi_fx_5", "oi_1", "oi_2"]


def test_fx_buffer_option_and_zero_balance():
    intents = [sec(1, "A", "BUY", "100", "EUR")]
    out, _ = plan(intents, [cash("EUR", "0")], [fx("EUR/USD", "2")], fx_buffer_pct="0")
    assert fx_rows(out) == [
        ("oi_fx_2", "EUR/USD", "EUR", "100.0", "USD", "200.0", "FUNDING", "Fund")
    ]
    out, _ = plan([], [cash("EUR", "0"), cash("USD", "5")], [fx("EUR/USD", "2")])
    assert out == []


def test_funding_dependency_then_last_sell_dependency():
    intents = [
        sec(1, "S1", "SELL", "10", "EUR"),
        sec(2, "S2", "SELL", "20", "EUR"),
        sec(3, "B", "BUY", "100", "EUR"),
    ]
    out, _ = plan(intents, [], [fx("EUR/USD", "1.1")])
    buy = [i for i in out if getattr(i, "side", None) == "BUY"][0]
    assert buy.dependencies == ["oi_fx_4", "oi_2"]


def test_link_false_drops_sell_dependencies_but_keeps_funding():
    intents = [
        sec(1, "S", "SELL", "10", "USD"),
        sec(2, "B", "BUY", "5", "USD"),
        sec(3, "E", "BUY", "50", "EUR"),
    ]
    out, _ = plan(
        intents,
        [cash("USD", "0")],
        [fx("EUR/USD", "1.1")],
        link_buy_to_same_currency_sell_dependency=False,
    )
    deps = {i.intent_id: i.dependencies for i in out if isinstance(i, SecurityIntent)}
    assert deps == {"oi_1": [], "oi_2": [], "oi_3": ["oi_fx_4"]}


def test_missing_rate_skips_currency_and_logs_it():
    intents = [sec(1, "A", "BUY", "100", "JPY")]
    out, diag = plan(intents, [cash("USD", "1000")], [], block_on_missing_fx=False)
    assert fx_rows(out) == [] and diag.fx_missing == ["JPY/USD"]


def test_dependencies_example_last_same_currency_sell():
    pf = portfolio("USD", [("SS", "30"), ("SB", "80")], [("USD", "9000")])
    md = market([(i, "100") for i in ("SS", "SB", "B", "E")])
    mp = model(("SS", "0.1"), ("SB", "0.25"), ("B", "0.175"), ("E", "0.4"))
    result = run(inputs(pf, md, mp, shelf("SS", "SB", "B", "E")))
    assert str(result.before.total_value.amount) == "20000.0"
    assert trades(result) == [
        ("oi_1", "SELL", "SS", "10"),
        ("oi_2", "SELL", "SB", "30"),
        ("oi_3", "BUY", "B", "35"),
        ("oi_4", "BUY", "E", "80"),
    ]
    assert [i.dependencies for i in result.intents[2:]] == [["oi_2"], ["oi_2"]]


def test_dependencies_after_turnover_drop_follow_rank_order():
    pf = portfolio("USD", [("SS", "30"), ("SB", "80")], [("USD", "9000")])
    md = market([(i, "100") for i in ("SS", "SB", "B", "E")])
    mp = model(("SS", "0.1"), ("SB", "0.25"), ("B", "0.175"), ("E", "0.4"))
    result = run(inputs(pf, md, mp, shelf("SS", "SB", "B", "E")), max_turnover_pct="0.375")
    assert [d["instrument_id"] for d in result.diagnostics.dropped_intents] == ["E"]
    assert [i.intent_id for i in result.intents] == ["oi_2", "oi_1", "oi_3"]
    assert result.intents[-1].dependencies == ["oi_1"]


def test_execution_order_is_stable_sell_fx_buy():
    intents = [
        sec(1, "B1", "BUY", "1", "USD"),
        sec(2, "S1", "SELL", "1", "USD"),
        sec(3, "B2", "BUY", "1", "EUR"),
        sec(4, "S2", "SELL", "1", "USD"),
    ]
    out, _ = plan(
        intents,
        [cash("USD", "10")],
        [fx("EUR/USD", "1.1")],
        link_buy_to_same_currency_sell_dependency=False,
    )
    assert [i.intent_id for i in out] == ["oi_2", "oi_4", "oi_fx_5", "oi_1", "oi_3"]


def test_idle_foreign_cash_is_swept_even_without_trades():
    # Appendix C 16.
    pf = portfolio("USD", [], [("USD", "100"), ("EUR", "10")])
    result = run(inputs(pf, market([], [("EUR/USD", "1.1")]), model(), shelf()))
    assert fx_rows(result.intents) == [
        ("oi_fx_1", "EUR/USD", "USD", "11.0", "EUR", "10", "SWEEP", "Sweep")
    ]
    assert result.status == "READY"
    assert str(cash_of(result.after_simulated, "EUR")) == "0"


def test_duplicate_cash_currency_projection_keeps_last_row_execution_updates_first():
    # Appendix C 36: EUR rows 100 and 50 → the projection sees 50 and sweeps 50; the
    # sweep is booked against the first EUR row.
    pf = portfolio("USD", [], [("EUR", "100"), ("EUR", "50")])
    result = run(inputs(pf, market([], [("EUR/USD", "2")]), model(), shelf()))
    assert str(result.before.total_value.amount) == "300"
    assert fx_rows(result.intents) == [
        ("oi_fx_1", "EUR/USD", "USD", "100", "EUR", "50", "SWEEP", "Sweep")
    ]
    after = result.after_simulated
    assert [(c.currency, str(c.amount)) for c in after.cash_balances] == [
        ("EUR", "50"),
        ("EUR", "50"),
        ("USD", "100"),
    ]
    assert result.reconciliation.status == "OK" and result.status == "READY"
