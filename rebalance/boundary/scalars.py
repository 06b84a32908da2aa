"""Scalar types of request fields: pydantic types plus the boundary's size limits.

pydantic's own lax mode already speaks the contract's language (decimal strings or
numbers, lenient booleans, integral floats and numeric strings for integers, strict
strings); these annotations only add the limits of ``limits.py`` and the custom checks
whose messages the contract fixes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from rebalance.boundary import limits

# Stored text holds no NUL character: PostgreSQL refuses it in text and jsonb, which made
# such a request a 500 there. Refused (422) on every database alike.
WITHOUT_NUL = r"^[^\x00]*$"
Identifier = Annotated[
    str, StringConstraints(max_length=limits.MAX_IDENTIFIER_LENGTH, pattern=WITHOUT_NUL)
]
PortfolioId = Annotated[
    str, StringConstraints(max_length=limits.MAX_PORTFOLIO_ID_LENGTH, pattern=WITHOUT_NUL)
]
Description = Annotated[str, StringConstraints(max_length=limits.MAX_DESCRIPTION_LENGTH)]


def _bounded_size(value: Decimal) -> Decimal:
    # Checked after parsing, before any comparison or arithmetic touches the value.
    # One as_tuple() serves both checks (it runs once per decimal of every body):
    # the adjusted exponent of a finite decimal is exponent + digits - 1.
    _, digits, exponent = value.as_tuple()
    low, high = limits.DECIMAL_MIN_ADJUSTED_EXPONENT, limits.DECIMAL_MAX_ADJUSTED_EXPONENT
    if not low <= exponent + len(digits) - 1 <= high:
        raise PydanticCustomError(
            "decimal_out_of_range",
            "Decimal input should have a magnitude between 1E{min_exponent} and "
            "1E+{max_exponent} (adjusted exponent between {min_exponent} and {max_exponent})",
            {"min_exponent": low, "max_exponent": high},
        )
    if len(digits) > limits.MAX_DECIMAL_DIGITS:
        raise PydanticCustomError(
            "decimal_max_digits",
            "Decimal input should have no more than {max_digits} significant digits",
            {"max_digits": limits.MAX_DECIMAL_DIGITS},
        )
    return value


# The document states the accepted forms exactly enough for a client's generator: the
# text Python's Decimal reads (surrounding spaces allowed) or a JSON number, within the
# size limits above (at most 40 digits written and an exponent below 80 keep every
# documented value inside them). Range-bounded fields narrow both forms.
_DIGITS = r"(\d{1,20}(\.\d{0,20})?|\.\d{1,20})"
_EXPONENT = r"([eE][+-]?[0-7]?\d)?"
DECIMAL_TEXT_PATTERN = rf"^\s*[+-]?{_DIGITS}{_EXPONENT}\s*$"
NON_NEGATIVE_DECIMAL_TEXT_PATTERN = rf"^\s*\+?{_DIGITS}{_EXPONENT}\s*$"
# 0 to 1 inclusive, written without an exponent.
UNIT_INTERVAL_TEXT_PATTERN = r"^\s*\+?(0{1,20}(\.\d{0,20})?|\.\d{1,20}|0{0,20}1(\.0{0,20})?)\s*$"
# The largest integer of MAX_DECIMAL_DIGITS digits.
DOCUMENTED_NUMBER_BOUND = 10**limits.MAX_DECIMAL_DIGITS - 1


# The smallest magnitude a non-zero decimal may have (a JSON number such as 5e-324 is
# read exactly and then refused for its size).
SMALLEST_MAGNITUDE = float(f"1e{limits.DECIMAL_MIN_ADJUSTED_EXPONENT}")


def decimal_json_schema(pattern: str, minimum: int, maximum: int) -> WithJsonSchema:
    """A request decimal in the document: its text form, or a JSON number that is zero or
    of at least the smallest magnitude, within ``minimum``..``maximum``."""
    numbers = [{"type": "number", "enum": [0]}]
    if maximum > 0:
        numbers.append({"type": "number", "minimum": SMALLEST_MAGNITUDE, "maximum": maximum})
    if minimum < 0:
        numbers.append({"type": "number", "minimum": minimum, "maximum": -SMALLEST_MAGNITUDE})
    return WithJsonSchema({
        "anyOf": [{"type": "string", "format": "decimal", "pattern": pattern}, *numbers],
    })


DECIMAL_JSON_SCHEMA = decimal_json_schema(
    DECIMAL_TEXT_PATTERN, -DOCUMENTED_NUMBER_BOUND, DOCUMENTED_NUMBER_BOUND
)
NON_NEGATIVE_DECIMAL_JSON_SCHEMA = decimal_json_schema(
    NON_NEGATIVE_DECIMAL_TEXT_PATTERN, 0, DOCUMENTED_NUMBER_BOUND
)
UNIT_INTERVAL_JSON_SCHEMA = decimal_json_schema(UNIT_INTERVAL_TEXT_PATTERN, 0, 1)


def decimal(*checks: Any, documented: WithJsonSchema = DECIMAL_JSON_SCHEMA, **bounds: int) -> Any:
    """A request decimal: finite (pydantic rejects NaN/Infinity), keeps its textual scale,
    bounded size, then optional ``ge``/``le`` bounds and after-validators, in that order.

    ``documented`` is declared last so that pydantic's own rendering of the bounds does
    not leak into the document."""
    constraints = [Field(**bounds)] if bounds else []
    return Annotated[Decimal, AfterValidator(_bounded_size), *constraints, *checks, documented]


RequestDecimal = decimal()
NonNegativeDecimal = decimal(ge=0, documented=NON_NEGATIVE_DECIMAL_JSON_SCHEMA)
Weight = decimal(ge=0, le=1, documented=UNIT_INTERVAL_JSON_SCHEMA)


def unit_interval(message: str):
    """An after-validator: ``0 <= value <= 1`` or ``value_error`` with ``message``."""

    def check(value: Decimal) -> Decimal:
        if not Decimal(0) <= value <= Decimal(1):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def days(maximum: int):
    """An integer day count between 0 and ``maximum``."""
    return Annotated[int, Field(ge=0, le=maximum)]


def documented_keys(**rules: Any) -> dict[str, Any]:
    """The rules a map's keys follow, for the document.

    OpenAPI 3.0 has no ``propertyNames``; the rules travel as the ``x-propertyNames``
    extension (the fuzz test reads it back as ``propertyNames``)."""
    return {"x-propertyNames": rules}


def bounded_map(key: Any, value: Any, maximum: int, keys: dict[str, Any] | None = None) -> Any:
    """A JSON object of at most ``maximum`` entries, counted before any entry is validated.

    pydantic itself only counts a map's entries once they are all valid; a huge map of
    invalid entries would be validated entry by entry first. The issue keeps pydantic's
    ``too_long`` vocabulary.
    """

    def count(raw: Any) -> Any:
        if isinstance(raw, dict) and len(raw) > maximum:
            raise PydanticCustomError(
                "too_long",
                "Dictionary should have at most {max_length} items after validation, "
                "not {actual_length}",
                {"field_type": "Dictionary", "max_length": maximum, "actual_length": len(raw)},
            )
        return raw

    return Annotated[
        dict[key, value], BeforeValidator(count),
        Field(json_schema_extra={"maxProperties": maximum, **(keys or {})}),
    ]
