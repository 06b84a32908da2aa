"""`EngineOptions` and its nested objects, as pydantic models.

All 40 options are declared in the contract's declaration order, because that order
decides which issue is reported first (an analyze scenario reports only the first). The
advisory-only options and `suitability_thresholds` are validated like the others even
though the engine never reads them: they are part of the request hash, and an invalid
value must fail the request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rebalance.boundary import limits, messages
from rebalance.boundary.scalars import (
    Identifier,
    NonNegativeDecimal,
    RequestDecimal,
    Weight,
    bounded_map,
    days,
    decimal,
    unit_interval,
)
from rebalance.engine import models as engine
from rebalance.engine.errors import InvalidOptions

LiquidityTier = Literal["L1", "L2", "L3", "L4", "L5"]
LIQUIDITY_TIERS = ("L1", "L2", "L3", "L4", "L5")
GroupKey = Annotated[str, Field(max_length=limits.MAX_GROUP_KEY_LENGTH)]


class RequestModel(BaseModel):
    """Base of every request object: unknown keys are ignored (they never reach the hash)."""

    # Field docstrings become the descriptions of the OpenAPI document.
    model_config = ConfigDict(extra="ignore", use_attribute_docstrings=True)


class Money(RequestModel):
    """An amount in a currency."""

    amount: RequestDecimal
    """The amount."""
    currency: Identifier
    """Currency of the amount."""

    def to_engine(self) -> engine.Money:
        return engine.Money(self.amount, self.currency)


def money_or_none(value: Money | None) -> engine.Money | None:
    return None if value is None else engine.Money(value.amount, value.currency)


class GroupConstraint(RequestModel):
    """A ceiling on the summed target weight of the instruments of one attribute group."""

    max_weight: decimal(unit_interval(messages.GROUP_MAX_WEIGHT_RANGE))
    """Ceiling on the summed target weight of the group, between 0 and 1."""


def _default_tier_limits() -> dict[str, Decimal]:
    return {"L4": Decimal("0.10"), "L5": Decimal("0.05")}


class SuitabilityThresholds(RequestModel):
    """Advisory-only thresholds: always built and validated, never read by the engine.

    A supplied `max_weight_by_liquidity_tier` replaces the default map entirely. The
    min <= max cash-band check runs last, only when all six fields passed.
    """

    single_position_max_weight: Weight = Decimal("0.10")
    """Advisory only; between 0 and 1."""
    issuer_max_weight: Weight = Decimal("0.20")
    """Advisory only; between 0 and 1."""
    # No count cap: values are parsed first (the contract's order), then any key beyond
    # L1..L5 fails the key check; the body size bounds the work.
    max_weight_by_liquidity_tier: dict[Identifier, RequestDecimal] = Field(
        default_factory=_default_tier_limits
    )
    """Advisory only: keys L1-L5, values between 0 and 1. A supplied map replaces the
    default one entirely.
    """
    cash_band_min_weight: Weight = Decimal("0.01")
    """Advisory only; between 0 and 1, not above `cash_band_max_weight`."""
    cash_band_max_weight: Weight = Decimal("0.05")
    """Advisory only; between 0 and 1."""
    data_quality_issue_severity: Literal["LOW", "MEDIUM", "HIGH"] = "MEDIUM"
    """Advisory only."""

    @field_validator("max_weight_by_liquidity_tier")
    @classmethod
    def _tiers(cls, entries: dict[str, Decimal]) -> dict[str, Decimal]:
        # Per entry in insertion order: the key test, then the range test.
        for tier, weight in entries.items():
            if tier not in LIQUIDITY_TIERS:
                raise ValueError(messages.LIQUIDITY_TIER_KEY)
            if not Decimal(0) <= weight <= Decimal(1):
                raise ValueError(messages.LIQUIDITY_TIER_RANGE)
        return entries

    @model_validator(mode="after")
    def _cash_band(self) -> SuitabilityThresholds:
        if self.cash_band_min_weight > self.cash_band_max_weight:
            raise ValueError(messages.SUITABILITY_CASH_BAND)
        return self

    def to_engine(self) -> engine.SuitabilityThresholds:
        return engine.SuitabilityThresholds(
            single_position_max_weight=self.single_position_max_weight,
            issuer_max_weight=self.issuer_max_weight,
            max_weight_by_liquidity_tier=self.max_weight_by_liquidity_tier,
            cash_band_min_weight=self.cash_band_min_weight,
            cash_band_max_weight=self.cash_band_max_weight,
            data_quality_issue_severity=self.data_quality_issue_severity,
        )


class EngineOptions(RequestModel):
    """Engine switches of one simulation; `{}` means all defaults."""

    valuation_mode: engine.ValuationMode = engine.ValuationMode.CALCULATED
    """CALCULATED: positions are valued at quantity x price. TRUST_SNAPSHOT: a
    position's `market_value` is used when given. The after-state is always
    calculated.
    """
    target_method: engine.TargetMethod = engine.TargetMethod.HEURISTIC
    """HEURISTIC: rule-based capping and redistribution. SOLVER: a quadratic program
    minimizing the squared distance to the model weights (weights rounded to 4
    decimals).
    """
    compare_target_methods: bool = False
    """Also run the other method and report the comparison in
    `explanation.target_method_comparison`; the primary method's targets are used.
    """
    compare_target_methods_tolerance: RequestDecimal = Decimal("0.0001")
    """Per-instrument weight difference above which the two methods are said to differ."""
    cash_band_min_weight: RequestDecimal = Decimal("0.00")
    """Lower bound of the cash weight after the trades (CASH_BAND soft rule). min above
    max is accepted.
    """
    cash_band_max_weight: RequestDecimal = Decimal("1.00")
    """Upper bound of the cash weight after the trades."""
    single_position_max_weight: RequestDecimal | None = None
    """Cap on any instrument's weight (SINGLE_POSITION_MAX hard rule, tolerance 0.001);
    null means no cap.
    """
    min_trade_notional: Money | None = None
    """Minimum trade size for every instrument; replaces each shelf `min_notional`.
    Compared in the instrument's currency (its own currency is ignored).
    """
    allow_restricted: bool = False
    """Allow buying RESTRICTED model targets."""
    suppress_dust_trades: bool = True
    """Drop trades below the minimum notional (listed in
    `diagnostics.suppressed_intents`).
    """
    dust_trade_threshold: Money | None = None
    """Advisory only: validated and hashed, not used."""
    fx_buffer_pct: RequestDecimal = Decimal("0.01")
    """Over-funding margin of FX funding: buy amount = shortfall x (1 + value)."""
    block_on_missing_prices: bool = True
    """Missing prices block the run; when false, unpriced instruments are valued at 0
    and not traded.
    """
    block_on_missing_fx: bool = True
    """Missing FX rates block the run; when false, unconvertible currencies are skipped."""
    min_cash_buffer_pct: RequestDecimal = Decimal("0.0")
    """Heuristic only: shrink buyable targets so that at least this fraction stays in
    cash; any shrinking makes the run PENDING_REVIEW.
    """
    max_turnover_pct: decimal(unit_interval(messages.MAX_TURNOVER_RANGE)) | None = None
    """Turnover budget as a fraction (0 to 1) of the value before the trades; trades
    that do not fit are dropped whole, largest first.
    """
    enable_tax_awareness: bool = False
    """Sell from lots in highest-cost-first order and report `tax_impact`."""
    max_realized_capital_gains: NonNegativeDecimal | None = None
    """Budget for realized gains in base currency (at least 0); sells are cut to stay
    within it. Needs `enable_tax_awareness`.
    """
    enable_settlement_awareness: bool = False
    """Project a per-currency cash ladder by settlement day; a breach blocks the run."""
    enable_proposal_simulation: bool = False
    """Advisory only: validated and hashed, not used."""
    enable_workflow_gates: bool = True
    """Emit `gate_decision`; when false it is null."""
    workflow_requires_client_consent: bool = False
    """When nothing blocks or needs review and consent is not yet obtained, the gate is
    CLIENT_CONSENT_REQUIRED.
    """
    client_consent_already_obtained: bool = False
    """When nothing blocks or needs review, the gate is EXECUTION_READY even if consent
    would be required.
    """
    proposal_apply_cash_flows_first: bool = True
    """Advisory only: validated and hashed, not used."""
    proposal_block_negative_cash: bool = True
    """Advisory only: validated and hashed, not used."""
    link_buy_to_same_currency_sell_dependency: bool | None = None
    """When true or null, each BUY also depends on the last SELL in the same currency."""
    enable_drift_analytics: bool = True
    """Advisory only: validated and hashed, not used."""
    enable_suitability_scanner: bool = True
    """Advisory only: validated and hashed, not used."""
    suitability_thresholds: SuitabilityThresholds = Field(default_factory=SuitabilityThresholds)
    """Advisory only: always validated (with its defaults) and hashed, not used."""
    enable_instrument_drift: bool = True
    """Advisory only: validated and hashed, not used."""
    drift_top_contributors_limit: Annotated[int, Field(ge=1, le=20)] = 5
    """Advisory only (1 to 20): validated and hashed, not used."""
    drift_unmodeled_exposure_threshold: Weight = Decimal("0.01")
    """Advisory only (0 to 1): validated and hashed, not used."""
    auto_funding: bool = True
    """Advisory only: validated and hashed, not used."""
    funding_mode: Literal["AUTO_FX"] = "AUTO_FX"
    """Advisory only: validated and hashed, not used."""
    fx_funding_source_currency: Literal["BASE_ONLY", "ANY_CASH"] = "ANY_CASH"
    """Advisory only: validated and hashed, not used."""
    fx_generation_policy: Literal["ONE_FX_PER_CCY"] = "ONE_FX_PER_CCY"
    """Advisory only: validated and hashed, not used."""
    settlement_horizon_days: days(10) = 5
    """The cash ladder runs from day 0 to at least this day (longer when FX or an
    instrument settles later).
    """
    fx_settlement_days: days(10) = 2
    """Settlement day of generated FX intents in the cash ladder."""
    max_overdraft_by_ccy: bounded_map(
        Identifier, RequestDecimal, limits.MAX_OVERDRAFT_CURRENCIES
    ) = Field(default_factory=dict)
    """Permitted negative balance per currency in the cash ladder (keys non-empty,
    values at least 0).
    """
    group_constraints: bounded_map(
        GroupKey, GroupConstraint, limits.MAX_GROUP_CONSTRAINTS
    ) = Field(default_factory=dict)
    """Caps on the summed target weight of instruments whose shelf attribute matches;
    keys `<attribute key>:<attribute value>`.
    """

    @field_validator("max_overdraft_by_ccy")
    @classmethod
    def _overdrafts(cls, entries: dict[str, Decimal]) -> dict[str, Decimal]:
        # Per entry in insertion order: the empty-key test, then the sign test.
        for currency, limit in entries.items():
            if currency == "":
                raise ValueError(messages.OVERDRAFT_EMPTY_KEY)
            if limit < 0:
                raise ValueError(messages.OVERDRAFT_NEGATIVE)
        return entries

    @field_validator("group_constraints")
    @classmethod
    def _group_keys(cls, entries: dict[str, GroupConstraint]) -> dict[str, GroupConstraint]:
        # Exactly one ':' with both sides set; checked only once every value passed.
        for key in entries:
            attribute, separator, value = key.partition(":")
            if not separator or not attribute or not value or ":" in value:
                raise ValueError(messages.GROUP_KEY_FORMAT)
        return entries

    def to_engine(self) -> engine.EngineOptions:
        """The engine's options; every scalar is already of the engine's type."""
        values = dict(self.__dict__)
        values["min_trade_notional"] = money_or_none(self.min_trade_notional)
        values["dust_trade_threshold"] = money_or_none(self.dust_trade_threshold)
        values["suitability_thresholds"] = self.suitability_thresholds.to_engine()
        values["group_constraints"] = {
            key: engine.GroupConstraint(constraint.max_weight)
            for key, constraint in self.group_constraints.items()
        }
        return engine.EngineOptions(**values)


def validate_engine_options(raw: Any) -> engine.EngineOptions:
    """One analyze scenario's raw `options` as the engine's options.

    Validated as `EngineOptions.model_validate` (a non-object where an object is
    expected is `model_type`, "... or instance of <Model>"). Raises `InvalidOptions`
    carrying the first issue's `msg`; the batch reports `"INVALID_OPTIONS: " + msg`.
    """
    try:
        return EngineOptions.model_validate(raw).to_engine()
    except ValidationError as exc:
        raise InvalidOptions(exc.errors(include_url=False, include_context=False)[0]["msg"]) from None
