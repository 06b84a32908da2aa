"""Engine input objects.

Plain, immutable dataclasses over ``Decimal``. The HTTP boundary (``rebalance.boundary``) builds
them from validated request bodies; tests build them directly. Field names follow the
request JSON of the API contract so that a reader can map one onto the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum


class ShelfStatus(str, Enum):
    APPROVED = "APPROVED"
    RESTRICTED = "RESTRICTED"
    BANNED = "BANNED"
    SUSPENDED = "SUSPENDED"
    SELL_ONLY = "SELL_ONLY"


class ValuationMode(str, Enum):
    CALCULATED = "CALCULATED"
    TRUST_SNAPSHOT = "TRUST_SNAPSHOT"


class TargetMethod(str, Enum):
    HEURISTIC = "HEURISTIC"
    SOLVER = "SOLVER"


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class TaxLot:
    lot_id: str
    quantity: Decimal
    unit_cost: Money
    purchase_date: str


@dataclass(frozen=True, slots=True)
class Position:
    instrument_id: str
    quantity: Decimal
    market_value: Money | None = None
    lots: tuple[TaxLot, ...] = ()


@dataclass(frozen=True, slots=True)
class CashBalance:
    currency: str
    amount: Decimal
    settled: Decimal | None = None
    pending: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PortfolioSnapshot:
    portfolio_id: str
    base_currency: str
    positions: tuple[Position, ...] = ()
    cash_balances: tuple[CashBalance, ...] = ()
    snapshot_id: str | None = None


@dataclass(frozen=True, slots=True)
class Price:
    instrument_id: str
    price: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class FxRate:
    pair: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class MarketDataSnapshot:
    prices: tuple[Price, ...] = ()
    fx_rates: tuple[FxRate, ...] = ()
    snapshot_id: str | None = None


@dataclass(frozen=True, slots=True)
class ModelTarget:
    instrument_id: str
    weight: Decimal


@dataclass(frozen=True, slots=True)
class ModelPortfolio:
    targets: tuple[ModelTarget, ...] = ()


@dataclass(frozen=True, slots=True)
class ShelfEntry:
    instrument_id: str
    status: ShelfStatus
    asset_class: str = "UNKNOWN"
    settlement_days: int = 2
    min_notional: Money | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    issuer_id: str | None = None
    liquidity_tier: str | None = None


@dataclass(frozen=True, slots=True)
class GroupConstraint:
    max_weight: Decimal


def _default_tier_limits() -> dict[str, Decimal]:
    return {"L4": Decimal("0.10"), "L5": Decimal("0.05")}


@dataclass(frozen=True, slots=True)
class SuitabilityThresholds:
    """Advisory-only thresholds: validated and hashed, never read by the DPM engine."""

    single_position_max_weight: Decimal = Decimal("0.10")
    issuer_max_weight: Decimal = Decimal("0.20")
    max_weight_by_liquidity_tier: dict[str, Decimal] = field(default_factory=_default_tier_limits)
    cash_band_min_weight: Decimal = Decimal("0.01")
    cash_band_max_weight: Decimal = Decimal("0.05")
    data_quality_issue_severity: str = "MEDIUM"


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Per-request engine switches, in the contract's declaration order.

    The advisory-only fields are carried (they are part of the request hash) but the DPM
    engine never reads them.
    """

    valuation_mode: ValuationMode = ValuationMode.CALCULATED
    target_method: TargetMethod = TargetMethod.HEURISTIC
    compare_target_methods: bool = False
    compare_target_methods_tolerance: Decimal = Decimal("0.0001")
    cash_band_min_weight: Decimal = Decimal("0.00")
    cash_band_max_weight: Decimal = Decimal("1.00")
    single_position_max_weight: Decimal | None = None
    min_trade_notional: Money | None = None
    allow_restricted: bool = False
    suppress_dust_trades: bool = True
    dust_trade_threshold: Money | None = None
    fx_buffer_pct: Decimal = Decimal("0.01")
    block_on_missing_prices: bool = True
    block_on_missing_fx: bool = True
    min_cash_buffer_pct: Decimal = Decimal("0.0")
    max_turnover_pct: Decimal | None = None
    enable_tax_awareness: bool = False
    max_realized_capital_gains: Decimal | None = None
    enable_settlement_awareness: bool = False
    enable_proposal_simulation: bool = False
    enable_workflow_gates: bool = True
    workflow_requires_client_consent: bool = False
    client_consent_already_obtained: bool = False
    proposal_apply_cash_flows_first: bool = True
    proposal_block_negative_cash: bool = True
    link_buy_to_same_currency_sell_dependency: bool | None = None
    enable_drift_analytics: bool = True
    enable_suitability_scanner: bool = True
    suitability_thresholds: SuitabilityThresholds = field(default_factory=SuitabilityThresholds)
    enable_instrument_drift: bool = True
    drift_top_contributors_limit: int = 5
    drift_unmodeled_exposure_threshold: Decimal = Decimal("0.01")
    auto_funding: bool = True
    funding_mode: str = "AUTO_FX"
    fx_funding_source_currency: str = "ANY_CASH"
    fx_generation_policy: str = "ONE_FX_PER_CCY"
    settlement_horizon_days: int = 5
    fx_settlement_days: int = 2
    max_overdraft_by_ccy: dict[str, Decimal] = field(default_factory=dict)
    group_constraints: dict[str, GroupConstraint] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RebalanceInputs:
    """The four shared snapshots of a simulate or analyze request."""

    portfolio: PortfolioSnapshot
    market_data: MarketDataSnapshot
    model: ModelPortfolio
    shelf: tuple[ShelfEntry, ...] = ()
