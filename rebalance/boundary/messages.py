"""Texts of the contract's custom checks (the ``value_error`` catalogue of the API spec).

pydantic prefixes each with ``Value error, ``; clients match on these exact strings.
"""

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
