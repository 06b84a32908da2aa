"""pydantic's validation errors as the contract's 422 issues.

An issue is pydantic's own error (``type``, ``loc``, ``msg``, ``input``, ``ctx``) with
three changes that the contract or the boundary's limits need:

* ``loc`` starts with where the value came from: ``"body"`` (or ``"header"``);
* ``ctx`` holds JSON values only: a custom check's exception becomes ``{}`` (the
  contract shows ``{"error": {}}``), an integral decimal bound becomes an int;
* ``input`` and ``loc`` are cut to a bounded size, and at most ``MAX_REPORTED_ISSUES``
  issues are listed, so the answer to a huge body stays small.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from rebalance.boundary import limits
from rebalance.engine.collector import collector_paused

TRUNCATION_MARK = "…"


def issues_from(exc: ValidationError, prefix: str = "body") -> list[dict[str, Any]]:
    """The contract's ordered issues of a failed validation, located under ``prefix``."""
    issues = []
    # pydantic hands over every error at once (millions for a huge body of bad values);
    # with the collector running, building them would rescan the growing heap again and
    # again. They hold no reference cycles: reference counting frees them.
    with collector_paused():
        errors = exc.errors(include_url=False)
    del errors[limits.MAX_REPORTED_ISSUES :]
    for error in errors:
        issue: dict[str, Any] = {
            "type": error["type"],
            "loc": [prefix, *(_bounded_loc_part(part) for part in error["loc"])],
            "msg": error["msg"],
            "input": bounded_input(error["input"]),
        }
        if "ctx" in error:
            issue["ctx"] = {key: _json_context(value) for key, value in error["ctx"].items()}
        issues.append(issue)
    return issues


def _json_context(value: Any) -> Any:
    if isinstance(value, Exception):
        return {}
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


def _bounded_loc_part(part: str | int) -> str | int:
    # A map key is part of the location; an oversized key must not be echoed whole.
    if isinstance(part, str) and len(part) > limits.MAX_ECHOED_INPUT_CHARS:
        return part[: limits.MAX_ECHOED_INPUT_CHARS] + TRUNCATION_MARK
    return part


def bounded_input(value: Any) -> Any:
    """``value`` itself when its JSON text fits ``MAX_ECHOED_INPUT_CHARS``; otherwise a
    string of that many leading characters followed by ``…`` (a string input: its own
    leading characters). Only the needed prefix is ever encoded."""
    budget = limits.MAX_ECHOED_INPUT_CHARS
    if isinstance(value, str):
        return value if len(value) <= budget else value[:budget] + TRUNCATION_MARK
    pieces: list[str] = []
    if _encode_within(value, pieces, [budget]):
        return value
    return "".join(pieces)[:budget] + TRUNCATION_MARK


# Deeper than this is reported as not fitting (and so cut): keeps the walk's recursion
# far from Python's limit whatever nesting the JSON parser accepted.
MAX_ECHO_DEPTH = 64


def _encode_within(value: Any, pieces: list[str], budget: list[int], depth: int = 0) -> bool:
    """Append the compact JSON text of ``value`` to ``pieces`` until ``budget[0]``
    characters are used up; False as soon as it does not fit."""
    if depth > MAX_ECHO_DEPTH:
        return False
    if isinstance(value, dict):
        items = value.items()
        opening, closing = "{", "}"
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
        opening, closing = "[", "]"
    else:
        return _emit(_scalar_text(value), pieces, budget)
    if not _emit(opening, pieces, budget):
        return False
    for index, (key, item) in enumerate(items):
        if index and not _emit(",", pieces, budget):
            return False
        if opening == "{" and not _emit(_scalar_text(str(key)) + ":", pieces, budget):
            return False
        if not _encode_within(item, pieces, budget, depth + 1):
            return False
    return _emit(closing, pieces, budget)


def _scalar_text(value: Any) -> str:
    if isinstance(value, str) and len(value) > limits.MAX_ECHOED_INPUT_CHARS:
        value = value[: limits.MAX_ECHOED_INPUT_CHARS + 1]  # enough to overflow the budget
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(str(value))
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 14_000:
        return "9" * (limits.MAX_ECHOED_INPUT_CHARS + 1)  # > 4,200 digits: surely too long
    return json.dumps(value, ensure_ascii=False, default=str)


def _emit(text: str, pieces: list[str], budget: list[int]) -> bool:
    pieces.append(text)
    budget[0] -= len(text)
    return budget[0] >= 0
