"""``EngineOptions`` and its nested objects (api.md §3.14–§3.17, engine.md §0.5).

All 40 options are declared in the contract's declaration order (§3.18 "Order of
issues"), because that order decides which issue an analyze scenario reports. The
advisory-only options (§3.15) and the nested ``suitability_thresholds`` (§3.16) are
validated exactly like the DPM ones even though the engine never reads them: they are
part of the request hash and an invalid value must fail the request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rebalance import validation_issues as vi
from rebalance.engine.errors import InvalidOptions
from rebalance.engine.models import (
    EngineOptions,
    GroupConstraint,
    Money,
    SuitabilityThresholds,
    TargetMethod,
    ValuationMode,
)
from rebalance.serializers.fields import (
    MAX_GROUP_CONSTRAINTS,
    MAX_OVERDRAFT_CURRENCIES,
    STRICT_MODELS,
    BooleanField,
    ContractSerializer,
    DecimalField,
    EnumField,
    IntegerField,
    LiteralField,
    MapField,
    StringField,
    unit_interval_check,
)

LIQUIDITY_TIERS = ("L1", "L2", "L3", "L4", "L5")


class MoneySerializer(ContractSerializer):
    """``Money`` (§3.8); shared by positions, lots, shelf entries and options."""

    model = Money
    model_name = "Money"

    amount = DecimalField()
    currency = StringField()


class GroupConstraintSerializer(ContractSerializer):
    """``GroupConstraint`` (§3.17): ``max_weight`` within [0, 1] (a ``value_error``)."""

    model = GroupConstraint
    model_name = "GroupConstraint"

    max_weight = DecimalField(check=unit_interval_check(vi.GROUP_MAX_WEIGHT_RANGE))


def check_liquidity_tiers(entries: dict[str, Decimal]) -> None:
    """Per entry in insertion order: the key test, then the range test (§3.16)."""
    for tier, weight in entries.items():
        if tier not in LIQUIDITY_TIERS:
            raise vi.contract_error(vi.VALUE_ERROR, vi.value_error_message(vi.LIQUIDITY_TIER_KEY))
        if not Decimal(0) <= weight <= Decimal(1):
            raise vi.contract_error(vi.VALUE_ERROR, vi.value_error_message(vi.LIQUIDITY_TIER_RANGE))


class SuitabilityThresholdsSerializer(ContractSerializer):
    """``SuitabilityThresholds`` (§3.16): advisory-only, but always built and validated.

    A supplied ``max_weight_by_liquidity_tier`` replaces the default map entirely. The
    min ≤ max cash-band check runs last, only when all six fields passed.
    """

    model = SuitabilityThresholds
    model_name = "SuitabilityThresholds"

    single_position_max_weight = DecimalField(ge=0, le=1, required=False)
    issuer_max_weight = DecimalField(ge=0, le=1, required=False)
    # No size cap needed beyond the key check: values are parsed first (pydantic order),
    # and the body size itself is bounded by Django's DATA_UPLOAD_MAX_MEMORY_SIZE.
    max_weight_by_liquidity_tier = MapField(
        DecimalField(), entries_check=check_liquidity_tiers, required=False
    )
    cash_band_min_weight = DecimalField(ge=0, le=1, required=False)
    cash_band_max_weight = DecimalField(ge=0, le=1, required=False)
    data_quality_issue_severity = LiteralField(("LOW", "MEDIUM", "HIGH"), required=False)

    def check(self, value: SuitabilityThresholds) -> None:
        if value.cash_band_min_weight > value.cash_band_max_weight:
            raise vi.contract_error(
                vi.VALUE_ERROR, vi.value_error_message(vi.SUITABILITY_CASH_BAND)
            )


def check_overdraft_entries(entries: dict[str, Decimal]) -> None:
    """Per entry in insertion order: the empty-key test, then the sign test (§3.14)."""
    for currency, limit in entries.items():
        if currency == "":
            raise vi.contract_error(vi.VALUE_ERROR, vi.value_error_message(vi.OVERDRAFT_EMPTY_KEY))
        if limit < 0:
            raise vi.contract_error(vi.VALUE_ERROR, vi.value_error_message(vi.OVERDRAFT_NEGATIVE))


def check_group_constraint_keys(entries: dict[str, GroupConstraint]) -> None:
    """Keys are ``<attribute_key>:<attribute_value>``: exactly one ``:``, both sides set."""
    for key in entries:
        attribute, separator, value = key.partition(":")
        if not separator or not attribute or not value or ":" in value:
            raise vi.contract_error(vi.VALUE_ERROR, vi.value_error_message(vi.GROUP_KEY_FORMAT))


class EngineOptionsSerializer(ContractSerializer):
    """Engine switches of one simulation (§3.14, §3.15); ``{}`` means all defaults.

    The simulate ``options`` object and each analyze scenario's. Every field is optional:
    an absent key takes the ``EngineOptions`` dataclass default.
    """

    model = EngineOptions
    model_name = "EngineOptions"

    valuation_mode = EnumField(ValuationMode, required=False)
    target_method = EnumField(TargetMethod, required=False)
    compare_target_methods = BooleanField(required=False)
    compare_target_methods_tolerance = DecimalField(required=False)
    cash_band_min_weight = DecimalField(required=False)
    cash_band_max_weight = DecimalField(required=False)
    single_position_max_weight = DecimalField(required=False, allow_null=True)
    min_trade_notional = MoneySerializer(required=False, allow_null=True)
    allow_restricted = BooleanField(required=False)
    suppress_dust_trades = BooleanField(required=False)
    dust_trade_threshold = MoneySerializer(required=False, allow_null=True)
    fx_buffer_pct = DecimalField(required=False)
    block_on_missing_prices = BooleanField(required=False)
    block_on_missing_fx = BooleanField(required=False)
    min_cash_buffer_pct = DecimalField(required=False)
    max_turnover_pct = DecimalField(
        check=unit_interval_check(vi.MAX_TURNOVER_RANGE), required=False, allow_null=True
    )
    enable_tax_awareness = BooleanField(required=False)
    max_realized_capital_gains = DecimalField(ge=0, required=False, allow_null=True)
    enable_settlement_awareness = BooleanField(required=False)
    enable_proposal_simulation = BooleanField(required=False)
    enable_workflow_gates = BooleanField(required=False)
    workflow_requires_client_consent = BooleanField(required=False)
    client_consent_already_obtained = BooleanField(required=False)
    proposal_apply_cash_flows_first = BooleanField(required=False)
    proposal_block_negative_cash = BooleanField(required=False)
    link_buy_to_same_currency_sell_dependency = BooleanField(required=False, allow_null=True)
    enable_drift_analytics = BooleanField(required=False)
    enable_suitability_scanner = BooleanField(required=False)
    suitability_thresholds = SuitabilityThresholdsSerializer(required=False)
    enable_instrument_drift = BooleanField(required=False)
    drift_top_contributors_limit = IntegerField(ge=1, le=20, required=False)
    drift_unmodeled_exposure_threshold = DecimalField(ge=0, le=1, required=False)
    auto_funding = BooleanField(required=False)
    funding_mode = LiteralField(("AUTO_FX",), required=False)
    fx_funding_source_currency = LiteralField(("BASE_ONLY", "ANY_CASH"), required=False)
    fx_generation_policy = LiteralField(("ONE_FX_PER_CCY",), required=False)
    settlement_horizon_days = IntegerField(ge=0, le=10, required=False)
    fx_settlement_days = IntegerField(ge=0, le=10, required=False)
    max_overdraft_by_ccy = MapField(
        DecimalField(),
        max_length=MAX_OVERDRAFT_CURRENCIES,
        entries_check=check_overdraft_entries,
        required=False,
    )
    group_constraints = MapField(
        GroupConstraintSerializer(),
        max_length=MAX_GROUP_CONSTRAINTS,
        entries_check=check_group_constraint_keys,
        required=False,
    )


def validate_engine_options(raw: Any) -> EngineOptions:
    """Validate one analyze scenario's raw ``options`` as ``EngineOptions``.

    Validates as pydantic's ``EngineOptions.model_validate`` would (a non-object where an
    object is expected is ``model_type``, "… or instance of <Model>").

    Raises ``InvalidOptions`` whose ``message`` is the first issue's ``msg``; the batch
    reports ``"INVALID_OPTIONS: " + message`` (engine.md §17).
    """
    serializer = EngineOptionsSerializer(data=raw, context={STRICT_MODELS: True})
    if not serializer.is_valid():
        raise InvalidOptions(vi.first_issue_message(serializer.errors))
    return serializer.validated_data
