"""Engine output objects (the audit bundle), before JSON rendering.

Weights are kept raw here; the renderer quantizes the two presentation-only weight
fields. Field order follows the contract's response tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .models import CashBalance, Money

READY = "READY"
PENDING_REVIEW = "PENDING_REVIEW"
BLOCKED = "BLOCKED"


@dataclass(slots=True)
class PositionSummary:
    instrument_id: str
    quantity: Decimal
    instrument_currency: str
    asset_class: str
    price: Money | None
    value_in_instrument_ccy: Money
    value_in_base_ccy: Money
    weight: Decimal


@dataclass(frozen=True, slots=True)
class AllocationMetric:
    key: str
    weight: Decimal
    value: Money


@dataclass(slots=True)
class SimulatedState:
    total_value: Money
    cash_balances: list[CashBalance]
    positions: list[PositionSummary]
    allocation_by_asset_class: list[AllocationMetric]
    allocation_by_instrument: list[AllocationMetric]
    allocation_by_attribute: dict[str, list[AllocationMetric]]

    def cash_weight(self) -> Decimal:
        """Raw weight of the CASH asset-class bucket (always present)."""
        for metric in self.allocation_by_asset_class:
            if metric.key == "CASH":
                return metric.weight
        return Decimal("0")


@dataclass(frozen=True, slots=True)
class ExcludedInstrument:
    instrument_id: str
    reason_code: str


@dataclass(slots=True)
class Universe:
    universe_id: str
    eligible_for_buy: list[str]
    eligible_for_sell: list[str]
    excluded: list[ExcludedInstrument]
    coverage: Decimal


@dataclass(frozen=True, slots=True)
class TargetRow:
    instrument_id: str
    model_weight: Decimal
    final_weight: Decimal
    final_value: Money
    tags: tuple[str, ...]


@dataclass(slots=True)
class SecurityIntent:
    intent_id: str
    instrument_id: str
    side: str
    quantity: Decimal
    notional: Money
    notional_base: Money
    dependencies: list[str] = field(default_factory=list)
    constraints_applied: list[str] = field(default_factory=list)

    intent_type = "SECURITY_TRADE"


@dataclass(slots=True)
class FxIntent:
    intent_id: str
    pair: str
    buy_currency: str
    buy_amount: Decimal
    sell_currency: str
    sell_amount_estimated: Decimal
    rationale_code: str
    rationale_message: str

    intent_type = "FX_SPOT"


Intent = SecurityIntent | FxIntent


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule_id: str
    severity: str
    status: str
    measured: Decimal
    threshold: dict[str, Decimal]
    reason_code: str
    remediation_hint: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"


@dataclass(frozen=True, slots=True)
class Reconciliation:
    before_total_value: Money
    after_total_value: Money
    delta: Money
    tolerance: Money
    status: str


@dataclass(frozen=True, slots=True)
class TaxImpact:
    total_realized_gain: Money
    total_realized_loss: Money
    budget_limit: Money | None
    budget_used: Money | None


@dataclass(frozen=True, slots=True)
class GateReason:
    reason_code: str
    severity: str
    source: str
    details: dict[str, str]


@dataclass(frozen=True, slots=True)
class GateDecision:
    gate: str
    recommended_next_step: str
    reasons: list[GateReason]
    hard_fail_count: int
    soft_fail_count: int


@dataclass(slots=True)
class Diagnostics:
    """Everything the stages report besides their main output.

    Item entries are JSON-shaped dicts whose Decimal values the renderer stringifies.
    ``blocking_issues`` is internal: instruments the engine refused to size (zero price,
    quantities beyond Decimal precision). They block the run at the data-quality gate.
    """

    warnings: list[str] = field(default_factory=list)
    suppressed_intents: list[dict[str, Any]] = field(default_factory=list)
    dropped_intents: list[dict[str, Any]] = field(default_factory=list)
    group_constraint_events: list[dict[str, Any]] = field(default_factory=list)
    tax_budget_constraint_events: list[dict[str, Any]] = field(default_factory=list)
    cash_ladder: list[dict[str, Any]] = field(default_factory=list)
    cash_ladder_breaches: list[dict[str, Any]] = field(default_factory=list)
    price_missing: list[str] = field(default_factory=list)
    fx_missing: list[str] = field(default_factory=list)
    shelf_missing: list[str] = field(default_factory=list)
    blocking_issues: list[str] = field(default_factory=list)

    def warn_once(self, code: str) -> None:
        if code not in self.warnings:
            self.warnings.append(code)


@dataclass(frozen=True, slots=True)
class TargetMethodComparison:
    primary_method: str
    primary_status: str
    alternate_method: str
    alternate_status: str
    tolerance: str
    differing_instruments: list[str]
    alternate_warnings: list[str]


@dataclass(slots=True)
class RebalanceResult:
    rebalance_run_id: str
    correlation_id: str
    status: str
    before: SimulatedState
    universe: Universe
    target_id: str
    targets: list[TargetRow]
    intents: list[Intent]
    after_simulated: SimulatedState
    reconciliation: Reconciliation | None
    tax_impact: TaxImpact | None
    rule_results: list[RuleResult]
    early_blocked: bool
    comparison: TargetMethodComparison | None
    diagnostics: Diagnostics
    gate_decision: GateDecision | None
    portfolio_id: str
    request_hash: str

    @property
    def security_intents(self) -> list[SecurityIntent]:
        return [i for i in self.intents if isinstance(i, SecurityIntent)]


@dataclass(slots=True)
class BatchResult:
    batch_run_id: str
    run_at_utc: str
    portfolio_snapshot_id: str
    market_data_snapshot_id: str
    base_currency: str
    results: dict[str, RebalanceResult]
    failed_scenarios: dict[str, str]
    warnings: list[str]
