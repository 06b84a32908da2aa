"""Request bodies of ``POST /rebalance/simulate`` and ``POST /rebalance/analyze``.

api.md §3.1–§3.13. Fields are declared in the contract's table order, which is the order
issues are reported in. Each object serializer builds its engine dataclass
(``rebalance.engine.models``); the two body serializers expose ``to_engine()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from rebalance import validation_issues as vi
from rebalance.engine.models import (
    CashBalance,
    EngineOptions,
    FxRate,
    MarketDataSnapshot,
    ModelPortfolio,
    ModelTarget,
    PortfolioSnapshot,
    Position,
    Price,
    RebalanceInputs,
    ShelfEntry,
    ShelfStatus,
    TaxLot,
)
from rebalance.serializers.fields import (
    MAX_ATTRIBUTES_PER_SHELF_ENTRY,
    MAX_CASH_BALANCES,
    MAX_FX_RATES,
    MAX_LOTS_PER_POSITION,
    MAX_MODEL_TARGETS,
    MAX_PORTFOLIO_ID_LENGTH,
    MAX_POSITIONS,
    MAX_PRICES,
    MAX_SHELF_ENTRIES,
    ContractSerializer,
    DecimalField,
    EnumField,
    IntegerField,
    JsonObjectField,
    LiteralField,
    MapField,
    ObjectListField,
    StringField,
)
from rebalance.serializers.options import EngineOptionsSerializer, MoneySerializer

LOTS_QUANTITY_TOLERANCE = Decimal("0.0001")
MAX_SCENARIOS = 20
SCENARIO_NAME = re.compile(r"[a-z0-9_-]{1,64}")


# --- Portfolio ----------------------------------------------------------------------------


class TaxLotSerializer(ContractSerializer):
    """A tax lot of a position (§3.6); ``quantity`` ≥ 0."""

    model = TaxLot
    model_name = "TaxLot"

    lot_id = StringField()
    quantity = DecimalField(ge=0)
    unit_cost = MoneySerializer()
    purchase_date = StringField()


class PositionSerializer(ContractSerializer):
    """A holding (§3.5); when lots are given, their quantities must add up to its quantity."""

    model = Position
    model_name = "Position"

    instrument_id = StringField()
    quantity = DecimalField()
    market_value = MoneySerializer(required=False, allow_null=True)
    lots = ObjectListField(TaxLotSerializer(), max_length=MAX_LOTS_PER_POSITION, required=False)

    def check(self, value: Position) -> None:
        if not value.lots:
            return
        # A fixed 28-digit half-even context, whatever other code set on this thread.
        with localcontext(prec=28, rounding=ROUND_HALF_EVEN):
            gap = abs(sum((lot.quantity for lot in value.lots), Decimal(0)) - value.quantity)
        if gap > LOTS_QUANTITY_TOLERANCE:
            raise vi.contract_error(
                vi.VALUE_ERROR, vi.value_error_message(vi.LOTS_QUANTITY_MISMATCH)
            )


class CashBalanceSerializer(ContractSerializer):
    """Cash held in one currency (§3.7)."""

    model = CashBalance
    model_name = "CashBalance"

    currency = StringField()
    amount = DecimalField()
    settled = DecimalField(required=False, allow_null=True)
    pending = DecimalField(required=False, allow_null=True)


class PortfolioSnapshotSerializer(ContractSerializer):
    """Holdings and cash before rebalancing (§3.4)."""

    model = PortfolioSnapshot
    model_name = "PortfolioSnapshot"

    snapshot_id = StringField(required=False, allow_null=True)
    portfolio_id = StringField(max_length=MAX_PORTFOLIO_ID_LENGTH)
    base_currency = StringField()
    positions = ObjectListField(PositionSerializer(), max_length=MAX_POSITIONS, required=False)
    cash_balances = ObjectListField(
        CashBalanceSerializer(), max_length=MAX_CASH_BALANCES, required=False
    )


# --- Market data, model, shelf ------------------------------------------------------------


class PriceSerializer(ContractSerializer):
    """Unit price of an instrument in its trading currency (§3.10)."""

    model = Price
    model_name = "Price"

    instrument_id = StringField()
    price = DecimalField()
    currency = StringField()


class FxRateSerializer(ContractSerializer):
    """FX quote: 1 FROM = ``rate`` TO for ``pair`` ``FROM/TO`` (§3.11)."""

    model = FxRate
    model_name = "FxRate"

    pair = StringField()
    rate = DecimalField()


class MarketDataSnapshotSerializer(ContractSerializer):
    """Prices and FX rates used for valuation and sizing (§3.9)."""

    model = MarketDataSnapshot
    model_name = "MarketDataSnapshot"

    snapshot_id = StringField(required=False, allow_null=True)
    prices = ObjectListField(PriceSerializer(), max_length=MAX_PRICES, required=False)
    fx_rates = ObjectListField(FxRateSerializer(), max_length=MAX_FX_RATES, required=False)


class ModelTargetSerializer(ContractSerializer):
    """One model instrument and its target weight (§3.12)."""

    model = ModelTarget
    model_name = "ModelTarget"

    instrument_id = StringField()
    weight = DecimalField()


class ModelPortfolioSerializer(ContractSerializer):
    """The target weights to rebalance toward (§3.12)."""

    model = ModelPortfolio
    model_name = "ModelPortfolio"

    targets = ObjectListField(ModelTargetSerializer(), max_length=MAX_MODEL_TARGETS)


class ShelfEntrySerializer(ContractSerializer):
    """Product-shelf status and metadata of one instrument (§3.13)."""

    model = ShelfEntry
    model_name = "ShelfEntry"

    instrument_id = StringField()
    # The contract reports shelf statuses as literal_error (not enum), §3.18.
    status = EnumField(ShelfStatus, issue_type=vi.LITERAL_ERROR)
    asset_class = StringField(required=False)
    issuer_id = StringField(required=False, allow_null=True)
    liquidity_tier = LiteralField(("L1", "L2", "L3", "L4", "L5"), required=False, allow_null=True)
    settlement_days = IntegerField(ge=0, le=10, required=False)
    min_notional = MoneySerializer(required=False, allow_null=True)
    attributes = MapField(StringField(), max_length=MAX_ATTRIBUTES_PER_SHELF_ENTRY, required=False)


# --- Request bodies -----------------------------------------------------------------------


class _SharedSnapshotsSerializer(ContractSerializer):
    """The four members simulate and analyze share; the body's validated data is a dict."""

    null_body_is_missing = True

    portfolio_snapshot = PortfolioSnapshotSerializer()
    market_data_snapshot = MarketDataSnapshotSerializer()
    model_portfolio = ModelPortfolioSerializer()
    shelf_entries = ObjectListField(ShelfEntrySerializer(), max_length=MAX_SHELF_ENTRIES)

    def engine_inputs(self) -> RebalanceInputs:
        """The shared snapshots as the engine's ``RebalanceInputs`` (after ``is_valid()``)."""
        data = self._valid_data()
        return RebalanceInputs(
            portfolio=data["portfolio_snapshot"],
            market_data=data["market_data_snapshot"],
            model=data["model_portfolio"],
            shelf=data["shelf_entries"],
        )

    def _valid_data(self) -> dict[str, Any]:
        if not self.is_valid():
            raise AssertionError("to_engine() needs a valid request; check is_valid() first")
        return self.validated_data


class RebalanceRequestSerializer(_SharedSnapshotsSerializer):
    """Body of ``POST /rebalance/simulate`` (§3.1); all five members are required."""

    model_name = "RebalanceRequest"

    options = EngineOptionsSerializer()

    def to_engine(self) -> tuple[RebalanceInputs, EngineOptions]:
        """The validated request as engine inputs and options (call ``is_valid()`` first)."""
        return self.engine_inputs(), self._valid_data()["options"]


@dataclass(frozen=True, slots=True)
class SimulationScenario:
    """One analyze scenario (§3.3): ``options`` stays raw until the batch validates it."""

    description: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


class SimulationScenarioSerializer(ContractSerializer):
    """One named what-if case of an analyze request (§3.3)."""

    model = SimulationScenario
    model_name = "SimulationScenario"

    description = StringField(required=False, allow_null=True)
    # Validated per scenario as EngineOptions (a bad scenario fails alone, not the batch).
    options = JsonObjectField(required=False, documented_as=EngineOptionsSerializer)


def check_scenarios(entries: dict[str, SimulationScenario]) -> None:
    """1..20 scenarios, each name fully matching ``[a-z0-9_-]{1,64}`` (§2.4)."""
    if not entries:
        raise vi.contract_error(vi.VALUE_ERROR, vi.value_error_message(vi.SCENARIOS_EMPTY))
    if len(entries) > MAX_SCENARIOS:
        raise vi.contract_error(vi.VALUE_ERROR, vi.value_error_message(vi.SCENARIOS_TOO_MANY))
    for name in entries:
        if not SCENARIO_NAME.fullmatch(name):
            raise vi.contract_error(vi.VALUE_ERROR, vi.value_error_message(vi.SCENARIO_NAME_FORMAT))


class BatchRebalanceRequestSerializer(_SharedSnapshotsSerializer):
    """Body of ``POST /rebalance/analyze`` (§3.2).

    Scenario *options* are only checked to be objects here; their contents are validated
    per scenario with ``validate_engine_options`` while the batch runs.
    """

    model_name = "BatchRebalanceRequest"

    scenarios = MapField(SimulationScenarioSerializer(), entries_check=check_scenarios)

    def to_engine(self) -> tuple[RebalanceInputs, dict[str, dict[str, Any]]]:
        """Engine inputs and each scenario's raw options, in request order.

        The batch sorts the names itself (engine.md §17); descriptions are dropped.
        """
        scenarios: dict[str, SimulationScenario] = self._valid_data()["scenarios"]
        return self.engine_inputs(), {name: s.options for name, s in scenarios.items()}
