"""Settlement cash ladder (engine spec §10)."""

from decimal import Decimal

from rebalance.engine.lookups import ShelfIndex
from rebalance.engine.render import render_result
from rebalance.engine.results import Diagnostics, FxIntent, SecurityIntent
from rebalance.engine.settlement import build_cash_ladder, settlement_breach_rule

from .builders import (
    cash,
    entry,
    inputs,
    lot,
    market,
    model,
    money,
    options,
    portfolio,
    pos,
    run,
    trades,
)

D = Decimal


def ladder(intents, cash_rows, sh=(), **opts):
    diag = Diagnostics()
    build_cash_ladder(intents, tuple(cash_rows), ShelfIndex(tuple(sh)), options(**opts), diag)
    return diag


def points(diag, ccy=None):
    return [
        (p["date_offset"], p["currency"], str(p["projected_balance"]))
        for p in diag.cash_ladder
        if ccy is None or p["currency"] == ccy
    ]


def sec(n, iid, side, notional, ccy="USD"):
    return SecurityIntent(f"oi_{n}", iid, side, D("1"), money(notional, ccy), money(notional, ccy))


def test_horizon_is_max_of_options_and_security_days_and_unknown_ids_default_to_two():
    diag = ladder(
        [sec(1, "X", "BUY", "10")],
        [cash("USD", "100")],
        settlement_horizon_days=0,
        fx_settlement_days=0,
    )
    # X has no shelf entry → T+2; H = 2.
    assert points(diag) == [(0, "USD", "100"), (1, "USD", "100"), (2, "USD", "90")]
    diag = ladder(
        [sec(1, "X", "BUY", "10")],
        [cash("USD", "100")],
        (entry("X", settlement_days=7),),
        settlement_horizon_days=3,
    )
    assert [p[0] for p in points(diag)] == list(range(8))


def test_later_shelf_duplicate_wins_for_settlement_days():
    sh = (entry("X", settlement_days=1), entry("X", settlement_days=3))
    diag = ladder(
        [sec(1, "X", "SELL", "10")], [], sh, settlement_horizon_days=0, fx_settlement_days=0
    )
    assert points(diag) == [(0, "USD", "0"), (1, "USD", "0"), (2, "USD", "0"), (3, "USD", "10")]


def test_fx_legs_settle_on_fx_days_and_currencies_are_sorted():
    intents = [FxIntent("oi_fx_1", "EUR/USD", "EUR", D("50"), "USD", D("60"), "FUNDING", "Fund")]
    diag = ladder(intents, [cash("USD", "100")], settlement_horizon_days=1, fx_settlement_days=1)
    assert points(diag) == [(0, "EUR", "0"), (1, "EUR", "50"), (0, "USD", "100"), (1, "USD", "40")]
    assert diag.cash_ladder_breaches == [] and diag.warnings == []


def test_settled_seeds_day_zero_even_when_zero_and_duplicate_rows_add_up():
    diag = ladder(
        [],
        [cash("USD", "1000", settled="0"), cash("USD", "5")],
        settlement_horizon_days=0,
        fx_settlement_days=0,
    )
    assert points(diag) == [(0, "USD", "5")]


def test_breach_records_and_first_breach_warning():
    intents = [sec(1, "FAST", "BUY", "1000"), sec(2, "SLOW", "SELL", "1000")]
    sh = (entry("FAST", settlement_days=1), entry("SLOW", settlement_days=3))
    diag = ladder(intents, [cash("USD", "0")], sh, settlement_horizon_days=3)
    assert points(diag) == [
        (0, "USD", "0"),
        (1, "USD", "-1000"),
        (2, "USD", "-1000"),
        (3, "USD", "0"),
    ]
    assert [
        (b["date_offset"], str(b["projected_balance"]), str(b["allowed_floor"]), b["reason_code"])
        for b in diag.cash_ladder_breaches
    ] == [(1, "-1000", "0", "OVERDRAFT_ON_T_PLUS_1"), (2, "-1000", "0", "OVERDRAFT_ON_T_PLUS_2")]
    assert diag.warnings == ["OVERDRAFT_ON_T_PLUS_1"]
    row = settlement_breach_rule(diag)
    assert (
        row.rule_id,
        row.severity,
        row.status,
        str(row.measured),
        {k: str(v) for k, v in row.threshold.items()},
        row.reason_code,
        row.remediation_hint,
    ) == (
        "SETTLEMENT_CASH_LADDER",
        "HARD",
        "FAIL",
        "1000",
        {"min": "0"},
        "OVERDRAFT_ON_T_PLUS_1",
        "Adjust timing, funding, or overdraft settings.",
    )


def test_overdraft_allowance_lowers_floor_and_flags_utilisation():
    intents = [sec(1, "FAST", "BUY", "1000"), sec(2, "SLOW", "SELL", "1000")]
    sh = (entry("FAST", settlement_days=1), entry("SLOW", settlement_days=3))
    diag = ladder(
        intents,
        [cash("USD", "0")],
        sh,
        settlement_horizon_days=3,
        max_overdraft_by_ccy={"USD": "1000"},
    )
    assert diag.cash_ladder_breaches == []
    assert diag.warnings == ["SETTLEMENT_OVERDRAFT_UTILIZED"]


# --- end to end ---------------------------------------------------------------------------

SLOW_FAST = inputs(
    portfolio("USD", [("SLOW_FUND", "10")], [("USD", "0")]),
    market([("SLOW_FUND", "100"), ("FAST_STOCK", "100")]),
    model(("SLOW_FUND", "0"), ("FAST_STOCK", "1.0")),
    (entry("SLOW_FUND", settlement_days=3), entry("FAST_STOCK", settlement_days=1)),
)


def test_scenario_11_awareness_off_is_ready_with_empty_ladder():
    result = run(SLOW_FAST, settlement_horizon_days=3)
    assert result.status == "READY"
    assert result.diagnostics.cash_ladder == []


def test_scenario_11_settlement_fail_result_shape():
    result = run(SLOW_FAST, enable_settlement_awareness=True, settlement_horizon_days=3)
    assert result.status == "BLOCKED" and not result.early_blocked
    assert trades(result) == [
        ("oi_1", "SELL", "SLOW_FUND", "10"),
        ("oi_2", "BUY", "FAST_STOCK", "10"),
    ]
    assert [r.rule_id for r in result.rule_results] == ["SETTLEMENT_CASH_LADDER"]
    assert str(result.rule_results[0].measured) == "1000"
    assert result.reconciliation is None
    # The after-state is the untouched portfolio.
    assert [str(p.quantity) for p in result.after_simulated.positions] == ["10"]
    assert result.diagnostics.warnings == ["OVERDRAFT_ON_T_PLUS_1"]
    body = render_result(result)
    assert body["explanation"] == {"summary": "BLOCKED", "target_method_comparison": None}
    assert body["universe"]["coverage"] == {"price_coverage_pct": "1", "fx_coverage_pct": "1"}
    assert result.gate_decision.gate == "BLOCKED"


def test_scenario_11_overdraft_utilized_is_ready():
    result = run(
        SLOW_FAST,
        enable_settlement_awareness=True,
        settlement_horizon_days=3,
        max_overdraft_by_ccy={"USD": "1000"},
    )
    assert result.status == "READY"
    assert result.diagnostics.warnings == ["SETTLEMENT_OVERDRAFT_UTILIZED"]


def test_settled_zero_blocks_where_amount_would_not():
    def case(settled):
        pf = portfolio("USD", [], [cash("USD", "1000", settled=settled)])
        return run(
            inputs(
                pf, market([("X", "10")]), model(("X", "0.5")), (entry("X", settlement_days=0),)
            ),
            enable_settlement_awareness=True,
            settlement_horizon_days=0,
            fx_settlement_days=0,
        )

    blocked = case("0")
    assert blocked.status == "BLOCKED"
    assert [
        (p["date_offset"], str(p["projected_balance"])) for p in blocked.diagnostics.cash_ladder
    ] == [(0, "-500")]
    assert blocked.diagnostics.warnings == ["OVERDRAFT_ON_T_PLUS_0"]
    ready = case(None)
    assert ready.status == "READY"
    assert [str(p["projected_balance"]) for p in ready.diagnostics.cash_ladder] == ["500"]


def test_settled_cash_with_overdraft_example():
    pf = portfolio("USD", [], [cash("USD", "1000", settled="200")])
    result = run(
        inputs(pf, market([("X", "10")]), model(("X", "0.5")), (entry("X", settlement_days=1),)),
        enable_settlement_awareness=True,
        settlement_horizon_days=0,
        fx_settlement_days=0,
        max_overdraft_by_ccy={"USD": "100"},
    )
    assert [str(p["projected_balance"]) for p in result.diagnostics.cash_ladder] == ["200", "-300"]
    assert result.diagnostics.warnings == ["SETTLEMENT_OVERDRAFT_UTILIZED", "OVERDRAFT_ON_T_PLUS_1"]
    (row,) = result.rule_results
    assert (str(row.measured), str(row.threshold["min"])) == ("200", "-100")


def test_settlement_breach_keeps_tax_impact():
    pf = portfolio("USD", [pos("S", "10", lots=[lot("L", "10", "50", "USD")])], [("USD", "0")])
    sh = (entry("S", settlement_days=3), entry("F", settlement_days=1))
    result = run(
        inputs(pf, market([("S", "100"), ("F", "100")]), model(("S", "0"), ("F", "1.0")), sh),
        enable_settlement_awareness=True,
        enable_tax_awareness=True,
    )
    assert result.status == "BLOCKED"
    assert str(result.tax_impact.total_realized_gain.amount) == "500.0"
