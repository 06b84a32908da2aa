"""Flattening DRF error trees into the contract's ValidationIssue list (api.md §1.9)."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import ErrorDetail

from rebalance.serializers import RebalanceRequestSerializer
from rebalance.validation_issues import first_issue_message, flatten_errors, issue_context


def test_group_key_issue_matches_the_spec_example(simulate_body, issues_of):
    simulate_body["options"] = {"group_constraints": {"sectorTECH": {"max_weight": "0.2"}}}
    assert issues_of(RebalanceRequestSerializer, simulate_body) == [
        {
            "type": "value_error",
            "loc": ["body", "options", "group_constraints"],
            "msg": "Value error, group_constraints keys must use format '<attribute_key>:<attribute_value>'",
            "input": {"sectorTECH": {"max_weight": "0.2"}},
            "ctx": {"error": {}},
        }
    ]


def test_map_keys_are_kept_verbatim_and_list_indexes_are_ints(simulate_body, issues_of):
    # A map key that looks like DRF's non-field key must still be a plain location.
    simulate_body["options"] = {"group_constraints": {"non_field_errors": {"max_weight": "x"}}}
    simulate_body["shelf_entries"][1]["attributes"] = {"a:b/ü": 3}
    issues = issues_of(RebalanceRequestSerializer, simulate_body)
    assert [issue["loc"] for issue in issues] == [
        ["body", "shelf_entries", 1, "attributes", "a:b/ü"],
        ["body", "options", "group_constraints", "non_field_errors", "max_weight"],
    ]
    assert isinstance(issues[0]["loc"][2], int)
    assert [issue["input"] for issue in issues] == [3, "x"]


def test_issues_come_out_in_declaration_order_not_body_order(simulate_body, issues_of):
    body = {
        "options": {"fx_settlement_days": 99},
        "shelf_entries": "x",
        "portfolio_snapshot": {"base_currency": 1},
    }
    issues = issues_of(RebalanceRequestSerializer, body)
    assert [issue["loc"] for issue in issues] == [
        ["body", "portfolio_snapshot", "portfolio_id"],
        ["body", "portfolio_snapshot", "base_currency"],
        ["body", "market_data_snapshot"],
        ["body", "model_portfolio"],
        ["body", "shelf_entries"],
        ["body", "options", "fx_settlement_days"],
    ]
    assert issues[0]["input"] == {"base_currency": 1}  # missing: the enclosing object
    assert issues[-1]["ctx"] == {"le": 10}


def test_input_is_omitted_without_a_body():
    errors = {"a": [ErrorDetail("Field required", code="missing")]}
    assert flatten_errors(errors) == [
        {"type": "missing", "loc": ["body", "a"], "msg": "Field required"}
    ]
    assert flatten_errors(errors, loc_prefix=()) == [
        {"type": "missing", "loc": ["a"], "msg": "Field required"}
    ]


def test_first_issue_message():
    errors = {
        "x": {
            0: [ErrorDetail("first", code="value_error"), ErrorDetail("second", code="value_error")]
        },
        "y": [ErrorDetail("third", code="missing")],
    }
    assert first_issue_message(errors) == "first"
    with pytest.raises(ValueError):
        first_issue_message({})


@pytest.mark.parametrize(
    ("issue_type", "message", "ctx"),
    [
        ("value_error", "Value error, anything", {"error": {}}),
        ("literal_error", "Input should be 'A', 'B' or 'C'", {"expected": "'A', 'B' or 'C'"}),
        (
            "enum",
            "Input should be 'HEURISTIC' or 'SOLVER'",
            {"expected": "'HEURISTIC' or 'SOLVER'"},
        ),
        ("greater_than_equal", "Input should be greater than or equal to 0", {"ge": 0}),
        ("less_than_equal", "Input should be less than or equal to 10", {"le": 10}),
        (
            "too_long",
            "List should have at most 10000 items",
            {"field_type": "List", "max_length": 10000},
        ),
        ("missing", "Field required", None),
        ("decimal_parsing", "Input should be a valid decimal", None),
    ],
)
def test_issue_context(issue_type, message, ctx):
    assert issue_context(issue_type, message) == ctx
