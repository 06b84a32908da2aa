"""Stage 1 — valuation (engine spec §2): FX lookup, position values, totals, weights,
allocations and data-quality logging."""

from decimal import Decimal

from rebalance.engine.lookups import FxTable
from rebalance.engine.models import ValuationMode
from rebalance.engine.render import simulated_state
from rebalance.engine.results import Diagnostics
from rebalance.engine.valuation import value_portfolio

from .builders import cash, entry, fx, indexes, inputs, market, model, portfolio, pos, run

CALC = ValuationMode.CALCULATED
TRUST = ValuationMode.TRUST_SNAPSHOT


def value(pf, md, sh=(), mode=CALC, diag=None):
    diag = diag if diag is not None else Diagnostics()
    mi, si = indexes(md, sh)
    return value_portfolio(
        pf.positions, list(pf.cash_balances), pf.base_currency, mode, mi, si, diag
    ), diag


# --- §2.1 RATE ----------------------------------------------------------------------------


def test_rate_same_currency_is_one_point_zero():
    assert str(FxTable(()).rate("USD", "USD")) == "1.0"


def test_rate_direct_pair_is_used_as_given():
    table = FxTable((fx("USD/SGD", "1.35"),))
    assert str(table.rate("USD", "SGD")) == "1.35"


def test_rate_inverse_pair_is_one_point_zero_over_rate():
    table = FxTable((fx("SGD/USD", "0.75"),))
    assert str(table.rate("USD", "SGD")) == "1.333333333333333333333333333"


def test_rate_zero_counts_as_absent_and_falls_through_to_inverse():
    table = FxTable((fx("USD/SGD", "0"), fx("SGD/USD", "0.5")))
    assert table.rate("USD", "SGD") == Decimal("2")
    assert str(table.rate("USD", "SGD")) == "2"


def test_rate_zero_both_ways_is_missing():
    table = FxTable((fx("USD/SGD", "0"), fx("SGD/USD", "0.0")))
    assert table.rate("USD", "SGD") is None
    assert table.rate("SGD", "USD") is None


def test_rate_only_first_row_of_a_pair_counts():
    # The first USD/SGD row is zero: it counts as absent even though a later row has a rate.
    table = FxTable((fx("USD/SGD", "0"), fx("USD/SGD", "1.4")))
    assert table.rate("USD", "SGD") is None
    table = FxTable((fx("USD/SGD", "1.3"), fx("USD/SGD", "1.4")))
    assert str(table.rate("USD", "SGD")) == "1.3"


def test_rate_pairs_are_case_sensitive_exact_strings():
    table = FxTable((fx("usd/sgd", "1.35"), fx("USD-SGD", "1.35")))
    assert table.rate("USD", "SGD") is None


# --- §2.4 worked example ------------------------------------------------------------------

WORKED_PF = portfolio(
    "SGD",
    [("US_EQ", "10"), ("SG_EQ", "0"), ("NOPX", "3")],
    [("SGD", "1000.00"), ("EUR", "50")],
)
WORKED_MD = market(
    [("US_EQ", "100.0", "USD"), ("SG_EQ", "5", "SGD")],
    [("SGD/USD", "0.75"), ("EUR/SGD", "1.5")],
)
WORKED_SHELF = (
    entry("US_EQ", asset_class="EQUITY", attributes={"region": "US"}),
    entry("SG_EQ", asset_class="EQUITY", attributes={"region": "SG"}),
    entry("NOPX"),
)


def test_worked_example_position_values():
    state, diag = value(WORKED_PF, WORKED_MD, WORKED_SHELF)
    us, sg, nopx = state.positions
    assert (str(us.value_in_instrument_ccy.amount), us.value_in_instrument_ccy.currency) == (
        "1000.0",
        "USD",
    )
    assert (str(us.value_in_base_ccy.amount), us.value_in_base_ccy.currency) == (
        "1333.333333333333333333333333",
        "SGD",
    )
    assert us.instrument_currency == "USD" and us.asset_class == "EQUITY"
    assert (str(us.price.amount), us.price.currency) == ("100.0", "USD")
    assert str(sg.value_in_instrument_ccy.amount) == "0"
    assert str(sg.value_in_base_ccy.amount) == "0.0"
    assert nopx.price is None
    assert nopx.instrument_currency == "SGD"
    assert str(nopx.value_in_instrument_ccy.amount) == "0"
    assert str(nopx.value_in_base_ccy.amount) == "0.0"
    assert nopx.asset_class == "UNKNOWN"
    assert diag.price_missing == ["NOPX"]
    assert diag.fx_missing == []


def test_worked_example_total_and_raw_weights():
    state, _ = value(WORKED_PF, WORKED_MD, WORKED_SHELF)
    assert str(state.total_value.amount) == "2408.333333333333333333333333"
    assert state.total_value.currency == "SGD"
    us, sg, nopx = state.positions
    assert str(us.weight) == "0.5536332179930795847750865051"
    assert str(sg.weight) == "0E+23"
    assert str(nopx.weight) == "0E+23"
    assert [str(m.weight) for m in state.allocation_by_instrument] == [
        "0.5536332179930795847750865051",
        "0E+23",
        "0E+23",
    ]


def test_worked_example_allocations_and_serialized_weights():
    state, _ = value(WORKED_PF, WORKED_MD, WORKED_SHELF)
    rendered = simulated_state(state)
    assert [p["weight"] for p in rendered["positions"]] == ["0.5536", "0.0000", "0.0000"]
    assert [
        (m["key"], m["value"]["amount"], m["weight"]) for m in rendered["allocation_by_asset_class"]
    ] == [
        ("EQUITY", "1333.333333333333333333333333", "0.5536"),
        ("UNKNOWN", "0.0", "0.0000"),
        ("CASH", "1075.00", "0.4464"),
    ]
    assert [
        (m["key"], m["value"]["amount"], m["weight"])
        for m in rendered["allocation_by_attribute"]["region"]
    ] == [
        ("US", "1333.333333333333333333333333", "0.5536"),
        ("SG", "0.0", "0.0000"),
    ]
    assert list(rendered["allocation_by_attribute"]) == ["region"]
    assert rendered["allocation"] == rendered["allocation_by_instrument"]


def test_worked_example_full_run_logs_unpriced_holding_three_times():
    result = run(
        inputs(WORKED_PF, WORKED_MD, model(("US_EQ", "0.5")), WORKED_SHELF),
        block_on_missing_prices=False,
    )
    assert result.diagnostics.price_missing == ["NOPX", "NOPX", "NOPX"]
    assert result.status in ("READY", "PENDING_REVIEW", "BLOCKED")
    assert not result.early_blocked


# --- §2.2 / §2.3 details ------------------------------------------------------------------


def test_missing_fx_for_a_position_values_it_at_zero_and_logs_the_pair():
    pf = portfolio("USD", [("JP", "10")], [("USD", "100")])
    state, diag = value(pf, market([("JP", "1000", "JPY")]))
    (jp,) = state.positions
    assert str(jp.value_in_instrument_ccy.amount) == "10000"
    assert jp.value_in_base_ccy.amount == 0 and str(jp.value_in_base_ccy.amount) == "0"
    assert diag.fx_missing == ["JPY/USD"]
    assert str(state.total_value.amount) == "100"


def test_cash_without_rate_adds_nothing_and_is_logged():
    pf = portfolio("USD", [], [("USD", "100"), ("CHF", "50"), ("EUR", "10")])
    state, diag = value(pf, market([], [("EUR/USD", "1.1")]))
    assert diag.fx_missing == ["CHF/USD"]
    assert str(state.total_value.amount) == "111.0"
    (cash_bucket,) = state.allocation_by_asset_class
    assert cash_bucket.key == "CASH"
    assert str(cash_bucket.value.amount) == "111.0"
    # The input cash list is returned unchanged (the CHF row included).
    assert [c.currency for c in state.cash_balances] == ["USD", "CHF", "EUR"]


def test_cash_rows_keep_settled_and_pending():
    pf = portfolio("USD", [], [cash("USD", "100", settled="40", pending="7")])
    state, _ = value(pf, market())
    (row,) = state.cash_balances
    assert (row.settled, row.pending) == (Decimal("40"), Decimal("7"))


def test_zero_total_uses_one_as_divisor():
    pf = portfolio("USD", [("A", "5")], [])
    state, _ = value(pf, market([("A", "0", "USD")]))
    assert state.total_value.amount == 0
    (a,) = state.positions
    # 0.0 / 1 keeps the exponent of the value.
    assert str(a.weight) == "0.0"
    cash_metric = state.allocation_by_asset_class[-1]
    assert cash_metric.key == "CASH" and cash_metric.weight == 0


def test_trust_snapshot_uses_market_value_and_relabels_currency():
    pf = portfolio("USD", [pos("X", "10", ("800", "EUR"))], [])
    md = market([("X", "10", "USD")], [("EUR/USD", "1.25")])
    state, _ = value(pf, md, mode=TRUST)
    (x,) = state.positions
    assert x.instrument_currency == "EUR"
    assert (str(x.price.amount), x.price.currency) == ("10", "EUR")
    assert str(x.value_in_instrument_ccy.amount) == "800"
    assert str(x.value_in_base_ccy.amount) == "1000.00"


def test_calculated_mode_ignores_market_value():
    pf = portfolio("USD", [pos("X", "10", ("800", "EUR"))], [])
    md = market([("X", "10", "USD")], [("EUR/USD", "1.25")])
    state, _ = value(pf, md, mode=CALC)
    (x,) = state.positions
    assert x.instrument_currency == "USD"
    assert str(x.value_in_base_ccy.amount) == "100.0"


def test_trust_snapshot_without_market_value_is_calculated():
    pf = portfolio("USD", [("X", "10")], [])
    state, _ = value(pf, market([("X", "7", "USD")]), mode=TRUST)
    assert str(state.total_value.amount) == "70.0"


def test_asset_class_named_cash_merges_with_cash_bucket_in_first_seen_place():
    pf = portfolio("USD", [("E", "1"), ("MMF", "1"), ("B", "1")], [("USD", "10")])
    md = market([("E", "10"), ("MMF", "20"), ("B", "30")])
    sh = (
        entry("E", asset_class="EQUITY"),
        entry("MMF", asset_class="CASH"),
        entry("B", asset_class="BOND"),
    )
    state, _ = value(pf, md, sh)
    assert [(m.key, str(m.value.amount)) for m in state.allocation_by_asset_class] == [
        ("EQUITY", "10.0"),
        ("CASH", "30.0"),
        ("BOND", "30.0"),
    ]
    assert state.cash_weight() == Decimal("30.0") / Decimal("70.0")


def test_attribute_allocation_sums_values_per_attribute_value_in_first_seen_order():
    pf = portfolio("USD", [("A", "1"), ("B", "1"), ("C", "1"), ("N", "1")], [])
    md = market([("A", "10"), ("B", "20"), ("C", "30"), ("N", "40")])
    sh = (
        entry("A", attributes={"sector": "TECH", "region": "US"}),
        entry("B", attributes={"sector": "BANK"}),
        entry("C", attributes={"sector": "TECH"}),
    )
    state, _ = value(pf, md, sh)
    attr = state.allocation_by_attribute
    assert list(attr) == ["sector", "region"]
    assert [(m.key, str(m.value.amount)) for m in attr["sector"]] == [
        ("TECH", "40.0"),
        ("BANK", "20.0"),
    ]
    assert [(m.key, str(m.value.amount)) for m in attr["region"]] == [("US", "10.0")]
    assert attr["sector"][0].weight == Decimal("0.4")


def test_no_attributes_gives_empty_map():
    pf = portfolio("USD", [("A", "1")], [])
    state, _ = value(pf, market([("A", "10")]), (entry("A"),))
    assert state.allocation_by_attribute == {}


def test_every_call_appends_to_the_same_diagnostics():
    pf = portfolio("USD", [("P", "1"), ("P", "2")], [("CHF", "1")])
    diag = Diagnostics()
    value(pf, market(), diag=diag)
    value(pf, market(), diag=diag)
    assert diag.price_missing == ["P", "P", "P", "P"]
    assert diag.fx_missing == ["CHF/USD", "CHF/USD"]


def test_first_price_row_wins():
    pf = portfolio("USD", [("A", "2")], [])
    state, _ = value(pf, market([("A", "3"), ("A", "5")]))
    assert str(state.total_value.amount) == "6.0"


def test_zero_quantity_position_is_valued_and_listed():
    pf = portfolio("USD", [("A", "0")], [("USD", "5")])
    state, _ = value(pf, market([("A", "3")]))
    assert [p.instrument_id for p in state.positions] == ["A"]
    assert state.positions[0].value_in_base_ccy.amount == 0
