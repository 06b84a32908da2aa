"""After-state simulation (engine spec §11)."""

from decimal import Decimal

from rebalance.engine.after_state import apply_intents
from rebalance.engine.render import simulated_state
from rebalance.engine.results import FxIntent, SecurityIntent

from .builders import (
    cash,
    cash_of,
    inputs,
    market,
    model,
    money,
    portfolio,
    pos,
    position_of,
    run,
    shelf,
)

D = Decimal


def sec(iid, side, qty, notional, ccy="USD"):
    return SecurityIntent("oi_x", iid, side, D(qty), money(notional, ccy), money(notional, ccy))


def test_buy_and_sell_move_units_and_cash():
    pf = portfolio("USD", [("A", "10"), ("B", "5")], [("USD", "100")])
    after = apply_intents(pf, [sec("A", "SELL", "4", "40.0"), sec("B", "BUY", "2", "30")])
    assert [(p.instrument_id, str(p.quantity)) for p in after.positions] == [("A", "6"), ("B", "7")]
    assert [(c.currency, str(c.amount)) for c in after.cash_balances] == [("USD", "110.0")]


def test_new_positions_and_cash_rows_are_appended_in_execution_order():
    pf = portfolio("SGD", [("A", "1")], [("SGD", "100")])
    intents = [
        FxIntent("oi_fx_2", "USD/SGD", "USD", D("10.10"), "SGD", D("13.635"), "FUNDING", "Fund"),
        sec("N", "BUY", "1", "10", "USD"),
    ]
    after = apply_intents(pf, intents)
    assert [(p.instrument_id, str(p.quantity)) for p in after.positions] == [("A", "1"), ("N", "1")]
    assert [(c.currency, str(c.amount)) for c in after.cash_balances] == [
        ("SGD", "86.365"),
        ("USD", "0.10"),
    ]
    new = after.positions[1]
    assert new.market_value is None and new.lots == ()


def test_fully_sold_position_stays_with_zero_quantity():
    pf = portfolio("USD", [("A", "3")], [("USD", "0")])
    after = apply_intents(pf, [sec("A", "SELL", "3", "30")])
    assert [(p.instrument_id, str(p.quantity)) for p in after.positions] == [("A", "0")]


def test_duplicate_rows_update_the_first_and_settled_is_carried():
    pf = portfolio(
        "USD",
        [("A", "1"), ("A", "2")],
        [cash("USD", "10", settled="3", pending="1"), cash("USD", "20")],
    )
    after = apply_intents(pf, [sec("A", "BUY", "1", "5")])
    assert [str(p.quantity) for p in after.positions] == ["2", "2"]
    assert [(str(c.amount), c.settled, c.pending) for c in after.cash_balances] == [
        ("5", D("3"), D("1")),
        ("20", None, None),
    ]


def test_input_portfolio_is_not_mutated():
    pf = portfolio("USD", [pos("A", "10", ("100", "USD"))], [("USD", "100")])
    apply_intents(pf, [sec("A", "SELL", "10", "100")])
    assert pf.positions[0].quantity == D("10") and pf.cash_balances[0].amount == D("100")


def test_scenario_03_after_state():
    pf = portfolio("SGD", [], [("SGD", "10000.00")])
    md = market([("US_EQ", "100.0", "USD")], [("USD/SGD", "1.35")])
    result = run(inputs(pf, md, model(("US_EQ", "0.5")), shelf("US_EQ")))
    after = result.after_simulated
    assert str(cash_of(after, "SGD")) == "4955.05000"
    assert str(cash_of(after, "USD")) == "37.000"
    us = position_of(after, "US_EQ")
    assert (str(us.quantity), str(us.value_in_base_ccy.amount)) == ("37", "4995.000")
    assert str(after.total_value.amount) == "10000.00000"
    rendered = simulated_state(after)
    assert rendered["positions"][0]["weight"] == "0.4995"
    (cash_bucket,) = [m for m in rendered["allocation_by_asset_class"] if m["key"] == "CASH"]
    assert (cash_bucket["value"]["amount"], cash_bucket["weight"]) == ("5005.00000", "0.5005")
    assert result.status == "READY"


def test_after_state_is_always_calculated():
    # Trusted market value in the before-state, quantity × price in the after-state.
    pf = portfolio("USD", [pos("X", "10", ("500", "USD"))], [("USD", "1000")])
    result = run(
        inputs(pf, market([("X", "10")]), model(("X", "0.5")), shelf("X")),
        valuation_mode="TRUST_SNAPSHOT",
    )
    assert str(result.before.total_value.amount) == "1500.0"
    x = position_of(result.after_simulated, "X")
    assert (str(x.quantity), str(x.value_in_base_ccy.amount)) == ("35", "350.0")
    assert str(result.after_simulated.total_value.amount) == "1100.0"
