"""Workflow gate decision (spec §15)."""

from __future__ import annotations

from .models import EngineOptions
from .results import BLOCKED, Diagnostics, GateDecision, GateReason, RuleResult

_SEVERITY_ORDER = {"HIGH": 0, "MEDIUM": 1, "LOW": 2}


def decide_gate(
    status: str, rules: list[RuleResult], diag: Diagnostics, options: EngineOptions
) -> GateDecision:
    """Route the run: BLOCKED / FIX_INPUT, RISK_REVIEW_REQUIRED, CLIENT_CONSENT_REQUIRED or
    EXECUTION_READY, with the failing rules and data-quality gaps as reasons."""
    reasons: list[GateReason] = []
    hard = soft = 0
    for rule in rules:
        if not rule.failed:
            continue
        if rule.severity == "HARD":
            hard += 1
            reasons.append(GateReason(f"HARD_RULE_FAIL:{rule.rule_id}", "HIGH", "RULE_ENGINE",
                                      {"reason_code": rule.reason_code}))
        else:
            soft += 1
            reasons.append(GateReason(f"SOFT_RULE_FAIL:{rule.rule_id}", "MEDIUM", "RULE_ENGINE",
                                      {"reason_code": rule.reason_code}))
    if diag.price_missing:
        reasons.append(GateReason("DATA_QUALITY_MISSING_PRICE", "HIGH", "DATA_QUALITY",
                                  {"count": str(len(diag.price_missing))}))
    if diag.fx_missing:
        reasons.append(GateReason("DATA_QUALITY_MISSING_FX", "HIGH", "DATA_QUALITY",
                                  {"count": str(len(diag.fx_missing))}))
    reasons.sort(key=lambda r: (_SEVERITY_ORDER[r.severity], r.source, r.reason_code,
                                r.details.get("reason_code", "")))

    if status == BLOCKED or hard:
        gate, step = "BLOCKED", "FIX_INPUT"
    elif soft:
        gate, step = "RISK_REVIEW_REQUIRED", "RISK_REVIEW"
    elif options.client_consent_already_obtained:
        gate, step = "EXECUTION_READY", "EXECUTE"
    elif options.workflow_requires_client_consent:
        gate, step = "CLIENT_CONSENT_REQUIRED", "REQUEST_CLIENT_CONSENT"
    else:
        gate, step = "EXECUTION_READY", "EXECUTE"
    return GateDecision(gate, step, reasons, hard, soft)
