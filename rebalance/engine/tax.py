"""Tax-aware selling: HIFO lot order and the realised-gains budget (spec §7)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .lookups import FxTable
from .models import Money, Position
from .results import Diagnostics, TaxImpact

ZERO = Decimal("0")
SNAP_TOLERANCE = Decimal("0.0000000001")


@dataclass(slots=True)
class TaxLedger:
    """Run-level gain / loss / budget accumulators shared by every SELL of a run."""

    limit: Decimal | None
    gain_total: Decimal = ZERO
    loss_total: Decimal = ZERO
    budget_used: Decimal = ZERO

    def limit_sell(
        self,
        position: Position | None,
        requested: Decimal,
        sell_price: Decimal,
        price_ccy: str,
        base_rate: Decimal,
        fx: FxTable,
        diag: Diagnostics,
    ) -> Decimal:
        """Return how many units of ``requested`` may be sold, consuming lots in HIFO order.

        Positions without lots (or not held) are sold in full with no gain accounting; a
        lot-cost currency without rate disables the accounting for this instrument. The
        sale never exceeds the lots' total quantity.
        """
        if position is None or not position.lots:
            return requested
        costed = []
        for lot in position.lots:
            cost_ccy = lot.unit_cost.currency
            if cost_ccy == price_ccy:
                cost = lot.unit_cost.amount
            else:
                rate = fx.rate(cost_ccy, price_ccy)
                if rate is None:
                    diag.fx_missing.append(f"{cost_ccy}/{price_ccy}")
                    return requested
                cost = lot.unit_cost.amount * rate
            costed.append((cost, lot))
        # Highest cost first; ties by purchase_date then lot_id, all descending (text
        # comparison); sorted() is stable so complete ties keep input order.
        costed.sort(key=lambda item: (item[0], item[1].purchase_date, item[1].lot_id), reverse=True)

        remaining = requested
        allowed = ZERO
        for cost, lot in costed:
            if remaining <= 0:
                break
            if lot.quantity <= 0:
                continue
            take = min(remaining, lot.quantity)
            gain_per_unit = (sell_price - cost) * base_rate
            ok = take
            if self.limit is not None and gain_per_unit > 0:
                if self.budget_used < self.limit:
                    ok = min(take, (self.limit - self.budget_used) / gain_per_unit)
                else:
                    ok = ZERO
            if ok <= 0:
                break
            realized = gain_per_unit * ok
            if realized >= 0:
                self.gain_total = self.gain_total + realized
                self.budget_used = self.budget_used + realized
            else:
                self.loss_total = self.loss_total + abs(realized)
            allowed = allowed + ok
            remaining = remaining - ok
            if ok < take:
                break
        return allowed

    def impact(self, base: str) -> TaxImpact:
        """Summary for the result; ``budget_used`` snaps to the limit within 1e-10."""
        if self.limit is None:
            return TaxImpact(Money(self.gain_total, base), Money(self.loss_total, base), None, None)
        used = self.limit if abs(self.limit - self.budget_used) <= SNAP_TOLERANCE else self.budget_used
        return TaxImpact(
            Money(self.gain_total, base),
            Money(self.loss_total, base),
            Money(self.limit, base),
            Money(min(used, self.limit), base),
        )
