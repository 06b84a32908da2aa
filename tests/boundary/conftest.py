"""Request bodies and helpers shared by the boundary tests.

``SPEC_SIMULATE_BODY`` is the request of api.md Appendix A.1 (§8.1), the input of the
Appendix B request-hash test vector.
"""

from __future__ import annotations

import copy
import json

import pytest

SPEC_SIMULATE_BODY_JSON = """
{
  "portfolio_snapshot": {
    "portfolio_id": "pf_spec_001",
    "base_currency": "SGD",
    "positions": [{"instrument_id": "SG_BANK_EQ", "quantity": "300"}],
    "cash_balances": [{"currency": "SGD", "amount": "10000.00"}]
  },
  "market_data_snapshot": {
    "prices": [{"instrument_id": "SG_BANK_EQ", "price": "50.00", "currency": "SGD"},
               {"instrument_id": "US_TECH_ETF", "price": "200.00", "currency": "USD"}],
    "fx_rates": [{"pair": "USD/SGD", "rate": "1.35"}]
  },
  "model_portfolio": {"targets": [{"instrument_id": "SG_BANK_EQ", "weight": "0.40"},
                                  {"instrument_id": "US_TECH_ETF", "weight": "0.50"}]},
  "shelf_entries": [
    {"instrument_id": "SG_BANK_EQ", "status": "APPROVED", "asset_class": "EQUITY",
     "attributes": {"region": "SG"}},
    {"instrument_id": "US_TECH_ETF", "status": "APPROVED", "asset_class": "EQUITY",
     "attributes": {"region": "US"}}
  ],
  "options": {"cash_band_min_weight": "0.00", "cash_band_max_weight": "0.20"}
}
"""


@pytest.fixture
def simulate_body() -> dict:
    """A fresh copy of the §8.1 simulate body, parsed as the views parse it."""
    return json.loads(SPEC_SIMULATE_BODY_JSON)


@pytest.fixture
def analyze_body(simulate_body) -> dict:
    """The §8.1 shared snapshots with one valid scenario instead of ``options``."""
    body = copy.deepcopy(simulate_body)
    del body["options"]
    body["scenarios"] = {"baseline": {"description": "as given", "options": {}}}
    return body


@pytest.fixture
def issues_of():
    """``issues_of(Model, data)``: the 422 issues of a decoded body (``[]`` when valid)."""
    from rebalance.boundary import validate_request

    def _issues(model, data):
        return validate_request(data, model)[1]

    return _issues


def valid(model, data):
    """The validated request of a body that must be valid."""
    from rebalance.boundary import validate_request

    request, issues = validate_request(data, model)
    assert not issues, issues
    return request
