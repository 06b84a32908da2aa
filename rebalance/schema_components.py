"""OpenAPI components of the response bodies (api spec §4, §1.9): documentation only.

The views send JSON text built by the engine's renderer (``rebalance/engine/render.py``)
and by ``lotus_manage/problems.py``; nothing here ever serializes a response. These DRF
serializers exist so that drf-spectacular can describe every response object field by
field. Rules they follow:

* Every key is always present (spec §1.6), so every field is required; only the
  contract's ``T | null`` fields are nullable. The one optional key is
  ``explanation.target_method_comparison`` (absent on early-blocked runs, §4.14).
* Decimals are strings (§1.4): ``type: string, format: decimal`` with the pattern of
  Python's ``str(Decimal)`` (``"25000.000"``, ``"0E+1"``, ``"-1000"``).
* Fields the contract types as ``enum`` reference a named enum component
  (``RebalanceStatusEnum``, ``RuleStatusEnum``, …); fields it types as ``string`` (reason
  codes, warnings, ids) stay strings, documented in their descriptions.
* Maps with free-form keys are ``DictField(child=…)`` (typed values). Objects the
  contract calls maps but whose keys are fixed (``data_quality``, ``base_snapshot_ids``,
  a rule's ``threshold``) are serializers, so the keys are documented too.
* Component names are the contract's object names, except ``ResultMoney`` and
  ``ResultCashBalance``: ``Money`` and ``CashBalance`` are the request components.

The exported names the other apps use are listed in ``__all__``.
"""

from __future__ import annotations

from collections.abc import Sequence

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

__all__ = [
    "BatchRebalanceResultSerializer",
    "DECIMAL_PATTERN",
    "DpmRunIdempotencyLookupResponseSerializer",
    "DpmRunLookupResponseSerializer",
    "ProblemSerializer",
    "RebalanceResultSerializer",
    "ValidationProblemSerializer",
]

#: ``str(Decimal)`` of a finite decimal: optional minus, digits, optional fraction,
#: optional exponent (``"0.6000"``, ``"0E+1"``, ``"1E+20"``, ``"-0.0"``).
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?(E[+-][0-9]+)?$"


# --- Scalar fields ------------------------------------------------------------------------


@extend_schema_field({"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN})
class DecimalStringField(serializers.CharField):
    """A response decimal: a JSON string, never a number (spec §1.4)."""


def _enum(name: str, values: Sequence[str], description: str) -> type[serializers.ChoiceField]:
    """A ChoiceField documented as the named enum component ``name``."""

    class NamedEnumField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=list(values), **kwargs)

    NamedEnumField.__name__ = NamedEnumField.__qualname__ = f"{name}Field"
    return extend_schema_field(
        {"type": "string", "enum": list(values), "description": description},
        component_name=name,
    )(NamedEnumField)


RebalanceStatusField = _enum(
    "RebalanceStatusEnum",
    ["READY", "PENDING_REVIEW", "BLOCKED"],
    "Outcome of a run (spec §4.1). A domain outcome, never an HTTP error.",
)
SideField = _enum("TradeSideEnum", ["BUY", "SELL"], "Direction of a security trade.")
RuleSeverityField = _enum(
    "RuleSeverityEnum", ["HARD", "SOFT", "INFO"],
    "`HARD` fails block the run, `SOFT` fails ask for review; `INFO` is never emitted by DPM.",
)
RuleStatusField = _enum("RuleStatusEnum", ["PASS", "FAIL"], "Outcome of one rule evaluation.")
ReconciliationStatusField = _enum(
    "ReconciliationStatusEnum", ["OK", "MISMATCH"],
    "`OK` when |after - before| <= tolerance; `MISMATCH` blocks the run.",
)
GroupConstraintEventStatusField = _enum(
    "GroupConstraintEventStatusEnum", ["CAPPED", "BLOCKED"],
    "`BLOCKED`: the group cap had no recipient and the run is blocked.",
)
GateField = _enum(
    "GateEnum",
    [
        "BLOCKED",
        "RISK_REVIEW_REQUIRED",
        "COMPLIANCE_REVIEW_REQUIRED",
        "CLIENT_CONSENT_REQUIRED",
        "EXECUTION_READY",
        "NONE",
    ],
    "Workflow gate. DPM produces only `BLOCKED`, `RISK_REVIEW_REQUIRED`, "
    "`CLIENT_CONSENT_REQUIRED` and `EXECUTION_READY`.",
)
RecommendedNextStepField = _enum(
    "RecommendedNextStepEnum",
    ["FIX_INPUT", "RISK_REVIEW", "COMPLIANCE_REVIEW", "REQUEST_CLIENT_CONSENT", "EXECUTE", "NONE"],
    "Next step paired with the gate.",
)
GateReasonSeverityField = _enum(
    "GateReasonSeverityEnum", ["HIGH", "MEDIUM", "LOW"],
    "`HIGH` for hard rules and data quality, `MEDIUM` for soft rules; `LOW` is unused.",
)
GateReasonSourceField = _enum(
    "GateReasonSourceEnum", ["RULE_ENGINE", "DATA_QUALITY", "SUITABILITY"],
    "Origin of a gate reason; `SUITABILITY` is advisory-only and never produced by DPM.",
)
ExplanationSummaryField = _enum(
    "ExplanationSummaryEnum", ["READY", "PENDING_REVIEW", "BLOCKED", "Blocked"],
    "The run status, except `Blocked` (mixed case) on early-blocked runs (spec §4.14).",
)
SecurityTradeIntentTypeField = _enum(
    "SecurityTradeIntentTypeEnum", ["SECURITY_TRADE"], "Discriminator of a security trade intent."
)
FxSpotIntentTypeField = _enum(
    "FxSpotIntentTypeEnum", ["FX_SPOT"], "Discriminator of an FX spot intent."
)


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
class LocItemField(serializers.Field):
    """One step of a validation issue's ``loc``: an object key or a 0-based array index."""


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class BoundField(serializers.Field):
    """A range bound in ``ctx``: an integer (all our bounds are) or decimal text."""


@extend_schema_field(
    {"oneOf": [
        {"type": "string"},
        {"type": "object", "properties": {}, "additionalProperties": False},
    ]}
)
class ContextErrorField(serializers.Field):
    """``ctx.error``: ``{}`` for ``value_error``, the parser message for ``json_invalid``."""


@extend_schema_field({})
class AnyJsonField(serializers.JSONField):
    """Any JSON value, ``null`` included (the offending input of a validation issue)."""


@extend_schema_field({"type": "object", "properties": {}, "additionalProperties": False})
class EmptyObjectField(serializers.JSONField):
    """A JSON object that is always ``{}``."""


# --- Shared small objects -----------------------------------------------------------------


class ResultMoneySerializer(serializers.Serializer):
    """An amount with its currency, as it appears in responses (spec §3.8)."""

    amount = DecimalStringField(help_text="Decimal string, not rounded to minor units.")
    currency = serializers.CharField(help_text="Currency code, e.g. `SGD`.")


class ResultCashBalanceSerializer(serializers.Serializer):
    """Cash in one currency, as it appears in a simulated state (spec §3.7, §4.2)."""

    currency = serializers.CharField()
    amount = DecimalStringField(help_text="Spendable cash (moved by simulated trades and FX).")
    settled = DecimalStringField(
        allow_null=True, help_text="Settled cash as sent; `null` when not sent."
    )
    pending = DecimalStringField(
        allow_null=True, help_text="Informational, carried through unchanged; `null` when not sent."
    )


# --- SimulatedState (§4.2-§4.4) -----------------------------------------------------------


class PositionSummarySerializer(serializers.Serializer):
    """One position of a simulated state (spec §4.3)."""

    instrument_id = serializers.CharField()
    quantity = DecimalStringField(help_text="Units held.")
    instrument_currency = serializers.CharField(
        help_text="Currency of the price row; the base currency when there is no price."
    )
    asset_class = serializers.CharField(help_text="From the shelf entry; `UNKNOWN` when none.")
    price = ResultMoneySerializer(
        allow_null=True, help_text="Price row used; `null` when unpriced."
    )
    value_in_instrument_ccy = ResultMoneySerializer(help_text="quantity x price.")
    value_in_base_ccy = ResultMoneySerializer(help_text="Value converted to the base currency.")
    weight = DecimalStringField(help_text="Share of `total_value`, exactly 4 decimals.")


class AllocationMetricSerializer(serializers.Serializer):
    """One allocation bucket (spec §4.4)."""

    key = serializers.CharField(help_text="Asset class, instrument id, attribute value or `CASH`.")
    weight = DecimalStringField(help_text="Bucket value / total value, exactly 4 decimals.")
    value = ResultMoneySerializer(help_text="Bucket value in base currency.")


class SimulatedStateSerializer(serializers.Serializer):
    """A valuation of the portfolio, before or after the proposed trades (spec §4.2)."""

    total_value = ResultMoneySerializer(help_text="Portfolio value in base currency.")
    cash_balances = serializers.ListField(child=ResultCashBalanceSerializer())
    positions = serializers.ListField(child=PositionSummarySerializer())
    allocation_by_asset_class = serializers.ListField(
        child=AllocationMetricSerializer(), help_text="One bucket per asset class plus `CASH`."
    )
    allocation_by_instrument = serializers.ListField(child=AllocationMetricSerializer())
    allocation = serializers.ListField(
        child=AllocationMetricSerializer(), help_text="Legacy copy of `allocation_by_instrument`."
    )
    allocation_by_attribute = serializers.DictField(
        child=serializers.ListField(child=AllocationMetricSerializer()),
        help_text="Shelf attribute key -> one bucket per attribute value.",
    )


# --- UniverseData, TargetData (§4.5, §4.6) ------------------------------------------------


class ExcludedInstrumentSerializer(serializers.Serializer):
    """An excluded model target or a frozen holding."""

    instrument_id = serializers.CharField()
    reason_code = serializers.CharField(
        help_text="`SHELF_STATUS_<status>` (model targets) or `LOCKED_DUE_TO_<cause>` "
        "(frozen holdings), spec §5.2."
    )
    details = serializers.CharField(allow_null=True, help_text="Always `null`.")


class UniverseCoverageSerializer(serializers.Serializer):
    """Placeholder coverage figures: `"1"` normally, `"0"` on early-blocked runs."""

    price_coverage_pct = DecimalStringField()
    fx_coverage_pct = DecimalStringField()


class UniverseDataSerializer(serializers.Serializer):
    """Which instruments may be bought or sold (spec §4.5)."""

    universe_id = serializers.CharField(help_text="`u_` + run id.")
    eligible_for_buy = serializers.ListField(child=serializers.CharField())
    eligible_for_sell = serializers.ListField(child=serializers.CharField())
    excluded = serializers.ListField(child=ExcludedInstrumentSerializer())
    coverage = UniverseCoverageSerializer()


class TargetInstrumentSerializer(serializers.Serializer):
    """One target weight after the target-stage constraints (spec §4.6)."""

    instrument_id = serializers.CharField()
    model_weight = DecimalStringField(
        help_text="Weight from the model; `0.0` for non-model entries."
    )
    final_weight = DecimalStringField(help_text="Weight after all target-stage constraints.")
    final_value = ResultMoneySerializer(help_text="Before-state total x `final_weight`.")
    tags = serializers.ListField(child=serializers.CharField(), help_text="Trace tags, spec §5.3.")


class TargetDataSerializer(serializers.Serializer):
    """Target weights (spec §4.6)."""

    target_id = serializers.CharField(help_text="`t_` + run id.")
    strategy = EmptyObjectField(help_text="Always `{}`.")
    targets = serializers.ListField(child=TargetInstrumentSerializer())


# --- Intents (§4.7) -----------------------------------------------------------------------


class IntentRationaleSerializer(serializers.Serializer):
    """Why an intent exists: `DRIFT_REBALANCE`/`Align`, `FUNDING`/`Fund` or `SWEEP`/`Sweep`."""

    code = serializers.CharField()
    message = serializers.CharField()


class SecurityTradeIntentSerializer(serializers.Serializer):
    """A proposed security order."""

    intent_type = SecurityTradeIntentTypeField()
    intent_id = serializers.CharField(help_text="`oi_<n>`.")
    instrument_id = serializers.CharField()
    side = SideField()
    quantity = DecimalStringField(allow_null=True, help_text="Units to trade (never null in DPM).")
    notional = ResultMoneySerializer(allow_null=True, help_text="quantity x price, price currency.")
    notional_base = ResultMoneySerializer(allow_null=True, help_text="`notional` in base currency.")
    dependencies = serializers.ListField(
        child=serializers.CharField(), help_text="Intent ids that must execute first."
    )
    rationale = IntentRationaleSerializer(allow_null=True)
    constraints_applied = serializers.ListField(
        child=serializers.CharField(), help_text="`MIN_NOTIONAL`, `TAX_BUDGET`."
    )


class FxSpotIntentSerializer(serializers.Serializer):
    """A proposed FX spot trade that funds purchases or sweeps foreign cash to base."""

    intent_type = FxSpotIntentTypeField()
    intent_id = serializers.CharField(help_text="`oi_fx_<n>`.")
    pair = serializers.CharField(help_text="`<foreign currency>/<base currency>`.")
    buy_currency = serializers.CharField()
    buy_amount = DecimalStringField()
    sell_currency = serializers.CharField()
    sell_amount_estimated = DecimalStringField(help_text="Amount given up at the snapshot rate.")
    dependencies = serializers.ListField(child=serializers.CharField(), help_text="Always `[]`.")
    rationale = IntentRationaleSerializer(allow_null=True)


TRADE_INTENT = PolymorphicProxySerializer(
    component_name="TradeIntent",
    serializers={
        "SECURITY_TRADE": SecurityTradeIntentSerializer,
        "FX_SPOT": FxSpotIntentSerializer,
    },
    resource_type_field_name="intent_type",
    many=False,
)


@extend_schema_field(TRADE_INTENT)
class TradeIntentField(serializers.JSONField):
    """One intent: a security trade or an FX spot trade, told apart by ``intent_type``."""


# --- Rules (§4.8) -------------------------------------------------------------------------


class RuleThresholdSerializer(serializers.Serializer):
    """The limits a rule applied: `min` and/or `max`."""

    min = DecimalStringField(required=False)
    max = DecimalStringField(required=False)


class RuleResultSerializer(serializers.Serializer):
    """One rule evaluation (spec §4.8)."""

    rule_id = serializers.CharField(
        help_text="`CASH_BAND`, `SINGLE_POSITION_MAX`, `DATA_QUALITY`, `MIN_TRADE_SIZE`, "
        "`NO_SHORTING`, `INSUFFICIENT_CASH`, `RECONCILIATION` or `SETTLEMENT_CASH_LADDER`."
    )
    severity = RuleSeverityField()
    status = RuleStatusField()
    measured = DecimalStringField(help_text="Observed value, unquantized.")
    threshold = RuleThresholdSerializer()
    reason_code = serializers.CharField()
    remediation_hint = serializers.CharField(allow_null=True, help_text="Set on failures only.")


# --- Diagnostics (§4.9) -------------------------------------------------------------------


class SuppressedIntentSerializer(serializers.Serializer):
    """A trade dropped as below the minimum notional."""

    instrument_id = serializers.CharField()
    reason = serializers.CharField(help_text="Always `BELOW_MIN_NOTIONAL`.")
    intended_notional = ResultMoneySerializer()
    threshold = ResultMoneySerializer()


class DroppedIntentSerializer(serializers.Serializer):
    """A trade dropped by the turnover cap."""

    instrument_id = serializers.CharField()
    reason = serializers.CharField(help_text="Always `TURNOVER_LIMIT`.")
    potential_notional = ResultMoneySerializer()
    score = DecimalStringField(help_text="|base notional| / before-state total.")


class GroupConstraintEventSerializer(serializers.Serializer):
    """A group cap applied by the heuristic target method."""

    constraint_key = serializers.CharField(help_text="e.g. `sector:TECH`.")
    group_weight_before = DecimalStringField()
    max_weight = DecimalStringField()
    released_weight = DecimalStringField()
    recipients = serializers.DictField(
        child=DecimalStringField(), help_text="Instrument id -> weight added; `{}` when blocked."
    )
    status = GroupConstraintEventStatusField()


class TaxBudgetConstraintEventSerializer(serializers.Serializer):
    """A SELL cut by tax-aware selling."""

    instrument_id = serializers.CharField()
    requested_quantity = DecimalStringField()
    allowed_quantity = DecimalStringField()
    reason_code = serializers.CharField(help_text="Always `TAX_BUDGET_LIMIT_REACHED`.")


class CashLadderPointSerializer(serializers.Serializer):
    """Projected cash of one currency at the end of one settlement day."""

    date_offset = serializers.IntegerField(help_text="Days from T+0.")
    currency = serializers.CharField()
    projected_balance = DecimalStringField()


class CashLadderBreachSerializer(serializers.Serializer):
    """A ladder point below its floor."""

    date_offset = serializers.IntegerField()
    currency = serializers.CharField()
    projected_balance = DecimalStringField()
    allowed_floor = DecimalStringField(help_text="Minus the overdraft allowance (`0` when none).")
    reason_code = serializers.CharField(help_text="`OVERDRAFT_ON_T_PLUS_<d>`.")


class FundingPlanEntrySerializer(serializers.Serializer):
    """Advisory-only; never produced by DPM."""

    target_currency = serializers.CharField()
    required = DecimalStringField()
    available_before_fx = DecimalStringField()
    fx_needed = DecimalStringField()
    fx_pair = serializers.CharField()
    funding_currency = serializers.CharField(allow_null=True)


class InsufficientCashEntrySerializer(serializers.Serializer):
    """Advisory-only; never produced by DPM."""

    currency = serializers.CharField()
    deficit = DecimalStringField()


class DataQualitySerializer(serializers.Serializer):
    """Gaps in the input data; lists are not de-duplicated (spec §4.9)."""

    price_missing = serializers.ListField(
        child=serializers.CharField(), help_text="Instrument ids."
    )
    fx_missing = serializers.ListField(child=serializers.CharField(), help_text="`FROM/TO` pairs.")
    shelf_missing = serializers.ListField(
        child=serializers.CharField(), help_text="Model instruments without a shelf entry."
    )


class DiagnosticsDataSerializer(serializers.Serializer):
    """Warnings and per-stage detail (spec §4.9)."""

    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="Run-level codes in emission order (spec §5.1)."
    )
    suppressed_intents = serializers.ListField(child=SuppressedIntentSerializer())
    dropped_intents = serializers.ListField(child=DroppedIntentSerializer())
    group_constraint_events = serializers.ListField(child=GroupConstraintEventSerializer())
    tax_budget_constraint_events = serializers.ListField(child=TaxBudgetConstraintEventSerializer())
    cash_ladder = serializers.ListField(child=CashLadderPointSerializer())
    cash_ladder_breaches = serializers.ListField(child=CashLadderBreachSerializer())
    missing_fx_pairs = serializers.ListField(
        child=serializers.CharField(), help_text="Always `[]`."
    )
    funding_plan = serializers.ListField(
        child=FundingPlanEntrySerializer(), help_text="Always `[]`."
    )
    insufficient_cash = serializers.ListField(
        child=InsufficientCashEntrySerializer(), help_text="Always `[]`."
    )
    data_quality = DataQualitySerializer()


# --- Reconciliation, TaxImpact, GateDecision, Lineage, explanation (§4.10-§4.14) ----------


class ReconciliationSerializer(serializers.Serializer):
    """Value-conservation check (spec §4.10)."""

    before_total_value = ResultMoneySerializer()
    after_total_value = ResultMoneySerializer()
    delta = ResultMoneySerializer(help_text="after - before.")
    tolerance = ResultMoneySerializer(help_text="0.5 + 0.0005 x before total.")
    status = ReconciliationStatusField()


class TaxImpactSerializer(serializers.Serializer):
    """Realized gain/loss summary of tax-aware selling (spec §4.11)."""

    total_realized_gain = ResultMoneySerializer()
    total_realized_loss = ResultMoneySerializer(help_text="A positive magnitude.")
    budget_limit = ResultMoneySerializer(allow_null=True, help_text="`null` when no budget.")
    budget_used = ResultMoneySerializer(allow_null=True, help_text="`null` when no budget.")


class GateReasonSerializer(serializers.Serializer):
    """Why a gate was chosen or flagged."""

    reason_code = serializers.CharField(
        help_text="`HARD_RULE_FAIL:<rule_id>`, `SOFT_RULE_FAIL:<rule_id>`, "
        "`DATA_QUALITY_MISSING_PRICE` or `DATA_QUALITY_MISSING_FX`."
    )
    severity = GateReasonSeverityField()
    source = GateReasonSourceField()
    details = serializers.DictField(
        child=serializers.CharField(),
        help_text='`{"reason_code": <rule reason>}` or `{"count": "<n>"}` (a string).',
    )


class GateDecisionSummarySerializer(serializers.Serializer):
    """Counters behind the gate."""

    hard_fail_count = serializers.IntegerField()
    soft_fail_count = serializers.IntegerField()
    new_high_suitability_count = serializers.IntegerField(help_text="Always 0 in DPM.")
    new_medium_suitability_count = serializers.IntegerField(help_text="Always 0 in DPM.")


class GateDecisionSerializer(serializers.Serializer):
    """Workflow routing hint (spec §4.12)."""

    gate = GateField()
    recommended_next_step = RecommendedNextStepField()
    reasons = serializers.ListField(child=GateReasonSerializer())
    summary = GateDecisionSummarySerializer()


class LineageDataSerializer(serializers.Serializer):
    """Provenance identifiers (spec §4.13)."""

    portfolio_snapshot_id = serializers.CharField(help_text="The request's `portfolio_id`.")
    market_data_snapshot_id = serializers.CharField(help_text='Always `"md"`.')
    request_hash = serializers.CharField(
        help_text="`sha256:<hex>` (simulate) or `<batch_run_id>:<scenario>` (analyze)."
    )
    idempotency_key = serializers.CharField(allow_null=True, help_text="Always `null`.")
    engine_version = serializers.CharField(allow_null=True, help_text="Always `null`.")


class TargetMethodComparisonSerializer(serializers.Serializer):
    """Both target methods run on the same universe (`compare_target_methods`, spec §4.14)."""

    primary_method = serializers.CharField(help_text="`HEURISTIC` or `SOLVER` (`target_method`).")
    primary_status = serializers.CharField(help_text="Target-stage status of the primary method.")
    alternate_method = serializers.CharField()
    alternate_status = serializers.CharField(help_text="Target-stage status of the other method.")
    tolerance = DecimalStringField(help_text="e.g. `0.0001`.")
    differing_instruments = serializers.ListField(child=serializers.CharField())
    alternate_warnings = serializers.ListField(child=serializers.CharField())


class ExplanationSerializer(serializers.Serializer):
    """Summary of the run, in one of two shapes (spec §4.14).

    Early-blocked runs: ``{"summary": "Blocked"}`` and nothing else. All other runs:
    ``{"summary": <status>, "target_method_comparison": <object or null>}``.
    """

    summary = ExplanationSummaryField()
    target_method_comparison = TargetMethodComparisonSerializer(
        required=False,
        allow_null=True,
        help_text="Absent on early-blocked runs; `null` unless `compare_target_methods` is true.",
    )


# --- RebalanceResult (§4.1) ---------------------------------------------------------------


class RebalanceResultSerializer(serializers.Serializer):
    """The result of one rebalance simulation (spec §4.1).

    Returned by POST /rebalance/simulate, embedded per scenario in analyze results and
    as `result` in run lookups.
    """

    rebalance_run_id = serializers.CharField(help_text="`rr_` + 8 hex, e.g. `rr_c24203fb`.")
    correlation_id = serializers.CharField(
        help_text="The X-Correlation-Id of the request (simulate); `<prefix>:<scenario>` (analyze)."
    )
    status = RebalanceStatusField()
    before = SimulatedStateSerializer(help_text="Valuation of the input portfolio.")
    universe = UniverseDataSerializer()
    target = TargetDataSerializer()
    intents = serializers.ListField(
        child=TradeIntentField(),
        help_text="Proposed orders in execution order: SELLs, then FX, then BUYs.",
    )
    after_simulated = SimulatedStateSerializer(help_text="Projected state after the intents.")
    reconciliation = ReconciliationSerializer(
        allow_null=True, help_text="`null` unless the run reached reconciliation."
    )
    tax_impact = TaxImpactSerializer(
        allow_null=True,
        help_text="`null` unless tax awareness is on and the run was not early-blocked.",
    )
    rule_results = serializers.ListField(child=RuleResultSerializer())
    explanation = ExplanationSerializer()
    diagnostics = DiagnosticsDataSerializer()
    gate_decision = GateDecisionSerializer(
        allow_null=True, help_text="`null` when `enable_workflow_gates` is false."
    )
    lineage = LineageDataSerializer()


# --- BatchRebalanceResult (§4.15) ---------------------------------------------------------


class BaseSnapshotIdsSerializer(serializers.Serializer):
    """The snapshot ids the scenarios shared."""

    portfolio_snapshot_id = serializers.CharField(help_text="Snapshot id, else the portfolio id.")
    market_data_snapshot_id = serializers.CharField(help_text='Snapshot id, else `"md"`.')


class BatchScenarioMetricSerializer(serializers.Serializer):
    """Headline figures of one successful scenario."""

    status = RebalanceStatusField()
    security_intent_count = serializers.IntegerField(help_text="`SECURITY_TRADE` intents only.")
    gross_turnover_notional_base = ResultMoneySerializer(
        help_text="Sum of those intents' `notional_base` (`0` when none)."
    )


class BatchRebalanceResultSerializer(serializers.Serializer):
    """The outcome of a what-if batch (spec §4.15)."""

    batch_run_id = serializers.CharField(help_text="`batch_` + 8 hex.")
    run_at_utc = serializers.DateTimeField(
        help_text="ISO-8601 UTC with `+00:00`, taken after all scenarios ran."
    )
    base_snapshot_ids = BaseSnapshotIdsSerializer()
    results = serializers.DictField(
        child=RebalanceResultSerializer(), help_text="Successful scenarios by name, sorted."
    )
    comparison_metrics = serializers.DictField(
        child=BatchScenarioMetricSerializer(), help_text="Same keys as `results`."
    )
    failed_scenarios = serializers.DictField(
        child=serializers.CharField(),
        help_text="Scenario -> `INVALID_OPTIONS: <msg>` or `SCENARIO_EXECUTION_ERROR: <class>`.",
    )
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text='`["PARTIAL_BATCH_FAILURE"]` or `[]`.'
    )


# --- Run lookups (§4.16) ------------------------------------------------------------------


class DpmRunLookupResponseSerializer(serializers.Serializer):
    """A recorded run with its full result."""

    rebalance_run_id = serializers.CharField(help_text="Run id, e.g. `rr_c24203fb`.")
    correlation_id = serializers.CharField(help_text="Correlation id stored with the run.")
    request_hash = serializers.CharField(
        help_text="`sha256:` + 64 hex (simulate) or `<batch_run_id>:<scenario>` (analyze)."
    )
    idempotency_key = serializers.CharField(
        allow_null=True, help_text="Idempotency-Key of a simulate run; null for analyze runs."
    )
    portfolio_id = serializers.CharField(help_text="From the request's portfolio snapshot.")
    created_at = serializers.DateTimeField(
        help_text="When the run was recorded: ISO-8601 UTC with `+00:00`, microseconds "
        "when non-zero, e.g. `2026-02-20T12:00:00.123456+00:00`."
    )
    result = RebalanceResultSerializer(
        help_text="The RebalanceResult exactly as the caller of POST /rebalance/simulate "
        "(or the analyze scenario) received it."
    )


class DpmRunIdempotencyLookupResponseSerializer(serializers.Serializer):
    """The Idempotency-Key -> run mapping of a simulate call."""

    idempotency_key = serializers.CharField(help_text="The key.")
    request_hash = serializers.CharField(
        help_text="Hash of the execution that last wrote the mapping."
    )
    rebalance_run_id = serializers.CharField(help_text="Run produced by that execution.")
    created_at = serializers.DateTimeField(
        help_text="When the mapping was written; equals the run record's `created_at`."
    )


# --- Errors: problem details (lotus_manage/problems.py) -----------------------------------


_CORRELATION_ID_HELP = (
    "The request's correlation id (also in the X-Correlation-Id header); `null` only for "
    "errors raised before the id was assigned (e.g. a disallowed Host)."
)


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details; `detail` is a stable code or message."""

    type = serializers.CharField(help_text='Always `"about:blank"`.')
    title = serializers.CharField(help_text="HTTP reason phrase of `status`.")
    status = serializers.IntegerField(help_text="HTTP status code.")
    detail = serializers.CharField(
        help_text="`IDEMPOTENCY_KEY_CONFLICT: request hash mismatch`, "
        "`IDEMPOTENCY_KEY_IN_PROGRESS`, `DPM_RUN_NOT_FOUND`, `DPM_IDEMPOTENCY_KEY_NOT_FOUND`, "
        "`DPM_SUPPORT_APIS_DISABLED`, `DATABASE_UNAVAILABLE`, `MIGRATIONS_PENDING`, "
        "`Not Found`, `Method Not Allowed`, `Request body exceeds the configured size limit.` "
        "or `An unexpected error occurred.`"
    )
    instance = serializers.CharField(help_text="Path of the request.")
    correlation_id = serializers.CharField(allow_null=True, help_text=_CORRELATION_ID_HELP)


class ValidationIssueContextSerializer(serializers.Serializer):
    """Extra facts of some issue types (spec §1.9); every key is optional."""

    error = ContextErrorField(
        required=False, help_text="`{}` for `value_error`; the parser message for `json_invalid`."
    )
    expected = serializers.CharField(
        required=False,
        help_text="`literal_error`/`enum`: the allowed values, e.g. `'A', 'B' or 'C'`.",
    )
    ge = BoundField(required=False, help_text="`greater_than_equal`: the lower bound.")
    le = BoundField(required=False, help_text="`less_than_equal`: the upper bound.")
    field_type = serializers.CharField(
        required=False, help_text="`too_long`: `List` or `Dictionary`."
    )
    max_length = serializers.IntegerField(
        required=False, help_text="`too_long`: the maximum length."
    )


class ValidationIssueSerializer(serializers.Serializer):
    """One validation failure (spec §1.9)."""

    type = serializers.CharField(
        help_text="Machine code: `missing`, `value_error`, `literal_error`, `enum`, `string_type`, "
        "`decimal_parsing`, `json_invalid`, …"
    )
    loc = serializers.ListField(
        child=LocItemField(),
        help_text='Path to the problem: `"header"` or `"body"`, then keys and array indexes.',
    )
    msg = serializers.CharField(help_text="Human-readable message.")
    input = AnyJsonField(
        required=False,
        allow_null=True,
        help_text="The offending input (any JSON value; `null` for a missing header; the "
        "enclosing object for a missing body field).",
    )
    ctx = ValidationIssueContextSerializer(required=False)


class ValidationProblemSerializer(serializers.Serializer):
    """Problem details of a 422: `detail` lists every issue, header issues first."""

    type = serializers.CharField(help_text='Always `"about:blank"`.')
    title = serializers.CharField(help_text="HTTP reason phrase of `status`.")
    status = serializers.IntegerField(help_text="Always 422.")
    detail = serializers.ListField(child=ValidationIssueSerializer())
    instance = serializers.CharField(help_text="Path of the request.")
    correlation_id = serializers.CharField(allow_null=True, help_text=_CORRELATION_ID_HELP)
