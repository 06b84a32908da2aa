"""Request bodies of `POST /rebalance/simulate` and `POST /rebalance/analyze`.

Fields are declared in the contract's table order, which is the order issues are
reported in. `to_engine()` builds the engine's dataclasses; `request_tree()` is the
normalized request the hash is computed from and the run store keeps.
"""

from __future__ import annotations

import re
from functools import cached_property
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import Field, field_validator, model_validator

from rebalance.boundary import limits, messages
from rebalance.boundary.options import (
    EngineOptions,
    LiquidityTier,
    Money,
    RequestModel,
    money_or_none,
)
from rebalance.boundary.scalars import (
    Description,
    Identifier,
    NonNegativeDecimal,
    PortfolioId,
    RequestDecimal,
    bounded_map,
    days,
    documented_keys,
)
from rebalance.engine import models as engine
from rebalance.request_hash import canonical_json, hash_of_canonical_json

LOTS_QUANTITY_TOLERANCE = Decimal("0.0001")
SCENARIO_NAME = re.compile(r"[a-z0-9_-]{1,64}")
ShelfStatusName = Literal["APPROVED", "RESTRICTED", "BANNED", "SUSPENDED", "SELL_ONLY"]


def _bounded_list(item: Any, maximum: int) -> Any:
    return Annotated[list[item], Field(max_length=maximum)]


# --- Portfolio ----------------------------------------------------------------------------


class TaxLot(RequestModel):
    """A tax lot of a position; `quantity` >= 0."""

    lot_id: Identifier
    """Lot identifier; the last tie-breaker of the highest-cost-first (HIFO) order of
    tax-aware selling.
    """
    quantity: NonNegativeDecimal
    """Units in the lot (not negative)."""
    unit_cost: Money
    """Cost basis per unit; converted to the price currency when they differ."""
    purchase_date: Identifier
    """Acquisition date, compared as plain text (not parsed) when two lots have the same
    unit cost.
    """


class Position(RequestModel):
    """A holding; when lots are given, their quantities must add up to its quantity."""

    instrument_id: Identifier
    """Instrument held."""
    quantity: RequestDecimal
    """Units held. Negative values are accepted; a negative quantity after the trades
    fails the NO_SHORTING rule.
    """
    market_value: Money | None = None
    """Value supplied by the caller. Valuation uses it with `valuation_mode`
    TRUST_SNAPSHOT; trade sizing uses it whenever it is present.
    """
    lots: _bounded_list(TaxLot, limits.MAX_LOTS_PER_POSITION) = Field(default_factory=list)
    """Tax lots, used by tax-aware selling. When given, their quantities must add up to
    `quantity` within 0.0001.
    """

    @model_validator(mode="after")
    def _lots_add_up(self) -> Position:
        if self.lots:
            # A fixed 28-digit half-even context, whatever other code set on this thread.
            with localcontext(prec=28, rounding=ROUND_HALF_EVEN):
                total = sum((lot.quantity for lot in self.lots), Decimal(0))
                gap = abs(total - self.quantity)
            if gap > LOTS_QUANTITY_TOLERANCE:
                raise ValueError(messages.LOTS_QUANTITY_MISMATCH)
        return self


class CashBalance(RequestModel):
    """Cash held in one currency."""

    currency: Identifier
    """Currency of the balance."""
    amount: RequestDecimal
    """Spendable cash used by valuation and simulation. Negative values are accepted; a
    negative amount after the trades fails the INSUFFICIENT_CASH rule.
    """
    settled: RequestDecimal | None = None
    """Settled cash; when set (`"0"` included) it replaces `amount` as the day-0 balance
    of the settlement ladder.
    """
    pending: RequestDecimal | None = None
    """Informational only; carried through to the output unchanged."""


class PortfolioSnapshot(RequestModel):
    """Holdings and cash before rebalancing."""

    snapshot_id: Identifier | None = None
    """Caller's label of the snapshot; reported in an analyze result's
    `base_snapshot_ids`.
    """
    portfolio_id: PortfolioId
    """Portfolio identifier; copied to `lineage.portfolio_snapshot_id` and the run
    record.
    """
    base_currency: Identifier
    """Reporting currency: totals, weights and rule checks are expressed in it."""
    positions: _bounded_list(Position, limits.MAX_POSITIONS) = Field(default_factory=list)
    """Current holdings."""
    cash_balances: _bounded_list(CashBalance, limits.MAX_CASH_BALANCES) = Field(default_factory=list)
    """Current cash per currency."""

    def to_engine(self) -> engine.PortfolioSnapshot:
        return engine.PortfolioSnapshot(
            portfolio_id=self.portfolio_id,
            base_currency=self.base_currency,
            positions=tuple(
                engine.Position(
                    p.instrument_id,
                    p.quantity,
                    money_or_none(p.market_value),
                    tuple(
                        engine.TaxLot(
                            lot.lot_id,
                            lot.quantity,
                            engine.Money(lot.unit_cost.amount, lot.unit_cost.currency),
                            lot.purchase_date,
                        )
                        for lot in p.lots
                    ),
                )
                for p in self.positions
            ),
            cash_balances=tuple(
                engine.CashBalance(c.currency, c.amount, c.settled, c.pending)
                for c in self.cash_balances
            ),
            snapshot_id=self.snapshot_id,
        )


# --- Market data, model, shelf ------------------------------------------------------------


class Price(RequestModel):
    """Unit price of an instrument in its trading currency."""

    instrument_id: Identifier
    """Instrument priced; with duplicate rows the first one wins."""
    price: RequestDecimal
    """Unit price in `currency`."""
    currency: Identifier
    """Trading currency of the instrument; decides trade notionals and FX needs."""


class FxRate(RequestModel):
    """FX quote: 1 FROM = `rate` TO for `pair` `FROM/TO`."""

    pair: Identifier
    """`FROM/TO`: 1 FROM = `rate` TO. The reverse pair is used as 1 / rate when the
    direct one is missing; a rate of 0 counts as missing.
    """
    rate: RequestDecimal
    """Conversion rate."""


class MarketDataSnapshot(RequestModel):
    """Prices and FX rates used for valuation and sizing."""

    snapshot_id: Identifier | None = None
    """Caller's label of the snapshot; reported in an analyze result's
    `base_snapshot_ids`.
    """
    prices: _bounded_list(Price, limits.MAX_PRICES) = Field(default_factory=list)
    """Instrument prices."""
    fx_rates: _bounded_list(FxRate, limits.MAX_FX_RATES) = Field(default_factory=list)
    """FX rates."""

    def to_engine(self) -> engine.MarketDataSnapshot:
        return engine.MarketDataSnapshot(
            prices=tuple(engine.Price(p.instrument_id, p.price, p.currency) for p in self.prices),
            fx_rates=tuple(engine.FxRate(r.pair, r.rate) for r in self.fx_rates),
            snapshot_id=self.snapshot_id,
        )


class ModelTarget(RequestModel):
    """One model instrument and its target weight."""

    instrument_id: Identifier
    """Instrument in the model. A model instrument without a shelf entry blocks the run."""
    weight: RequestDecimal
    """Desired fraction of total value in base currency. No range or sum check;
    heuristic targets summing above 1.0001 are scaled down and the run needs review.
    """


class ModelPortfolio(RequestModel):
    """The target weights to rebalance toward."""

    targets: _bounded_list(ModelTarget, limits.MAX_MODEL_TARGETS)
    """Target weights; their order is the order of the target trace and of intent
    numbering.
    """

    def to_engine(self) -> engine.ModelPortfolio:
        return engine.ModelPortfolio(
            tuple(engine.ModelTarget(t.instrument_id, t.weight) for t in self.targets)
        )


class ShelfEntry(RequestModel):
    """Product-shelf status and metadata of one instrument."""

    instrument_id: Identifier
    """Instrument described."""
    # A Literal, not the engine's Enum: the contract reports shelf statuses as literal_error.
    status: ShelfStatusName
    """APPROVED: may be bought and sold. RESTRICTED: not bought unless
    `allow_restricted`; a holding is frozen. SELL_ONLY: model weight forced to 0,
    holdings sold down. BANNED, SUSPENDED: not bought; holdings frozen.
    """
    asset_class: Identifier = "UNKNOWN"
    """Bucket of `allocation_by_asset_class`."""
    issuer_id: Identifier | None = None
    """Advisory only: validated and part of the request hash, not used by the engine."""
    liquidity_tier: LiquidityTier | None = None
    """Advisory only: validated and part of the request hash, not used by the engine."""
    settlement_days: days(10) = 2
    """Settlement lag (T+n) of the instrument in the cash ladder."""
    min_notional: Money | None = None
    """Minimum trade size of the instrument; used only when `options.min_trade_notional`
    is null.
    """
    attributes: bounded_map(
        Identifier, Identifier, limits.MAX_ATTRIBUTES_PER_SHELF_ENTRY
    ) = Field(default_factory=dict)
    """Tags such as `sector` or `region` (string values); used by `group_constraints`
    and `allocation_by_attribute`.
    """

    def to_engine(self) -> engine.ShelfEntry:
        return engine.ShelfEntry(
            instrument_id=self.instrument_id,
            status=engine.ShelfStatus(self.status),
            asset_class=self.asset_class,
            settlement_days=self.settlement_days,
            min_notional=money_or_none(self.min_notional),
            attributes=self.attributes,
            issuer_id=self.issuer_id,
            liquidity_tier=self.liquidity_tier,
        )


# --- Request bodies -----------------------------------------------------------------------

SNAPSHOT_MEMBERS = frozenset(
    {"portfolio_snapshot", "market_data_snapshot", "model_portfolio", "shelf_entries"}
)


class SharedSnapshots(RequestModel):
    """The four members simulate and analyze share."""

    portfolio_snapshot: PortfolioSnapshot
    """The portfolio as it is now: its holdings and cash."""
    market_data_snapshot: MarketDataSnapshot
    """Prices and FX rates used for valuation and trade sizing."""
    model_portfolio: ModelPortfolio
    """The model whose weights the portfolio is rebalanced toward."""
    shelf_entries: _bounded_list(ShelfEntry, limits.MAX_SHELF_ENTRIES)
    """Product-shelf status and metadata per instrument (may be empty)."""

    def engine_inputs(self) -> engine.RebalanceInputs:
        """The shared snapshots as the engine's `RebalanceInputs`."""
        return engine.RebalanceInputs(
            portfolio=self.portfolio_snapshot.to_engine(),
            market_data=self.market_data_snapshot.to_engine(),
            model=self.model_portfolio.to_engine(),
            shelf=tuple(entry.to_engine() for entry in self.shelf_entries),
        )

    @cached_property
    def snapshots_tree(self) -> dict[str, Any]:
        """The four snapshots, normalized, as JSON-ready values (decimals as their text).

        Computed once; callers must not mutate it (analyze shares it between scenarios)."""
        return self.model_dump(mode="json", include=SNAPSHOT_MEMBERS)


class CanonicalRequest(NamedTuple):
    tree: dict[str, Any]
    text: str
    digest: str


class RebalanceRequest(SharedSnapshots):
    """Body of `POST /rebalance/simulate`; all five members are required.

    Value rules of every request body:

    * Decimals: a JSON string (recommended) or a JSON number. A string keeps its scale
      (`"10000.00"` differs from `"10000.0"` in the request hash); a number with a
      fraction is read as a double and keeps its shortest text (`100.00` is `"100.0"`).
      NaN and Infinity are rejected; at most 50 significant digits and a magnitude
      between 1E-100 and 1E+101.
    * Integers: also an integral number (`3.0`) or a numeric string (`"3"`).
    * Booleans: also 0/1 and the strings true/false, t/f, yes/no, y/n, on/off, 1/0 (any
      case).
    * Strings are strict (a number is not a string). Identifiers, currencies, attribute
      keys and values are at most 128 characters; `portfolio_id` at most 256.
    * Unknown keys are ignored everywhere and do not change the request hash.
    * A body with more than 500,000 commas is refused before it is parsed.
    """

    options: EngineOptions
    """Engine switches of this simulation; `{}` means all defaults."""

    def to_engine(self) -> tuple[engine.RebalanceInputs, engine.EngineOptions]:
        return self.engine_inputs(), self.options.to_engine()

    def request_tree(self) -> dict[str, Any]:
        """The normalized request: every declared field, defaults filled, unknown keys
        dropped, decimals as their text. It is hashed and stored with the run."""
        return self.model_dump(mode="json")

    @cached_property
    def canonical(self) -> CanonicalRequest:
        """The request tree, its canonical JSON text and its hash; computed once (a
        remembered request, rebalance/boundary/memo.py, keeps them)."""
        tree = self.request_tree()
        text = canonical_json(tree)
        return CanonicalRequest(tree, text, hash_of_canonical_json(text))


class SimulationScenario(RequestModel):
    """One named what-if case of an analyze request."""

    description: Description | None = None
    """Free text for the caller; not echoed in the response."""
    # Checked to be an object here; its contents are validated per scenario while the
    # batch runs, so one bad scenario fails alone instead of failing the whole batch.
    # Documented as any object: the request is accepted whatever the contents, so the
    # document must not call contents that fail EngineOptions invalid.
    options: dict[str, Any] = Field(default_factory=dict)
    """The scenario's engine options, with the fields and rules of `EngineOptions`. Only
    checked to be an object when the request arrives; the contents are validated when the
    scenario runs, and invalid ones fail only this scenario (reported in
    `failed_scenarios` as `INVALID_OPTIONS: <message>`, with HTTP 200).
    """


class BatchRebalanceRequest(SharedSnapshots):
    """Body of `POST /rebalance/analyze`: the shared snapshots and 1-20 named scenarios.

    The value rules are those of the simulate body (`RebalanceRequest`).
    """

    scenarios: Annotated[
        dict[str, SimulationScenario],
        Field(json_schema_extra={
            "minProperties": 1, "maxProperties": limits.MAX_SCENARIOS,
            **documented_keys(pattern=f"^{SCENARIO_NAME.pattern}$"),
        }),
    ]
    """Named what-if cases: 1 to 20, each name 1-64 of `a-z 0-9 _ -`. Counted before any
    scenario is validated.
    """

    @field_validator("scenarios", mode="before")
    @classmethod
    def _not_too_many(cls, value: Any) -> Any:
        # Counted before any scenario is validated: 10,000 scenarios cost one len().
        if isinstance(value, dict) and len(value) > limits.MAX_SCENARIOS:
            raise ValueError(messages.SCENARIOS_TOO_MANY)
        return value

    @field_validator("scenarios")
    @classmethod
    def _names(cls, entries: dict[str, SimulationScenario]) -> dict[str, SimulationScenario]:
        if not entries:
            raise ValueError(messages.SCENARIOS_EMPTY)
        for name in entries:
            if not SCENARIO_NAME.fullmatch(name):
                raise ValueError(messages.SCENARIO_NAME_FORMAT)
        return entries

    def to_engine(self) -> tuple[engine.RebalanceInputs, dict[str, dict[str, Any]]]:
        """Engine inputs and each scenario's raw options, in request order.

        The batch sorts the names itself; descriptions are dropped.
        """
        return self.engine_inputs(), {name: s.options for name, s in self.scenarios.items()}

    def scenario_request_tree(self, name: str) -> dict[str, Any]:
        """The normalized request of one valid scenario, as a simulate request with that
        scenario's options would have it (stored with the scenario's run)."""
        options = EngineOptions.model_validate(self.scenarios[name].options)
        return {**self.snapshots_tree, "options": options.model_dump(mode="json")}
