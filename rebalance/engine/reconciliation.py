"""Value-conservation check between before and after totals (spec §13)."""

from __future__ import annotations

from decimal import Decimal

from .models import Money
from .results import Reconciliation, RuleResult

HALF = Decimal("0.5")
RELATIVE_TOLERANCE = Decimal("0.0005")


def reconcile(tv: Decimal, after_total: Decimal, base: str) -> tuple[Reconciliation, RuleResult | None]:
    """Compare totals within ``0.5 + tv * 0.0005``; on mismatch also return the failing
    RECONCILIATION rule."""
    diff = abs(after_total - tv)
    tolerance = HALF + tv * RELATIVE_TOLERANCE
    ok = diff <= tolerance
    reconciliation = Reconciliation(
        before_total_value=Money(tv, base),
        after_total_value=Money(after_total, base),
        delta=Money(after_total - tv, base),
        tolerance=Money(tolerance, base),
        status="OK" if ok else "MISMATCH",
    )
    if ok:
        return reconciliation, None
    return reconciliation, RuleResult(
        rule_id="RECONCILIATION",
        severity="HARD",
        status="FAIL",
        measured=diff,
        threshold={"max": tolerance},
        reason_code="VALUE_MISMATCH",
        remediation_hint="Check pricing/FX or engine logic.",
    )
