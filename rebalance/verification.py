"""Determinism check of a recorded run: re-simulate its stored request, compare bytes.

The stored canonical request is validated again and simulated with the run's
own id, correlation id and request hash, so a deterministic engine reproduces
the stored result text byte for byte. Nothing is recorded: the engine is pure
and this module never writes a run.

Used by POST /rebalance/runs/{id}/verify and the admin (both through the
``DPM_RUN_VERIFIER`` setting, since dpm_runs does not import this app) and by
``manage.py verify_runs``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dpm_runs.rendering import format_timestamp
from dpm_runs.repository import RecordedRun, RunRepository
from rebalance.engine import render_result, simulate
from rebalance.engine.version import ENGINE_VERSION
from rebalance.boundary import RebalanceRequest, validate_request
from rebalance.services import to_json_text

MATCH = "MATCH"
DRIFT = "DRIFT"
# A tampered or corrupted result can differ everywhere; the first ones suffice.
MAX_DIFFERENCES = 100


@dataclass(frozen=True, slots=True)
class Verification:
    rebalance_run_id: str
    outcome: str
    differences: list[dict[str, Any]] = field(default_factory=list)
    engine_version: str = ENGINE_VERSION
    verified_at: datetime = field(default_factory=timezone.now)

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer of POST /rebalance/runs/{id}/verify."""
        return {
            "rebalance_run_id": self.rebalance_run_id,
            "outcome": self.outcome,
            "differences": self.differences,
            "engine_version": self.engine_version,
            "verified_at": format_timestamp(self.verified_at),
        }


def verify_run(rebalance_run_id: str) -> Verification | None:
    """Re-simulate the run and compare; None when no run has this id."""
    run = RunRepository().get_recorded_run(rebalance_run_id)
    if run is None:
        return None
    recomputed = _recompute(run)
    if isinstance(recomputed, list):  # the stored request no longer validates
        return Verification(run.rebalance_run_id, DRIFT, [
            {"path": "/request", "stored": recomputed, "recomputed": None}
        ])
    if recomputed == run.response_body:
        return Verification(run.rebalance_run_id, MATCH)
    return Verification(run.rebalance_run_id, DRIFT, differences(run.response_body, recomputed))


def _recompute(run: RecordedRun) -> str | list[dict[str, Any]]:
    """The result text the engine produces now for the run, or the request's validation issues."""
    validated, issues = validate_request(run.request, RebalanceRequest)
    if issues:
        return issues
    inputs, options = validated.to_engine()
    result = simulate(
        inputs, options,
        request_hash=run.request_hash, correlation_id=run.correlation_id, run_id=run.rebalance_run_id,
    )
    return to_json_text(render_result(result))


def _parse(text: str) -> Any:
    # Numbers are kept as their text: "1.50" and "1.5" are a difference in bytes.
    return json.loads(text, parse_float=_Number, parse_int=_Number)


class _Number(str):
    """A JSON number's spelling, told apart from a JSON string of the same text."""


def _plain(value: Any) -> Any:
    if isinstance(value, _Number):
        text = str(value)
        return int(text) if text.lstrip("-").isdigit() else Decimal(text)
    return value


def _json_value(value: Any) -> Any:
    """A difference's value as it can be sent back (numbers as JSON numbers or their text)."""
    if isinstance(value, _Number):
        plain = _plain(value)
        return plain if isinstance(plain, int) else str(value)
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    return value


def differences(stored_text: str, recomputed_text: str) -> list[dict[str, Any]]:
    """Where two result texts differ, as JSON Pointer paths (at most MAX_DIFFERENCES).

    Texts whose values are equal but whose bytes are not (key order, spacing)
    give one difference at the root.
    """
    try:
        stored = _parse(stored_text)
    except ValueError:
        return [{"path": "", "stored": stored_text[:200], "recomputed": "<valid JSON>"}]
    found: list[dict[str, Any]] = []
    _walk(stored, _parse(recomputed_text), "", found)
    if not found:
        found.append({"path": "", "stored": "<same values, different bytes>", "recomputed": None})
    return found[:MAX_DIFFERENCES]


def _walk(stored: Any, recomputed: Any, path: str, found: list[dict[str, Any]]) -> None:
    if len(found) >= MAX_DIFFERENCES:
        return
    if isinstance(stored, dict) and isinstance(recomputed, dict):
        for key in list(stored) + [k for k in recomputed if k not in stored]:
            child = f"{path}/{_escape(key)}"
            if key not in stored or key not in recomputed:
                found.append({"path": child, "stored": _json_value(stored.get(key)),
                              "recomputed": _json_value(recomputed.get(key))})
            else:
                _walk(stored[key], recomputed[key], child, found)
        return
    if isinstance(stored, list) and isinstance(recomputed, list):
        for index in range(max(len(stored), len(recomputed))):
            child = f"{path}/{index}"
            if index >= len(stored) or index >= len(recomputed):
                found.append({"path": child,
                              "stored": _json_value(stored[index]) if index < len(stored) else None,
                              "recomputed": _json_value(recomputed[index]) if index < len(recomputed) else None})
            else:
                _walk(stored[index], recomputed[index], child, found)
        return
    if type(stored) is not type(recomputed) or stored != recomputed:
        found.append({"path": path, "stored": _json_value(stored), "recomputed": _json_value(recomputed)})


def _escape(key: str) -> str:
    """A JSON Pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")
