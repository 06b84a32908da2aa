"""Request bodies of ``POST /rebalance/simulate`` and ``POST /rebalance/analyze``.

Fields are declared in the contract's table order, which is the order issues are
reported in. ``to_engine()`` builds the engine's dataclasses; ``request_tree()`` is the
normalized request the hash is computed from and the run store keeps.
"""

from __future__ import annotations

import re
from functools import cached_property
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Annotated, Any, Literal

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
)
from rebalance.engine import models as engine

LOTS_QUANTITY_TOLERANCE = Decimal("0.0001")
SCENARIO_NAME = re.compile(r"[a-z0-9_-]{1,64}")
ShelfStatusName = Literal["APPROVED", "RESTRICTED", "BANNED", "SUSPENDED", "SELL_ONLY"]


def _bounded_list(item: Any, maximum: int) -> Any:
    return Annotated[list[item], Field(max_length=maximum)]


# --- Portfolio ----------------------------------------------------------------------------


class TaxLot(RequestModel):
    """A tax lot of a position; ``quantity`` >= 0."""

    lot_id: Identifier
    quantity: NonNegativeDecimal
    unit_cost: Money
    purchase_date: Identifier


class Position(RequestModel):
    """A holding; when lots are given, their quantities must add up to its quantity."""

    instrument_id: Identifier
    quantity: RequestDecimal
    market_value: Money | None = None
    lots: _bounded_list(TaxLot, limits.MAX_LOTS_PER_POSITION) = Field(default_factory=list)

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
    amount: RequestDecimal
    settled: RequestDecimal | None = None
    pending: RequestDecimal | None = None


class PortfolioSnapshot(RequestModel):
    """Holdings and cash before rebalancing."""

    snapshot_id: Identifier | None = None
    portfolio_id: PortfolioId
    base_currency: Identifier
    positions: _bounded_list(Position, limits.MAX_POSITIONS) = Field(default_factory=list)
    cash_balances: _bounded_list(CashBalance, limits.MAX_CASH_BALANCES) = Field(default_factory=list)

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
    price: RequestDecimal
    currency: Identifier


class FxRate(RequestModel):
    """FX quote: 1 FROM = ``rate`` TO for ``pair`` ``FROM/TO``."""

    pair: Identifier
    rate: RequestDecimal


class MarketDataSnapshot(RequestModel):
    """Prices and FX rates used for valuation and sizing."""

    snapshot_id: Identifier | None = None
    prices: _bounded_list(Price, limits.MAX_PRICES) = Field(default_factory=list)
    fx_rates: _bounded_list(FxRate, limits.MAX_FX_RATES) = Field(default_factory=list)

    def to_engine(self) -> engine.MarketDataSnapshot:
        return engine.MarketDataSnapshot(
            prices=tuple(engine.Price(p.instrument_id, p.price, p.currency) for p in self.prices),
            fx_rates=tuple(engine.FxRate(r.pair, r.rate) for r in self.fx_rates),
            snapshot_id=self.snapshot_id,
        )


class ModelTarget(RequestModel):
    """One model instrument and its target weight."""

    instrument_id: Identifier
    weight: RequestDecimal


class ModelPortfolio(RequestModel):
    """The target weights to rebalance toward."""

    targets: _bounded_list(ModelTarget, limits.MAX_MODEL_TARGETS)

    def to_engine(self) -> engine.ModelPortfolio:
        return engine.ModelPortfolio(
            tuple(engine.ModelTarget(t.instrument_id, t.weight) for t in self.targets)
        )


class ShelfEntry(RequestModel):
    """Product-shelf status and metadata of one instrument."""

    instrument_id: Identifier
    # A Literal, not the engine's Enum: the contract reports shelf statuses as literal_error.
    status: ShelfStatusName
    asset_class: Identifier = "UNKNOWN"
    issuer_id: Identifier | None = None
    liquidity_tier: LiquidityTier | None = None
    settlement_days: days(10) = 2
    min_notional: Money | None = None
    attributes: bounded_map(
        Identifier, Identifier, limits.MAX_ATTRIBUTES_PER_SHELF_ENTRY
    ) = Field(default_factory=dict)

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
    market_data_snapshot: MarketDataSnapshot
    model_portfolio: ModelPortfolio
    shelf_entries: _bounded_list(ShelfEntry, limits.MAX_SHELF_ENTRIES)

    def engine_inputs(self) -> engine.RebalanceInputs:
        """The shared snapshots as the engine's ``RebalanceInputs``."""
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


class RebalanceRequest(SharedSnapshots):
    """Body of ``POST /rebalance/simulate``; all five members are required."""

    options: EngineOptions

    def to_engine(self) -> tuple[engine.RebalanceInputs, engine.EngineOptions]:
        return self.engine_inputs(), self.options.to_engine()

    def request_tree(self) -> dict[str, Any]:
        """The normalized request: every declared field, defaults filled, unknown keys
        dropped, decimals as their text. It is hashed and stored with the run."""
        return self.model_dump(mode="json")


class _DocumentedAsEngineOptions:
    """Shows scenario ``options`` as ``EngineOptions`` in the OpenAPI document while the
    model keeps them raw (they are validated one scenario at a time)."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return handler(EngineOptions.__pydantic_core_schema__)


class SimulationScenario(RequestModel):
    """One named what-if case of an analyze request."""

    description: Description | None = None
    # Checked to be an object here; its contents are validated per scenario while the
    # batch runs, so one bad scenario fails alone instead of failing the whole batch.
    options: Annotated[dict[str, Any], _DocumentedAsEngineOptions] = Field(default_factory=dict)


class BatchRebalanceRequest(SharedSnapshots):
    """Body of ``POST /rebalance/analyze``: the shared snapshots and 1-20 named scenarios."""

    scenarios: dict[str, SimulationScenario]

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
