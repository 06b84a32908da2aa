"""Scalar coercion of request fields (api.md §1.2–§1.5) and the decimal hardening.

pydantic does the coercion; these tests pin that its lax mode is the contract's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import pytest
from pydantic import AfterValidator, BaseModel, TypeAdapter, ValidationError

from rebalance.boundary.bodies import ShelfStatusName
from rebalance.boundary.limits import DECIMAL_MAX_ADJUSTED_EXPONENT, DECIMAL_MIN_ADJUSTED_EXPONENT
from rebalance.boundary.scalars import Identifier, RequestDecimal, days, decimal
from rebalance.engine.models import TargetMethod


def validate(annotation, raw):
    return TypeAdapter(annotation).validate_python(raw)


def error_of(annotation, raw) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        validate(annotation, raw)
    [error] = caught.value.errors()
    return error["type"], error["msg"]


# --- decimals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("1.50", "1.50"),
        ("10000.00", "10000.00"),  # textual scale is kept
        (" 100 ", "100"),
        ("+5", "5"),
        ("1e2", "1E+2"),
        ("1_000", "1000"),
        ("-0", "-0"),
        ("-12.5", "-12.5"),
        (100, "100"),  # JSON integer: exact
        (10**30, "1000000000000000000000000000000"),
        (100.0, "100.0"),  # JSON number 100.00: shortest round-trip text of the double
        (0.1, "0.1"),
        (1e20, "1E+20"),
        (123456789.123456789, "123456789.12345679"),
    ],
)
def test_decimal_accepts_strings_and_json_numbers(raw, text):
    value = validate(RequestDecimal, raw)
    assert isinstance(value, Decimal)
    assert str(value) == text


@pytest.mark.parametrize(
    "raw", ["NaN", "nan", "Infinity", "-inf", "sNaN", float("nan"), float("inf")]
)
def test_decimal_rejects_non_finite(raw):
    assert error_of(RequestDecimal, raw) == ("finite_number", "Input should be a finite number")


@pytest.mark.parametrize("raw", ["", "   ", "0x10", "abc", "1.2.3", "1,000"])
def test_decimal_rejects_unparseable_text(raw):
    assert error_of(RequestDecimal, raw) == ("decimal_parsing", "Input should be a valid decimal")


@pytest.mark.parametrize("raw", [True, False, None, [], {}, ["1"], {"amount": "1"}])
def test_decimal_rejects_other_json_types(raw):
    assert error_of(RequestDecimal, raw) == (
        "decimal_type",
        "Decimal input should be an integer, float, string or Decimal object",
    )


@pytest.mark.parametrize(
    "raw",
    ["1e100", "9.999e100", "1e-100", "-1e100", "0.0001", 10**49, "123456789012345678901234567890"],
)
def test_decimal_within_exponent_bounds_is_accepted(raw):
    validate(RequestDecimal, raw)


@pytest.mark.parametrize(
    "raw", ["1e101", "1e-101", "-1e101", "0E-101", "0E+101", 10**101, 1e300, 1e-300]
)
def test_decimal_outside_exponent_bounds_is_rejected(raw):
    code, message = error_of(RequestDecimal, raw)
    assert code == "decimal_out_of_range"
    assert str(DECIMAL_MIN_ADJUSTED_EXPONENT) in message
    assert str(DECIMAL_MAX_ADJUSTED_EXPONENT) in message


def test_exponent_bounds_are_the_documented_ones():
    assert (DECIMAL_MIN_ADJUSTED_EXPONENT, DECIMAL_MAX_ADJUSTED_EXPONENT) == (-100, 100)


def test_decimal_bounds_come_after_parsing_and_before_custom_check():
    def never(value):
        raise AssertionError("custom check must not run after a failed bound")

    field = decimal(AfterValidator(never), ge=0, le=1)
    assert error_of(field, "x") == ("decimal_parsing", "Input should be a valid decimal")
    assert error_of(field, "-0.1") == (
        "greater_than_equal",
        "Input should be greater than or equal to 0",
    )
    assert error_of(field, "1.01") == ("less_than_equal", "Input should be less than or equal to 1")


def test_presence_and_null_rules():
    class Holder(BaseModel):
        required: RequestDecimal
        optional: RequestDecimal = Decimal("0.0")
        nullable: RequestDecimal | None = None

    with pytest.raises(ValidationError) as caught:
        Holder.model_validate({"nullable": None})
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [("missing", ("required",))]
    holder = Holder.model_validate({"required": "1", "nullable": None})
    assert (str(holder.optional), holder.nullable) == ("0.0", None)


# --- integers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"), [(3, 3), (3.0, 3), ("3", 3), (" 3 ", 3), ("3.0", 3), ("+3", 3), (True, 1)]
)
def test_integer_coercion(raw, value):
    result = validate(int, raw)
    assert result == value and type(result) is int


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (
            3.5,
            "int_from_float",
            "Input should be a valid integer, got a number with a fractional part",
        ),
        (
            "3.5",
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "abc",
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "",
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (None, "int_type", "Input should be a valid integer"),
        ([], "int_type", "Input should be a valid integer"),
        (float("inf"), "finite_number", "Input should be a finite number"),
    ],
)
def test_integer_rejections(raw, code, message):
    assert error_of(int, raw) == (code, message)


def test_integer_bounds():
    field = days(10)
    assert validate(field, "10") == 10
    assert error_of(field, 11) == ("less_than_equal", "Input should be less than or equal to 10")
    assert error_of(field, -1) == (
        "greater_than_equal",
        "Input should be greater than or equal to 0",
    )


# --- booleans -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [True, 1, 1.0, "true", "TRUE", "True", "t", "T", "yes", "Y", "y", "on", "ON", "1"]
)
def test_lenient_true(raw):
    assert validate(bool, raw) is True


@pytest.mark.parametrize(
    "raw", [False, 0, 0.0, "false", "False", "f", "no", "NO", "n", "off", "Off", "0"]
)
def test_lenient_false(raw):
    assert validate(bool, raw) is False


@pytest.mark.parametrize("raw", ["maybe", "", " true", "2", 2, -1, 2.0])
def test_unparseable_boolean(raw):
    assert error_of(bool, raw) == (
        "bool_parsing",
        "Input should be a valid boolean, unable to interpret input",
    )


@pytest.mark.parametrize("raw", [[], {}, None, [True]])
def test_boolean_wrong_type(raw):
    assert error_of(bool, raw) == ("bool_type", "Input should be a valid boolean")


# --- strings and enumerations -------------------------------------------------------------


@pytest.mark.parametrize("raw", [5, 1.5, True, None, [], {}])
def test_strings_are_strict(raw):
    assert error_of(Identifier, raw) == ("string_type", "Input should be a valid string")


def test_string_keeps_its_text():
    assert validate(Identifier, " pf é ") == " pf é "


def test_enum_is_exact_and_returns_the_member():
    field = TargetMethod
    assert validate(field, "SOLVER") is TargetMethod.SOLVER
    for raw in ("heuristic", "SOLVER ", 1, None):
        assert error_of(field, raw) == ("enum", "Input should be 'HEURISTIC' or 'SOLVER'")


def test_shelf_status_is_reported_as_literal_error():
    field = ShelfStatusName
    assert validate(field, "SELL_ONLY") == "SELL_ONLY"
    assert error_of(field, "approved") == (
        "literal_error",
        "Input should be 'APPROVED', 'RESTRICTED', 'BANNED', 'SUSPENDED' or 'SELL_ONLY'",
    )


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        (("AUTO_FX",), "Input should be 'AUTO_FX'"),
        (("BASE_ONLY", "ANY_CASH"), "Input should be 'BASE_ONLY' or 'ANY_CASH'"),
        (("LOW", "MEDIUM", "HIGH"), "Input should be 'LOW', 'MEDIUM' or 'HIGH'"),
    ],
)
def test_literal_messages(choices, message):
    field = Literal[choices]
    assert validate(field, choices[-1]) == choices[-1]
    assert error_of(field, "nope") == ("literal_error", message)
