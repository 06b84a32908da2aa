"""Scaling benchmark of the DPM simulation engine (HEURISTIC target method).

Builds deterministic synthetic portfolios (seeded RNG) of 10, 100, 1,000 and 5,000
instruments and times one request: ``simulate`` alone and ``simulate`` + ``render_result``.
Each case gets one warm-up run, then N timed repetitions (N chosen from the warm-up time so
that a case takes about ``--budget`` seconds) and the median is reported. The growth
exponent is the least-squares slope of log(time) against log(instruments).

Run from the repository root, no Django needed::

    python -m benchmarks.engine_scaling                 # full table, under a minute
    python benchmarks/engine_scaling.py --sizes 10 100  # quick look
    python -m benchmarks.engine_scaling --profile 5000  # cProfile, top 25 by cumulative

It prints figures only: there is no pass/fail threshold.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import platform
import pstats
import random
import statistics
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: put the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rebalance.engine import render_result, simulate  # noqa: E402
from rebalance.engine.models import (  # noqa: E402
    CashBalance,
    EngineOptions,
    FxRate,
    GroupConstraint,
    MarketDataSnapshot,
    ModelPortfolio,
    ModelTarget,
    Money,
    PortfolioSnapshot,
    Position,
    Price,
    RebalanceInputs,
    ShelfEntry,
    ShelfStatus,
    TargetMethod,
    TaxLot,
)

DEFAULT_SIZES = (10, 100, 1_000, 5_000)
DEFAULT_SEED = 20240601
BASE = "USD"

# currency -> (share of instruments, base-currency value of one unit)
CURRENCIES = {
    "USD": (0.45, Decimal("1")),
    "EUR": (0.20, Decimal("1.0850")),
    "GBP": (0.10, Decimal("1.2710")),
    "JPY": (0.10, Decimal("0.0066138")),
    "CHF": (0.08, Decimal("1.1325")),
    "HKD": (0.07, Decimal("0.1279")),
}
# Direct, inverse (USD/JPY, USD/CHF) and one cross pair, as a market-data feed sends them.
FX_RATES = (
    FxRate("EUR/USD", Decimal("1.0850")),
    FxRate("GBP/USD", Decimal("1.2710")),
    FxRate("USD/JPY", Decimal("151.20")),
    FxRate("USD/CHF", Decimal("0.8830")),
    FxRate("HKD/USD", Decimal("0.1279")),
    FxRate("EUR/GBP", Decimal("0.8537")),
)
REGION_OF_CCY = {"USD": "NA", "EUR": "EU", "GBP": "UK", "JPY": "JP", "CHF": "EU", "HKD": "APAC"}
SECTORS = (
    "TECH", "FIN", "HEALTH", "INDU", "CONS", "STAPLES", "ENERGY", "UTIL", "MATS", "COMM", "REIT",
)
ESG = ("AAA", "AA", "A", "BBB", "BB", "B")
GROUP_CONSTRAINTS = {
    "sector:TECH": GroupConstraint(Decimal("0.18")),
    "region:EM": GroupConstraint(Decimal("0.04")),
}
SINGLE_POSITION_CAP = Decimal("0.10")
MODEL_INVESTED = Decimal("0.97")  # model weights sum; the rest is the cash target
VALUE_PER_INSTRUMENT = 250_000  # base-currency value per instrument slot
TAX_BUDGET_SHARE = 0.001  # realised-gains budget of the "tax" variant, share of portfolio value


@dataclass(frozen=True)
class Case:
    """One synthetic request."""

    size: int
    variant: str
    inputs: RebalanceInputs
    options: EngineOptions


def _dec(value: float, places: int) -> Decimal:
    return Decimal(f"{value:.{places}f}")


def _pick_currency(rng: random.Random) -> str:
    roll, acc = rng.random(), 0.0
    for ccy, (share, _unit) in CURRENCIES.items():
        acc += share
        if roll < acc:
            return ccy
    return BASE


def _categories(n: int, rng: random.Random) -> list[str]:
    """Instrument roles: HOLD_MODEL (held and in the model, most of them), BUY_NEW (model
    only), SELL_OUT (held, not in the model), LOCKED (held, RESTRICTED), SELL_ONLY (held,
    in the model, SELL_ONLY shelf status), BANNED (held, in the model, BANNED)."""
    counts = {
        "BUY_NEW": max(1, n * 8 // 100),
        "SELL_OUT": max(1, n * 7 // 100),
        "LOCKED": max(1, n * 2 // 100),
        "SELL_ONLY": max(1, n // 100),
        "BANNED": max(1, n // 200),
    }
    roles = [role for role, count in counts.items() for _ in range(count)]
    roles += ["HOLD_MODEL"] * (n - len(roles))
    rng.shuffle(roles)
    return roles


def build_case(n: int, variant: str = "base", seed: int = DEFAULT_SEED) -> Case:
    """A deterministic synthetic request with ``n`` instruments (portfolio ∪ model).

    ``variant`` is ``"base"`` (tax awareness off) or ``"tax"`` (tax awareness on with a
    realised-gains budget that binds part-way through the sells). Both carry tax lots.
    """
    rng = random.Random(seed * 1_000_003 + n)
    tv = Decimal(n * VALUE_PER_INSTRUMENT)
    roles = _categories(n, rng)
    ids = [f"INS{k:05d}" for k in range(1, n + 1)]

    # Instrument static data.
    ccy_of, price_of, sector_of, region_of = {}, {}, {}, {}
    for iid in ids:
        ccy = _pick_currency(rng)
        ccy_of[iid] = ccy
        unit = CURRENCIES[ccy][1]
        price_base = rng.lognormvariate(math.log(60), 0.9)
        price_of[iid] = _dec(price_base / float(unit), 0 if ccy == "JPY" else 2) or Decimal("1")
        sector_of[iid] = rng.choice(SECTORS)
        region_of[iid] = "EM" if rng.random() < 0.06 else REGION_OF_CCY[ccy]

    # Model weights: lognormal, technology overweight so that the sector cap binds.
    raw = {}
    for iid, role in zip(ids, roles):
        if role in ("HOLD_MODEL", "BUY_NEW", "SELL_ONLY", "BANNED"):
            tilt = 2.6 if sector_of[iid] == "TECH" else 1.0
            raw[iid] = rng.lognormvariate(0, 0.6) * tilt
    raw_total = sum(raw.values())
    model_weight = {iid: _dec(w / raw_total * float(MODEL_INVESTED), 6) for iid, w in raw.items()}
    avg_weight = float(MODEL_INVESTED) / max(1, len(raw))

    # Holdings: model weight with drift (some tiny, i.e. dust), or a weight of its own.
    positions, prices = [], []
    for iid, role in zip(ids, roles):
        ccy, price = ccy_of[iid], price_of[iid]
        prices.append(Price(iid, price, ccy))
        if role == "BUY_NEW":
            continue
        if role in ("SELL_OUT", "LOCKED"):
            weight = avg_weight * rng.uniform(0.2, 0.8)
        elif rng.random() < 0.4:
            weight = float(model_weight[iid]) * (1 + rng.uniform(-0.002, 0.002))
        else:
            weight = float(model_weight[iid]) * max(0.05, 1 + rng.gauss(0, 0.15))
        value_ccy = weight * float(tv) / float(CURRENCIES[ccy][1])
        quantity = max(1, int(value_ccy / float(price)))
        lots = _lots(rng, quantity, price, ccy) if rng.random() < 0.4 else ()
        positions.append(Position(iid, Decimal(quantity), None, lots))

    # Cash: a little in each foreign currency, the rest of the portfolio value in base
    # (this is what funds the model's new names), at least 1 %.
    cash, invested = [], sum(
        float(pos.quantity * price_of[pos.instrument_id] * CURRENCIES[ccy_of[pos.instrument_id]][1])
        for pos in positions
    )
    foreign_total = 0.0
    for ccy, (_share, unit) in CURRENCIES.items():
        if ccy != BASE:
            amount = _dec(float(tv) * 0.002 / float(unit), 2)
            foreign_total += float(tv) * 0.002
            cash.append(CashBalance(ccy, amount, settled=amount, pending=Decimal("0")))
    base_cash = max(float(tv) * 0.01, float(tv) - invested - foreign_total)
    cash.insert(0, CashBalance(BASE, _dec(base_cash, 2)))

    # Shelf: every instrument plus a quarter more that nobody holds or targets.
    role_of = dict(zip(ids, roles))
    shelf = [
        _shelf_entry(rng, iid, ccy_of[iid], sector_of[iid], region_of[iid], role_of[iid])
        for iid in ids
    ]
    for k in range(1, n // 4 + 1):
        ccy = _pick_currency(rng)
        shelf.append(
            _shelf_entry(rng, f"SHF{k:05d}", ccy, rng.choice(SECTORS), REGION_OF_CCY[ccy], "UNUSED")
        )

    targets = tuple(ModelTarget(iid, w) for iid, w in model_weight.items())
    inputs = RebalanceInputs(
        portfolio=PortfolioSnapshot(
            f"pf_bench_{n}", BASE, tuple(positions), tuple(cash), "ps_bench"
        ),
        market_data=MarketDataSnapshot(tuple(prices), FX_RATES, "md_bench"),
        model=ModelPortfolio(targets),
        shelf=tuple(shelf),
    )
    tax_budget = _dec(float(tv) * TAX_BUDGET_SHARE, 2) if variant == "tax" else None
    options = EngineOptions(
        target_method=TargetMethod.HEURISTIC,
        single_position_max_weight=SINGLE_POSITION_CAP,
        min_cash_buffer_pct=Decimal("0.01"),
        enable_tax_awareness=variant == "tax",
        max_realized_capital_gains=tax_budget,
        enable_settlement_awareness=True,
        # An overdraft facility per currency (5 % of the portfolio): buys settling at T+1
        # and FX sweeps at T+2 can run ahead of sells settling at T+3.
        max_overdraft_by_ccy={
            ccy: _dec(float(tv) * 0.05 / float(unit), 2)
            for ccy, (_share, unit) in CURRENCIES.items()
        },
        group_constraints=dict(GROUP_CONSTRAINTS),
    )
    return Case(n, variant, inputs, options)


def _lots(rng: random.Random, quantity: int, price: Decimal, ccy: str) -> tuple[TaxLot, ...]:
    count = min(quantity, rng.randint(1, 5))
    cuts = sorted(rng.sample(range(1, quantity), count - 1)) if count > 1 else []
    bounds = [0, *cuts, quantity]
    lots = []
    for k in range(count):
        cost_ccy = BASE if rng.random() < 0.1 else ccy
        cost = float(price) * rng.uniform(0.6, 1.3)
        if cost_ccy != ccy:
            cost *= float(CURRENCIES[ccy][1])
        bought = f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lots.append(
            TaxLot(
                lot_id=f"L{k + 1}",
                quantity=Decimal(bounds[k + 1] - bounds[k]),
                unit_cost=Money(_dec(cost, 4), cost_ccy),
                purchase_date=bought,
            )
        )
    return tuple(lots)


_STATUS_OF_ROLE = {
    "LOCKED": ShelfStatus.RESTRICTED,
    "SELL_ONLY": ShelfStatus.SELL_ONLY,
    "BANNED": ShelfStatus.BANNED,
}


def _shelf_entry(
    rng: random.Random, iid: str, ccy: str, sector: str, region: str, role: str
) -> ShelfEntry:
    roll = rng.random()
    asset_class = "EQUITY" if roll < 0.75 else "FIXED_INCOME" if roll < 0.95 else "FUND"
    min_notional = None
    if rng.random() < 0.7:
        min_notional = Money(Decimal(rng.choice((500, 1000, 2500))), ccy)
    return ShelfEntry(
        instrument_id=iid,
        status=_STATUS_OF_ROLE.get(role, ShelfStatus.APPROVED),
        asset_class=asset_class,
        settlement_days=rng.choice((1, 2, 2, 2, 3)),
        min_notional=min_notional,
        attributes={"sector": sector, "region": region, "esg_rating": rng.choice(ESG)},
        issuer_id=f"ISS{rng.randint(1, 99_999):05d}",
        liquidity_tier=rng.choice(("L1", "L2", "L2", "L3", "L4")),
    )


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Measurement:
    size: int
    variant: str
    reps: int
    simulate_ms: float
    total_ms: float
    total_no_gc_ms: float
    status: str
    security_intents: int
    fx_intents: int


class GcMeter:
    """Counts cyclic-GC passes per generation and the time spent in them (gc.callbacks)."""

    def __init__(self) -> None:
        self.passes = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.collected = 0
        self._start = 0.0

    def __enter__(self) -> "GcMeter":
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            return
        generation = info["generation"]
        self.passes[generation] += 1
        self.seconds[generation] += time.perf_counter() - self._start
        self.collected += info["collected"]


def _run_once(case: Case):
    result = simulate(case.inputs, case.options, run_id=RUN_ID)
    return result, render_result(result)


RUN_ID = "rr_bench000"  # fixed: keeps runs identical and skips the uuid draw


def measure(case: Case, budget_s: float, min_reps: int, max_reps: int) -> Measurement:
    """Warm up once, then time ``reps`` repetitions with the cyclic GC on (as in
    production) and ``reps`` more with it paused.

    A GC-on repetition times simulate, then render_result of that result, so one run
    gives both figures. ``gc.collect()`` runs before every repetition so that each starts
    from the same collector state.
    """
    gc.collect()
    start = time.perf_counter()
    result, _rendered = _run_once(case)
    warm = time.perf_counter() - start
    reps = max(min_reps, min(max_reps, int(budget_s / max(warm, 1e-6))))
    simulate_s, total_s, total_no_gc_s = [], [], []
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        res = simulate(case.inputs, case.options, run_id=RUN_ID)
        t1 = time.perf_counter()
        render_result(res)
        t2 = time.perf_counter()
        simulate_s.append(t1 - t0)
        total_s.append(t2 - t0)
    del res
    for _ in range(reps):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            _run_once(case)
            total_no_gc_s.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    security = sum(1 for i in result.intents if i.intent_type == "SECURITY_TRADE")
    # A run that stopped before the after-state stage would time less work: flag it.
    partial = result.early_blocked or any(
        r.rule_id == "SETTLEMENT_CASH_LADDER" for r in result.rule_results
    )
    return Measurement(
        size=case.size,
        variant=case.variant,
        reps=reps,
        simulate_ms=statistics.median(simulate_s) * 1e3,
        total_ms=statistics.median(total_s) * 1e3,
        total_no_gc_ms=statistics.median(total_no_gc_s) * 1e3,
        status=result.status + (" (partial)" if partial else ""),
        security_intents=security,
        fx_intents=len(result.intents) - security,
    )


def growth_exponent(sizes: list[int], times: list[float]) -> float | None:
    """Least-squares slope of log(time) against log(size)."""
    if len(sizes) < 2:
        return None
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in times]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def _fmt_exp(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def print_table(rows: list[Measurement]) -> None:
    header = (
        f"{'instruments':>11}  {'reps':>4}  {'simulate ms':>11}  {'sim+render ms':>13}  "
        f"{'us/instr':>8}  {'render':>6}  {'GC paused ms':>12}  {'status':<14}  {'intents':>10}"
    )
    print(header)
    print("-" * len(header))
    for m in rows:
        render_share = 100 * (m.total_ms - m.simulate_ms) / m.total_ms if m.total_ms else 0.0
        intents = f"{m.security_intents}+{m.fx_intents}fx"
        print(
            f"{m.size:>11,}  {m.reps:>4}  {m.simulate_ms:>11.2f}  {m.total_ms:>13.2f}  "
            f"{m.total_ms * 1e3 / m.size:>8.1f}  {render_share:>5.0f}%  {m.total_no_gc_ms:>12.2f}  "
            f"{m.status:<14}  {intents:>10}"
        )


SERIES = (
    ("simulate", "simulate_ms"),
    ("simulate+render", "total_ms"),
    ("sim+render, GC paused", "total_no_gc_ms"),
)


def print_exponents(rows: list[Measurement]) -> None:
    sizes = [m.size for m in rows]
    top = [m for m in rows if m.size >= 1_000]
    tail_label = f"{top[0].size:,}->{top[-1].size:,}" if len(top) >= 2 else None
    print("growth exponent (least-squares slope of log time vs log n; 1.00 = linear):")
    for label, attr in SERIES:
        overall = growth_exponent(sizes, [getattr(m, attr) for m in rows])
        line = f"  {label:<22} all sizes {_fmt_exp(overall)}"
        if tail_label:
            tail = growth_exponent([m.size for m in top], [getattr(m, attr) for m in top])
            line += f"   {tail_label} {_fmt_exp(tail)}"
        print(line)


def run_benchmark(args: argparse.Namespace) -> None:
    print(
        f"engine scaling benchmark: HEURISTIC, settlement awareness on, seed {args.seed}; "
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.machine()}"
    )
    print(
        "per request: median of N repetitions after one warm-up; us/instr and render share "
        "from sim+render;\n'GC paused ms' = sim+render with the cyclic garbage collector "
        "disabled (diagnostic only)"
    )
    started = time.perf_counter()
    for variant in args.variants:
        label = "tax awareness ON, gains budget" if variant == "tax" else "tax awareness off"
        print(f"\nvariant '{variant}' ({label})")
        rows = []
        for size in args.sizes:
            case = build_case(size, variant, args.seed)
            rows.append(measure(case, args.budget, args.min_reps, args.max_reps))
        print_table(rows)
        print_exponents(rows)
    print(f"\ntotal benchmark time {time.perf_counter() - started:.1f} s")


def run_profile(args: argparse.Namespace) -> None:
    variant = args.variants[0]
    case = build_case(args.profile, variant, args.seed)
    _run_once(case)  # warm-up
    gc.collect()
    profiler = cProfile.Profile()
    with GcMeter() as meter:
        profiler.enable()
        for _ in range(args.profile_reps):
            _run_once(case)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    print(
        f"cProfile of {args.profile_reps} x (simulate + render_result), "
        f"{args.profile:,} instruments, variant '{variant}', sorted by {args.sort}"
    )
    print(out.getvalue())
    print(
        "cyclic GC during the profiled runs (its time is charged to whatever function "
        "allocated when it fired):"
    )
    for generation in range(3):
        print(
            f"  generation {generation}: {meter.passes[generation]:>4} passes, "
            f"{meter.seconds[generation] * 1e3:8.1f} ms"
        )
    print(f"  objects collected: {meter.collected}; tracked objects now: {len(gc.get_objects()):,}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                        help="instrument counts (default: 10 100 1000 5000)")
    parser.add_argument("--variant", dest="variants", choices=("base", "tax"), action="append",
                        help="case variant; repeat for several (default: base and tax)")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="target seconds of timed repetitions per size (default 2.0)")
    parser.add_argument("--min-reps", type=int, default=5)
    parser.add_argument("--max-reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--profile", type=int, metavar="N",
                        help="run cProfile on one case of N instruments instead of the table")
    parser.add_argument("--profile-reps", type=int, default=3,
                        help="runs inside the profiler (default 3)")
    parser.add_argument("--sort", default="cumulative",
                        help="pstats sort key for --profile (default cumulative; try tottime)")
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile")
    args = parser.parse_args(argv)
    if not args.variants:
        args.variants = ["base"] if args.profile else ["base", "tax"]
    args.sizes = sorted(set(args.sizes))
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.profile:
        run_profile(args)
    else:
        run_benchmark(args)


if __name__ == "__main__":
    main()
