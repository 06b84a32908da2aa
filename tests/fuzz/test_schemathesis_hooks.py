"""The fuzz run's hooks: key rules become draft-4 JSON Schema; cross-field breaks are not sent."""

from __future__ import annotations

import re

import pytest

from tests.fuzz.schemathesis_hooks import (
    breaks_a_cross_field_rule,
    carries_an_unissued_cursor,
    key_pattern,
    key_rules_as_json_schema,
)


def test_a_key_rule_becomes_pattern_properties_and_closes_the_map():
    schema = {"type": "object", "additionalProperties": {"type": "string"},
              "x-propertyNames": {"pattern": "^L[1-5]$"}}
    key_rules_as_json_schema({"nested": [schema]})
    assert schema == {"type": "object", "additionalProperties": False,
                      "patternProperties": {"^L[1-5]$": {"type": "string"}}}


@pytest.mark.parametrize("rules, accepted, refused", [
    ({"maxLength": 3}, ["", "abc"], ["abcd"]),
    ({"minLength": 1, "maxLength": 3}, ["a", "a\nb"], ["", "abcd"]),
    ({"pattern": "^[a-z]{1,2}$"}, ["ab"], ["", "abc"]),
    ({"pattern": "^[^\\x00]*$", "maxLength": 3}, ["", "abc"], ["a\x00", "abcd"]),
])
def test_key_patterns_keep_the_documented_lengths(rules, accepted, refused):
    pattern = re.compile(key_pattern(rules))
    assert all(pattern.search(key) for key in accepted)
    assert not any(pattern.search(key) for key in refused)


def test_lengths_with_a_pattern_that_is_not_one_repeated_class_are_refused():
    with pytest.raises(ValueError):
        key_pattern({"pattern": "^a$", "maxLength": 3})


def _body(position=None, thresholds=None):
    body = {"portfolio_snapshot": {"positions": [position] if position else []}, "options": {}}
    if thresholds is not None:
        body["options"]["suitability_thresholds"] = thresholds
    return body


@pytest.mark.parametrize("body, breaks", [
    (_body({"quantity": "10", "lots": [{"quantity": "4"}, {"quantity": 6}]}), False),
    (_body({"quantity": "10", "lots": [{"quantity": "4"}]}), True),
    (_body({"quantity": " 1_0 ", "lots": [{"quantity": "10.00005"}]}), False),
    # Not a decimal: the schema alone makes it invalid, so the case is sent.
    (_body({"quantity": "ten", "lots": [{"quantity": "4"}]}), False),
    (_body({"quantity": "10", "lots": []}), False),
    (_body(thresholds={"cash_band_min_weight": "0.5", "cash_band_max_weight": "0.1"}), True),
    (_body(thresholds={"cash_band_min_weight": "0.06"}), True),
    (_body(thresholds={"cash_band_min_weight": "0.01", "cash_band_max_weight": 0.01}), False),
    (_body(thresholds={"cash_band_min_weight": True, "cash_band_max_weight": "0"}), False),
    ("not an object", False),
])
def test_bodies_breaking_a_cross_field_rule_are_recognised(body, breaks):
    assert breaks_a_cross_field_rule(body) is breaks


def test_a_well_formed_cursor_is_not_sent_but_a_malformed_one_is():
    assert carries_an_unissued_cursor({"cursor": "eyJ2IjoxfQ:1vQ2xY:4bQ0kW9fXw8o"})
    for query in ({"cursor": ""}, {"cursor": "not a cursor"}, {"cursor": "a:b"}, {"limit": 5}, None):
        assert not carries_an_unissued_cursor(query)


def test_cursors_the_service_issues_have_the_documented_shape():
    from datetime import UTC, datetime

    from dpm_runs.cursors import CURSOR_PATTERN, Position, encode_cursor

    sample = encode_cursor(Position(datetime(2026, 11, 30, tzinfo=UTC), 42), "fingerprint")
    assert re.fullmatch(CURSOR_PATTERN, sample)
