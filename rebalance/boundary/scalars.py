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

Identifier = Annotated[str, StringConstraints(max_length=limits.MAX_IDENTIFIER_LENGTH)]
PortfolioId = Annotated[str, StringConstraints(max_length=limits.MAX_PORTFOLIO_ID_LENGTH)]
Description = Annotated[str, StringConstraints(max_length=limits.MAX_DESCRIPTION_LENGTH)]


def _bounded_size(value: Decimal) -> Decimal:
    # Checked after parsing, before any comparison or arithmetic touches the value.
    low, high = limits.DECIMAL_MIN_ADJUSTED_EXPONENT, limits.DECIMAL_MAX_ADJUSTED_EXPONENT
    if not low <= value.adjusted() <= high:
        raise PydanticCustomError(
            "decimal_out_of_range",
            "Decimal input should have a magnitude between 1E{min_exponent} and "
            "1E+{max_exponent} (adjusted exponent between {min_exponent} and {max_exponent})",
            {"min_exponent": low, "max_exponent": high},
        )
    if len(value.as_tuple().digits) > limits.MAX_DECIMAL_DIGITS:
        raise PydanticCustomError(
            "decimal_max_digits",
            "Decimal input should have no more than {max_digits} significant digits",
            {"max_digits": limits.MAX_DECIMAL_DIGITS},
        )
    return value


# Documented as the recommended string form; JSON numbers are accepted too. Declared
# last in each type so that pydantic's own rendering of the bounds does not leak into it.
DECIMAL_JSON_SCHEMA = WithJsonSchema({"type": "string", "format": "decimal"})


def decimal(*checks: Any, **bounds: int) -> Any:
    """A request decimal: finite (pydantic rejects NaN/Infinity), keeps its textual scale,
    bounded size, then optional ``ge``/``le`` bounds and after-validators, in that order."""
    constraints = [Field(**bounds)] if bounds else []
    return Annotated[Decimal, AfterValidator(_bounded_size), *constraints, *checks, DECIMAL_JSON_SCHEMA]


RequestDecimal = decimal()
NonNegativeDecimal = decimal(ge=0)
Weight = decimal(ge=0, le=1)


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


def bounded_map(key: Any, value: Any, maximum: int) -> Any:
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
        dict[key, value], BeforeValidator(count), Field(json_schema_extra={"maxProperties": maximum})
    ]
