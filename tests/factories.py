"""Request bodies for tests and benchmarks, built in one place.

Every builder returns a fresh JSON-ready ``dict`` (decimals as strings, the way clients
are told to send them), so callers may change it freely. Benchmarks import this module
too (``from tests.factories import ...`` with the repository root on ``sys.path``).
"""

from __future__ import annotations

import copy
from typing import Any

from rebalance.request_examples import SIMULATE_REQUEST


def spec_simulate_body() -> dict[str, Any]:
    """The simulate request of the API spec's complete example: the input of its
    request-hash test vector (and the OpenAPI document's request example)."""
    return copy.deepcopy(SIMULATE_REQUEST)


def spec_analyze_body(scenarios: dict[str, Any] | None = None) -> dict[str, Any]:
    """The spec example's snapshots with ``scenarios`` (one valid one by default)."""
    body = spec_simulate_body()
    del body["options"]
    body["scenarios"] = copy.deepcopy(scenarios or {"baseline": {"description": "as given", "options": {}}})
    return body


def small_simulate_body(**options: Any) -> dict[str, Any]:
    """A READY rebalance that runs in milliseconds: USD 1,000 cash, buy half into ALPHA
    and a fifth into BETA. Keyword arguments become ``options``."""
    return {
        "portfolio_snapshot": {
            "portfolio_id": "pf_api_test",
            "base_currency": "USD",
            "positions": [],
            "cash_balances": [{"currency": "USD", "amount": "1000.00"}],
        },
        "market_data_snapshot": {
            "prices": [
                {"instrument_id": "ALPHA", "price": "10.00", "currency": "USD"},
                {"instrument_id": "BETA", "price": "25.00", "currency": "USD"},
            ],
            "fx_rates": [],
        },
        "model_portfolio": {
            "targets": [
                {"instrument_id": "ALPHA", "weight": "0.50"},
                {"instrument_id": "BETA", "weight": "0.20"},
            ]
        },
        "shelf_entries": [
            {"instrument_id": "ALPHA", "status": "APPROVED", "asset_class": "EQUITY"},
            {"instrument_id": "BETA", "status": "APPROVED", "asset_class": "FIXED_INCOME"},
        ],
        "options": dict(options),
    }


def small_analyze_body(scenarios: dict[str, Any]) -> dict[str, Any]:
    """The snapshots of ``small_simulate_body`` with ``scenarios``."""
    body = small_simulate_body()
    del body["options"]
    body["scenarios"] = copy.deepcopy(scenarios)
    return body


def one_instrument_body(weight: str = "0.5", cash: str = "1000") -> dict[str, Any]:
    """USD ``cash`` and a model of one instrument ``A`` priced 10 at ``weight``."""
    return {
        "portfolio_snapshot": {
            "portfolio_id": "pf_cmd",
            "base_currency": "USD",
            "positions": [],
            "cash_balances": [{"currency": "USD", "amount": cash}],
        },
        "market_data_snapshot": {"prices": [{"instrument_id": "A", "price": "10", "currency": "USD"}]},
        "model_portfolio": {"targets": [{"instrument_id": "A", "weight": weight}]},
        "shelf_entries": [{"instrument_id": "A", "status": "APPROVED"}],
        "options": {},
    }


def scaled_simulate_body(
    instruments: int, *, variant: str = "A", holdings: bool = False
) -> dict[str, Any]:
    """A READY rebalance of USD cash into ``instruments`` model targets (90 % invested).

    ``variant`` "B" changes one option, so bodies A and B differ in request hash.
    ``holdings`` adds a held position with one tax lot for half of the instruments and a
    sector attribute on every shelf entry (more work for validation and the engine).
    """
    ids = [f"INS{i:05d}" for i in range(instruments)]
    weight = f"{0.9 / instruments:.8f}"
    positions = [
        {"instrument_id": iid, "quantity": "100",
         "lots": [{"lot_id": f"{iid}-L1", "quantity": "100",
                   "unit_cost": {"amount": "9.50", "currency": "USD"},
                   "purchase_date": "2024-01-02"}]}
        for iid in ids[: instruments // 2]
    ] if holdings else []
    shelf = [{"instrument_id": iid, "status": "APPROVED", "asset_class": "EQUITY"} for iid in ids]
    if holdings:
        for index, entry in enumerate(shelf):
            entry["attributes"] = {"sector": f"S{index % 7}"}
    return {
        "portfolio_snapshot": {
            "portfolio_id": "pf_concurrency",
            "base_currency": "USD",
            "positions": positions,
            "cash_balances": [{"currency": "USD", "amount": "10000000.00"}],
        },
        "market_data_snapshot": {
            "prices": [
                {"instrument_id": iid, "price": f"{10 + i % 90}.25", "currency": "USD"}
                for i, iid in enumerate(ids)
            ],
            "fx_rates": [],
        },
        "model_portfolio": {"targets": [{"instrument_id": iid, "weight": weight} for iid in ids]},
        "shelf_entries": shelf,
        "options": {} if variant == "A" else {"max_turnover_pct": "0.75"},
    }
