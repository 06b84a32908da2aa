"""schemathesis hooks for the fuzz run (loaded through ``SCHEMATHESIS_HOOKS``).

OpenAPI 3.0 cannot constrain the keys of a map, so the document states those rules as
``x-propertyNames`` (scenario names, group-constraint keys, liquidity tiers, key
lengths). schemathesis reads an OpenAPI 3.0 schema as JSON Schema draft 4, which has no
``propertyNames`` either, so each rule becomes the draft-4 equivalent: the map's values
under ``patternProperties`` for keys that follow the rule, no other keys. Generation
then gives valid requests valid keys, and invalid requests may break them, exactly as
the document says.

Two rules relate fields to each other, which no JSON Schema can say; the document states
them in its descriptions and the service answers 422 (tests/boundary covers both):
a position's lots add up to its quantity, and a suitability cash band's min is not above
its max. Generated bodies that break one of them with otherwise well-formed values are
not sent: they are neither valid nor invalid by the schema alone.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import schemathesis

DOCUMENTED_KEY_RULES = "x-propertyNames"


# A pattern of one repeated character class, such as ``^[^\x00]*$``.
_REPEATED_CLASS = re.compile(r"\^(\[[^\]]*\])\*\$")


def key_pattern(rules: dict[str, Any]) -> str:
    """One regular expression for a key rule: a ``pattern``, ``minLength``/``maxLength``,
    or lengths with a pattern of one repeated character class."""
    lengths = {"minLength", "maxLength"} & set(rules)
    if not lengths:
        return rules["pattern"]
    characters = r"[\s\S]"
    if "pattern" in rules:
        repeated = _REPEATED_CLASS.fullmatch(rules["pattern"])
        if repeated is None:
            raise ValueError(f"cannot combine lengths with the key pattern of {rules}")
        characters = repeated.group(1)
    return f"^{characters}{{{rules.get('minLength', 0)},{rules['maxLength']}}}$"


def key_rules_as_json_schema(node: Any) -> None:
    """Turn every ``x-propertyNames`` under ``node`` into ``patternProperties``, in place."""
    if isinstance(node, dict):
        if DOCUMENTED_KEY_RULES in node:
            values = node.get("additionalProperties", True)
            node["patternProperties"] = {
                key_pattern(node.pop(DOCUMENTED_KEY_RULES)): values if isinstance(values, dict) else {}
            }
            node["additionalProperties"] = False
        for value in node.values():
            key_rules_as_json_schema(value)
    elif isinstance(node, list):
        for value in node:
            key_rules_as_json_schema(value)


@schemathesis.hook
def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
    key_rules_as_json_schema(raw_schema)


LOTS_TOLERANCE = Decimal("0.0001")


def _decimal(value: Any) -> Decimal | None:
    """The value as the boundary reads a decimal, or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        parsed = Decimal(value.strip().replace("_", "") if isinstance(value, str) else repr(value))
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


def breaks_lots_rule(position: Any) -> bool:
    if not isinstance(position, dict) or not isinstance(position.get("lots"), list):
        return False
    lots = position["lots"]
    quantities = [_decimal(lot.get("quantity")) if isinstance(lot, dict) else None for lot in lots]
    quantity = _decimal(position.get("quantity"))
    if not lots or quantity is None or None in quantities:
        return False
    return abs(sum(quantities, Decimal(0)) - quantity) > LOTS_TOLERANCE


def breaks_cash_band_rule(thresholds: Any) -> bool:
    if not isinstance(thresholds, dict):
        return False
    low = _decimal(thresholds.get("cash_band_min_weight", "0.01"))
    high = _decimal(thresholds.get("cash_band_max_weight", "0.05"))
    return low is not None and high is not None and low > high


def breaks_a_cross_field_rule(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    portfolio = body.get("portfolio_snapshot")
    positions = portfolio.get("positions") if isinstance(portfolio, dict) else None
    if isinstance(positions, list) and any(breaks_lots_rule(p) for p in positions):
        return True
    options = body.get("options")
    return isinstance(options, dict) and breaks_cash_band_rule(options.get("suitability_thresholds"))


def carries_an_unissued_cursor(query: Any) -> bool:
    """A well-formed ``cursor`` that the service did not issue. A cursor is valid only as
    issued (signed for the same filters and client): a generated one of the documented
    shape is neither valid nor invalid by the schema alone. Malformed ones are still sent."""
    if not isinstance(query, dict) or not isinstance(query.get("cursor"), str):
        return False
    from dpm_runs.cursors import CURSOR_PATTERN

    return re.fullmatch(CURSOR_PATTERN.strip("^$"), query["cursor"]) is not None


# filter_case, not filter_body: it also sees the cases of the coverage phase.
@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    return not breaks_a_cross_field_rule(case.body) and not carries_an_unissued_cursor(case.query)
