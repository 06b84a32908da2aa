"""Example request bodies: the OpenAPI document's request examples.

Plain data that imports nothing of Django, so that tests and benchmarks can use them
(``tests/factories.py``). The responses to them are produced by
``rebalance/openapi_examples.py``.
"""

from __future__ import annotations

import copy
from typing import Any

#: The request of the API spec's complete simulate example.
SIMULATE_REQUEST: dict[str, Any] = {
    "portfolio_snapshot": {
        "portfolio_id": "pf_spec_001",
        "base_currency": "SGD",
        "positions": [{"instrument_id": "SG_BANK_EQ", "quantity": "300"}],
        "cash_balances": [{"currency": "SGD", "amount": "10000.00"}],
    },
    "market_data_snapshot": {
        "prices": [
            {"instrument_id": "SG_BANK_EQ", "price": "50.00", "currency": "SGD"},
            {"instrument_id": "US_TECH_ETF", "price": "200.00", "currency": "USD"},
        ],
        "fx_rates": [{"pair": "USD/SGD", "rate": "1.35"}],
    },
    "model_portfolio": {
        "targets": [
            {"instrument_id": "SG_BANK_EQ", "weight": "0.40"},
            {"instrument_id": "US_TECH_ETF", "weight": "0.50"},
        ]
    },
    "shelf_entries": [
        {"instrument_id": "SG_BANK_EQ", "status": "APPROVED", "asset_class": "EQUITY",
         "attributes": {"region": "SG"}},
        {"instrument_id": "US_TECH_ETF", "status": "APPROVED", "asset_class": "EQUITY",
         "attributes": {"region": "US"}},
    ],
    "options": {"cash_band_min_weight": "0.00", "cash_band_max_weight": "0.20"},
}

#: USD 10,000 cash, model 100 % EQ_1, single_position_max_weight 0.5.
PENDING_REVIEW_REQUEST: dict[str, Any] = {
    "portfolio_snapshot": {
        "portfolio_id": "pf_spec_002",
        "base_currency": "USD",
        "positions": [],
        "cash_balances": [{"currency": "USD", "amount": "10000"}],
    },
    "market_data_snapshot": {
        "prices": [{"instrument_id": "EQ_1", "price": "100", "currency": "USD"}],
        "fx_rates": [],
    },
    "model_portfolio": {"targets": [{"instrument_id": "EQ_1", "weight": "1.0"}]},
    "shelf_entries": [{"instrument_id": "EQ_1", "status": "APPROVED", "asset_class": "EQUITY"}],
    "options": {"single_position_max_weight": "0.5"},
}

#: As PENDING_REVIEW, without shelf entries and options: the run stops before sizing.
BLOCKED_REQUEST: dict[str, Any] = {
    **copy.deepcopy(PENDING_REVIEW_REQUEST),
    "portfolio_snapshot": {**PENDING_REVIEW_REQUEST["portfolio_snapshot"], "portfolio_id": "pf_spec_003"},
    "shelf_entries": [],
    "options": {},
}

#: Two scenarios over the PENDING_REVIEW snapshot; ``bad_group`` has invalid options.
ANALYZE_REQUEST: dict[str, Any] = {
    "portfolio_snapshot": {
        **PENDING_REVIEW_REQUEST["portfolio_snapshot"], "snapshot_id": "ps_2026_02_20",
    },
    "market_data_snapshot": {
        **PENDING_REVIEW_REQUEST["market_data_snapshot"], "snapshot_id": "md_2026_02_20",
    },
    "model_portfolio": copy.deepcopy(PENDING_REVIEW_REQUEST["model_portfolio"]),
    "shelf_entries": copy.deepcopy(PENDING_REVIEW_REQUEST["shelf_entries"]),
    "scenarios": {
        "cap_half": {
            "description": "Cap any single position at 50%",
            "options": {"single_position_max_weight": "0.5"},
        },
        "bad_group": {"options": {"group_constraints": {"sectorTECH": {"max_weight": "0.2"}}}},
    },
}
