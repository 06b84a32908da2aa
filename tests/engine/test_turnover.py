"""Turnover cap (engine spec §8)."""

from decimal import Decimal

from rebalance.engine.results import Diagnostics, SecurityIntent
from rebalance.engine.turnover import apply_turnover_cap

from .builders import inputs, market, model, money, portfolio, run, shelf, trades

D = Decimal


def intent(iid, side, nb, n):
    return SecurityIntent(f"oi_{n}", iid, side, D("1"), money(nb, "USD"), money(nb, "USD"))


def cap(intents, pct, tv):
    diag = Diagnostics()
    kept = apply_turnover_cap(intents, None if pct is None else D(pct), D(tv), "USD", diag)
    return kept, diag


def dropped(diag):
    return [
        (
            d["instrument_id"],
            d["reason"],
            str(d["potential_notional"].amount),
            d["potential_notional"].currency,
            str(d["score"]),
        )
        for d in diag.dropped_intents
    ]


def test_no_cap_returns_same_list():
    items = [intent("A", "BUY", "10", 1)]
    kept, diag = cap(items, None, "100")
    assert kept is items and diag.warnings == []


def test_within_budget_keeps_generation_order():
    items = [intent("B", "BUY", "10", 1), intent("A", "SELL", "-30", 2)]
    kept, diag = cap(items, "0.4", "100")
    assert kept is items
    assert diag.dropped_intents == [] and diag.warnings == []


def test_greedy_skip_and_continue_in_rank_order():
    items = [
        intent("C", "BUY", "20", 1),
        intent("A", "BUY", "30", 2),
        intent("B", "BUY", "30", 3),
        intent("D", "SELL", "5", 4),
    ]
    kept, diag = cap(items, "0.55", "100")
    # budget 55.00: A (30) kept, B (30) dropped, C (20) kept, D (5) kept → 55 exactly.
    assert [i.intent_id for i in kept] == ["oi_2", "oi_1", "oi_4"]
    assert dropped(diag) == [("B", "TURNOVER_LIMIT", "30", "USD", "0.3")]
    assert diag.warnings == ["PARTIAL_REBALANCE_TURNOVER_LIMIT"]


def test_ties_break_on_instrument_then_intent_id():
    items = [intent("B", "BUY", "10", 1), intent("A", "BUY", "10", 3), intent("A", "BUY", "10", 2)]
    kept, diag = cap(items, "0.2", "100")
    assert [i.intent_id for i in kept] == ["oi_2", "oi_3"]
    assert [d["instrument_id"] for d in diag.dropped_intents] == ["B"]


def test_non_positive_total_scores_zero_and_ranks_smallest_first():
    items = [intent("A", "BUY", "30", 1), intent("B", "BUY", "10", 2)]
    kept, diag = cap(items, "0.5", "0")
    assert kept == []
    assert dropped(diag) == [
        ("B", "TURNOVER_LIMIT", "10", "USD", "0"),
        ("A", "TURNOVER_LIMIT", "30", "USD", "0"),
    ]


# --- worked examples ----------------------------------------------------------------------

ABC_PRICES = market([("A", "100"), ("B", "100"), ("C", "100")])


def scenario_10(a, b, c, pct):
    pf = portfolio("USD", [], [("USD", "100000")])
    return run(
        inputs(pf, ABC_PRICES, model(("A", a), ("B", b), ("C", c)), shelf("A", "B", "C")),
        max_turnover_pct=pct,
    )


def test_scenario_10_turnover_cap():
    result = scenario_10("0.10", "0.10", "0.02", "0.15")
    assert trades(result) == [("oi_1", "BUY", "A", "100"), ("oi_3", "BUY", "C", "20")]
    assert dropped(result.diagnostics) == [("B", "TURNOVER_LIMIT", "10000.0", "USD", "0.1")]
    assert result.diagnostics.warnings == ["PARTIAL_REBALANCE_TURNOVER_LIMIT"]
    assert result.status == "READY"


def test_scenario_10_exact_fit():
    result = scenario_10("0.10", "0.09", "0.05", "0.15")
    assert trades(result) == [("oi_1", "BUY", "A", "100"), ("oi_3", "BUY", "C", "50")]
    assert dropped(result.diagnostics) == [("B", "TURNOVER_LIMIT", "9000.0", "USD", "0.09")]


def test_scenario_10_zero_budget():
    result = scenario_10("0.10", "0.10", "0.02", "0")
    assert result.intents == []
    assert [d["instrument_id"] for d in result.diagnostics.dropped_intents] == ["A", "B", "C"]
    assert result.status == "READY"


def test_mixed_example_kept_in_rank_order():
    pf = portfolio("USD", [("S1", "30"), ("S2", "30")], [("USD", "10000")])
    md = market([(i, "100") for i in ("A", "B", "C", "S1", "S2")])
    mp = model(("C", "0.2"), ("A", "0.3"), ("B", "0.3"), ("S1", "0"), ("S2", "0"))
    result = run(inputs(pf, md, mp, shelf("A", "B", "C", "S1", "S2")), max_turnover_pct="0.5")
    assert str(result.before.total_value.amount) == "16000.0"
    assert trades(result) == [("oi_2", "BUY", "A", "48"), ("oi_1", "BUY", "C", "32")]
    assert [(d["instrument_id"], str(d["score"])) for d in result.diagnostics.dropped_intents] == [
        ("B", "0.3"),
        ("S1", "0.1875"),
        ("S2", "0.1875"),
    ]
    assert result.status == "READY"
