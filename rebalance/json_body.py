"""Decoding and validating request bodies the way the contract reports them (api §1.1).

Shared by the HTTP views and the management commands so that a malformed body gives the
same ``json_invalid`` / ``missing`` issue everywhere.
"""

from __future__ import annotations

import json
from typing import Any

from rebalance import validation_issues as vi
from rebalance.validation_issues import flatten_errors


class BodyDecodeError(ValueError):
    """A body that is not a JSON value; ``issue`` is the contract's 422 issue."""

    def __init__(self, issue: dict[str, Any]):
        super().__init__(issue["msg"])
        self.issue = issue


class _NonStandardToken(ValueError):
    pass


def _reject_constant(token: str):
    # Python's json module accepts NaN / Infinity / -Infinity; RFC 8259 JSON does not.
    raise _NonStandardToken(f"{token} is not valid JSON")


def _json_invalid(loc: list, error: str) -> dict[str, Any]:
    return {"type": "json_invalid", "loc": loc, "msg": "JSON decode error", "input": {},
            "ctx": {"error": error}}


def decode_json_body(raw: bytes | str) -> Any:
    """Parse a request body; JSON numbers stay Python floats/ints, as DRF parses them.

    Raises ``BodyDecodeError`` with ``{"type": "json_invalid", "loc": ["body", offset],
    ...}`` for malformed JSON, for the non-JSON literals NaN / Infinity, and for nesting
    too deep to parse.
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise BodyDecodeError(_json_invalid(["body", exc.pos], exc.msg)) from exc
    except _NonStandardToken as exc:
        raise BodyDecodeError(_json_invalid(["body"], str(exc))) from exc
    except RecursionError as exc:
        raise BodyDecodeError(_json_invalid(["body"], "JSON nested too deeply")) from exc


def missing_body_issue() -> dict[str, Any]:
    """The issue for an empty body or a literal ``null``."""
    return {"type": vi.MISSING, "loc": ["body"], "msg": vi.MSG_MISSING, "input": None}


def validate_request_body(raw: bytes, serializer_class) -> tuple[Any, list[dict[str, Any]]]:
    """Decode and validate a raw body: ``(serializer, [])`` when valid, else
    ``(None, issues)`` with the contract's ordered 422 issues."""
    if not raw.strip():
        return None, [missing_body_issue()]
    try:
        body = decode_json_body(raw)
    except BodyDecodeError as exc:
        return None, [exc.issue]
    except UnicodeDecodeError:
        return None, [{"type": "json_invalid", "loc": ["body"], "msg": "Body is not UTF-8 text",
                       "input": None}]
    if body is None:
        return None, [missing_body_issue()]
    serializer = serializer_class(data=body)
    if not serializer.is_valid():
        return None, flatten_errors(serializer.errors, body=body)
    return serializer, []
