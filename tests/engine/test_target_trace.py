"""Target trace rows and tags (engine spec §4.3)."""

from decimal import Decimal

from rebalance.engine.target_trace import build_trace

from .builders import inputs, market, model, portfolio, run, shelf, target_row, trades

D = Decimal


def rows(trace):
    return [
        (
            r.instrument_id,
            str(r.model_weight),
            str(r.final_weight),
            str(r.final_value.amount),
            r.tags,
        )
        for r in trace
    ]


def test_model_rows_then_other_eligible_rows_with_tags():
    mp = model(("A", "0.5"), ("B", "0.2"), ("C", "0.3"), ("X", "0.1"))
    eligible = {"A": D("0.4"), "B": D("0.25"), "C": D("0.3"), "H": D("0.0"), "L": D("0.05")}
    trace = build_trace(mp, eligible, D("1000"), "USD")
    assert rows(trace) == [
        ("A", "0.5", "0.4", "400.0", ("CAPPED_BY_MAX_WEIGHT",)),
        ("B", "0.2", "0.25", "250.00", ("REDISTRIBUTED_RECIPIENT",)),
        ("C", "0.3", "0.3", "300.0", ()),
        ("X", "0.1", "0.0", "0.0", ("CAPPED_BY_MAX_WEIGHT",)),  # not eligible → 0.0
        ("H", "0.0", "0.0", "0.0", ("IMPLICIT_SELL_TO_ZERO",)),
        ("L", "0.0", "0.05", "50.00", ("LOCKED_POSITION",)),
    ]
    assert all(r.final_value.currency == "USD" for r in trace)


def test_duplicate_model_targets_each_get_a_row():
    trace = build_trace(model(("A", "0.3"), ("A", "0.6")), {"A": D("0.6")}, D("10"), "USD")
    assert [(r.instrument_id, r.tags) for r in trace] == [
        ("A", ("REDISTRIBUTED_RECIPIENT",)),
        ("A", ()),
    ]


def test_non_model_tag_is_a_numeric_zero_test():
    eligible = {"Z1": D("0E-23"), "Z2": D("0"), "NZ": D("1E-30")}
    trace = build_trace(model(), eligible, D("100"), "USD")
    assert [r.tags for r in trace] == [
        ("IMPLICIT_SELL_TO_ZERO",),
        ("IMPLICIT_SELL_TO_ZERO",),
        ("LOCKED_POSITION",),
    ]


def test_final_value_is_tv_times_final_weight():
    trace = build_trace(model(("A", "0.3")), {"A": D("0.3333")}, D("2408.33"), "SGD")
    assert trace[0].final_value.amount == D("2408.33") * D("0.3333")
    assert trace[0].final_value.currency == "SGD"


def test_unpriced_suspended_holding_ends_at_zero_and_is_tagged_implicit_sell():
    pf = portfolio("USD", [("L", "10")], [("USD", "1000")])
    md = market([("A", "10")])
    result = run(
        inputs(pf, md, model(("A", "0.5")), shelf("A", ("L", "SUSPENDED"))),
        block_on_missing_prices=False,
    )
    row = target_row(result, "L")
    assert str(row.final_weight) == "0"
    assert row.tags == ("IMPLICIT_SELL_TO_ZERO",)
    assert [e.reason_code for e in result.universe.excluded] == ["LOCKED_DUE_TO_SUSPENDED"]
    assert trades(result) == [("oi_1", "BUY", "A", "50")]


def test_locked_model_target_appears_once_as_model_row():
    # Scenario 307 shape: SUSPENDED target and holding, locked at 0.5 (model 0.3).
    pf = portfolio("USD", [("S", "50")], [("USD", "500")])
    md = market([("S", "10"), ("A", "10")])
    result = run(inputs(pf, md, model(("S", "0.3"), ("A", "0.5")), shelf(("S", "SUSPENDED"), "A")))
    assert [r.instrument_id for r in result.targets] == ["S", "A"]
    assert target_row(result, "S").tags == ("REDISTRIBUTED_RECIPIENT",)
    assert [e.reason_code for e in result.universe.excluded] == [
        "SHELF_STATUS_SUSPENDED",
        "LOCKED_DUE_TO_SUSPENDED",
    ]
