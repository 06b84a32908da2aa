"""Scalar coercion of the contract fields (api.md §1.2–§1.5) and the decimal hardening."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.fields import SkipField, empty

from rebalance.engine.models import ShelfStatus, TargetMethod
from rebalance.serializers.fields import (
    DECIMAL_MAX_ADJUSTED_EXPONENT,
    DECIMAL_MIN_ADJUSTED_EXPONENT,
    BooleanField,
    DecimalField,
    EnumField,
    IntegerField,
    LiteralField,
    StringField,
)
from rebalance.validation_issues import LITERAL_ERROR


def error_of(field, raw) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        field.run_validation(raw)
    [detail] = caught.value.detail
    return detail.code, str(detail)


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
    value = DecimalField().run_validation(raw)
    assert isinstance(value, Decimal)
    assert str(value) == text


@pytest.mark.parametrize(
    "raw", ["NaN", "nan", "Infinity", "-inf", "sNaN", float("nan"), float("inf")]
)
def test_decimal_rejects_non_finite(raw):
    assert error_of(DecimalField(), raw) == ("finite_number", "Input should be a finite number")


@pytest.mark.parametrize("raw", ["", "   ", "0x10", "abc", "1.2.3", "1,000"])
def test_decimal_rejects_unparseable_text(raw):
    assert error_of(DecimalField(), raw) == ("decimal_parsing", "Input should be a valid decimal")


@pytest.mark.parametrize("raw", [True, False, None, [], {}, ["1"], {"amount": "1"}])
def test_decimal_rejects_other_json_types(raw):
    assert error_of(DecimalField(), raw) == (
        "decimal_type",
        "Decimal input should be an integer, float, string or Decimal object",
    )


@pytest.mark.parametrize(
    "raw",
    ["1e100", "9.999e100", "1e-100", "-1e100", "0.0001", 10**100, "123456789012345678901234567890"],
)
def test_decimal_within_exponent_bounds_is_accepted(raw):
    DecimalField().run_validation(raw)


@pytest.mark.parametrize(
    "raw", ["1e101", "1e-101", "-1e101", "0E-101", "0E+101", 10**101, 1e300, 1e-300]
)
def test_decimal_outside_exponent_bounds_is_rejected(raw):
    code, message = error_of(DecimalField(), raw)
    assert code == "decimal_out_of_range"
    assert str(DECIMAL_MIN_ADJUSTED_EXPONENT) in message
    assert str(DECIMAL_MAX_ADJUSTED_EXPONENT) in message


def test_exponent_bounds_are_the_documented_ones():
    assert (DECIMAL_MIN_ADJUSTED_EXPONENT, DECIMAL_MAX_ADJUSTED_EXPONENT) == (-100, 100)


def test_decimal_bounds_come_after_parsing_and_before_custom_check():
    def never(value):
        raise AssertionError("custom check must not run after a failed bound")

    field = DecimalField(ge=0, le=1, check=never)
    assert error_of(field, "x") == ("decimal_parsing", "Input should be a valid decimal")
    assert error_of(field, "-0.1") == (
        "greater_than_equal",
        "Input should be greater than or equal to 0",
    )
    assert error_of(field, "1.01") == ("less_than_equal", "Input should be less than or equal to 1")


def test_presence_and_null_rules():
    assert error_of(DecimalField(), empty) == ("missing", "Field required")
    with pytest.raises(SkipField):
        DecimalField(required=False).run_validation(empty)
    assert DecimalField(required=False, allow_null=True).run_validation(None) is None


# --- integers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"), [(3, 3), (3.0, 3), ("3", 3), (" 3 ", 3), ("3.0", 3), ("+3", 3), (True, 1)]
)
def test_integer_coercion(raw, value):
    result = IntegerField().run_validation(raw)
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
    assert error_of(IntegerField(), raw) == (code, message)


def test_integer_bounds():
    field = IntegerField(ge=0, le=10)
    assert field.run_validation("10") == 10
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
    assert BooleanField().run_validation(raw) is True


@pytest.mark.parametrize(
    "raw", [False, 0, 0.0, "false", "False", "f", "no", "NO", "n", "off", "Off", "0"]
)
def test_lenient_false(raw):
    assert BooleanField().run_validation(raw) is False


@pytest.mark.parametrize("raw", ["maybe", "", " true", "2", 2, -1, 2.0])
def test_unparseable_boolean(raw):
    assert error_of(BooleanField(), raw) == (
        "bool_parsing",
        "Input should be a valid boolean, unable to interpret input",
    )


@pytest.mark.parametrize("raw", [[], {}, None, [True]])
def test_boolean_wrong_type(raw):
    assert error_of(BooleanField(), raw) == ("bool_type", "Input should be a valid boolean")


# --- strings and enumerations -------------------------------------------------------------


@pytest.mark.parametrize("raw", [5, 1.5, True, None, [], {}])
def test_strings_are_strict(raw):
    assert error_of(StringField(), raw) == ("string_type", "Input should be a valid string")


def test_string_keeps_its_text():
    assert StringField().run_validation(" pf é ") == " pf é "


def test_enum_is_exact_and_returns_the_member():
    field = EnumField(TargetMethod)
    assert field.run_validation("SOLVER") is TargetMethod.SOLVER
    for raw in ("heuristic", "SOLVER ", 1, None):
        assert error_of(field, raw) == ("enum", "Input should be 'HEURISTIC' or 'SOLVER'")


def test_enum_reported_as_literal_error_when_asked():
    field = EnumField(ShelfStatus, issue_type=LITERAL_ERROR)
    assert field.run_validation("SELL_ONLY") is ShelfStatus.SELL_ONLY
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
    assert LiteralField(choices).run_validation(choices[-1]) == choices[-1]
    assert error_of(LiteralField(choices), "nope") == ("literal_error", message)
