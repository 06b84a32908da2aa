"""The response bodies of simulate and analyze, declared once.

These ``TypedDict``s are the shape the engine's renderer (``rebalance/engine/render.py``)
returns, key for key and in the same order; the OpenAPI components are generated from
them (``lotus_manage/openapi_pydantic.py``) and tests check every rendered golden result
against them. Nothing here runs on the request path: the renderer builds plain dicts.

Rules of the shape:

* Every key is always present; only the contract's ``T | null`` fields are nullable. The
  one optional key is ``explanation.target_method_comparison`` (absent on early-blocked
  runs).
* Decimals are strings in ``str(Decimal)`` form (``"25000.000"``, ``"0E+1"``), never
  numbers, and are not rounded to minor units.
* Fields with a fixed set of values are named enum components; codes with an open set
  (reason codes, warnings, ids) are strings whose description lists them.
* ``ResultMoney`` and ``ResultCashBalance`` carry the ``Result`` prefix because ``Money``
  and ``CashBalance`` name the request components.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, WithJsonSchema
from typing_extensions import NotRequired, TypeAliasType, TypedDict

#: ``str(Decimal)`` of a finite decimal: optional minus, digits, optional fraction,
#: optional exponent (``"0.6000"``, ``"0E+1"``, ``"1E+20"``, ``"-0.0"``).
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?(E[+-][0-9]+)?$"

DecimalText = Annotated[
    str, WithJsonSchema({"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN})
]
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
EmptyObject = Annotated[
    dict[str, Any], WithJsonSchema({"type": "object", "properties": {}, "additionalProperties": False})
]


def doc(kind: Any, text: str) -> Any:
    """``kind`` with a description in the OpenAPI document."""
    return Annotated[kind, Field(description=text)]


def named_enum(name: str, values: tuple[str, ...], description: str) -> Any:
    """A string enum documented as the component ``name``."""
    schema = {"type": "string", "enum": list(values), "description": description}
    return TypeAliasType(name, Annotated[Literal[values], WithJsonSchema(schema)])


RebalanceStatus = named_enum(
    "RebalanceStatusEnum", ("READY", "PENDING_REVIEW", "BLOCKED"),
    "Outcome of a run. A domain outcome, never an HTTP error.",
)
TradeSide = named_enum("TradeSideEnum", ("BUY", "SELL"), "Direction of a security trade.")
RuleSeverity = named_enum(
    "RuleSeverityEnum", ("HARD", "SOFT", "INFO"),
    "`HARD` fails block the run, `SOFT` fails ask for review; `INFO` is never emitted.",
)
RuleStatus = named_enum("RuleStatusEnum", ("PASS", "FAIL"), "Outcome of one rule evaluation.")
ReconciliationStatus = named_enum(
    "ReconciliationStatusEnum", ("OK", "MISMATCH"),
    "`OK` when |after - before| <= tolerance; `MISMATCH` blocks the run.",
)
GroupConstraintEventStatus = named_enum(
    "GroupConstraintEventStatusEnum", ("CAPPED", "BLOCKED"),
    "`BLOCKED`: the group cap had no recipient and the run is blocked.",
)
Gate = named_enum(
    "GateEnum",
    ("BLOCKED", "RISK_REVIEW_REQUIRED", "COMPLIANCE_REVIEW_REQUIRED", "CLIENT_CONSENT_REQUIRED",
     "EXECUTION_READY", "NONE"),
    "Workflow gate. Only `BLOCKED`, `RISK_REVIEW_REQUIRED`, `CLIENT_CONSENT_REQUIRED` and "
    "`EXECUTION_READY` are produced.",
)
RecommendedNextStep = named_enum(
    "RecommendedNextStepEnum",
    ("FIX_INPUT", "RISK_REVIEW", "COMPLIANCE_REVIEW", "REQUEST_CLIENT_CONSENT", "EXECUTE", "NONE"),
    "Next step paired with the gate.",
)
GateReasonSeverity = named_enum(
    "GateReasonSeverityEnum", ("HIGH", "MEDIUM", "LOW"),
    "`HIGH` for hard rules and data quality, `MEDIUM` for soft rules; `LOW` is unused.",
)
GateReasonSource = named_enum(
    "GateReasonSourceEnum", ("RULE_ENGINE", "DATA_QUALITY", "SUITABILITY"),
    "Origin of a gate reason; `SUITABILITY` is advisory-only and never produced.",
)
ExplanationSummary = named_enum(
    "ExplanationSummaryEnum", ("READY", "PENDING_REVIEW", "BLOCKED", "Blocked"),
    "The run status, except `Blocked` (mixed case) on runs blocked before sizing trades.",
)


# --- Shared small objects -----------------------------------------------------------------


class ResultMoney(TypedDict):
    """An amount with its currency, as it appears in responses."""

    amount: doc(DecimalText, "Decimal string, not rounded to minor units.")
    currency: doc(str, "Currency code, e.g. `SGD`.")


class ResultCashBalance(TypedDict):
    """Cash in one currency, as it appears in a simulated state."""

    currency: str
    amount: doc(DecimalText, "Spendable cash (moved by simulated trades and FX).")
    settled: doc(DecimalText | None, "Settled cash as sent; `null` when not sent.")
    pending: doc(DecimalText | None, "Informational, carried through unchanged; `null` when not sent.")


# --- SimulatedState -----------------------------------------------------------------------


class PositionSummary(TypedDict):
    """One position of a simulated state."""

    instrument_id: str
    quantity: doc(DecimalText, "Units held.")
    instrument_currency: doc(str, "Currency of the price row; the base currency when there is no price.")
    asset_class: doc(str, "From the shelf entry; `UNKNOWN` when none.")
    price: doc(ResultMoney | None, "Price row used; `null` when unpriced.")
    value_in_instrument_ccy: doc(ResultMoney, "quantity x price.")
    value_in_base_ccy: doc(ResultMoney, "Value converted to the base currency.")
    weight: doc(DecimalText, "Share of `total_value`, exactly 4 decimals.")


class AllocationMetric(TypedDict):
    """One allocation bucket."""

    key: doc(str, "Asset class, instrument id, attribute value or `CASH`.")
    weight: doc(DecimalText, "Bucket value / total value, exactly 4 decimals.")
    value: doc(ResultMoney, "Bucket value in base currency.")


class SimulatedState(TypedDict):
    """A valuation of the portfolio, before or after the proposed trades."""

    total_value: doc(ResultMoney, "Portfolio value in base currency.")
    cash_balances: list[ResultCashBalance]
    positions: list[PositionSummary]
    allocation_by_asset_class: doc(list[AllocationMetric], "One bucket per asset class plus `CASH`.")
    allocation_by_instrument: list[AllocationMetric]
    allocation: doc(list[AllocationMetric], "Legacy copy of `allocation_by_instrument`.")
    allocation_by_attribute: doc(
        dict[str, list[AllocationMetric]], "Shelf attribute key -> one bucket per attribute value."
    )


# --- UniverseData, TargetData -------------------------------------------------------------


class ExcludedInstrument(TypedDict):
    """An excluded model target or a frozen holding."""

    instrument_id: str
    reason_code: doc(
        str,
        "`SHELF_STATUS_<status>` (model targets: `SHELF_STATUS_RESTRICTED`, `_BANNED`, "
        "`_SUSPENDED`, `_SELL_ONLY`) or `LOCKED_DUE_TO_<cause>` (frozen holdings: "
        "`RESTRICTED`, `BANNED`, `SUSPENDED`, `MISSING_SHELF`).",
    )
    details: doc(str | None, "Always `null`.")


class UniverseCoverage(TypedDict):
    """Placeholder coverage figures: `"1"` normally, `"0"` on runs blocked before sizing."""

    price_coverage_pct: DecimalText
    fx_coverage_pct: DecimalText


class UniverseData(TypedDict):
    """Which instruments may be bought or sold."""

    universe_id: doc(str, "`u_` + run id.")
    eligible_for_buy: list[str]
    eligible_for_sell: list[str]
    excluded: list[ExcludedInstrument]
    coverage: UniverseCoverage


class TargetInstrument(TypedDict):
    """One target weight after the target-stage constraints."""

    instrument_id: str
    model_weight: doc(DecimalText, "Weight from the model; `0.0` for non-model entries.")
    final_weight: doc(DecimalText, "Weight after all target-stage constraints.")
    final_value: doc(ResultMoney, "Before-state total x `final_weight`.")
    tags: doc(
        list[str],
        "Trace tags: `CAPPED_BY_MAX_WEIGHT` (final below model weight, whatever the cause), "
        "`REDISTRIBUTED_RECIPIENT` (final above model weight), `IMPLICIT_SELL_TO_ZERO` "
        "(non-model entry with final weight 0), `LOCKED_POSITION` (non-model entry with a "
        "non-zero final weight).",
    )


class TargetData(TypedDict):
    """Target weights."""

    target_id: doc(str, "`t_` + run id.")
    strategy: doc(EmptyObject, "Always `{}`.")
    targets: list[TargetInstrument]


# --- Intents ------------------------------------------------------------------------------


class IntentRationale(TypedDict):
    """Why an intent exists: `DRIFT_REBALANCE`/`Align`, `FUNDING`/`Fund` or `SWEEP`/`Sweep`."""

    code: str
    message: str


class SecurityTradeIntent(TypedDict):
    """A proposed security order."""

    intent_type: Literal["SECURITY_TRADE"]
    intent_id: doc(str, "`oi_<n>`.")
    instrument_id: str
    side: TradeSide
    quantity: doc(DecimalText | None, "Units to trade (never null in DPM).")
    notional: doc(ResultMoney | None, "quantity x price, price currency.")
    notional_base: doc(ResultMoney | None, "`notional` in base currency.")
    dependencies: doc(list[str], "Intent ids that must execute first.")
    rationale: IntentRationale | None
    constraints_applied: doc(list[str], "`MIN_NOTIONAL`, `TAX_BUDGET`.")


class FxSpotIntent(TypedDict):
    """A proposed FX spot trade that funds purchases or sweeps foreign cash to base."""

    intent_type: Literal["FX_SPOT"]
    intent_id: doc(str, "`oi_fx_<n>`.")
    pair: doc(str, "`<foreign currency>/<base currency>`.")
    buy_currency: str
    buy_amount: DecimalText
    sell_currency: str
    sell_amount_estimated: doc(DecimalText, "Amount given up at the snapshot rate.")
    dependencies: doc(list[str], "Always `[]`.")
    rationale: IntentRationale | None


TradeIntent = TypeAliasType(
    "TradeIntent",
    Annotated[Union[SecurityTradeIntent, FxSpotIntent], Field(discriminator="intent_type")],
)


# --- Rules --------------------------------------------------------------------------------


class RuleThreshold(TypedDict):
    """The limits a rule applied: `min` and/or `max`."""

    min: NotRequired[DecimalText]
    max: NotRequired[DecimalText]


class RuleResult(TypedDict):
    """One rule evaluation."""

    rule_id: doc(
        str,
        "`CASH_BAND`, `SINGLE_POSITION_MAX`, `DATA_QUALITY`, `MIN_TRADE_SIZE`, `NO_SHORTING`, "
        "`INSUFFICIENT_CASH`, `RECONCILIATION` or `SETTLEMENT_CASH_LADDER`.",
    )
    severity: RuleSeverity
    status: RuleStatus
    measured: doc(DecimalText, "Observed value, unquantized.")
    threshold: RuleThreshold
    reason_code: str
    remediation_hint: doc(str | None, "Set on failures only.")


# --- Diagnostics --------------------------------------------------------------------------


class SuppressedIntent(TypedDict):
    """A trade dropped as below the minimum notional."""

    instrument_id: str
    reason: doc(str, "Always `BELOW_MIN_NOTIONAL`.")
    intended_notional: ResultMoney
    threshold: ResultMoney


class DroppedIntent(TypedDict):
    """A trade dropped by the turnover cap."""

    instrument_id: str
    reason: doc(str, "Always `TURNOVER_LIMIT`.")
    potential_notional: ResultMoney
    score: doc(DecimalText, "|base notional| / before-state total.")


class GroupConstraintEvent(TypedDict):
    """A group cap applied by the heuristic target method."""

    constraint_key: doc(str, "e.g. `sector:TECH`.")
    group_weight_before: DecimalText
    max_weight: DecimalText
    released_weight: DecimalText
    recipients: doc(dict[str, DecimalText], "Instrument id -> weight added; `{}` when blocked.")
    status: GroupConstraintEventStatus


class TaxBudgetConstraintEvent(TypedDict):
    """A SELL cut by tax-aware selling."""

    instrument_id: str
    requested_quantity: DecimalText
    allowed_quantity: DecimalText
    reason_code: doc(str, "Always `TAX_BUDGET_LIMIT_REACHED`.")


class CashLadderPoint(TypedDict):
    """Projected cash of one currency at the end of one settlement day."""

    date_offset: doc(int, "Days from T+0.")
    currency: str
    projected_balance: DecimalText


class CashLadderBreach(TypedDict):
    """A ladder point below its floor."""

    date_offset: int
    currency: str
    projected_balance: DecimalText
    allowed_floor: doc(DecimalText, "Minus the overdraft allowance (`0` when none).")
    reason_code: doc(str, "`OVERDRAFT_ON_T_PLUS_<d>`.")


class FundingPlanEntry(TypedDict):
    """Advisory-only; never produced by DPM."""

    target_currency: str
    required: DecimalText
    available_before_fx: DecimalText
    fx_needed: DecimalText
    fx_pair: str
    funding_currency: str | None


class InsufficientCashEntry(TypedDict):
    """Advisory-only; never produced by DPM."""

    currency: str
    deficit: DecimalText


class DataQuality(TypedDict):
    """Gaps in the input data; lists are not de-duplicated."""

    price_missing: doc(list[str], "Instrument ids.")
    fx_missing: doc(list[str], "`FROM/TO` pairs.")
    shelf_missing: doc(list[str], "Model instruments without a shelf entry.")


class DiagnosticsData(TypedDict):
    """Warnings and per-stage detail."""

    warnings: doc(
        list[str],
        "Run-level warning codes in the order they were raised (not de-duplicated).",
    )
    suppressed_intents: list[SuppressedIntent]
    dropped_intents: list[DroppedIntent]
    group_constraint_events: list[GroupConstraintEvent]
    tax_budget_constraint_events: list[TaxBudgetConstraintEvent]
    cash_ladder: list[CashLadderPoint]
    cash_ladder_breaches: list[CashLadderBreach]
    missing_fx_pairs: doc(list[str], "Always `[]`.")
    funding_plan: doc(list[FundingPlanEntry], "Always `[]`.")
    insufficient_cash: doc(list[InsufficientCashEntry], "Always `[]`.")
    data_quality: DataQuality


# --- Reconciliation, TaxImpact, GateDecision, Lineage, explanation ------------------------


class Reconciliation(TypedDict):
    """Value-conservation check."""

    before_total_value: ResultMoney
    after_total_value: ResultMoney
    delta: doc(ResultMoney, "after - before.")
    tolerance: doc(ResultMoney, "0.5 + 0.0005 x before total.")
    status: ReconciliationStatus


class TaxImpact(TypedDict):
    """Realized gain/loss summary of tax-aware selling."""

    total_realized_gain: ResultMoney
    total_realized_loss: doc(ResultMoney, "A positive magnitude.")
    budget_limit: doc(ResultMoney | None, "`null` when no budget.")
    budget_used: doc(ResultMoney | None, "`null` when no budget.")


class GateReason(TypedDict):
    """Why a gate was chosen or flagged."""

    reason_code: doc(
        str,
        "`HARD_RULE_FAIL:<rule_id>`, `SOFT_RULE_FAIL:<rule_id>`, `DATA_QUALITY_MISSING_PRICE` "
        "or `DATA_QUALITY_MISSING_FX`.",
    )
    severity: GateReasonSeverity
    source: GateReasonSource
    details: doc(
        dict[str, str], '`{"reason_code": <rule reason>}` or `{"count": "<n>"}` (a string).'
    )


class GateDecisionSummary(TypedDict):
    """Counters behind the gate."""

    hard_fail_count: int
    soft_fail_count: int
    new_high_suitability_count: doc(int, "Always 0 in DPM.")
    new_medium_suitability_count: doc(int, "Always 0 in DPM.")


class GateDecision(TypedDict):
    """Workflow routing hint."""

    gate: Gate
    recommended_next_step: RecommendedNextStep
    reasons: list[GateReason]
    summary: GateDecisionSummary


class LineageData(TypedDict):
    """Provenance identifiers."""

    portfolio_snapshot_id: doc(str, "The request's `portfolio_id`.")
    market_data_snapshot_id: doc(str, 'Always `"md"`.')
    request_hash: doc(str, "`sha256:<hex>` (simulate) or `<batch_run_id>:<scenario>` (analyze).")
    idempotency_key: doc(str | None, "Always `null`.")
    engine_version: doc(str | None, "Always `null`.")


class TargetMethodComparison(TypedDict):
    """Both target methods run on the same universe (`compare_target_methods`)."""

    primary_method: doc(str, "`HEURISTIC` or `SOLVER` (`target_method`).")
    primary_status: doc(str, "Target-stage status of the primary method.")
    alternate_method: str
    alternate_status: doc(str, "Target-stage status of the other method.")
    tolerance: doc(DecimalText, "e.g. `0.0001`.")
    differing_instruments: list[str]
    alternate_warnings: list[str]


class Explanation(TypedDict):
    """Summary of the run, in one of two shapes.

    Runs blocked before sizing trades: ``{"summary": "Blocked"}`` and nothing else. All
    other runs: ``{"summary": <status>, "target_method_comparison": <object or null>}``.
    """

    summary: ExplanationSummary
    target_method_comparison: NotRequired[
        doc(
            TargetMethodComparison | None,
            "Absent on runs blocked before sizing trades; `null` unless "
            "`compare_target_methods` is true.",
        )
    ]


# --- RebalanceResult ----------------------------------------------------------------------


class RebalanceResult(TypedDict):
    """The result of one rebalance simulation.

    Returned by POST /rebalance/simulate, embedded per scenario in analyze results and
    as `result` in run lookups.
    """

    rebalance_run_id: doc(str, "`rr_` + 8 hex, e.g. `rr_c24203fb`.")
    correlation_id: doc(
        str, "The X-Correlation-Id of the request (simulate); `<prefix>:<scenario>` (analyze)."
    )
    status: RebalanceStatus
    before: doc(SimulatedState, "Valuation of the input portfolio.")
    universe: UniverseData
    target: TargetData
    intents: doc(list[TradeIntent], "Proposed orders in execution order: SELLs, then FX, then BUYs.")
    after_simulated: doc(SimulatedState, "Projected state after the intents.")
    reconciliation: doc(Reconciliation | None, "`null` unless the run reached reconciliation.")
    tax_impact: doc(
        TaxImpact | None,
        "`null` unless tax awareness is on and the run was not blocked before sizing trades.",
    )
    rule_results: list[RuleResult]
    explanation: Explanation
    diagnostics: DiagnosticsData
    gate_decision: doc(GateDecision | None, "`null` when `enable_workflow_gates` is false.")
    lineage: LineageData


# --- BatchRebalanceResult -----------------------------------------------------------------


class BaseSnapshotIds(TypedDict):
    """The snapshot ids the scenarios shared."""

    portfolio_snapshot_id: doc(str, "Snapshot id, else the portfolio id.")
    market_data_snapshot_id: doc(str, 'Snapshot id, else `"md"`.')


class BatchScenarioMetric(TypedDict):
    """Headline figures of one successful scenario."""

    status: RebalanceStatus
    security_intent_count: doc(int, "`SECURITY_TRADE` intents only.")
    gross_turnover_notional_base: doc(
        ResultMoney, "Sum of those intents' `notional_base` (`0` when none)."
    )


class BatchRebalanceResult(TypedDict):
    """The outcome of a what-if batch."""

    batch_run_id: doc(str, "`batch_` + 8 hex.")
    run_at_utc: doc(Timestamp, "ISO-8601 UTC with `+00:00`, taken after all scenarios ran.")
    base_snapshot_ids: BaseSnapshotIds
    results: doc(dict[str, RebalanceResult], "Successful scenarios by name, sorted.")
    comparison_metrics: doc(dict[str, BatchScenarioMetric], "Same keys as `results`.")
    failed_scenarios: doc(
        dict[str, str],
        "Scenario -> `INVALID_OPTIONS: <msg>` or `SCENARIO_EXECUTION_ERROR: <class>`.",
    )
    warnings: doc(list[str], '`["PARTIAL_BATCH_FAILURE"]` or `[]`.')
