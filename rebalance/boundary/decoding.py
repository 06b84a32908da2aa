"""From raw request bytes to a validated request model, or the contract's 422 issues.

Shared by the HTTP views and the management commands, so that a malformed body gives
the same ``json_invalid`` / ``missing`` issue everywhere.

Bodies are parsed by the standard library and then validated as Python values (not with
pydantic's own JSON parser): a JSON number with a fraction must become a float first and
then a decimal through its shortest text (``100.00`` -> ``"100.0"``), which is what the
request hash of every stored run was computed from.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rebalance.boundary import limits
from rebalance.boundary.issues import issues_from

Model = TypeVar("Model", bound=BaseModel)


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
    """Parse a request body; JSON numbers stay Python floats/ints.

    Raises ``BodyDecodeError`` with ``{"type": "json_invalid", "loc": ["body", offset],
    ...}`` for malformed JSON, and at ``["body"]`` for the non-JSON literals NaN /
    Infinity, nesting too deep to parse, integers too long to convert and strings that
    are not Unicode text (an escaped unpaired surrogate).
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise BodyDecodeError(_json_invalid(["body", exc.pos], exc.msg)) from exc
    except _NonStandardToken as exc:
        raise BodyDecodeError(_json_invalid(["body"], str(exc))) from exc
    except RecursionError as exc:
        raise BodyDecodeError(_json_invalid(["body"], "JSON nested too deeply")) from exc
    except ValueError as exc:
        # Python refuses to turn more than 4,300 digits into an int (a CPU-exhaustion
        # guard); such a number is no valid input anywhere in the contract.
        raise BodyDecodeError(
            _json_invalid(["body"], f"integer longer than {sys.get_int_max_str_digits()} digits")
        ) from exc
    # Only a \u escape can produce an unpaired surrogate (the UTF-8 decoder rejects
    # encoded ones); such a string is not Unicode text and cannot be stored or sent.
    if "\\u" in text and _has_unpaired_surrogate(value):
        raise BodyDecodeError(_json_invalid(["body"], "string with an unpaired surrogate"))
    return value


def _has_unpaired_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def missing_body_issue() -> dict[str, Any]:
    """The issue for an empty body or a literal ``null``."""
    return {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}


def too_many_values_issue() -> dict[str, Any]:
    """The issue for a body with more than ``MAX_BODY_SEPARATORS`` commas."""
    return {
        "type": "too_long",
        "loc": ["body"],
        "msg": f"Body should have at most {limits.MAX_BODY_SEPARATORS} separators (commas)",
        "input": {},
        "ctx": {"field_type": "Body", "max_length": limits.MAX_BODY_SEPARATORS},
    }


def validate_request_body(raw: bytes, model: type[Model]) -> tuple[Model | None, list[dict[str, Any]]]:
    """Decode and validate a raw body: ``(request, [])`` when valid, else
    ``(None, issues)`` with the contract's ordered 422 issues."""
    if not raw.strip():
        return None, [missing_body_issue()]
    if raw.count(b",") > limits.MAX_BODY_SEPARATORS:  # one pass in C, before parsing
        return None, [too_many_values_issue()]
    try:
        body = decode_json_body(raw)
    except BodyDecodeError as exc:
        return None, [exc.issue]
    except UnicodeDecodeError:
        return None, [{"type": "json_invalid", "loc": ["body"], "msg": "Body is not UTF-8 text",
                       "input": None}]
    return validate_request(body, model)


def validate_request(body: Any, model: type[Model]) -> tuple[Model | None, list[dict[str, Any]]]:
    """Validate an already decoded body. ``from_attributes`` makes pydantic report a
    non-object where an object is expected as ``model_attributes_type``, as a request
    body validator does (a bare ``model_validate`` would say ``model_type``)."""
    if body is None:  # a literal ``null`` body
        return None, [missing_body_issue()]
    try:
        return model.model_validate(body, from_attributes=True), []
    except ValidationError as exc:
        return None, issues_from(exc)
