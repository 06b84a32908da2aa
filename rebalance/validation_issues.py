"""The contract's validation vocabulary on top of DRF errors.

Two halves:

* The message catalogue (api.md §1.9, §3.18): the pydantic ``type`` codes and the exact
  ``msg`` texts our serializers raise, plus :func:`contract_error` to raise them. Every
  error carries the pydantic ``type`` as its DRF ``ErrorDetail.code``.
* Flattening (:func:`flatten_errors`): a DRF ``serializer.errors`` tree becomes the
  ordered list of ``ValidationIssue`` objects of a 422 body (``type``, ``loc``, ``msg``,
  ``input`` when the raw body is given, ``ctx`` where §1.9 has one).

Error-tree grammar produced by ``rebalance.serializers`` (and read back here):

* a list of ``ErrorDetail`` = issues located at the current path;
* a dict = children; ``str`` keys are field names or map keys (verbatim), ``int`` keys are
  list indexes. Object-level errors are raised as plain lists, never under DRF's
  ``non_field_errors`` key, so a map key can never be mistaken for one.

DRF ``ErrorDetail`` keeps only a message and a code, so the ``ctx`` object is rebuilt from
the message; that is reliable because every templated message is defined in this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rest_framework.exceptions import ErrorDetail, ValidationError

# --- Issue types (pydantic names) ---------------------------------------------------------

MISSING = "missing"
VALUE_ERROR = "value_error"
LITERAL_ERROR = "literal_error"
ENUM = "enum"
STRING_TYPE = "string_type"
DECIMAL_TYPE = "decimal_type"
DECIMAL_PARSING = "decimal_parsing"
FINITE_NUMBER = "finite_number"
INT_TYPE = "int_type"
INT_PARSING = "int_parsing"
INT_FROM_FLOAT = "int_from_float"
BOOL_TYPE = "bool_type"
BOOL_PARSING = "bool_parsing"
DICT_TYPE = "dict_type"
LIST_TYPE = "list_type"
MODEL_TYPE = "model_type"
MODEL_ATTRIBUTES_TYPE = "model_attributes_type"
GREATER_THAN_EQUAL = "greater_than_equal"
LESS_THAN_EQUAL = "less_than_equal"
# Our hardening (not in the reference): bounded collections and decimal exponents.
TOO_LONG = "too_long"
STRING_TOO_LONG = "string_too_long"
DECIMAL_OUT_OF_RANGE = "decimal_out_of_range"

# --- Fixed messages -----------------------------------------------------------------------

MSG_MISSING = "Field required"
MSG_STRING_TYPE = "Input should be a valid string"
MSG_DECIMAL_TYPE = "Decimal input should be an integer, float, string or Decimal object"
MSG_DECIMAL_PARSING = "Input should be a valid decimal"
MSG_FINITE_NUMBER = "Input should be a finite number"
MSG_INT_TYPE = "Input should be a valid integer"
MSG_INT_PARSING = "Input should be a valid integer, unable to parse string as an integer"
MSG_INT_FROM_FLOAT = "Input should be a valid integer, got a number with a fractional part"
MSG_BOOL_TYPE = "Input should be a valid boolean"
MSG_BOOL_PARSING = "Input should be a valid boolean, unable to interpret input"
MSG_DICT_TYPE = "Input should be a valid dictionary"
MSG_LIST_TYPE = "Input should be a valid list"
MSG_MODEL_ATTRIBUTES_TYPE = "Input should be a valid dictionary or object to extract fields from"

# --- Custom validator texts (§3.18); raised through value_error_message() ------------------

GROUP_KEY_FORMAT = "group_constraints keys must use format '<attribute_key>:<attribute_value>'"
GROUP_MAX_WEIGHT_RANGE = "max_weight must be between 0 and 1 inclusive"
MAX_TURNOVER_RANGE = "max_turnover_pct must be between 0 and 1 inclusive"
OVERDRAFT_NEGATIVE = "max_overdraft_by_ccy values must be non-negative"
OVERDRAFT_EMPTY_KEY = "max_overdraft_by_ccy keys must be non-empty currency codes"
LOTS_QUANTITY_MISMATCH = "sum(lot.quantity) must equal position.quantity within tolerance 0.0001"
SUITABILITY_CASH_BAND = "suitability cash band min cannot exceed max"
LIQUIDITY_TIER_KEY = "liquidity tier keys must be one of L1, L2, L3, L4, L5"
LIQUIDITY_TIER_RANGE = "liquidity-tier max weights must be between 0 and 1 inclusive"
SCENARIOS_EMPTY = "at least one scenario is required"
SCENARIOS_TOO_MANY = "scenario count exceeds maximum of 20"
SCENARIO_NAME_FORMAT = r"scenario names must match regex [a-z0-9_\-]{1,64}"

_VALUE_ERROR_PREFIX = "Value error, "
_CHOICE_PREFIX = "Input should be "
_GE_PREFIX = "Input should be greater than or equal to "
_LE_PREFIX = "Input should be less than or equal to "
_TOO_LONG_PATTERN = re.compile(r"^(?P<kind>\w+) should have at most (?P<max>\d+) items$")
_STRING_TOO_LONG_PATTERN = re.compile(r"^String should have at most (?P<max>\d+) characters$")


# --- Templated messages -------------------------------------------------------------------


def value_error_message(text: str) -> str:
    """Message of a custom validator failure: pydantic prefixes it with ``Value error, ``."""
    return _VALUE_ERROR_PREFIX + text


def expected_text(choices: Sequence[str]) -> str:
    """pydantic's list of allowed values: ``'A'``, ``'A' or 'B'``, ``'A', 'B' or 'C'``."""
    quoted = [f"'{choice}'" for choice in choices]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def choice_message(choices: Sequence[str]) -> str:
    """Message of a ``literal_error``/``enum`` failure."""
    return _CHOICE_PREFIX + expected_text(choices)


def model_type_message(model_name: str) -> str:
    """Message for a non-object where a model is expected, in pydantic's strict mode."""
    return f"Input should be a valid dictionary or instance of {model_name}"


def ge_message(bound: int) -> str:
    """Message of a ``greater_than_equal`` failure."""
    return f"{_GE_PREFIX}{bound}"


def le_message(bound: int) -> str:
    """Message of a ``less_than_equal`` failure."""
    return f"{_LE_PREFIX}{bound}"


def too_long_message(kind: str, max_length: int) -> str:
    """Message of a ``too_long`` failure; ``kind`` is ``List`` or ``Dictionary``."""
    return f"{kind} should have at most {max_length} items"


def string_too_long_message(max_length: int) -> str:
    """Message of a ``string_too_long`` failure (pydantic's wording)."""
    return f"String should have at most {max_length} characters"


def decimal_out_of_range_message(min_exponent: int, max_exponent: int) -> str:
    """Message of a ``decimal_out_of_range`` failure (our hardening, not pydantic's)."""
    return (
        "Decimal input should have a magnitude between "
        f"1E{min_exponent} and 1E+{max_exponent} (adjusted exponent between "
        f"{min_exponent} and {max_exponent})"
    )


def contract_error(issue_type: str, message: str) -> ValidationError:
    """A DRF ``ValidationError`` for one issue at the current location.

    The error ``code`` is the pydantic ``type``; raise the result.
    """
    return ValidationError(ErrorDetail(message, code=issue_type))


# --- Flattening ---------------------------------------------------------------------------

_NO_BODY = object()


def flatten_errors(
    errors: Any,
    *,
    body: Any = _NO_BODY,
    loc_prefix: Sequence[str | int] = ("body",),
) -> list[dict[str, Any]]:
    """Turn a DRF error tree into the contract's ordered list of ``ValidationIssue`` dicts.

    Issues come out depth-first in the order the tree holds them, which is the fields'
    declaration order (and insertion order for maps and lists). ``loc`` is ``loc_prefix``
    followed by field names, map keys (verbatim) and list indexes (ints).

    When ``body`` (the raw request data the serializer was given) is passed, every issue
    also carries ``input``: the offending raw value, or for ``missing`` the enclosing object
    as received (pydantic's convention).
    """
    issues: list[dict[str, Any]] = []
    with_input = body is not _NO_BODY
    start = body if with_input else None
    _walk(errors, list(loc_prefix), start, None, with_input, issues)
    return issues


def first_issue_message(errors: Any) -> str:
    """The ``msg`` of the first issue of a DRF error tree (declaration order).

    This is the text an analyze scenario reports after ``INVALID_OPTIONS: ``.
    Raises ``ValueError`` for an error tree without any issue.
    """
    issues = flatten_errors(errors, loc_prefix=())
    if not issues:
        raise ValueError("the error tree holds no issue")
    return issues[0]["msg"]


def _walk(
    node: Any,
    loc: list[str | int],
    data: Any,
    parent: Any,
    with_input: bool,
    issues: list[dict[str, Any]],
) -> None:
    if isinstance(node, Mapping):
        for key, child in node.items():
            _walk(child, loc + [key], _child(data, key), data, with_input, issues)
        return
    if isinstance(node, str):
        issues.append(_issue(node, loc, data, parent, with_input))
        return
    if isinstance(node, Sequence):
        if all(isinstance(item, str) for item in node):
            for detail in node:
                issues.append(_issue(detail, loc, data, parent, with_input))
            return
        # Defensive: a DRF-style list of per-item errors (``{}`` for valid items).
        for index, child in enumerate(node):
            if child:
                _walk(child, loc + [index], _child(data, index), data, with_input, issues)


def _child(data: Any, key: str | int) -> Any:
    """The raw value below ``data`` at ``key``, or ``None`` when it is not there."""
    if isinstance(data, Mapping):
        return data.get(key)
    if isinstance(data, (list, tuple)) and isinstance(key, int) and 0 <= key < len(data):
        return data[key]
    return None


def _issue(
    detail: str, loc: list[str | int], data: Any, parent: Any, with_input: bool
) -> dict[str, Any]:
    issue_type = getattr(detail, "code", None) or VALUE_ERROR
    message = str(detail)
    issue: dict[str, Any] = {"type": issue_type, "loc": list(loc), "msg": message}
    if with_input:
        issue["input"] = parent if issue_type == MISSING else data
    ctx = issue_context(issue_type, message)
    if ctx is not None:
        issue["ctx"] = ctx
    return issue


def issue_context(issue_type: str, message: str) -> dict[str, Any] | None:
    """The ``ctx`` object of an issue (§1.9), rebuilt from its type and message."""
    if issue_type == VALUE_ERROR:
        return {"error": {}}
    if issue_type in (LITERAL_ERROR, ENUM) and message.startswith(_CHOICE_PREFIX):
        return {"expected": message[len(_CHOICE_PREFIX) :]}
    if issue_type == GREATER_THAN_EQUAL and message.startswith(_GE_PREFIX):
        return {"ge": _number(message[len(_GE_PREFIX) :])}
    if issue_type == LESS_THAN_EQUAL and message.startswith(_LE_PREFIX):
        return {"le": _number(message[len(_LE_PREFIX) :])}
    if issue_type == STRING_TOO_LONG:
        match = _STRING_TOO_LONG_PATTERN.match(message)
        if match:
            return {"max_length": int(match["max"])}
    if issue_type == TOO_LONG:
        match = _TOO_LONG_PATTERN.match(message)
        if match:
            return {"field_type": match["kind"], "max_length": int(match["max"])}
    return None


def _number(text: str) -> int | str:
    """A bound as JSON would show it: an int when integral (all our bounds are)."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else text
