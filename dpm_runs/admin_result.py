"""What the run admin page shows of a stored result, read from its JSON text.

The stored ``response_body`` is the exact text the client received (a
``RebalanceResult``, api spec §4). Support staff should not have to read 30,000
characters of it to learn whether the run was blocked and what it would have
traded, so this module picks out the status, the gate, the rules, the intents,
the diagnostics and the asset-class allocations as plain rows for the template.

Every value here comes from a client's request (instrument ids, asset classes,
portfolio ids) or from the engine; nothing is marked safe, so the template
escapes all of it.

The reader is tolerant: a result of an older engine version, or one whose
optional parts are ``null``, still shows what it has instead of failing the
page. The raw JSON stays below for anything not shown here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# A result of several MB can list thousands of intents; the page lists the first
# ones and says how many more the raw JSON holds.
MAX_ROWS = 500

# Diagnostics shown as their own list (warnings) or never interesting alone.
_DIAGNOSTICS_SHOWN_ELSEWHERE = frozenset({"warnings", "data_quality"})


@dataclass(frozen=True)
class RuleRow:
    rule_id: str
    severity: str
    status: str
    measured: str
    limit: str
    reason_code: str
    hint: str


@dataclass(frozen=True)
class IntentRow:
    intent_id: str
    kind: str  # "Trade" or "FX"
    instrument: str
    side: str
    quantity: str
    notional: str
    currency: str
    depends_on: str


@dataclass(frozen=True)
class AllocationBar:
    """One asset class: its weight before and after (``None`` where absent)."""

    key: str
    before: Decimal | None
    after: Decimal | None


@dataclass(frozen=True)
class DiagnosticList:
    name: str
    count: int
    entries: list[str]


@dataclass(frozen=True)
class GateView:
    gate: str
    next_step: str
    reasons: list[str]


@dataclass(frozen=True)
class ResultDigest:
    status: str
    gate: GateView | None
    rules: list[RuleRow]
    intents: list[IntentRow]
    intent_count: int
    warnings: list[str]
    diagnostics: list[DiagnosticList]
    allocation: list[AllocationBar]
    reconciliation: str
    parse_error: str = ""

    @property
    def hidden_intents(self) -> int:
        return self.intent_count - len(self.intents)


def digest(response_body: str) -> ResultDigest:
    """The readable parts of a stored result text."""
    try:
        result = json.loads(response_body)
    except ValueError as exc:
        return _unreadable(f"The stored result is not valid JSON ({exc}).")
    if not isinstance(result, dict):
        return _unreadable("The stored result is not a JSON object.")
    intents = _list(result.get("intents"))
    rules = _list(result.get("rule_results"))
    return ResultDigest(
        status=_text(result.get("status")),
        gate=_gate(result.get("gate_decision")),
        rules=[_rule(r) for r in rules[:MAX_ROWS] if isinstance(r, dict)],
        intents=[_intent(i) for i in intents[:MAX_ROWS] if isinstance(i, dict)],
        intent_count=len(intents),
        warnings=[_text(w) for w in _list(_dict(result.get("diagnostics")).get("warnings"))],
        diagnostics=_diagnostics(_dict(result.get("diagnostics"))),
        allocation=_allocation(result.get("before"), result.get("after_simulated")),
        reconciliation=_text(_dict(result.get("reconciliation")).get("status")),
    )


def _unreadable(message: str) -> ResultDigest:
    return ResultDigest(
        status="", gate=None, rules=[], intents=[], intent_count=0, warnings=[],
        diagnostics=[], allocation=[], reconciliation="", parse_error=message,
    )


# --- parts -----------------------------------------------------------------------


def _gate(value: Any) -> GateView | None:
    # null when the request switched workflow gates off.
    if not isinstance(value, dict):
        return None
    reasons = []
    for reason in _list(value.get("reasons")):
        reason = _dict(reason)
        reasons.append(" ".join(p for p in (_text(reason.get("severity")), _text(reason.get("reason_code"))) if p))
    return GateView(
        gate=_text(value.get("gate")),
        next_step=_text(value.get("recommended_next_step")),
        reasons=reasons,
    )


def _rule(rule: dict) -> RuleRow:
    return RuleRow(
        rule_id=_text(rule.get("rule_id")),
        severity=_text(rule.get("severity")),
        status=_text(rule.get("status")),
        measured=_text(rule.get("measured")),
        limit=_limit(rule.get("threshold")),
        reason_code=_text(rule.get("reason_code")),
        hint=_text(rule.get("remediation_hint")),
    )


def _limit(threshold: Any) -> str:
    # {"min": "0.00", "max": "0.20"} -> "min 0.00, max 0.20"; a max of -1 means no limit set.
    parts = [f"{k} {_text(v)}" for k, v in _dict(threshold).items()]
    return ", ".join(parts)


def _intent(intent: dict) -> IntentRow:
    depends_on = ", ".join(_text(d) for d in _list(intent.get("dependencies")))
    if intent.get("intent_type") == "FX_SPOT":
        # An FX spot buys an amount of one currency and sells an estimated
        # amount of another: the row reads as "BUY USD, 9292 of it, for ≈12544 SGD".
        return IntentRow(
            intent_id=_text(intent.get("intent_id")),
            kind="FX",
            instrument=_text(intent.get("pair")),
            side=f"BUY {_text(intent.get('buy_currency'))}",
            quantity=_text(intent.get("buy_amount")),
            notional=f"≈ {_text(intent.get('sell_amount_estimated'))}",
            currency=_text(intent.get("sell_currency")),
            depends_on=depends_on,
        )
    notional = _dict(intent.get("notional"))
    return IntentRow(
        intent_id=_text(intent.get("intent_id")),
        kind="Trade",
        instrument=_text(intent.get("instrument_id")),
        side=_text(intent.get("side")),
        quantity=_text(intent.get("quantity")),
        notional=_text(notional.get("amount")),
        currency=_text(notional.get("currency")),
        depends_on=depends_on,
    )


def _diagnostics(diagnostics: dict) -> list[DiagnosticList]:
    """Non-empty diagnostic lists other than the warnings, each entry as one line."""
    found = []
    for name, value in diagnostics.items():
        if name in _DIAGNOSTICS_SHOWN_ELSEWHERE or not isinstance(value, list) or not value:
            continue
        found.append(DiagnosticList(name=name, count=len(value), entries=[_entry(v) for v in value[:20]]))
    for name, value in _dict(diagnostics.get("data_quality")).items():
        if isinstance(value, list) and value:
            found.append(
                DiagnosticList(name=f"data_quality.{name}", count=len(value), entries=[_entry(v) for v in value[:20]])
            )
    return found


def _entry(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_entry(v)}" for k, v in value.items())
    return _text(value)


def _allocation(before: Any, after: Any) -> list[AllocationBar]:
    before_weights = _weights(before)
    after_weights = _weights(after)
    # Asset classes in the order of the before state, then those only after.
    keys = list(before_weights) + [k for k in after_weights if k not in before_weights]
    return [AllocationBar(key=k, before=before_weights.get(k), after=after_weights.get(k)) for k in keys]


def _weights(state: Any) -> dict[str, Decimal]:
    weights: dict[str, Decimal] = {}
    for bucket in _list(_dict(state).get("allocation_by_asset_class")):
        bucket = _dict(bucket)
        try:
            weight = Decimal(_text(bucket.get("weight")))
        except InvalidOperation:
            continue
        if weight.is_finite():
            weights[_text(bucket.get("key"))] = weight
    return weights


# --- tolerant access ---------------------------------------------------------------


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
