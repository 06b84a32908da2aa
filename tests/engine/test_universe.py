"""Stage 2 — universe construction (engine spec §3)."""

from decimal import Decimal

from rebalance.engine.lookups import ShelfIndex
from rebalance.engine.results import Diagnostics
from rebalance.engine.universe import build_universe

from .builders import inputs, market, model, portfolio, rule, run, shelf, target_row, trades


def universe(mp, pf, weights, sh, allow_restricted=False):
    diag = Diagnostics()
    u = build_universe(
        mp, pf, [Decimal(w) for w in weights], ShelfIndex(tuple(sh)), allow_restricted, diag
    )
    return u, diag


def reasons(u):
    return [(e.instrument_id, e.reason_code) for e in u.excluded]


# --- pass 1: model targets ----------------------------------------------------------------


def test_approved_target_is_buyable_and_sellable_with_model_weight():
    u, diag = universe(model(("A", "0.4")), portfolio(), [], shelf("A"))
    assert u.eligible == {"A": Decimal("0.4")}
    assert u.buy_list == ["A"] and u.sell_list == ["A"] and u.buy_set == {"A"}
    assert u.excluded == [] and diag.shelf_missing == []


def test_target_without_shelf_entry_is_only_logged_as_shelf_missing():
    u, diag = universe(model(("M", "0.5"), ("M", "0.5")), portfolio(), [], shelf())
    assert diag.shelf_missing == ["M", "M"]
    assert u.eligible == {} and u.buy_list == [] and u.excluded == []


def test_banned_suspended_and_restricted_targets_are_excluded():
    mp = model(("B", "0.1"), ("S", "0.1"), ("R", "0.1"))
    sh = shelf(("B", "BANNED"), ("S", "SUSPENDED"), ("R", "RESTRICTED"))
    u, _ = universe(mp, portfolio(), [], sh)
    assert reasons(u) == [
        ("B", "SHELF_STATUS_BANNED"),
        ("S", "SHELF_STATUS_SUSPENDED"),
        ("R", "SHELF_STATUS_RESTRICTED"),
    ]
    assert u.eligible == {} and u.buy_list == [] and u.sell_list == []


def test_restricted_target_is_buyable_when_allowed():
    u, _ = universe(
        model(("R", "0.3")), portfolio(), [], shelf(("R", "RESTRICTED")), allow_restricted=True
    )
    assert u.eligible == {"R": Decimal("0.3")} and u.buy_list == ["R"] and u.excluded == []


def test_sell_only_target_accumulates_excess_from_zero_point_zero():
    mp = model(("S1", "0.2"), ("S2", "0.05"))
    u, _ = universe(mp, portfolio(), [], shelf(("S1", "SELL_ONLY"), ("S2", "SELL_ONLY")))
    assert str(u.sell_only_excess) == "0.25"
    assert {k: str(v) for k, v in u.eligible.items()} == {"S1": "0.0", "S2": "0.0"}
    assert u.buy_list == [] and u.sell_list == ["S1", "S2"]
    assert reasons(u) == [("S1", "SHELF_STATUS_SELL_ONLY"), ("S2", "SHELF_STATUS_SELL_ONLY")]


def test_sell_only_excess_default_form_is_zero_point_zero():
    u, _ = universe(model(), portfolio(), [], shelf())
    assert str(u.sell_only_excess) == "0.0"


# --- pass 2: holdings ---------------------------------------------------------------------


def test_holdings_locked_or_sold_by_shelf_status():
    pf = portfolio(
        "USD",
        [("N", "1"), ("SU", "1"), ("BN", "1"), ("RS", "1"), ("AP", "1"), ("SO", "1"), ("Z", "0")],
    )
    sh = shelf(
        ("SU", "SUSPENDED"), ("BN", "BANNED"), ("RS", "RESTRICTED"), "AP", ("SO", "SELL_ONLY"), "Z"
    )
    weights = ["0.1", "0.2", "0.3", "0.05", "0.15", "0.1", "0"]
    u, diag = universe(model(), pf, weights, sh, allow_restricted=True)
    assert {k: str(v) for k, v in u.eligible.items()} == {
        "N": "0.1",
        "SU": "0.2",
        "BN": "0.3",
        "RS": "0.05",
        "AP": "0.0",
        "SO": "0.0",
    }
    assert reasons(u) == [
        ("N", "LOCKED_DUE_TO_MISSING_SHELF"),
        ("SU", "LOCKED_DUE_TO_SUSPENDED"),
        ("BN", "LOCKED_DUE_TO_BANNED"),
        ("RS", "LOCKED_DUE_TO_RESTRICTED"),
    ]
    assert u.sell_list == ["AP", "SO"]
    assert u.buy_list == []
    assert diag.shelf_missing == []  # a held non-model instrument without shelf is not a DQ issue


def test_holding_that_is_already_eligible_is_not_handled_again():
    pf = portfolio("USD", [("A", "10")])
    u, _ = universe(model(("A", "0.7")), pf, ["0.9"], shelf("A"))
    assert u.eligible == {"A": Decimal("0.7")}
    assert u.sell_list == ["A"]


# --- §3.1 worked example ------------------------------------------------------------------

EX_PF = portfolio(
    "USD",
    [("SO", "10"), ("BN", "5"), ("H", "10"), ("G", "10"), ("Z", "0"), ("RH", "4")],
    [("USD", "500")],
)
EX_MD = market([(i, "10", "USD") for i in ("A", "SO", "R", "BN", "SU", "H", "G", "Z", "RH")])
EX_MODEL = model(("A", "0.4"), ("SO", "0.2"), ("R", "0.1"), ("BN", "0.1"), ("SU", "0.1"))
EX_SHELF = shelf(
    "A",
    ("SO", "SELL_ONLY"),
    ("R", "RESTRICTED"),
    ("BN", "BANNED"),
    ("SU", "SUSPENDED"),
    "H",
    "Z",
    ("RH", "RESTRICTED"),
)


def test_worked_example_universe_lists():
    result = run(inputs(EX_PF, EX_MD, EX_MODEL, EX_SHELF), allow_restricted=True)
    assert str(result.before.total_value.amount) == "890.0"
    u = result.universe
    assert u.eligible_for_buy == ["A", "R"]
    assert u.eligible_for_sell == ["A", "SO", "R", "H"]
    assert reasons(u) == [
        ("SO", "SHELF_STATUS_SELL_ONLY"),
        ("BN", "SHELF_STATUS_BANNED"),
        ("SU", "SHELF_STATUS_SUSPENDED"),
        ("BN", "LOCKED_DUE_TO_BANNED"),
        ("G", "LOCKED_DUE_TO_MISSING_SHELF"),
        ("RH", "LOCKED_DUE_TO_RESTRICTED"),
    ]
    assert u.universe_id == "u_rr_0000test"
    assert str(u.coverage) == "1"


def test_worked_example_eligible_weights_after_universe():
    pf, diag = EX_PF, Diagnostics()
    weights = [
        Decimal(v) / Decimal("890.0") for v in ("100.0", "50.0", "100.0", "100.0", "0.0", "40.0")
    ]
    u = build_universe(EX_MODEL, pf, weights, ShelfIndex(EX_SHELF), True, diag)
    assert {k: str(v) for k, v in u.eligible.items()} == {
        "A": "0.4",
        "SO": "0.0",
        "R": "0.1",
        "BN": "0.05617977528089887640449438202",
        "H": "0.0",
        "G": "0.1123595505617977528089887640",
        "RH": "0.04494382022471910112359550562",
    }
    assert "Z" not in u.eligible
    assert str(u.sell_only_excess) == "0.2"


def test_worked_example_final_targets_and_intents():
    result = run(inputs(EX_PF, EX_MD, EX_MODEL, EX_SHELF), allow_restricted=True)
    assert str(target_row(result, "A").final_weight) == "0.56"
    assert str(target_row(result, "R").final_weight) == "0.14"
    assert trades(result) == [
        ("oi_2", "SELL", "SO", "10"),
        ("oi_4", "SELL", "H", "10"),
        ("oi_1", "BUY", "A", "49"),
        ("oi_3", "BUY", "R", "12"),
    ]
    buys = [i for i in result.intents if i.side == "BUY"]
    assert [i.dependencies for i in buys] == [["oi_4"], ["oi_4"]]


def test_model_target_missing_from_shelf_always_blocks_early():
    pf = portfolio("USD", [], [("USD", "1000")])
    md = market([("X", "10"), ("Y", "10")])
    result = run(
        inputs(pf, md, model(("X", "0.5"), ("Y", "0.5")), shelf("X")),
        block_on_missing_prices=False,
        block_on_missing_fx=False,
    )
    assert result.status == "BLOCKED" and result.early_blocked
    assert result.diagnostics.shelf_missing == ["Y"]
    assert result.intents == []
    assert [(r.instrument_id, str(r.final_weight), r.tags) for r in result.targets] == [
        ("X", "0.5", ()),
        ("Y", "0.0", ("CAPPED_BY_MAX_WEIGHT",)),
    ]
    dq = rule(result, "DATA_QUALITY")
    assert (dq.status, str(dq.measured)) == ("FAIL", "1")
    assert str(result.universe.coverage) == "0"
