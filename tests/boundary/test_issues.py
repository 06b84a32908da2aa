"""pydantic's errors as the contract's ValidationIssue list (api.md §1.9)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import PydanticCustomError

from rebalance.boundary import RebalanceRequest, limits
from rebalance.boundary.issues import bounded_input, issues_from


def test_group_key_issue_matches_the_spec_example(simulate_body, issues_of):
    simulate_body["options"] = {"group_constraints": {"sectorTECH": {"max_weight": "0.2"}}}
    assert issues_of(RebalanceRequest, simulate_body) == [
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
    issues = issues_of(RebalanceRequest, simulate_body)
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
    issues = issues_of(RebalanceRequest, body)
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


def _issues_of(model, data, prefix="body"):
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return issues_from(caught.value, prefix)


def test_context_holds_json_values_only():
    class Bounded(BaseModel):
        weight: Decimal = Field(ge=Decimal("0.5"), le=Decimal(1))

        def model_post_init(self, context):
            if self.weight == 1:
                raise ValueError("no ones")

    [low] = _issues_of(Bounded, {"weight": "0.1"})
    assert low["ctx"] == {"ge": "0.5"}  # a fractional bound keeps its text
    [high] = _issues_of(Bounded, {"weight": "2"})
    assert high["ctx"] == {"le": 1}
    [custom] = _issues_of(Bounded, {"weight": "1"})
    assert custom["ctx"] == {"error": {}}
    json.dumps([low, high, custom])


def test_loc_is_prefixed_with_where_the_value_came_from():
    class Header(BaseModel):
        key: str

    [issue] = _issues_of(Header, {}, prefix="header")
    assert issue["loc"] == ["header", "key"]


def test_small_inputs_are_echoed_as_they_are():
    value = {"a": [1, 2.5, None, True, "é"], "b": {"c": "x" * 100}}
    assert bounded_input(value) is value
    assert bounded_input("x" * limits.MAX_ECHOED_INPUT_CHARS) == "x" * limits.MAX_ECHOED_INPUT_CHARS


@pytest.mark.parametrize(
    "value",
    [
        "x" * (limits.MAX_ECHOED_INPUT_CHARS + 1),
        "y" * 5_000_000,
        {"k": "v" * limits.MAX_ECHOED_INPUT_CHARS},
        [{"instrument_id": f"I{i}", "price": "1"} for i in range(100_000)],
        {f"k{i}": i for i in range(100_000)},
        10**4000,
    ],
    ids=["string_just_over", "string_5mb", "object_with_long_string", "long_list", "wide_map",
         "huge_int"],
)
def test_large_inputs_are_cut_to_a_bounded_prefix(value):
    echoed = bounded_input(value)
    assert isinstance(echoed, str) and echoed.endswith("…")
    assert len(echoed) == limits.MAX_ECHOED_INPUT_CHARS + 1
    if isinstance(value, (dict, list)):
        # The prefix is the start of the value's compact JSON text.
        assert json.dumps(value, separators=(",", ":")).startswith(echoed[:-1])


def test_deeply_nested_input_is_cut_not_walked_to_the_bottom():
    value: list = []
    for _ in range(5_000):
        value = [value]
    echoed = bounded_input(value)
    assert isinstance(echoed, str) and echoed.startswith("[[[[") and echoed.endswith("…")


def test_oversized_map_key_is_cut_in_the_loc():
    class Attributes(BaseModel):
        values: dict[str, int]

    key = "k" * 10_000
    [issue] = _issues_of(Attributes, {"values": {key: "x"}})
    assert issue["loc"][:2] == ["body", "values"]
    assert issue["loc"][2] == key[: limits.MAX_ECHOED_INPUT_CHARS] + "…"


def test_at_most_the_first_hundred_issues_are_listed():
    class Many(BaseModel):
        values: list[int]

    issues = _issues_of(Many, {"values": ["x"] * 1_000})
    assert len(issues) == limits.MAX_REPORTED_ISSUES
    assert [issue["loc"][-1] for issue in issues] == list(range(limits.MAX_REPORTED_ISSUES))


def test_custom_errors_keep_their_type_and_context():
    class Custom(BaseModel):
        value: int

        def model_post_init(self, context):
            raise PydanticCustomError("our_type", "Value {n} is wrong", {"n": 3})

    [issue] = _issues_of(Custom, {"value": 1})
    assert (issue["type"], issue["msg"], issue["ctx"]) == ("our_type", "Value 3 is wrong", {"n": 3})
