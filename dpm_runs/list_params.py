"""Query parameters of GET /rebalance/runs, checked before anything is read.

Every problem is a validation issue in the contract's shape (``type``, ``loc``,
``msg``, ``input``), answered 422 together: an unknown parameter (a misspelt
filter must not silently list everything), a repeated one, a limit outside
1-200, a date that is not ISO 8601 with an offset, an unknown status, or a
NUL character (PostgreSQL text cannot hold one).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .listing import RunListFilters
from .models import RunStatus

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
TEXT_FILTERS = ("portfolio_id", "correlation_id", "idempotency_key", "request_hash", "batch_run_id")
DATE_FILTERS = ("created_from", "created_to")
KNOWN = frozenset((*TEXT_FILTERS, *DATE_FILTERS, "status", "limit", "cursor"))
# The text filters' documented pattern: anything but NUL.
NO_NUL_PATTERN = "^[^\\x00]*$"


@dataclass(frozen=True, slots=True)
class ListParams:
    filters: RunListFilters
    limit: int
    cursor: str | None


def _issue(kind: str, name: str, msg: str, value: Any, ctx: dict | None = None) -> dict[str, Any]:
    issue = {"type": kind, "loc": ["query", name], "msg": msg, "input": value}
    if ctx is not None:
        issue["ctx"] = ctx
    return issue


def _limit(raw: str, issues: list[dict]) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        issues.append(_issue("int_parsing", "limit",
                             "Input should be a valid integer, unable to parse string as an integer", raw))
        return DEFAULT_LIMIT
    if value < 1:
        issues.append(_issue("greater_than_equal", "limit", "Input should be greater than or equal to 1",
                             raw, {"ge": 1}))
    elif value > MAX_LIMIT:
        issues.append(_issue("less_than_equal", "limit", f"Input should be less than or equal to {MAX_LIMIT}",
                             raw, {"le": MAX_LIMIT}))
    return value


def _date(name: str, raw: str, issues: list[dict]) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        issues.append(_issue("datetime_parsing", name, "Input should be a valid datetime", raw))
        return None
    if value.tzinfo is None:
        # A time without an offset is ambiguous; the contract asks for one.
        issues.append(_issue("timezone_aware", name, "Input should have timezone info", raw))
        return None
    try:
        # In UTC: PostgreSQL refuses offsets beyond 15:59 that ISO 8601 allows.
        return value.astimezone(UTC)
    except OverflowError:
        issues.append(_issue("datetime_parsing", name, "Input should be a valid datetime, year out of range",
                             raw))
        return None


def parse_list_params(query) -> tuple[ListParams | None, list[dict[str, Any]]]:
    """``(params, [])`` for a valid query (a Django QueryDict), else ``(None, issues)``."""
    issues: list[dict[str, Any]] = []
    values: dict[str, str] = {}
    for name in query:
        raw = query.getlist(name)
        if name not in KNOWN:
            issues.append(_issue("extra_forbidden", name, "Extra inputs are not permitted", raw[-1]))
        elif len(raw) > 1:
            issues.append(_issue("value_error", name, "Value error, give this parameter once", raw))
        elif "\x00" in raw[0]:
            issues.append(_issue("value_error", name, "Value error, must not contain NUL characters", raw[0]))
        else:
            values[name] = raw[0]
    limit = _limit(values["limit"], issues) if "limit" in values else DEFAULT_LIMIT
    dates = {name: _date(name, values[name], issues) for name in DATE_FILTERS if name in values}
    status = values.get("status")
    if status is not None and status not in RunStatus.values:
        expected = "'READY', 'PENDING_REVIEW' or 'BLOCKED'"
        issues.append(_issue("enum", "status", f"Input should be {expected}", status, {"expected": expected}))
    if issues:
        return None, issues
    filters = RunListFilters(
        status=status,
        **{name: values.get(name) for name in TEXT_FILTERS},
        **dates,
    )
    return ListParams(filters, limit, values.get("cursor")), []
